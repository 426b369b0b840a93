import { people, type people_v1 } from '@googleapis/people';
import { expect } from 'chai';
import { OAuth2Client } from 'google-auth-library';
import { readFileSync } from 'node:fs';
import { generatePeopleSchema } from '../../scripts/generate-people-schema.js';
import {
  startPeopleStandin,
  type PeopleStandin,
  type PeopleStandinIdentity,
  type PeopleStandinUser,
} from '../../standins/people.js';

const AUTH = 'https://www.googleapis.com/auth/';
const CONTACTS = AUTH + 'contacts';
const CONTACTS_RO = AUTH + 'contacts.readonly';
const OTHER_RO = AUTH + 'contacts.other.readonly';
const DIRECTORY_RO = AUTH + 'directory.readonly';
const ALL = [CONTACTS, OTHER_RO, DIRECTORY_RO, 'openid', 'email', 'profile'];

const ALICE = 'alice@example.com';
const WANDA = 'wanda@acme.test';
const WALT = 'walt@acme.test';

const USERS: PeopleStandinUser[] = [
  { email: ALICE, name: 'Alice Example' },
  { email: WANDA, name: 'Wanda Maximoff', givenName: 'Wanda', familyName: 'Maximoff', hd: 'acme.test' },
  { email: WALT, name: 'Walt Whitman', hd: 'acme.test', sub: '100000000000000000077' },
];

/** Fake token verification: token string → identity. */
const TOKENS: Record<string, PeopleStandinIdentity> = {
  'alice-all': { sub: '100000000000000000001', email: ALICE, scopes: ALL },
  'alice-ro': { sub: '100000000000000000001', email: ALICE, scopes: [CONTACTS_RO] },
  'alice-profile': { sub: '100000000000000000001', email: ALICE, scopes: ['openid', 'email', 'profile'] },
  'alice-openid': { sub: '100000000000000000001', email: ALICE, scopes: ['openid'] },
  'alice-other': { sub: '100000000000000000001', email: ALICE, scopes: [OTHER_RO] },
  'wanda-all': { sub: '100000000000000000002', email: WANDA, scopes: ALL },
  'wanda-contacts': { sub: '100000000000000000002', email: WANDA, scopes: [CONTACTS] },
};

type Api = people_v1.People;

interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: Array<Record<string, unknown>> };
}

interface CaughtError {
  status: number;
  body: GoogleErrorBody;
  header(name: string): string | null;
}

/** Awaits a call expected to fail and returns its HTTP status, Google error body and headers. */
async function failure(p: Promise<unknown>): Promise<CaughtError> {
  try {
    await p;
  } catch (err) {
    const e = err as {
      status?: number;
      response?: { status: number; data: unknown; headers: Headers | Record<string, string> };
    };
    if (!e.response) throw err;
    const headers = e.response.headers;
    return {
      status: e.response.status,
      body: e.response.data as GoogleErrorBody,
      header: (name) =>
        typeof (headers as Headers).get === 'function'
          ? (headers as Headers).get(name)
          : ((headers as Record<string, string>)[name.toLowerCase()] ?? null),
    };
  }
  throw new Error('expected the call to fail');
}

describe('People API stand-in', function () {
  this.timeout(10_000);
  let standin: PeopleStandin;

  /** The real @googleapis/people client, authenticated the way the app does (OAuth2Client + access token). */
  function client(token: string): Api {
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: token });
    return people({ version: 'v1', rootUrl: standin.url + '/', auth, retry: false });
  }

  before(async () => {
    standin = await startPeopleStandin({
      users: USERS,
      verifyToken: async (token) => TOKENS[token] ?? null,
    });
  });
  after(async () => {
    await standin.close();
  });
  beforeEach(() => standin.reset());
  afterEach(() => {
    expect(standin.internalErrors, 'stand-in internal errors').to.deep.equal([]);
  });

  async function contactNamed(api: Api, displayName: string): Promise<people_v1.Schema$Person> {
    const res = await api.people.connections.list({
      resourceName: 'people/me',
      personFields: 'names,emailAddresses,phoneNumbers,memberships',
    });
    const found = (res.data.connections ?? []).find((p) => p.names?.[0]?.displayName === displayName);
    if (!found) throw new Error(`no contact ${displayName}`);
    return found;
  }

  describe('authentication and scopes', () => {
    it('answers 401 UNAUTHENTICATED like Google for a missing or unknown token', async () => {
      const unknown = await failure(client('nope').people.get({ resourceName: 'people/me', personFields: 'names' }));
      expect(unknown.status).to.equal(401);
      expect(unknown.body.error.status).to.equal('UNAUTHENTICATED');
      expect(unknown.body.error.message).to.match(
        /^Request had invalid authentication credentials\. Expected OAuth 2 access token/,
      );
      expect(unknown.header('www-authenticate')).to.match(/^Bearer realm=/);

      const res = await fetch(`${standin.url}/v1/people/me?personFields=names`);
      expect(res.status).to.equal(401);
      const body = (await res.json()) as GoogleErrorBody;
      expect(body.error.code).to.equal(401);
      expect(standin.requests.map((r) => [r.method, r.status, r.email])).to.deep.equal([
        ['people.get', 401, undefined],
        ['people.get', 401, undefined],
      ]);
    });

    it('answers 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT per method', async () => {
      const ro = client('alice-ro');
      await ro.people.connections.list({ resourceName: 'people/me', personFields: 'names' }); // reads are fine
      const write = await failure(
        ro.people.createContact({ personFields: 'names', requestBody: { names: [{ givenName: 'X' }] } }),
      );
      expect(write.status).to.equal(403);
      expect(write.body.error.status).to.equal('PERMISSION_DENIED');
      expect(write.body.error.message).to.equal('Request had insufficient authentication scopes.');
      expect(write.body.error.details?.[0]).to.include({
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
      });
      expect(write.header('www-authenticate')).to.include('insufficient_scope');

      // Other contacts need contacts.other.readonly; the directory needs directory.readonly.
      expect((await failure(ro.otherContacts.list({ readMask: 'names' }))).status).to.equal(403);
      expect(
        (
          await failure(
            client('wanda-contacts').people.searchDirectoryPeople({
              query: 'a',
              readMask: 'names',
              sources: ['DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE'],
            }),
          )
        ).status,
      ).to.equal(403);
      // Copying an other contact writes a contact: contacts.other.readonly alone is not enough.
      const other = client('alice-other');
      const list = await other.otherContacts.list({ readMask: 'names' });
      const rn = list.data.otherContacts?.[0]?.resourceName as string;
      expect(
        (
          await failure(
            other.otherContacts.copyOtherContactToMyContactsGroup({
              resourceName: rn,
              requestBody: { copyMask: 'names' },
            }),
          )
        ).status,
      ).to.equal(403);
      // A profile-only token can read people/me but not contacts.
      const profile = client('alice-profile');
      expect(
        (await failure(profile.people.connections.list({ resourceName: 'people/me', personFields: 'names' }))).status,
      ).to.equal(403);
      const contact = await contactNamed(client('alice-all'), 'Bob Martinez');
      expect(
        (await failure(profile.people.get({ resourceName: contact.resourceName as string, personFields: 'names' })))
          .status,
      ).to.equal(403);
    });
  });

  describe('people.get and people/me', () => {
    it('returns the caller profile as people/<sub> with profile/email scopes or any contacts scope', async () => {
      const me = await client('alice-profile').people.get({
        resourceName: 'people/me',
        personFields: 'names,emailAddresses,metadata',
      });
      expect(me.data.resourceName).to.equal('people/100000000000000000001');
      expect(me.data.etag).to.be.a('string').and.not.empty;
      expect(me.data.names?.[0]).to.include({
        displayName: 'Alice Example',
        givenName: 'Alice',
        familyName: 'Example',
      });
      expect(me.data.emailAddresses?.[0]?.value).to.equal(ALICE);
      expect(me.data.metadata?.sources?.[0]).to.include({ type: 'PROFILE', id: '100000000000000000001' });
      expect(me.data.metadata?.sources?.[0]?.profileMetadata?.userTypes).to.deep.equal(['GOOGLE_USER']);

      const viaRo = await client('alice-ro').people.get({ resourceName: 'people/me', personFields: 'names' });
      expect(viaRo.data.names?.[0]?.displayName).to.equal('Alice Example');

      const denied = await failure(
        client('alice-openid').people.get({ resourceName: 'people/me', personFields: 'names' }),
      );
      expect(denied.status).to.equal(403);

      const walt = await client('wanda-all').people.get({
        resourceName: 'people/100000000000000000077',
        personFields: 'names',
      });
      expect(walt.data.names?.[0]?.displayName).to.equal('Walt Whitman'); // a colleague's domain profile
    });

    it('requires personFields and rejects unknown mask paths; answers only the requested fields', async () => {
      const api = client('alice-all');
      const missing = await failure(api.people.get({ resourceName: 'people/me' }));
      expect(missing.status).to.equal(400);
      expect(missing.body.error.status).to.equal('INVALID_ARGUMENT');
      expect(missing.body.error.message).to.equal(
        'personFields mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/get.',
      );
      const bad = await failure(api.people.get({ resourceName: 'people/me', personFields: 'names,nmes' }));
      expect(bad.status).to.equal(400);
      expect(bad.body.error.message).to.include('"nmes"');
      expect((await failure(api.people.connections.list({ resourceName: 'people/me' }))).body.error.message).to.match(
        /^personFields mask is required/,
      );
      expect((await failure(api.people.searchContacts({ query: '' }))).body.error.message).to.match(
        /^readMask is required/,
      );
      expect((await failure(api.otherContacts.search({ query: 'x' }))).body.error.message).to.match(
        /^readMask is required/,
      );
      const unknownParam = await failure(
        api.people.get({ resourceName: 'people/me', personFields: 'names', pageSize: 3 } as never),
      );
      expect(unknownParam.body.error.message).to.include('Unknown name "pageSize": Cannot bind query parameter');

      const bob = await contactNamed(api, 'Bob Martinez');
      const onlyNames = await api.people.get({ resourceName: bob.resourceName as string, personFields: 'names' });
      expect(Object.keys(onlyNames.data).sort()).to.deep.equal(['etag', 'names', 'resourceName']);
      const rich = await api.people.get({
        resourceName: bob.resourceName as string,
        personFields: 'organizations,addresses,birthdays,biographies,urls,memberships,phoneNumbers',
      });
      expect(rich.data.organizations?.[0]).to.include({ name: 'Martinez Bikes', title: 'Owner' });
      expect(rich.data.addresses?.[0]?.formattedValue).to.include('San Francisco');
      expect(rich.data.birthdays?.[0]?.date).to.deep.equal({ year: 1985, month: 4, day: 12 });
      expect(rich.data.biographies?.[0]?.value).to.include('climbing gym');
      expect(rich.data.urls?.[0]?.value).to.equal('https://martinez-bikes.example');
      expect(rich.data.phoneNumbers?.[0]).to.include({ canonicalForm: '+14155550101', formattedType: 'Mobile' });
      expect(rich.data.memberships?.map((m) => m.contactGroupMembership?.contactGroupId)).to.include.members([
        'myContacts',
        'starred',
      ]);
      expect(rich.data.names).to.equal(undefined);
    });

    it('batchGet answers per item', async () => {
      const api = client('alice-all');
      const bob = await contactNamed(api, 'Bob Martinez');
      const res = await api.people.getBatchGet({
        resourceNames: ['people/me', bob.resourceName as string, 'people/c123'],
        personFields: 'names',
      });
      const r = res.data.responses ?? [];
      expect(r.map((x) => x.requestedResourceName)).to.deep.equal(['people/me', bob.resourceName, 'people/c123']);
      expect(r[0]?.person?.names?.[0]?.displayName).to.equal('Alice Example');
      expect(r[1]?.status).to.deep.equal({});
      expect(r[2]?.person).to.equal(undefined);
      expect(r[2]?.status).to.include({ code: 5 });
      const tooMany = Array.from({ length: 201 }, (_, i) => `people/c${i + 1}`);
      expect(
        (await failure(api.people.getBatchGet({ resourceNames: tooMany, personFields: 'names' }))).status,
      ).to.equal(400);
    });
  });

  describe('contacts lifecycle', () => {
    it('create → get → update with etag → stale etag refused → delete → 404', async () => {
      const api = client('alice-all');
      const created = await api.people.createContact({
        personFields: 'names,emailAddresses,memberships,metadata',
        requestBody: {
          names: [{ givenName: 'Zed', familyName: 'Quinn' }],
          emailAddresses: [{ value: 'zed@example.com', type: 'work' }],
        },
      });
      const rn = created.data.resourceName as string;
      expect(rn).to.match(/^people\/c\d+$/);
      expect(created.data.names?.[0]?.displayName).to.equal('Zed Quinn');
      expect(created.data.emailAddresses?.[0]?.metadata).to.deep.include({ primary: true });
      expect(created.data.emailAddresses?.[0]?.metadata?.source?.type).to.equal('CONTACT');
      expect(created.data.memberships?.map((m) => m.contactGroupMembership?.contactGroupResourceName)).to.deep.equal([
        'contactGroups/myContacts',
      ]);
      expect(created.data.metadata?.sources?.[0]?.type).to.equal('CONTACT');

      const got = await api.people.get({ resourceName: rn, personFields: 'names' });
      expect(got.data.etag).to.equal(created.data.etag);

      const updated = await api.people.updateContact({
        resourceName: rn,
        updatePersonFields: 'emailAddresses',
        personFields: 'names,emailAddresses',
        requestBody: { etag: got.data.etag as string, emailAddresses: [{ value: 'zed@new.example' }] },
      });
      expect(updated.data.emailAddresses?.map((e) => e.value)).to.deep.equal(['zed@new.example']);
      expect(updated.data.names?.[0]?.displayName).to.equal('Zed Quinn');
      expect(updated.data.etag).to.not.equal(got.data.etag);

      const stale = await failure(
        api.people.updateContact({
          resourceName: rn,
          updatePersonFields: 'names',
          requestBody: { etag: got.data.etag as string, names: [{ givenName: 'Late' }] },
        }),
      );
      expect(stale.status).to.equal(400);
      expect(stale.body.error.status).to.equal('FAILED_PRECONDITION');
      expect(stale.body.error.message).to.equal(
        'Request person.etag is different than the current person.etag. Clear local cache and get the latest person.',
      );
      const noEtag = await failure(
        api.people.updateContact({
          resourceName: rn,
          updatePersonFields: 'names',
          requestBody: { names: [{ givenName: 'X' }] },
        }),
      );
      expect(noEtag.status).to.equal(400);
      const noMask = await failure(
        api.people.updateContact({ resourceName: rn, requestBody: { etag: updated.data.etag as string } }),
      );
      expect(noMask.body.error.message).to.match(/^updatePersonFields mask is required/);
      const photoMask = await failure(
        api.people.updateContact({
          resourceName: rn,
          updatePersonFields: 'photos',
          requestBody: { etag: updated.data.etag as string },
        }),
      );
      expect(photoMask.status).to.equal(400);

      await api.people.deleteContact({ resourceName: rn });
      const gone = await failure(api.people.get({ resourceName: rn, personFields: 'names' }));
      expect(gone.status).to.equal(404);
      expect(gone.body.error.status).to.equal('NOT_FOUND');
      expect((await failure(api.people.deleteContact({ resourceName: rn }))).status).to.equal(404);
      expect(standin.snapshot(ALICE)?.contacts.some((p) => p.resourceName === rn)).to.equal(false);
    });

    it('batchCreateContacts creates up to 200 at once, all or nothing; batchDeleteContacts deletes up to 500, all or nothing', async () => {
      const api = client('alice-all');
      const before = standin.snapshot(ALICE)!.contacts.length;
      const hiking = standin.snapshot(ALICE)!.contactGroups.find((g) => g.name === 'Hiking')!.resourceName!;
      const res = await api.people.batchCreateContacts({
        requestBody: {
          contacts: [
            {
              contactPerson: {
                names: [{ givenName: 'Batch', familyName: 'One' }],
                memberships: [{ contactGroupMembership: { contactGroupResourceName: hiking } }],
              },
            },
            { contactPerson: { emailAddresses: [{ value: 'two@batch.example' }] } },
          ],
          readMask: 'names,emailAddresses,memberships',
        },
      });
      const made = (res.data.createdPeople ?? []).map((r) => r.person!);
      expect(made.map((p) => p.resourceName))
        .to.have.length(2)
        .and.satisfy((rns: string[]) => rns.every((rn) => /^people\/c\d+$/.test(rn)));
      expect(made[0]!.names?.[0]?.displayName).to.equal('Batch One');
      expect(made[0]!.memberships?.map((m) => m.contactGroupMembership?.contactGroupResourceName)).to.deep.equal([
        'contactGroups/myContacts',
        hiking,
      ]);
      // Without readMask nothing is read back.
      expect(
        (
          await api.people.batchCreateContacts({
            requestBody: { contacts: [{ contactPerson: { names: [{ givenName: 'Quiet' }] } }] },
          })
        ).data,
      ).to.deep.equal({});
      // One invalid contact (two names on a singleton field; an unknown field): nothing is created.
      const count = standin.snapshot(ALICE)!.contacts.length;
      const invalid = await failure(
        api.people.batchCreateContacts({
          requestBody: {
            contacts: [
              { contactPerson: { names: [{ givenName: 'Ok' }] } },
              { contactPerson: { names: [{ givenName: 'A' }, { givenName: 'B' }] } },
            ],
            readMask: 'names',
          },
        }),
      );
      expect(invalid.status).to.equal(400);
      const unknown = await failure(
        api.people.batchCreateContacts({ requestBody: { contacts: [{ contactPerson: { nmes: [] } as never }] } }),
      );
      expect(unknown.body.error.message).to.contain('Unknown name "nmes"');
      const tooMany = await failure(
        api.people.batchCreateContacts({
          requestBody: {
            contacts: Array.from({ length: 201 }, () => ({ contactPerson: { names: [{ givenName: 'X' }] } })),
          },
        }),
      );
      expect(tooMany.status).to.equal(400);
      expect(standin.snapshot(ALICE)!.contacts.length).to.equal(count);
      expect(count).to.equal(before + 3);

      const rns = made.map((p) => p.resourceName!);
      const missing = await failure(
        api.people.batchDeleteContacts({ requestBody: { resourceNames: [...rns, 'people/c1'] } }),
      );
      expect(missing.status).to.equal(404);
      expect(standin.snapshot(ALICE)!.contacts.length, 'nothing deleted').to.equal(count);
      await api.people.batchDeleteContacts({ requestBody: { resourceNames: rns } });
      expect(standin.snapshot(ALICE)!.contacts.length).to.equal(count - 2);
      expect(standin.requests.filter((r) => r.method === 'people.batchDeleteContacts')).to.have.length(2);
      expect((await failure(api.people.batchDeleteContacts({ requestBody: { resourceNames: [] } }))).status).to.equal(
        400,
      );
    });

    it('quirk: batch creation can be made to ignore memberships (undocumented at Google)', async () => {
      const api = client('alice-all');
      standin.quirks.batchCreateIgnoresMemberships = true;
      const res = await api.people.batchCreateContacts({
        requestBody: {
          contacts: [
            {
              contactPerson: {
                names: [{ givenName: 'NoGroup' }],
                memberships: [{ contactGroupMembership: { contactGroupResourceName: 'contactGroups/starred' } }],
              },
            },
          ],
          readMask: 'memberships',
        },
      });
      expect(
        res.data.createdPeople?.[0]?.person?.memberships?.map(
          (m) => m.contactGroupMembership?.contactGroupResourceName,
        ),
      ).to.deep.equal(['contactGroups/myContacts']);
      standin.reset();
      expect(standin.quirks.batchCreateIgnoresMemberships).to.equal(false);
    });

    it('updatePersonFields replaces named fields, clears named-but-absent ones, leaves the rest', async () => {
      const api = client('alice-all');
      const carol = await api.people.get({
        resourceName: (await contactNamed(api, 'Carol Nguyen')).resourceName as string,
        personFields: 'names,phoneNumbers,emailAddresses,organizations,biographies',
      });
      expect(carol.data.phoneNumbers).to.have.length(2);
      const res = await api.people.updateContact({
        resourceName: carol.data.resourceName as string,
        updatePersonFields: 'names,phoneNumbers,biographies',
        personFields: 'names,phoneNumbers,emailAddresses,organizations,biographies',
        requestBody: {
          etag: carol.data.etag as string,
          names: [{ givenName: 'Carol', familyName: 'Nguyen-Smith', displayName: 'ignored (output only)' }],
          biographies: [{ value: 'Moved to Oakland.' }],
        },
      });
      expect(res.data.names?.[0]?.displayName).to.equal('Carol Nguyen-Smith');
      expect(res.data.phoneNumbers, 'named in the mask, absent from the body → cleared').to.equal(undefined);
      expect(res.data.biographies?.[0]?.value).to.equal('Moved to Oakland.');
      expect(res.data.emailAddresses).to.deep.equal(carol.data.emailAddresses);
      expect(res.data.organizations).to.deep.equal(carol.data.organizations);

      const twoNames = await failure(
        api.people.updateContact({
          resourceName: carol.data.resourceName as string,
          updatePersonFields: 'names',
          requestBody: { etag: res.data.etag as string, names: [{ givenName: 'A' }, { givenName: 'B' }] },
        }),
      );
      expect(twoNames.status).to.equal(400); // names is a singleton for contacts
    });

    it('lists connections with opaque page tokens, totals, sort orders and sync tokens', async () => {
      const api = client('alice-all');
      const first = await api.people.connections.list({
        resourceName: 'people/me',
        personFields: 'names',
        pageSize: 4,
        sortOrder: 'FIRST_NAME_ASCENDING',
        requestSyncToken: true,
      });
      expect(first.data.totalPeople).to.equal(7);
      expect(first.data.totalItems).to.equal(7);
      expect(first.data.connections?.map((p) => p.names?.[0]?.givenName)).to.deep.equal([
        'Bob',
        'Bob',
        'Carol',
        'David',
      ]);
      expect(first.data.nextSyncToken, 'only on the last page').to.equal(undefined);
      const second = await api.people.connections.list({
        resourceName: 'people/me',
        personFields: 'names',
        pageSize: 4,
        sortOrder: 'FIRST_NAME_ASCENDING',
        requestSyncToken: true,
        pageToken: first.data.nextPageToken as string,
      });
      expect(second.data.connections?.map((p) => p.names?.[0]?.givenName)).to.deep.equal(['Eve', 'Frank', 'Grace']);
      expect(second.data.nextPageToken).to.equal(undefined);
      const syncToken = second.data.nextSyncToken as string;
      expect(syncToken).to.be.a('string');
      const mismatch = await failure(
        api.people.connections.list({
          resourceName: 'people/me',
          personFields: 'names',
          sortOrder: 'LAST_NAME_ASCENDING',
          pageToken: first.data.nextPageToken as string,
        }),
      );
      expect(mismatch.status).to.equal(400);
      expect(
        (
          await failure(
            api.people.connections.list({ resourceName: 'people/me', personFields: 'names', sortOrder: 'SIDEWAYS' }),
          )
        ).status,
      ).to.equal(400);

      const frank = await contactNamed(api, 'Frank Li');
      await api.people.deleteContact({ resourceName: frank.resourceName as string });
      await api.people.createContact({ requestBody: { names: [{ givenName: 'Nina' }] } });
      const changes = await api.people.connections.list({
        resourceName: 'people/me',
        personFields: 'names',
        syncToken,
      });
      expect(
        changes.data.connections?.map((p) => [p.names?.[0]?.givenName ?? null, p.metadata?.deleted ?? false]),
      ).to.deep.equal([
        [null, true],
        ['Nina', false],
      ]);
      expect(changes.data.nextSyncToken).to.be.a('string');
      standin.expireSyncTokens();
      const expired = await failure(
        api.people.connections.list({
          resourceName: 'people/me',
          personFields: 'names',
          syncToken: changes.data.nextSyncToken as string,
        }),
      );
      expect(expired.status).to.equal(400);
      expect(expired.body.error.details?.[0]).to.include({ reason: 'EXPIRED_SYNC_TOKEN' });
    });

    it("keeps each user's data separate and reset() re-seeds", async () => {
      const alice = client('alice-all');
      await alice.people.createContact({ requestBody: { names: [{ givenName: 'Only', familyName: 'Alice' }] } });
      const wanda = await client('wanda-all').people.connections.list({
        resourceName: 'people/me',
        personFields: 'names',
      });
      expect(wanda.data.totalItems).to.equal(7);
      expect(standin.snapshot(ALICE)?.contacts).to.have.length(8);
      const before = standin.snapshot(ALICE)?.contacts.map((p) => p.resourceName);
      standin.reset();
      expect(standin.requests).to.deep.equal([]);
      expect(standin.snapshot(ALICE)?.contacts.map((p) => p.resourceName)).to.deep.equal(before?.slice(0, 7));
    });
  });

  describe('contact groups', () => {
    it('lists system and user groups, creates/renames/deletes user groups, refuses duplicates and system changes', async () => {
      const api = client('alice-all');
      const list = await api.contactGroups.list({});
      const groups = list.data.contactGroups ?? [];
      const my = groups.find((g) => g.resourceName === 'contactGroups/myContacts');
      expect(my).to.include({
        groupType: 'SYSTEM_CONTACT_GROUP',
        name: 'myContacts',
        formattedName: 'My Contacts',
        memberCount: 7,
      });
      expect(groups.find((g) => g.resourceName === 'contactGroups/starred')?.groupType).to.equal(
        'SYSTEM_CONTACT_GROUP',
      );
      const hiking = groups.find((g) => g.name === 'Hiking');
      expect(hiking).to.include({ groupType: 'USER_CONTACT_GROUP', memberCount: 2 });
      expect(list.data.nextSyncToken).to.be.a('string');

      const created = await api.contactGroups.create({ requestBody: { contactGroup: { name: 'Climbing' } } });
      expect(created.data).to.include({ name: 'Climbing', groupType: 'USER_CONTACT_GROUP' });
      const dup = await failure(api.contactGroups.create({ requestBody: { contactGroup: { name: 'Hiking' } } }));
      expect(dup.status).to.equal(409);
      expect(dup.body.error.status).to.equal('ALREADY_EXISTS');

      const renamed = await api.contactGroups.update({
        resourceName: created.data.resourceName as string,
        requestBody: { contactGroup: { name: 'Bouldering', etag: created.data.etag as string } },
      });
      expect(renamed.data.name).to.equal('Bouldering');
      expect(renamed.data.etag).to.not.equal(created.data.etag);
      expect(
        (
          await failure(
            api.contactGroups.update({
              resourceName: created.data.resourceName as string,
              requestBody: { contactGroup: { name: 'Hiking' } },
            }),
          )
        ).status,
      ).to.equal(409);
      const sys = await failure(
        api.contactGroups.update({
          resourceName: 'contactGroups/myContacts',
          requestBody: { contactGroup: { name: 'Mine' } },
        }),
      );
      expect(sys.status).to.equal(400);
      expect((await failure(api.contactGroups.delete({ resourceName: 'contactGroups/starred' }))).status).to.equal(400);
      expect((await failure(api.contactGroups.get({ resourceName: 'contactGroups/nope' }))).status).to.equal(404);

      const batch = await api.contactGroups.batchGet({
        resourceNames: [hiking?.resourceName as string, 'contactGroups/nope'],
        maxMembers: 10,
      });
      expect(batch.data.responses?.[0]?.contactGroup?.memberResourceNames).to.have.length(2);
      expect(batch.data.responses?.[1]?.status).to.include({ code: 5 });

      await api.contactGroups.delete({ resourceName: created.data.resourceName as string });
      expect(
        (await failure(api.contactGroups.get({ resourceName: created.data.resourceName as string }))).status,
      ).to.equal(404);
    });

    it('members.modify adds and removes, reports unknown people, and deleting contacts or groups updates membership', async () => {
      const api = client('alice-all');
      const groups = (await api.contactGroups.list({})).data.contactGroups ?? [];
      const hiking = groups.find((g) => g.name === 'Hiking')?.resourceName as string;
      const david = await contactNamed(api, 'David Okafor');
      const bob = await contactNamed(api, 'Bob Martinez');

      const mod = await api.contactGroups.members.modify({
        resourceName: hiking,
        requestBody: {
          resourceNamesToAdd: [david.resourceName as string, 'people/c42'],
          resourceNamesToRemove: [bob.resourceName as string],
        },
      });
      expect(mod.data.notFoundResourceNames).to.deep.equal(['people/c42']);
      const after = await api.contactGroups.get({ resourceName: hiking, maxMembers: 50 });
      expect(after.data.memberResourceNames).to.have.members([
        david.resourceName,
        (await contactNamed(api, 'Carol Nguyen')).resourceName,
      ]);
      expect(after.data.memberCount).to.equal(2);
      const noMembers = await api.contactGroups.get({ resourceName: hiking });
      expect(noMembers.data.memberResourceNames, 'maxMembers defaults to 0').to.equal(undefined);

      await api.contactGroups.members.modify({
        resourceName: 'contactGroups/starred',
        requestBody: { resourceNamesToAdd: [david.resourceName as string] },
      });
      const family = await failure(
        api.contactGroups.members.modify({
          resourceName: 'contactGroups/family',
          requestBody: { resourceNamesToAdd: [david.resourceName as string] },
        }),
      );
      expect(family.status).to.equal(400);

      // The last group membership can't be removed.
      const solo = await api.people.createContact({ requestBody: { names: [{ givenName: 'Solo' }] } });
      const last = await api.contactGroups.members.modify({
        resourceName: 'contactGroups/myContacts',
        requestBody: { resourceNamesToRemove: [solo.data.resourceName as string] },
      });
      expect(last.data.canNotRemoveLastContactGroupResourceNames).to.deep.equal([solo.data.resourceName]);

      // Deleting a contact removes it from its groups.
      await api.people.deleteContact({ resourceName: david.resourceName as string });
      const hikingNow = await api.contactGroups.get({ resourceName: hiking, maxMembers: 50 });
      expect(hikingNow.data.memberResourceNames).to.not.include(david.resourceName);
      expect(hikingNow.data.memberCount).to.equal(1);

      // Deleting a group with deleteContacts=true deletes its members too.
      const bookClub = groups.find((g) => g.name === 'Book Club')?.resourceName as string;
      await api.contactGroups.delete({ resourceName: bookClub, deleteContacts: true });
      const names = (
        (await api.people.connections.list({ resourceName: 'people/me', personFields: 'names' })).data.connections ?? []
      ).map((p) => p.names?.[0]?.displayName);
      expect(names).to.not.include.members(['Frank Li', 'Grace Hopper-Ruiz']);
      expect(names).to.include('Carol Nguyen');
    });
  });

  describe('search', () => {
    it('returns nothing until the warm-up request, then prefix-matches names, emails, phones and organizations', async () => {
      const api = client('alice-all');
      const cold = await api.people.searchContacts({ query: 'Bob', readMask: 'names' });
      expect(cold.data).to.deep.equal({});
      expect(standin.warmups.get(ALICE)).to.equal(undefined);

      const warm = await api.people.searchContacts({ query: '', readMask: 'names' });
      expect(warm.data).to.deep.equal({});
      expect(standin.warmups.get(ALICE)).to.equal(1);

      const names = async (query: string): Promise<string[]> =>
        ((await api.people.searchContacts({ query, readMask: 'names' })).data.results ?? []).map(
          (r) => r.person?.names?.[0]?.displayName as string,
        );
      expect(await names('Bob')).to.have.members(['Bob Martinez', 'Bob Chen']);
      expect(await names('bob m')).to.deep.equal(['Bob Martinez']);
      expect(await names('mart')).to.deep.equal(['Bob Martinez']);
      expect(await names('artinez')).to.deep.equal([]);
      expect(await names('carol.nguyen@')).to.deep.equal(['Carol Nguyen']);
      expect(await names('415')).to.deep.equal(['Bob Martinez']);
      expect(await names('acme')).to.deep.equal(['Carol Nguyen']);
      expect(await names('caz')).to.deep.equal(['Carol Nguyen']); // nickname
      expect(await names('ruiz')).to.deep.equal(['Grace Hopper-Ruiz']);

      await api.people.createContact({ requestBody: { names: [{ givenName: 'Bobbie', familyName: 'Draper' }] } });
      expect(await names('bobbie')).to.deep.equal(['Bobbie Draper']);
      const capped = await api.people.searchContacts({ query: 'b', readMask: 'names', pageSize: 1 });
      expect(capped.data.results).to.have.length(1);
      // Another user's warm-up is separate.
      expect((await client('wanda-all').people.searchContacts({ query: 'Bob', readMask: 'names' })).data).to.deep.equal(
        {},
      );
    });

    it('searches and copies other contacts (with their own warm-up)', async () => {
      const api = client('alice-all');
      const list = await api.otherContacts.list({ readMask: 'names,emailAddresses' });
      expect(list.data.totalSize).to.equal(3);
      expect(list.data.otherContacts?.map((p) => p.emailAddresses?.[0]?.value)).to.include('orders@shop.example');
      expect((await failure(api.otherContacts.list({ readMask: 'organizations' }))).status).to.equal(400);

      expect((await api.otherContacts.search({ query: 'ivan', readMask: 'names,emailAddresses' })).data).to.deep.equal(
        {},
      );
      await api.otherContacts.search({ query: '', readMask: 'names' });
      expect(standin.otherContactsWarmups.get(ALICE)).to.equal(1);
      const found = await api.otherContacts.search({ query: 'ivan', readMask: 'names,emailAddresses,phoneNumbers' });
      const ivan = found.data.results?.[0]?.person as people_v1.Schema$Person;
      expect(ivan.resourceName).to.match(/^otherContacts\/c\d+$/);
      expect(ivan.phoneNumbers?.[0]?.value).to.equal('+7 495 555-0123');

      const copied = await api.otherContacts.copyOtherContactToMyContactsGroup({
        resourceName: ivan.resourceName as string,
        requestBody: { copyMask: 'names,emailAddresses' },
      });
      expect(copied.data.resourceName).to.match(/^people\/c\d+$/);
      expect(copied.data.names?.[0]?.displayName).to.equal('Ivan Petrov');
      expect(copied.data.phoneNumbers, 'not in copyMask').to.equal(undefined);
      expect(copied.data.memberships?.[0]?.contactGroupMembership?.contactGroupResourceName).to.equal(
        'contactGroups/myContacts',
      );
      expect(copied.data.metadata?.sources?.[0]?.type).to.equal('CONTACT');
      const missingMask = await failure(
        api.otherContacts.copyOtherContactToMyContactsGroup({
          resourceName: ivan.resourceName as string,
          requestBody: {},
        }),
      );
      expect(missingMask.body.error.message).to.match(/^copyMask is required/);
    });
  });

  describe('directory', () => {
    it('searches the Workspace directory and refuses consumer accounts', async () => {
      const api = client('wanda-all');
      const res = await api.people.searchDirectoryPeople({
        query: 'wa',
        readMask: 'names,emailAddresses',
        sources: ['DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE'],
      });
      expect(res.data.people?.map((p) => p.emailAddresses?.[0]?.value)).to.have.members([WANDA, WALT]);
      expect(res.data.totalSize).to.equal(2);
      const morgan = await api.people.searchDirectoryPeople({
        query: 'finance',
        readMask: 'names,organizations',
        sources: ['DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE'],
      });
      expect(morgan.data.people?.[0]?.names?.[0]?.displayName).to.equal('Morgan Lee');
      const profilesOnly = await api.people.searchDirectoryPeople({
        query: 'facilities',
        readMask: 'names',
        sources: ['DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE'],
      });
      expect(profilesOnly.data.people).to.equal(undefined);
      const withContacts = await api.people.searchDirectoryPeople({
        query: 'facilities',
        readMask: 'names',
        sources: ['DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE', 'DIRECTORY_SOURCE_TYPE_DOMAIN_CONTACT'],
      });
      expect(withContacts.data.people?.[0]?.names?.[0]?.displayName).to.equal('Facilities Desk');
      expect((await failure(api.people.searchDirectoryPeople({ query: 'wa', readMask: 'names' }))).status).to.equal(
        400,
      );

      const consumer = await failure(
        client('alice-all').people.searchDirectoryPeople({
          query: 'a',
          readMask: 'names',
          sources: ['DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE'],
        }),
      );
      expect(consumer.status).to.equal(400);
      expect(consumer.body.error).to.include({
        status: 'FAILED_PRECONDITION',
        message: 'Must be a G Suite domain user.',
      });
    });
  });

  describe('request body schema', () => {
    it("rejects unknown fields and wrong types like Google's JSON parser", async () => {
      const api = client('alice-all');
      const top = await failure(
        api.people.createContact({ requestBody: { nmes: [{ givenName: 'X' }] } as people_v1.Schema$Person }),
      );
      expect(top.status).to.equal(400);
      expect(top.body.error.status).to.equal('INVALID_ARGUMENT');
      expect(top.body.error.message).to.equal(
        `Invalid JSON payload received. Unknown name "nmes" at 'person': Cannot find field.`,
      );
      const nested = await failure(
        api.people.createContact({
          requestBody: { emailAddresses: [{ value: 'a@b.c', label: 'x' }] } as unknown as people_v1.Schema$Person,
        }),
      );
      expect(nested.body.error.message).to.equal(
        `Invalid JSON payload received. Unknown name "label" at 'person.email_addresses[0]': Cannot find field.`,
      );
      const wrongType = await failure(
        api.people.createContact({ requestBody: { names: [{ givenName: 7 }] } as unknown as people_v1.Schema$Person }),
      );
      expect(wrongType.body.error.message).to.equal(`Invalid value at 'person.names[0].given_name' (TYPE_STRING), 7`);
      const group = await failure(
        api.contactGroups.create({
          requestBody: { contactGroup: { name: 'X' }, color: 'red' } as people_v1.Schema$CreateContactGroupRequest,
        }),
      );
      expect(group.body.error.message).to.equal(
        `Invalid JSON payload received. Unknown name "color": Cannot find field.`,
      );
      const modify = await failure(
        api.contactGroups.members.modify({
          resourceName: 'contactGroups/starred',
          requestBody: {
            resourceNamesToAdd: 'people/c1',
          } as unknown as people_v1.Schema$ModifyContactGroupMembersRequest,
        }),
      );
      expect(modify.status).to.equal(400);
      expect(standin.snapshot(ALICE)?.contacts).to.have.length(7); // nothing was written
    });

    it('people-schema.json is what scripts/generate-people-schema.ts generates from the installed @googleapis/people', function () {
      // Generating the schema walks the whole People API type tree with the TypeScript compiler: ~5 s alone, longer on a busy machine.
      this.timeout(60_000);
      const committed = JSON.parse(
        readFileSync(new URL('../../standins/people-schema.json', import.meta.url), 'utf8'),
      ) as unknown;
      expect(committed).to.deep.equal(JSON.parse(JSON.stringify(generatePeopleSchema())));
    });
  });

  describe('fault injection and observability', () => {
    it('failNext answers 429 with Retry-After once for the named method, and records requests', async () => {
      const api = client('alice-all');
      standin.failNext({ method: 'people.searchContacts', status: 429, retryAfterSeconds: 7 });
      await api.people.get({ resourceName: 'people/me', personFields: 'names' }); // other methods unaffected
      const limited = await failure(api.people.searchContacts({ query: '', readMask: 'names' }));
      expect(limited.status).to.equal(429);
      expect(limited.body.error.status).to.equal('RESOURCE_EXHAUSTED');
      expect(limited.header('retry-after')).to.equal('7');
      await api.people.searchContacts({ query: '', readMask: 'names' });

      standin.failNext({ status: 503, count: 2 });
      expect((await failure(api.contactGroups.list({}))).status).to.equal(503);
      expect(
        (await failure(api.people.get({ resourceName: 'people/me', personFields: 'names' }))).body.error.status,
      ).to.equal('UNAVAILABLE');
      await api.contactGroups.list({});

      expect(standin.requests.map((r) => `${r.method} ${r.status}`)).to.deep.equal([
        'people.get 200',
        'people.searchContacts 429',
        'people.searchContacts 200',
        'contactGroups.list 503',
        'people.get 503',
        'contactGroups.list 200',
      ]);
      expect(standin.requests.every((r) => r.email === ALICE || r.status === 503 || r.status === 429)).to.equal(true);
    });

    it('failNext with only delayMs delays the answer', async () => {
      standin.failNext({ method: 'people.get', delayMs: 150 });
      const t0 = Date.now();
      await client('alice-all').people.get({ resourceName: 'people/me', personFields: 'names' });
      expect(Date.now() - t0).to.be.at.least(140);
    });

    it('measures concurrent mutations per user and can reject them', async () => {
      const slow = await startPeopleStandin({
        users: USERS,
        verifyToken: async (t) => TOKENS[t] ?? null,
        mutationLatencyMs: 40,
      });
      const strict = await startPeopleStandin({
        users: USERS,
        verifyToken: async (t) => TOKENS[t] ?? null,
        mutationLatencyMs: 40,
        rejectConcurrentMutations: true,
      });
      try {
        const mk = (s: PeopleStandin): Api => {
          const auth = new OAuth2Client();
          auth.setCredentials({ access_token: 'alice-all' });
          return people({ version: 'v1', rootUrl: s.url + '/', auth, retry: false });
        };
        const a = mk(slow);
        for (const n of ['S1', 'S2']) await a.people.createContact({ requestBody: { names: [{ givenName: n }] } });
        expect(slow.maxConcurrentMutations).to.equal(1);
        await Promise.all(
          ['P1', 'P2', 'P3'].map((n) => a.people.createContact({ requestBody: { names: [{ givenName: n }] } })),
        );
        expect(slow.maxConcurrentMutations).to.equal(3);

        const b = mk(strict);
        const results = await Promise.allSettled(
          ['Q1', 'Q2'].map((n) => b.people.createContact({ requestBody: { names: [{ givenName: n }] } })),
        );
        expect(results.map((r) => r.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
        const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect((rejected?.reason as { status?: number }).status).to.equal(409);
        expect(strict.requests.map((r) => r.status).sort()).to.deep.equal([200, 409]);
      } finally {
        await slow.close();
        await strict.close();
      }
    });
  });
});
