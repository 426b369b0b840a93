import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { call, connect, fails, ok, type PersonOut, type Session } from './helpers.js';

const ALICE = 'alice@example.com';

type Group = { resourceName: string; name: string; kind: string; memberCount?: number };

/** Mutating People API methods, by the gateway's api object path. */
const MUTATIONS: Array<['people' | 'contactGroups' | 'otherContacts', string]> = [
  ['people', 'createContact'],
  ['people', 'updateContact'],
  ['people', 'deleteContact'],
  ['people', 'batchCreateContacts'],
  ['people', 'batchDeleteContacts'],
  ['contactGroups', 'create'],
  ['contactGroups', 'update'],
  ['contactGroups', 'delete'],
  ['otherContacts', 'copyOtherContactToMyContactsGroup'],
];

describe('mcp tools: changing contacts and groups', function () {
  let h: Harness;
  let s: Session;
  /** Mutating calls made while no serialize() section was running (must stay empty). */
  const unserialized: string[] = [];
  let serializeCalls = 0;

  before(async () => {
    h = await startHarness();
    s = await connect(h, ALICE);
    // Every write must run inside people.serialize(): count sections and catch mutations outside them.
    const gw = h.app.people;
    let active = 0;
    const serialize = gw.serialize.bind(gw);
    gw.serialize = (async (accountId: string, fn: () => Promise<unknown>) => {
      serializeCalls++;
      return serialize(accountId, async () => {
        active++;
        try {
          return await fn();
        } finally {
          active--;
        }
      });
    }) as typeof gw.serialize;
    const wrap = (obj: Record<string, unknown>, method: string, label: string) => {
      const orig = obj[method] as (...a: unknown[]) => unknown;
      obj[method] = function (this: unknown, ...a: unknown[]) {
        if (active === 0) unserialized.push(label);
        return orig.apply(this, a);
      };
    };
    const api = gw.api();
    for (const [ns, m] of MUTATIONS) wrap(api[ns] as unknown as Record<string, unknown>, m, `${String(ns)}.${m}`);
    wrap(api.contactGroups.members as unknown as Record<string, unknown>, 'modify', 'contactGroups.members.modify');
  });
  after(async () => {
    await s?.close();
    await h?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-30).join('\n'));
    expect(unserialized, 'mutations outside people.serialize').to.deep.equal([]);
    expect(h.people.internalErrors).to.deep.equal([]);
    expect(h.people.maxConcurrentMutations).to.be.at.most(1);
  });

  const stored = (rn: string) => h.people.snapshot(ALICE)!.contacts.find((c) => c.resourceName === rn);

  describe('create_contact', () => {
    it('creates a contact with every supported field and returns it', async () => {
      const before = serializeCalls;
      const r = await ok<{ contact: PersonOut }>(s, 'create_contact', {
        name: { givenName: 'Dana', familyName: 'Scully', honorificPrefix: 'Dr.' },
        emails: [{ value: 'dana.scully@fbi.example', type: 'work' }, { value: 'dana@home.example' }],
        phones: [{ value: '+1 202 555 0100', type: 'mobile' }],
        organization: { name: 'FBI', title: 'Special Agent', department: 'X-Files' },
        addresses: [
          {
            streetAddress: '935 Pennsylvania Ave NW',
            city: 'Washington',
            region: 'DC',
            postalCode: '20535',
            country: 'United States',
            type: 'work',
          },
        ],
        birthday: { year: 1964, month: 2, day: 23 },
        notes: 'Skeptic.\nMedical doctor.',
        urls: [{ value: 'https://fbi.example/scully', type: 'profile' }],
        nicknames: ['Starbuck'],
        groups: ['Hiking', 'contactGroups/starred'],
        detail: 'full',
      });
      expect(serializeCalls).to.equal(before + 1);
      const c = r.structured.contact;
      expect(c.resourceName).to.match(/^people\/c\d+$/);
      expect(c.name).to.equal('Dr. Dana Scully');
      expect(c.emails).to.deep.equal([
        { value: 'dana.scully@fbi.example', type: 'work' },
        { value: 'dana@home.example' },
      ]);
      expect(c.organization).to.deep.equal({ name: 'FBI', title: 'Special Agent', department: 'X-Files' });
      expect(c.birthday).to.deep.equal({ year: 1964, month: 2, day: 23 });
      expect(c.notes).to.equal('Skeptic.\nMedical doctor.');
      expect(c.nicknames).to.deep.equal(['Starbuck']);
      expect(c.addresses?.[0]).to.include({ city: 'Washington', postalCode: '20535', type: 'work' });
      expect(c.groups?.map((g) => g.name).sort()).to.deep.equal(['Hiking', 'My Contacts', 'Starred']);
      expect(r.text)
        .to.match(/^Created contact:/)
        .and.contain(c.resourceName);
      // It is really stored, and findable.
      expect(stored(c.resourceName)?.urls?.[0]?.value).to.equal('https://fbi.example/scully');
      const found = await ok<{ contacts: PersonOut[] }>(s, 'search_contacts', { query: 'Scully' });
      expect(found.structured.contacts.map((x) => x.resourceName)).to.deep.equal([c.resourceName]);
    });

    it('needs at least a name, email, phone or organization, and valid values', async () => {
      expect(await fails(s, 'create_contact', { notes: 'just a note' })).to.match(
        /Input validation error.*at least a name, an email address, a phone number or an organization/,
      );
      expect(await fails(s, 'create_contact', { emails: [{ value: 'not-an-email' }] })).to.match(
        /emails.*must be an email address/,
      );
      expect(await fails(s, 'create_contact', { name: { givenName: 'X' }, birthday: { month: 13, day: 1 } })).to.match(
        /birthday\.month/,
      );
      expect(await fails(s, 'create_contact', { name: { givenName: 'X' }, groups: ['No Such Group'] })).to.match(
        /No contact group named "No Such Group"/,
      );
      expect(await fails(s, 'create_contact', { name: { givenName: 'X' }, groups: ['Family'] })).to.match(
        /built-in group "Family"/,
      );
    });
  });

  describe('create_contact after a Google 5xx', () => {
    it('is not retried (the contact may exist already), and says to search before trying again', async () => {
      const creates = () => h.people.requests.filter((r) => r.method === 'people.createContact').length;
      const before = creates();
      h.people.failNext({ method: 'people.createContact', status: 500 });
      const r = await call(s, 'create_contact', { name: { givenName: 'Once', familyName: 'Only' } });
      expect(r.isError).to.equal(true);
      expect(r.text).to.match(/may or may not have been saved/);
      expect(creates() - before).to.equal(1);
      // A 429 means Google did not process it: that one is retried.
      h.people.failNext({ method: 'people.createContact', status: 429, retryAfterSeconds: 1 });
      const again = await ok<{ contact: PersonOut }>(s, 'create_contact', {
        name: { givenName: 'Once', familyName: 'Only' },
      });
      expect(again.structured.contact.name).to.equal('Once Only');
    });
  });

  describe('delete_contact', () => {
    it('deletes a contact, and says "No contact <x>" the second time', async () => {
      const r = await ok<{ contact: PersonOut }>(s, 'create_contact', {
        name: { givenName: 'Temp', familyName: 'Person' },
      });
      const rn = r.structured.contact.resourceName;
      const del = await ok<{
        deleted: string;
        name?: string;
        contacts: Array<{ resourceName: string; name?: string; trashId: string }>;
      }>(s, 'delete_contact', { resourceName: rn });
      // Issue 12 added the trash entry (for undo) next to the original fields.
      const { contacts, ...rest } = del.structured;
      expect(rest).to.deep.equal({ deleted: rn, name: 'Temp Person' });
      expect(contacts).to.have.length(1);
      expect(contacts[0]).to.include({ resourceName: rn, name: 'Temp Person' });
      expect(contacts[0]!.trashId).to.be.a('string').and.not.empty;
      expect(stored(rn)).to.equal(undefined);
      expect(await fails(s, 'delete_contact', { resourceName: rn })).to.match(new RegExp(`^No contact ${rn}\\b`));
      expect(await fails(s, 'delete_contact', { resourceName: 'contactGroups/myContacts' })).to.match(
        /is a contact group/,
      );
    });
  });

  describe('contact groups', () => {
    it('creates, renames, fills, empties and deletes a group (its contacts stay)', async () => {
      const created = await ok<{ group: Group }>(s, 'create_contact_group', { name: 'Climbing' });
      expect(created.structured.group).to.include({ name: 'Climbing', kind: 'user' });
      const rn = created.structured.group.resourceName;
      expect(await fails(s, 'create_contact_group', { name: 'Climbing' })).to.match(/already exists/);

      const renamed = await ok<{ group: Group; previousName: string }>(s, 'rename_contact_group', {
        group: 'climbing',
        newName: 'Bouldering',
      });
      expect(renamed.structured.previousName).to.equal('Climbing');
      expect(renamed.structured.group).to.include({ resourceName: rn, name: 'Bouldering' });
      expect(await fails(s, 'rename_contact_group', { group: rn, newName: 'Hiking' })).to.match(
        /"Hiking" already exists/,
      );
      expect(await fails(s, 'rename_contact_group', { group: 'Starred', newName: 'Favs' })).to.match(
        /built-in groups and can’t be renamed/,
      );

      const people = (await ok<{ contacts: PersonOut[] }>(s, 'list_contacts', { pageSize: 3 })).structured.contacts.map(
        (c) => c.resourceName,
      );
      const added = await ok<{ changed: string[]; notFound: string[] }>(s, 'add_contacts_to_group', {
        group: 'Bouldering',
        contacts: [...people, 'people/c42'],
      });
      expect(added.structured.changed).to.deep.equal(people);
      expect(added.structured.notFound).to.deep.equal(['people/c42']);
      expect(added.text).to.contain('No contact people/c42');
      const members = await ok<{ contacts: PersonOut[] }>(s, 'list_contacts', { group: rn });
      expect(members.structured.contacts.map((c) => c.resourceName).sort()).to.deep.equal([...people].sort());

      const removed = await ok<{ changed: string[] }>(s, 'remove_contacts_from_group', {
        group: rn,
        contacts: [people[0]],
      });
      expect(removed.structured.changed).to.deep.equal([people[0]]);
      const after = await ok<{ contacts: PersonOut[] }>(s, 'list_contacts', { group: rn });
      expect(after.structured.contacts).to.have.length(2);

      const deleted = await ok<{ deleted: string; name: string; memberCount: number }>(s, 'delete_contact_group', {
        group: 'Bouldering',
      });
      expect(deleted.structured).to.deep.equal({ deleted: rn, name: 'Bouldering', memberCount: 2 });
      for (const p of people) expect(stored(p), 'contacts survive their group').to.not.equal(undefined);
      expect(await fails(s, 'delete_contact_group', { group: rn })).to.match(new RegExp(`^No contact group ${rn}\\b`));
      expect(await fails(s, 'delete_contact_group', { group: 'My Contacts' })).to.match(
        /built-in groups and can’t be deleted/,
      );
    });

    it('keeps a contact in a group when it is its only one, and refuses built-in groups that take no members', async () => {
      const only = await ok<{ contact: PersonOut }>(s, 'create_contact', {
        name: { givenName: 'Only' },
        groups: ['Book Club'],
      });
      const rn = only.structured.contact.resourceName;
      await ok(s, 'remove_contacts_from_group', { group: 'My Contacts', contacts: [rn] });
      const kept = await ok<{ changed: string[]; keptInGroup?: string[] }>(s, 'remove_contacts_from_group', {
        group: 'Book Club',
        contacts: [rn],
      });
      expect(kept.structured.keptInGroup).to.deep.equal([rn]);
      expect(kept.structured.changed).to.deep.equal([]);
      expect(kept.text).to.match(/only group/);
      expect(await fails(s, 'add_contacts_to_group', { group: 'Blocked', contacts: [rn] })).to.match(
        /built-in group "Blocked"/,
      );
    });
  });

  describe('serialized writes', () => {
    it('runs one user’s writes one at a time, in a bounded queue; the overflow is told to retry', async () => {
      const before = h.people.snapshot(ALICE)!.contacts.length;
      // The first write stalls in Google for a while, so the others queue up behind it.
      h.people.failNext({ method: 'people.createContact', delayMs: 400 });
      const N = 26;
      const results = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          s.client.callTool({ name: 'create_contact', arguments: { name: { givenName: `Queued${i}` } } }),
        ),
      );
      const busy = results.filter((r) => r.isError);
      for (const r of busy)
        expect((r.content as Array<{ text: string }>)[0]!.text).to.match(
          /^Too many changes are waiting for this account.*try again/,
        );
      expect(busy.length, 'calls beyond the queue bound').to.be.within(1, N - 20);
      expect(h.people.snapshot(ALICE)!.contacts.length).to.equal(before + N - busy.length);
      expect(h.people.maxConcurrentMutations).to.equal(1);
    });
  });

  describe('save_other_contact', () => {
    it('copies an "other contact" into My Contacts', async () => {
      const found = await ok<{ otherContacts: PersonOut[] }>(s, 'search_other_contacts', { query: 'Ivan' });
      const other = found.structured.otherContacts[0]!;
      const saved = await ok<{ contact: PersonOut }>(s, 'save_other_contact', {
        resourceName: other.resourceName,
        detail: 'full',
      });
      expect(saved.structured.contact.resourceName).to.match(/^people\/c\d+$/);
      expect(saved.structured.contact).to.deep.include({
        name: 'Ivan Petrov',
        emails: [{ value: 'ivan.petrov@example.net' }],
      });
      expect(saved.structured.contact.groups?.map((g) => g.resourceName)).to.deep.equal(['contactGroups/myContacts']);
      expect(stored(saved.structured.contact.resourceName)).to.not.equal(undefined);
      expect(await fails(s, 'save_other_contact', { resourceName: 'otherContacts/c1' })).to.match(
        /^No other contact otherContacts\/c1\b/,
      );
      expect(await fails(s, 'save_other_contact', { resourceName: 'people/c1' })).to.match(
        /not an other-contact resource name/,
      );
    });
  });
});
