import { expect } from 'chai';
import { people as peopleApi } from '@googleapis/people';
import { startHarness, type Harness } from '../support/harness.js';
import { UPDATE_PERSON_FIELDS } from '../../standins/people/fields.js';
import { SAMPLE_USERS } from '../../standins/sample-users.js';
import { MAX_UPDATE_ATTEMPTS } from '../../src/mcp/tools/update-contact.js';
import { connect, fails, ok, prng, sleep, type PersonOut, type Session } from './helpers.js';

const ALICE = 'alice@example.com';
const ALICE_ID = SAMPLE_USERS.find((u) => u.email === ALICE)!.sub;

/** Google field names for the edit keys of update_contact. */
const GOOGLE_FIELD: Record<string, string> = {
  name: 'names',
  organization: 'organizations',
  birthday: 'birthdays',
  notes: 'biographies',
  emails: 'emailAddresses',
  phones: 'phoneNumbers',
  addresses: 'addresses',
  urls: 'urls',
  nicknames: 'nicknames',
  groups: 'memberships',
};
/** Every field a contact stores (the stand-in's, as Google's: what updatePersonFields accepts). */
const ALL_CONTACT_FIELDS: readonly string[] = UPDATE_PERSON_FIELDS;

describe('mcp tools: update_contact', function () {
  let h: Harness;
  let s: Session;
  /** updatePersonFields of every updateContact call our server made. */
  const updateMasks: string[] = [];

  before(async () => {
    h = await startHarness();
    s = await connect(h, ALICE);
    const api = h.app.people.api().people as unknown as Record<string, (...a: unknown[]) => unknown>;
    const orig = api.updateContact!;
    api.updateContact = function (this: unknown, ...a: unknown[]) {
      updateMasks.push(String((a[0] as { updatePersonFields?: string }).updatePersonFields));
      return orig.apply(this, a);
    };
  });
  after(async () => {
    await s?.close();
    await h?.close();
  });
  beforeEach(() => {
    updateMasks.length = 0;
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-20).join('\n'));
    expect(h.people.internalErrors).to.deep.equal([]);
  });

  const raw = (rn: string) =>
    h.people.snapshot(ALICE)!.contacts.find((c) => c.resourceName === rn) as Record<string, unknown> | undefined;
  const full = async (rn: string) =>
    (await ok<{ contacts: PersonOut[] }>(s, 'get_contact', { resourceNames: [rn], detail: 'full' })).structured
      .contacts[0]!;
  const create = async (args: Record<string, unknown>) =>
    (await ok<{ contact: PersonOut }>(s, 'create_contact', args)).structured.contact.resourceName;
  const update = (args: Record<string, unknown>) =>
    ok<{ contact: PersonOut; changedFields: string[] }>(s, 'update_contact', { detail: 'full', ...args });

  describe('semantics', () => {
    it('changes only what is mentioned, and writes only those fields', async () => {
      const rn = await create({
        name: { givenName: 'Sam', familyName: 'Carter' },
        emails: [
          { value: 'sam@sgc.example', type: 'work' },
          { value: 'sam.home@example.com', type: 'home' },
        ],
        phones: [{ value: '+1 719 555 0101', type: 'mobile' }],
        organization: { name: 'SGC', title: 'Captain', department: 'Science' },
        notes: 'Astrophysicist.',
        birthday: { month: 6, day: 9 },
        nicknames: ['Sam'],
        urls: [{ value: 'https://sgc.example/carter' }],
      });
      const before = raw(rn)!;
      const r = await update({ resourceName: rn, organization: { name: 'Stargate Command' } });
      expect(r.structured.changedFields).to.deep.equal(['organizations']);
      expect(updateMasks).to.deep.equal(['organizations']);
      // Title and department stay (only the company was mentioned).
      expect(r.structured.contact.organization).to.deep.equal({
        name: 'Stargate Command',
        title: 'Captain',
        department: 'Science',
      });
      const after = raw(rn)!;
      for (const f of ALL_CONTACT_FIELDS.filter((x) => x !== 'organizations'))
        expect(after[f], f).to.deep.equal(before[f]);
    });

    it('adds, relabels, removes and replaces list items; never drops the others', async () => {
      const rn = await create({
        name: { givenName: 'Dana' },
        emails: [{ value: 'dana@a.example', type: 'work' }, { value: 'dana@b.example' }],
        phones: [
          { value: '+1 415 555 0199', type: 'mobile' },
          { value: '+44 20 7946 0000', type: 'work' },
        ],
        addresses: [
          { streetAddress: '1 Main St', city: 'Springfield', type: 'home' },
          { formatted: 'Somewhere 5, Berlin', type: 'work' },
        ],
        urls: [{ value: 'https://dana.example/' }],
        nicknames: ['D'],
      });
      let r = await update({
        resourceName: rn,
        emails: {
          add: [
            { value: 'dana@c.example', type: 'home' },
            { value: 'DANA@a.example', type: 'other' },
          ],
        },
      });
      expect(r.structured.contact.emails).to.deep.equal([
        { value: 'dana@a.example', type: 'other' },
        { value: 'dana@b.example' },
        { value: 'dana@c.example', type: 'home' },
      ]);
      r = await update({
        resourceName: rn,
        emails: { remove: ['Dana@B.example'] },
        phones: { remove: ['(415) 555-0199'] },
        addresses: { remove: ['1 main st.'] },
        urls: { remove: ['dana.example'] },
      });
      expect(r.structured.contact.emails.map((e) => e.value)).to.deep.equal(['dana@a.example', 'dana@c.example']);
      expect(r.structured.contact.phones).to.deep.equal([{ value: '+44 20 7946 0000', type: 'work' }]);
      expect(r.structured.contact.addresses?.map((a) => a.formatted)).to.deep.equal(['Somewhere 5, Berlin']);
      expect(r.structured.contact.urls).to.equal(undefined);
      expect(r.structured.contact.nicknames).to.deep.equal(['D']);
      expect(r.structured.changedFields.sort()).to.deep.equal(['addresses', 'emailAddresses', 'phoneNumbers', 'urls']);

      r = await update({
        resourceName: rn,
        phones: { replace: [{ value: '+33 1 23 45 67 89', type: 'home' }] },
        nicknames: { replace: [] },
      });
      expect(r.structured.contact.phones).to.deep.equal([{ value: '+33 1 23 45 67 89', type: 'home' }]);
      expect(r.structured.contact.nicknames).to.equal(undefined);
      expect(r.structured.contact.emails.map((e) => e.value)).to.deep.equal(['dana@a.example', 'dana@c.example']);
    });

    it('merges name and organization parts, and sets or clears birthday and notes', async () => {
      const rn = await create({
        name: { givenName: 'Jack', middleName: 'J', familyName: "O'Neill" },
        organization: { name: 'USAF', title: 'Colonel', department: 'SG-1' },
        notes: 'Two Ls.',
        birthday: { year: 1952, month: 10, day: 20 },
      });
      let r = await update({
        resourceName: rn,
        name: { familyName: "O'Neil", middleName: '' },
        organization: { department: '' },
      });
      expect(r.structured.contact.nameParts).to.deep.equal({ givenName: 'Jack', familyName: "O'Neil" });
      expect(r.structured.contact.name).to.equal("Jack O'Neil");
      expect(r.structured.contact.organization).to.deep.equal({ name: 'USAF', title: 'Colonel' });
      // Search finds the new name, not the old one.
      expect(
        (await ok<{ contacts: PersonOut[] }>(s, 'search_contacts', { query: "O'Neil" })).structured.contacts.map(
          (c) => c.name,
        ),
      ).to.deep.equal(["Jack O'Neil"]);
      r = await update({ resourceName: rn, birthday: { month: 10, day: 21 }, notes: 'One L now.' });
      expect(r.structured.contact.birthday).to.deep.equal({ month: 10, day: 21 });
      expect(r.structured.contact.notes).to.equal('One L now.');
      r = await update({ resourceName: rn, birthday: null, notes: null, organization: null });
      expect(r.structured.contact.birthday).to.equal(undefined);
      expect(r.structured.contact.notes).to.equal(undefined);
      expect(r.structured.contact.organization).to.equal(undefined);
      expect(r.structured.contact.nameParts).to.deep.equal({ givenName: 'Jack', familyName: "O'Neil" });
    });

    it('changes groups by name; replace keeps My Contacts and Starred', async () => {
      const rn = await create({ name: { givenName: 'Teal’c' }, groups: ['Starred', 'Book Club'] });
      const names = (p: PersonOut) => (p.groups ?? []).map((g) => g.name).sort();
      let r = await update({ resourceName: rn, groups: { add: ['hiking'] } });
      expect(names(r.structured.contact)).to.deep.equal(['Book Club', 'Hiking', 'My Contacts', 'Starred']);
      r = await update({ resourceName: rn, groups: { replace: ['Hiking'] } });
      expect(names(r.structured.contact)).to.deep.equal(['Hiking', 'My Contacts', 'Starred']);
      r = await update({ resourceName: rn, groups: { remove: ['Starred', 'Hiking'] } });
      expect(names(r.structured.contact)).to.deep.equal(['My Contacts']);
      expect(await fails(s, 'update_contact', { resourceName: rn, groups: { remove: ['My Contacts'] } })).to.match(
        /at least one group/,
      );
      expect(await fails(s, 'update_contact', { resourceName: rn, groups: { add: ['Family'] } })).to.match(
        /built-in group "Family"/,
      );
    });

    it('writes nothing when the contact already looks like that', async () => {
      const rn = await create({ name: { givenName: 'Vala' }, emails: [{ value: 'vala@example.com' }] });
      const writesBefore = h.people.requests.filter((q) => q.method === 'people.updateContact').length;
      const r = await update({
        resourceName: rn,
        emails: { add: [{ value: 'VALA@example.com' }] },
        name: { givenName: 'Vala' },
      });
      expect(r.structured.changedFields).to.deep.equal([]);
      expect(r.text).to.match(/Nothing to change/);
      expect(h.people.requests.filter((q) => q.method === 'people.updateContact').length).to.equal(writesBefore);
    });

    it('refuses unknown contacts, impossible removals and empty edits without changing anything', async () => {
      const rn = await create({ name: { givenName: 'Jonas' }, emails: [{ value: 'jonas@example.com' }] });
      const before = raw(rn);
      expect(
        await fails(s, 'update_contact', { resourceName: rn, emails: { remove: ['other@example.com'] }, notes: 'x' }),
      ).to.match(/Cannot remove "other@example.com".*current: jonas@example.com.*Nothing was changed/);
      expect(raw(rn)).to.deep.equal(before);
      expect(await fails(s, 'update_contact', { resourceName: rn })).to.match(/Nothing to change/);
      expect(
        await fails(s, 'update_contact', { resourceName: rn, emails: { add: [{ value: 'a@b.c' }], replace: [] } }),
      ).to.match(/Input validation error.*replace, or add/);
      expect(await fails(s, 'update_contact', { resourceName: 'people/c12345', notes: 'x' })).to.match(
        /^No contact people\/c12345\b/,
      );
      expect(await fails(s, 'update_contact', { resourceName: 'people/me', notes: 'x' })).to.match(
        /not one of your saved contacts/,
      );
      expect(updateMasks).to.deep.equal([]);
    });
  });

  describe('stale etags', () => {
    it('re-reads and re-applies the change after Google’s 412', async () => {
      const rn = await create({ name: { givenName: 'Cam' }, emails: [{ value: 'cam@example.com' }] });
      h.people.failNext({ method: 'people.updateContact', status: 412 });
      const r = await update({ resourceName: rn, emails: { add: [{ value: 'cam2@example.com' }] } });
      expect(r.structured.contact.emails.map((e) => e.value)).to.deep.equal(['cam@example.com', 'cam2@example.com']);
      expect(updateMasks).to.deep.equal(['emailAddresses', 'emailAddresses']);
    });

    it('keeps a change made meanwhile by someone else (400 FAILED_PRECONDITION) and applies its own on top', async () => {
      const rn = await create({ name: { givenName: 'Hank' }, emails: [{ value: 'hank@example.com' }] });
      const start = h.people.requests.length;
      // Our write waits 300 ms in the stand-in; meanwhile another client edits the contact directly.
      h.people.failNext({ method: 'people.updateContact', delayMs: 300 });
      const pending = update({ resourceName: rn, emails: { add: [{ value: 'hank@work.example' }] } });
      for (let i = 0; i < 100 && !h.people.requests.slice(start).some((q) => q.method === 'people.get'); i++)
        await sleep(10);
      await sleep(50);
      const token = await h.app.googleTokens.accessToken(ALICE_ID);
      const direct = peopleApi({ version: 'v1', rootUrl: `${h.people.url}/` });
      const headers = { Authorization: `Bearer ${token}` };
      const cur = await direct.people.get({ resourceName: rn, personFields: 'biographies' }, { headers });
      await direct.people.updateContact(
        {
          resourceName: rn,
          updatePersonFields: 'biographies',
          requestBody: { etag: cur.data.etag, biographies: [{ value: 'Edited on the phone.' }] },
        },
        { headers },
      );

      const r = await pending;
      expect(r.structured.contact.emails.map((e) => e.value)).to.deep.equal(['hank@example.com', 'hank@work.example']);
      expect(r.structured.contact.notes).to.equal('Edited on the phone.');
      const statuses = h.people.requests
        .slice(start)
        .filter((q) => q.method === 'people.updateContact')
        .map((q) => q.status);
      expect(statuses).to.deep.equal([200, 400, 200]);
    });

    it('gives up after a bounded number of attempts with a message to retry', async () => {
      const rn = await create({ name: { givenName: 'Janet' } });
      // Exactly as many conflicts as attempts: one more attempt would have succeeded.
      h.people.failNext({ method: 'people.updateContact', status: 412, count: MAX_UPDATE_ATTEMPTS });
      const msg = await fails(s, 'update_contact', { resourceName: rn, notes: 'x' });
      expect(msg).to.match(/changed while it was being updated.*retry/i);
      expect(updateMasks).to.have.length(MAX_UPDATE_ATTEMPTS);
      expect(raw(rn)!.biographies).to.equal(undefined);
    });
  });

  describe('concurrency', () => {
    const N = 8;
    async function concurrentAdds(rn: string): Promise<{ statuses: number[]; errors: string[] }> {
      const start = h.people.requests.length;
      // Slow reads widen each read-modify-write window, so unserialized writes would collide.
      h.people.failNext({ method: 'people.get', delayMs: 40, count: 2 * N });
      const results = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          s.client.callTool({
            name: 'update_contact',
            arguments: { resourceName: rn, emails: { add: [{ value: `parallel${i}@example.com` }] } },
          }),
        ),
      );
      const errors = results.filter((r) => r.isError).map((r) => JSON.stringify(r.content));
      return {
        statuses: h.people.requests
          .slice(start)
          .filter((q) => q.method === 'people.updateContact')
          .map((q) => q.status),
        errors,
      };
    }

    it('concurrent updates of one contact all land, one at a time, without conflicts', async () => {
      h.people.reset();
      const rn = await create({ name: { givenName: 'Walter' }, emails: [{ value: 'walter@example.com' }] });
      const { statuses, errors } = await concurrentAdds(rn);
      expect(errors).to.deep.equal([]);
      expect(statuses, 'no stale-etag retries were needed').to.deep.equal(Array(N).fill(200));
      expect(h.people.maxConcurrentMutations).to.equal(1);
      const emails = (await full(rn)).emails.map((e) => e.value).sort();
      expect(emails).to.deep.equal(
        ['walter@example.com', ...Array.from({ length: N }, (_, i) => `parallel${i}@example.com`)].sort(),
      );
    });

    it('(control) without serialization the same load collides, so the test above can fail', async () => {
      const rn = await create({ name: { givenName: 'Control' } });
      const gw = h.app.people;
      const serialize = gw.serialize;
      gw.serialize = (async (_accountId: string, fn: () => Promise<unknown>) => fn()) as typeof gw.serialize;
      try {
        const { statuses, errors } = await concurrentAdds(rn);
        expect(statuses.filter((st) => st !== 200).length, 'stale-etag conflicts').to.be.greaterThan(0);
        // Even then nothing is lost silently: each add either landed (after re-reading) or said to retry.
        for (const e of errors) expect(e).to.match(/changed while it was being updated/);
        expect((await full(rn)).emails).to.have.length(N - errors.length);
      } finally {
        gw.serialize = serialize;
      }
    });
  });

  describe('property: an update never loses a field it did not mention', () => {
    const ITERATIONS = 30;
    const SEED = 20240611;
    const USER_GROUPS = ['Hiking', 'Book Club'];

    it(`holds for ${ITERATIONS} random contacts and edits (seed ${SEED})`, async function () {
      this.timeout(40_000);
      const rand = prng(SEED);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      const chance = (p: number) => rand() < p;
      let n = 0;
      const uniq = () => `${++n}`.padStart(4, '0');
      const email = () => ({
        value: `p${uniq()}@example.org`,
        ...(chance(0.5) ? { type: pick(['home', 'work', 'other']) } : {}),
      });
      const phone = () => ({
        value: `+1 555 ${uniq()}${Math.floor(rand() * 900 + 100)}`,
        ...(chance(0.5) ? { type: pick(['mobile', 'home', 'work']) } : {}),
      });
      const address = () => ({
        streetAddress: `${uniq()} Elm St`,
        city: pick(['Oslo', 'Lima', 'Pune']),
        ...(chance(0.5) ? { type: 'home' } : {}),
      });
      const url = () => ({ value: `https://site${uniq()}.example/` });
      const nickname = () => `Nick${uniq()}`;
      const some = <T>(make: () => T, max: number) => Array.from({ length: Math.floor(rand() * (max + 1)) }, make);

      const seeded = (
        await ok<{ contacts: PersonOut[] }>(s, 'list_contacts', { pageSize: 100 })
      ).structured.contacts.map((c) => c.resourceName);
      for (let it = 0; it < ITERATIONS; it++) {
        // Target: a fresh random contact, or one of the seeded ones (which carry events, relations, custom fields, chat handles).
        let rn: string;
        if (chance(0.3)) {
          rn = pick(seeded);
        } else {
          const args: Record<string, unknown> = {
            name: {
              givenName: `Given${uniq()}`,
              ...(chance(0.7) ? { familyName: `Family${uniq()}` } : {}),
              ...(chance(0.3) ? { middleName: 'M' } : {}),
            },
          };
          const fill: Array<[string, () => unknown]> = [
            ['emails', () => some(email, 3)],
            ['phones', () => some(phone, 3)],
            ['addresses', () => some(address, 2)],
            ['urls', () => some(url, 2)],
            ['nicknames', () => some(nickname, 2)],
            [
              'organization',
              () => ({
                name: `Org${uniq()}`,
                ...(chance(0.6) ? { title: 'Lead' } : {}),
                ...(chance(0.4) ? { department: 'R&D' } : {}),
              }),
            ],
            [
              'birthday',
              () => ({
                month: 1 + Math.floor(rand() * 12),
                day: 1 + Math.floor(rand() * 28),
                ...(chance(0.5) ? { year: 1950 + Math.floor(rand() * 50) } : {}),
              }),
            ],
            ['notes', () => `Note ${uniq()}`],
            ['groups', () => USER_GROUPS.filter(() => chance(0.5))],
          ];
          for (const [k, make] of fill) if (chance(0.6)) args[k] = make();
          rn = await create(args);
        }
        const before = await full(rn);
        const rawBefore = raw(rn)!;

        // A random edit of 1-4 fields, with its expected outcome.
        const keys = Object.keys(GOOGLE_FIELD).filter(() => chance(0.35));
        if (keys.length === 0) keys.push(pick(Object.keys(GOOGLE_FIELD)));
        const edit: Record<string, unknown> = {};
        const expectations: Array<(after: PersonOut) => void> = [];
        const listEdit = <T>(
          key: string,
          current: string[],
          make: () => T,
          valueOf: (t: T) => string,
          removalText: (v: string) => string,
          norm: (v: string) => string,
        ) => {
          const op = current.length > 0 ? pick(['add', 'remove', 'replace']) : pick(['add', 'replace']);
          let expected: string[];
          if (op === 'add') {
            const items = [make(), ...(chance(0.5) ? [make()] : [])];
            edit[key] = { add: items };
            expected = [...current, ...items.map(valueOf)];
          } else if (op === 'remove') {
            const victim = pick(current);
            edit[key] = { remove: [removalText(victim)] };
            expected = current.filter((v) => v !== victim);
          } else {
            const items = some(make, 2);
            edit[key] = { replace: items };
            expected = items.map(valueOf);
          }
          expectations.push((after) => {
            const got = ((after as Record<string, unknown>)[key] as unknown[] | undefined) ?? [];
            const values = got.map((g) =>
              typeof g === 'string'
                ? g
                : ((g as { value?: string; streetAddress?: string; name?: string }).value ??
                  (g as { streetAddress?: string }).streetAddress ??
                  (g as { name?: string }).name ??
                  ''),
            );
            expect(values.map(norm).sort(), `${key} after ${op}`).to.deep.equal(expected.map(norm).sort());
          });
        };
        for (const key of keys) {
          switch (key) {
            case 'emails':
              listEdit(
                'emails',
                before.emails.map((e) => e.value),
                email,
                (e) => e.value,
                (v) => v.toUpperCase(),
                (v) => v.toLowerCase(),
              );
              break;
            case 'phones':
              listEdit(
                'phones',
                before.phones.map((p) => p.value),
                phone,
                (p) => p.value,
                (v) => v.replace(/\D/g, ''),
                (v) => v,
              );
              break;
            case 'addresses': {
              const streets = (before.addresses ?? [])
                .map((a) => a.streetAddress)
                .filter((x): x is string => Boolean(x));
              if (streets.length !== (before.addresses ?? []).length) break; // only street-addressed ones in this model
              listEdit(
                'addresses',
                streets,
                address,
                (a) => a.streetAddress,
                (v) => v.toLowerCase(),
                (v) => v,
              );
              break;
            }
            case 'urls':
              listEdit(
                'urls',
                (before.urls ?? []).map((u) => u.value),
                url,
                (u) => u.value,
                (v) => v,
                (v) => v,
              );
              break;
            case 'nicknames':
              listEdit(
                'nicknames',
                before.nicknames ?? [],
                nickname,
                (v) => v,
                (v) => v.toUpperCase(),
                (v) => v,
              );
              break;
            case 'groups': {
              const current = (before.groups ?? []).map((g) => g.name!).filter((g) => USER_GROUPS.includes(g));
              const system = (before.groups ?? []).map((g) => g.name!).filter((g) => !USER_GROUPS.includes(g));
              const op = current.length > 0 ? pick(['add', 'remove', 'replace']) : pick(['add', 'replace']);
              let expected: string[];
              if (op === 'add') {
                const g = pick(USER_GROUPS);
                edit.groups = { add: [g.toLowerCase()] };
                expected = [...new Set([...current, g])];
              } else if (op === 'remove') {
                const g = pick(current);
                edit.groups = { remove: [g] };
                expected = current.filter((x) => x !== g);
              } else {
                const gs = USER_GROUPS.filter(() => chance(0.5));
                edit.groups = { replace: gs };
                expected = gs;
              }
              if (system.length === 0 && expected.length === 0) {
                delete edit.groups; // would leave the contact in no group (refused by design)
                break;
              }
              expectations.push((after) =>
                expect((after.groups ?? []).map((g) => g.name).sort(), `groups after ${op}`).to.deep.equal(
                  [...system, ...expected].sort(),
                ),
              );
              break;
            }
            case 'name': {
              const change: Record<string, string> = {};
              if (chance(0.6)) change.familyName = `Renamed${uniq()}`;
              if (chance(0.4)) change.middleName = chance(0.5) ? '' : 'Q';
              if (Object.keys(change).length === 0) change.givenName = `Given${uniq()}`;
              edit.name = change;
              const expected: Record<string, string> = { ...(before.nameParts ?? {}) };
              for (const [k, v] of Object.entries(change))
                if (v === '') delete expected[k];
                else expected[k] = v;
              expectations.push((after) => expect(after.nameParts, 'nameParts').to.deep.equal(expected));
              break;
            }
            case 'organization': {
              if (chance(0.15)) {
                edit.organization = null;
                expectations.push((after) => expect(after.organizations, 'organizations cleared').to.equal(undefined));
                break;
              }
              const change: Record<string, string> = {};
              if (chance(0.5)) change.title = `Title${uniq()}`;
              if (chance(0.4)) change.department = chance(0.5) ? '' : 'Ops';
              if (Object.keys(change).length === 0) change.name = `Org${uniq()}`;
              edit.organization = change;
              const expected: Record<string, string> = { ...(before.organization ?? {}) };
              for (const [k, v] of Object.entries(change))
                if (v === '') delete expected[k];
                else expected[k] = v;
              const others = (before.organizations ?? []).slice(1);
              expectations.push((after) => {
                expect(after.organization ?? {}, 'organization').to.deep.equal(expected);
                expect(
                  (after.organizations ?? []).slice(Object.keys(expected).length ? 1 : 0),
                  'other organizations',
                ).to.deep.equal(others);
              });
              break;
            }
            case 'birthday': {
              const b = chance(0.3) ? null : { month: 1 + Math.floor(rand() * 12), day: 1 + Math.floor(rand() * 28) };
              edit.birthday = b;
              expectations.push((after) => expect(after.birthday, 'birthday').to.deep.equal(b ?? undefined));
              break;
            }
            case 'notes': {
              const text = chance(0.3) ? null : `Edited note ${uniq()}`;
              edit.notes = text;
              expectations.push((after) => expect(after.notes, 'notes').to.equal(text ?? undefined));
              break;
            }
          }
        }
        if (Object.keys(edit).length === 0) continue;
        updateMasks.length = 0;
        const r = await ok<{ contact: PersonOut; changedFields: string[] }>(s, 'update_contact', {
          resourceName: rn,
          ...edit,
          detail: 'full',
        });
        const touched = Object.keys(edit).map((k) => GOOGLE_FIELD[k]!);
        for (const mask of updateMasks)
          for (const f of mask.split(',')) expect(touched, `iteration ${it}: wrote ${f}`).to.include(f);
        expect(r.structured.changedFields.every((f) => touched.includes(f))).to.equal(true);

        const after = await full(rn);
        for (const check of expectations) check(after);
        const rawAfter = raw(rn)!;
        for (const f of ALL_CONTACT_FIELDS.filter((x) => !touched.includes(x))) {
          expect(
            rawAfter[f],
            `iteration ${it}: untouched field ${f} of ${rn} (edit ${JSON.stringify(edit)})`,
          ).to.deep.equal(rawBefore[f]);
        }
      }
    });
  });
});
