import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { connect, fails, ok, type PersonOut, type Session } from './helpers.js';

const ALICE = 'alice@example.com';

describe('mcp tools: reading contacts', function () {
  let h: Harness;
  let s: Session;
  before(async () => {
    h = await startHarness();
    s = await connect(h, ALICE);
  });
  after(async () => {
    await s?.close();
    await h?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-30).join('\n'));
    expect(h.people.internalErrors, 'people stand-in internal errors').to.deep.equal([]);
  });

  describe('search_contacts', () => {
    it('warms Google’s search cache up once per user, then finds contacts by name, email, phone and company (compact)', async () => {
      expect(h.people.warmups.get(ALICE) ?? 0).to.equal(0);
      const r = await ok<{ contacts: PersonOut[] }>(s, 'search_contacts', { query: 'bob' });
      expect(h.people.warmups.get(ALICE)).to.equal(1);
      // The warm-up (empty query) went out before the first real search.
      const searches = h.people.requests.filter((q) => q.method === 'people.searchContacts');
      expect(searches).to.have.length(2);
      expect(r.structured.contacts.map((c) => c.name).sort()).to.deep.equal(['Bob Chen', 'Bob Martinez']);
      const bob = r.structured.contacts.find((c) => c.name === 'Bob Martinez')!;
      expect(bob.resourceName).to.match(/^people\/c\d+$/);
      expect(bob.emails).to.deep.include({ value: 'bob.martinez@example.net', type: 'home' });
      expect(bob.phones).to.deep.equal([{ value: '+1 415-555-0101', type: 'mobile' }]);
      expect(bob.organization).to.deep.equal({ name: 'Martinez Bikes', title: 'Owner' });
      // Compact: nothing beyond name, emails, phones, organization and resource name.
      expect(Object.keys(bob).sort()).to.deep.equal(['emails', 'name', 'organization', 'phones', 'resourceName']);
      expect(r.text).to.contain('Bob Martinez').and.contain(bob.resourceName).and.contain('+1 415-555-0101');

      for (const [query, name] of [
        ['carol.nguyen@example', 'Carol Nguyen'],
        ['+44 20 7946', 'David Okafor'],
        ['City Library', 'Frank Li'],
        ['caz', 'Carol Nguyen'],
      ]) {
        const hit = await ok<{ contacts: PersonOut[] }>(s, 'search_contacts', { query });
        expect(
          hit.structured.contacts.map((c) => c.name),
          query,
        ).to.deep.equal([name]);
      }
      expect(h.people.warmups.get(ALICE), 'no second warm-up').to.equal(1);
    });

    it('returns full detail on request, with group names', async () => {
      const r = await ok<{ contacts: PersonOut[] }>(s, 'search_contacts', { query: 'Martinez', detail: 'full' });
      const bob = r.structured.contacts[0]!;
      expect(bob.nameParts).to.deep.equal({ givenName: 'Bob', familyName: 'Martinez' });
      expect(bob.nicknames).to.deep.equal(['Bobby']);
      expect(bob.birthday).to.deep.equal({ year: 1985, month: 4, day: 12 });
      expect(bob.notes).to.equal('Met at the climbing gym. Prefers texts over calls.');
      expect(bob.urls).to.deep.equal([{ value: 'https://martinez-bikes.example', type: 'work' }]);
      expect(bob.addresses?.[0]).to.include({ streetAddress: '12 Market St', city: 'San Francisco', type: 'home' });
      expect(bob.groups?.map((g) => g.name).sort()).to.deep.equal(['Hiking', 'My Contacts', 'Starred']);
      expect(r.text).to.contain('birthday: 1985-04-12').and.contain('groups: ');
    });

    it('answers "no match" plainly and caps maxResults at 30', async () => {
      const none = await ok<{ contacts: PersonOut[] }>(s, 'search_contacts', { query: 'zzzz-nobody' });
      expect(none.structured.contacts).to.deep.equal([]);
      expect(none.text).to.match(/No contacts match/);
      const msg = await fails(s, 'search_contacts', { query: 'bob', maxResults: 31 });
      expect(msg).to.match(/maxResults/);
      const one = await ok<{ contacts: PersonOut[] }>(s, 'search_contacts', { query: 'bob', maxResults: 1 });
      expect(one.structured.contacts).to.have.length(1);
    });
  });

  describe('list_contacts', () => {
    it('walks every contact page by page with an opaque cursor, in the order asked for', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const args = cursor ? { cursor } : { pageSize: 3, sortOrder: 'LAST_NAME_ASCENDING' };
        const r = await ok<{ contacts: PersonOut[]; nextCursor?: string; totalContacts?: number }>(
          s,
          'list_contacts',
          args,
        );
        expect(r.structured.contacts.length).to.be.at.most(3);
        expect(r.structured.totalContacts).to.equal(7);
        seen.push(...r.structured.contacts.map((c) => c.name!));
        cursor = r.structured.nextCursor;
        if (cursor) expect(r.text).to.match(/nextCursor/);
        pages++;
      } while (cursor && pages < 10);
      expect(pages).to.equal(3);
      expect(seen).to.deep.equal([
        'Bob Chen',
        'Grace Hopper-Ruiz',
        'Frank Li',
        'Bob Martinez',
        'Carol Nguyen',
        'David Okafor',
        'Eve Schmidt',
      ]);
    });

    it('lists the members of a group, by name, with a cursor', async () => {
      const first = await ok<{ contacts: PersonOut[]; nextCursor?: string; group?: { name: string } }>(
        s,
        'list_contacts',
        { group: 'hiking', pageSize: 1 },
      );
      expect(first.structured.group?.name).to.equal('Hiking');
      expect(first.structured.contacts).to.have.length(1);
      const second = await ok<{ contacts: PersonOut[]; nextCursor?: string }>(s, 'list_contacts', {
        cursor: first.structured.nextCursor,
      });
      expect(second.structured.nextCursor).to.equal(undefined);
      expect([...first.structured.contacts, ...second.structured.contacts].map((c) => c.name).sort()).to.deep.equal([
        'Bob Martinez',
        'Carol Nguyen',
      ]);
      expect(await fails(s, 'list_contacts', { group: 'Skydiving' })).to.match(
        /No contact group named "Skydiving".*list_contact_groups/,
      );
    });

    it('refuses a damaged cursor or one from another tool', async () => {
      expect(await fails(s, 'list_contacts', { cursor: 'bm90LWEtY3Vyc29y' })).to.match(/cursor is not valid/);
      const groups = await ok<{ groups: unknown[] }>(s, 'list_contact_groups', { pageSize: 2 });
      const foreign = (groups.structured as { nextCursor?: string }).nextCursor!;
      expect(await fails(s, 'list_contacts', { cursor: foreign })).to.match(/came from list_contact_groups/);
    });
  });

  describe('get_contact', () => {
    it('gets one contact by resource name, several at once (batchGet), and by email', async () => {
      const all = await ok<{ contacts: PersonOut[] }>(s, 'list_contacts', { pageSize: 100 });
      const byName = new Map(all.structured.contacts.map((c) => [c.name!, c.resourceName]));
      const eve = byName.get('Eve Schmidt')!;
      const one = await ok<{ contacts: PersonOut[]; notFound: string[] }>(s, 'get_contact', {
        resourceNames: [eve],
        detail: 'full',
      });
      expect(one.structured.contacts[0]!.notes).to.equal('Cousin. Lives in Berlin.');
      expect(one.structured.contacts[0]!.customFields).to.deep.equal([{ key: 'Favourite cake', value: 'Bienenstich' }]);
      expect(one.structured.contacts[0]!.groups?.map((g) => g.name).sort()).to.deep.equal(['Family', 'My Contacts']);

      const before = h.people.requests.length;
      const several = await ok<{ contacts: PersonOut[]; notFound: string[] }>(s, 'get_contact', {
        resourceNames: [byName.get('Frank Li'), byName.get('David Okafor'), 'people/c1'],
      });
      expect(h.people.requests.slice(before).map((q) => q.method)).to.deep.equal(['people.getBatchGet']);
      expect(several.structured.contacts.map((c) => c.name)).to.deep.equal(['Frank Li', 'David Okafor']);
      expect(several.structured.notFound).to.deep.equal(['people/c1']);
      expect(several.text).to.contain('No contact found for: people/c1');

      const byEmail = await ok<{ contacts: PersonOut[]; notFound: string[] }>(s, 'get_contact', {
        emails: ['GRACE.RUIZ@example.com', 'nobody@example.com'],
      });
      expect(byEmail.structured.contacts.map((c) => c.name)).to.deep.equal(['Grace Hopper-Ruiz']);
      expect(byEmail.structured.notFound).to.deep.equal(['nobody@example.com']);
    });

    it('says "No contact <x>" for an unknown contact and explains other kinds of resource names', async () => {
      expect(await fails(s, 'get_contact', { resourceNames: ['people/c999'] })).to.match(/^No contact people\/c999\b/);
      expect(await fails(s, 'get_contact', { resourceNames: ['people/c998', 'people/c997'] })).to.match(
        /^No contact people\/c998, no contact people\/c997\b/,
      );
      expect(await fails(s, 'get_contact', { emails: ['ghost@example.com'] })).to.match(
        /^No contact with email ghost@example.com/,
      );
      expect(await fails(s, 'get_contact', { resourceNames: ['otherContacts/c123'] })).to.match(/save_other_contact/);
      expect(await fails(s, 'get_contact', {})).to.match(/resourceNames or emails/);
    });
  });

  describe('list_contact_groups', () => {
    it('lists user groups first with member counts, and paginates', async () => {
      const r = await ok<{
        groups: Array<{ name: string; kind: string; memberCount?: number; resourceName: string }>;
        nextCursor?: string;
      }>(s, 'list_contact_groups', {});
      expect(r.structured.groups.slice(0, 2)).to.deep.include.members([
        { resourceName: r.structured.groups[0]!.resourceName, name: 'Book Club', kind: 'user', memberCount: 2 },
        { resourceName: r.structured.groups[1]!.resourceName, name: 'Hiking', kind: 'user', memberCount: 2 },
      ]);
      expect(r.structured.groups.find((g) => g.resourceName === 'contactGroups/myContacts')).to.include({
        name: 'My Contacts',
        kind: 'system',
        memberCount: 7,
      });
      expect(r.structured.nextCursor).to.equal(undefined);
      const names: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await ok<{ groups: Array<{ name: string }>; nextCursor?: string }>(
          s,
          'list_contact_groups',
          cursor ? { cursor } : { pageSize: 4 },
        );
        names.push(...page.structured.groups.map((g) => g.name));
        cursor = page.structured.nextCursor;
        if (!cursor) break;
      }
      expect(names.sort()).to.deep.equal(r.structured.groups.map((g) => g.name).sort());
    });
  });

  describe('search_other_contacts', () => {
    it('warms up once and finds people the user emailed but never saved', async () => {
      const r = await ok<{ otherContacts: PersonOut[] }>(s, 'search_other_contacts', { query: 'hannah' });
      expect(h.people.otherContactsWarmups.get(ALICE)).to.equal(1);
      expect(r.structured.otherContacts).to.have.length(1);
      expect(r.structured.otherContacts[0]).to.deep.include({
        name: 'Hannah Kim',
        emails: [{ value: 'hannah.kim@talent.example' }],
      });
      expect(r.structured.otherContacts[0]!.resourceName).to.match(/^otherContacts\/c\d+$/);
      const r2 = await ok<{ otherContacts: PersonOut[] }>(s, 'search_other_contacts', { query: '+7 495' });
      expect(r2.structured.otherContacts.map((p) => p.name)).to.deep.equal(['Ivan Petrov']);
      expect(h.people.otherContactsWarmups.get(ALICE)).to.equal(1);
    });
  });

  describe('search_directory', () => {
    it('answers a consumer account with a clear "Workspace only" result, not an error', async () => {
      const r = await ok<{ available: boolean; people: unknown[]; message?: string }>(s, 'search_directory', {
        query: 'morgan',
      });
      expect(r.structured.available).to.equal(false);
      expect(r.structured.people).to.deep.equal([]);
      expect(r.text).to.match(/only available for Google Workspace accounts/);
      expect(r.text).to.not.match(/G Suite|FAILED_PRECONDITION|400/);
    });

    it('searches a Workspace user’s directory, with pagination', async () => {
      const bob = await connect(h, 'bob@acme.test');
      try {
        const r = await ok<{ available: boolean; people: PersonOut[]; nextCursor?: string }>(bob, 'search_directory', {
          query: 'morgan',
        });
        expect(r.structured.available).to.equal(true);
        expect(r.structured.people).to.have.length(1);
        expect(r.structured.people[0]).to.deep.include({
          name: 'Morgan Lee',
          organization: { name: 'Acme', title: 'Head of Finance', department: 'Finance' },
        });
        // Everyone at acme.test whose name/email starts with "acme"... page through with pageSize 1.
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let i = 0; i < 10; i++) {
          const page = await ok<{ people: PersonOut[]; nextCursor?: string }>(
            bob,
            'search_directory',
            cursor ? { cursor } : { query: 'acme.test', pageSize: 1 },
          );
          seen.push(...page.structured.people.map((p) => p.emails[0]!.value));
          cursor = page.structured.nextCursor;
          if (!cursor) break;
        }
        expect(seen.length).to.be.greaterThan(2);
        expect(new Set(seen).size).to.equal(seen.length);
        expect(seen).to.include.members(['bob@acme.test', 'carol@acme.test', 'morgan.lee@acme.test']);
      } finally {
        await bob.close();
      }
    });
  });

  describe('whoami', () => {
    it('still names the signed-in account', async () => {
      const r = await ok<{ email: string }>(s, 'whoami');
      expect(r.structured.email).to.equal(ALICE);
    });
  });
});
