// Issue 12 through the real MCP client against the stand-ins: duplicates and merging, bulk create and
// delete, and the trash with undo.
import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { SAMPLE_USERS } from '../../standins/sample-users.js';
import { call, connect, fails, ok, type PersonOut, type Session } from './helpers.js';

const ALICE = 'alice@example.com';
const ALICE_ID = SAMPLE_USERS.find((u) => u.email === ALICE)!.sub;

type Trashed = { resourceName: string; name?: string; trashId: string; restorableUntil: string };
type Gain = { field: string; value: string; from: string };
type MergeOut = {
  contact: PersonOut;
  merged: string[];
  trash: Array<{ trashId: string; name?: string; resourceName: string }>;
  plan: { gains: Gain[]; notTaken: Array<Gain & { why: string }> };
  dryRun: boolean;
  notDeleted?: Array<{ resourceName: string; reason: string }>;
};
type DeletedEntry = {
  trashId: string;
  name?: string;
  emails: string[];
  phones: string[];
  deletedAt: string;
  expiresAt: string;
  reason: 'delete' | 'merge';
};
type RestoreOut = {
  restored: Array<{ trashId: string; contact: PersonOut; groupsGone?: string[]; photoUrl?: string }>;
  failed: Array<{ trashId: string; reason: string }>;
};

/** A contact as stored, without what Google regenerates for a new contact (name, etags, metadata). */
function content(c: Record<string, unknown>): Record<string, unknown> {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>))
        if (k !== 'metadata' && k !== 'contactGroupId') o[k] = strip(x);
      return o;
    }
    return v;
  };
  const { resourceName: _r, etag: _e, metadata: _m, ...rest } = c;
  return strip(rest) as Record<string, unknown>;
}

describe('mcp tools: duplicates, merging, bulk create and delete, trash', function () {
  this.timeout(60_000);
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
    expect(h.people.internalErrors).to.deep.equal([]);
    expect(h.people.maxConcurrentMutations, 'one user’s writes run one at a time').to.be.at.most(1);
  });

  const snapshot = () => h.people.snapshot(ALICE)!;
  const stored = (rn: string) =>
    snapshot().contacts.find((c) => c.resourceName === rn) as Record<string, unknown> | undefined;
  const calls = (method: string) => h.people.requests.filter((r) => r.method === method).length;
  const byName = (name: string) => snapshot().contacts.find((c) => c.names?.[0]?.displayName === name)!;
  const create = async (args: Record<string, unknown>) =>
    (await ok<{ contact: PersonOut }>(s, 'create_contact', args)).structured.contact.resourceName;

  describe('create_contacts', () => {
    it('creates 200 contacts with one people:batchCreateContacts call, all in the given group', async () => {
      const before = calls('people.batchCreateContacts');
      const contacts = Array.from({ length: 200 }, (_, i) => ({
        name: { givenName: `Import${i}`, familyName: 'Sheet' },
        emails: [{ value: `import${i}@sheet.example` }],
        ...(i === 0 ? { groups: ['Starred'] } : {}),
      }));
      const r = await ok<{ created: PersonOut[]; count: number; truncated?: boolean }>(s, 'create_contacts', {
        contacts,
        groups: ['Hiking'],
      });
      expect(calls('people.batchCreateContacts') - before, 'one batch call for 200 contacts').to.equal(1);
      expect(r.structured.count).to.equal(200);
      expect(r.structured.created[0]).to.deep.include({
        name: 'Import0 Sheet',
        emails: [{ value: 'import0@sheet.example' }],
      });
      expect(r.text).to.match(/^Created 200 contacts in Hiking:/);
      const hiking = snapshot().contactGroups.find((g) => g.name === 'Hiking')!.resourceName!;
      const imported = snapshot().contacts.filter((c) => c.names?.[0]?.familyName === 'Sheet');
      expect(imported).to.have.length(200);
      for (const c of imported)
        expect(c.memberships!.map((m) => m.contactGroupMembership?.contactGroupResourceName)).to.include.members([
          'contactGroups/myContacts',
          hiking,
        ]);
      expect(
        byName('Import0 Sheet').memberships!.map((m) => m.contactGroupMembership?.contactGroupResourceName),
      ).to.include('contactGroups/starred');
    });

    it('adds the groups with one members.modify per group where Google ignored them in the batch', async () => {
      h.people.quirks.batchCreateIgnoresMemberships = true;
      try {
        const modifies = calls('contactGroups.members.modify');
        const r = await ok<{ created: PersonOut[]; count: number }>(s, 'create_contacts', {
          contacts: [
            { name: { givenName: 'Quirk', familyName: 'One' } },
            { name: { givenName: 'Quirk', familyName: 'Two' }, groups: ['Starred'] },
          ],
          groups: ['Hiking'],
        });
        expect(calls('contactGroups.members.modify') - modifies, 'Hiking and Starred: one call each').to.equal(2);
        const groupsOf = (rn: string) =>
          stored(rn)!.memberships as Array<{ contactGroupMembership: { contactGroupResourceName: string } }>;
        const hiking = snapshot().contactGroups.find((g) => g.name === 'Hiking')!.resourceName!;
        expect(
          groupsOf(r.structured.created[0]!.resourceName).map((m) => m.contactGroupMembership.contactGroupResourceName),
        ).to.deep.equal(['contactGroups/myContacts', hiking]);
        expect(
          groupsOf(r.structured.created[1]!.resourceName)
            .map((m) => m.contactGroupMembership.contactGroupResourceName)
            .sort(),
        ).to.deep.equal(['contactGroups/myContacts', 'contactGroups/starred', hiking].sort());
      } finally {
        h.people.quirks.batchCreateIgnoresMemberships = false;
      }
    });

    it('checks every item first: one invalid item is named and nothing is created', async () => {
      const before = snapshot().contacts.length;
      const bad = [
        { name: { givenName: 'Fine' } },
        { name: { givenName: 'Also fine' } },
        { emails: [{ value: 'not-an-email' }] },
      ];
      expect(await fails(s, 'create_contacts', { contacts: bad })).to.match(
        /Input validation error.*contacts\.2\.emails/s,
      );
      expect(
        await fails(s, 'create_contacts', { contacts: [{ name: { givenName: 'A' } }, { notes: 'no name' }] }),
      ).to.match(/contacts\.1.*at least a name/s);
      expect(
        await fails(s, 'create_contacts', { contacts: [{ name: { givenName: 'A' } }], groups: ['No Such Group'] }),
      ).to.match(/No contact group named "No Such Group"/);
      expect(
        await fails(s, 'create_contacts', { contacts: [{ name: { givenName: 'A' }, groups: ['Family'] }] }),
      ).to.match(/built-in group "Family"/);
      expect(
        await fails(s, 'create_contacts', {
          contacts: Array.from({ length: 201 }, (_, i) => ({ name: { givenName: `X${i}` } })),
        }),
      ).to.match(/contacts/);
      expect(snapshot().contacts.length).to.equal(before);
    });

    it('is not retried after a Google 5xx (no duplicates) and says to search before retrying', async () => {
      const before = calls('people.batchCreateContacts');
      h.people.failNext({ method: 'people.batchCreateContacts', status: 503 });
      const r = await call(s, 'create_contacts', {
        contacts: [{ name: { givenName: 'Maybe' } }, { name: { givenName: 'Perhaps' } }],
      });
      expect(r.isError).to.equal(true);
      expect(r.text).to.match(/may have been created.*Search.*before trying again/);
      expect(calls('people.batchCreateContacts') - before, 'not retried').to.equal(1);
    });
  });

  describe('delete_contact and the trash', () => {
    it('deletes one contact into the trash, and restore_contacts brings it back with every field and group', async () => {
      const rn = await create({
        name: { givenName: 'Temp', familyName: 'Person', honorificPrefix: 'Dr.' },
        emails: [{ value: 'temp@person.example', type: 'work' }],
        phones: [{ value: '+1 202 555 0100' }],
        addresses: [{ streetAddress: '1 Main St', city: 'Springfield', type: 'home' }],
        birthday: { month: 2, day: 29 },
        notes: 'Line one.\nLine two.',
        urls: [{ value: 'https://temp.example' }],
        nicknames: ['T'],
        organization: { name: 'Acme', title: 'CTO' },
        groups: ['Book Club', 'Starred'],
      });
      const before = stored(rn)!;
      const del = await ok<{ deleted: string; name: string; contacts: Trashed[] }>(s, 'delete_contact', {
        resourceName: rn,
      });
      expect(del.structured.deleted).to.equal(rn);
      expect(del.structured.name).to.equal('Dr. Temp Person');
      const [t] = del.structured.contacts;
      expect(t).to.include({ resourceName: rn, name: 'Dr. Temp Person' });
      expect(Date.parse(t!.restorableUntil) - Date.now()).to.be.within(29.9 * 86400_000, 30 * 86400_000);
      expect(del.text)
        .to.contain(t!.trashId)
        .and.match(/restore_contacts/);
      expect(stored(rn)).to.equal(undefined);

      const list = await ok<{ contacts: DeletedEntry[] }>(s, 'list_deleted_contacts');
      expect(list.structured.contacts[0]).to.deep.include({
        trashId: t!.trashId,
        name: 'Dr. Temp Person',
        emails: ['temp@person.example'],
        phones: ['+1 202 555 0100'],
        reason: 'delete',
      });

      const restored = await ok<RestoreOut>(s, 'restore_contacts', { trashIds: [t!.trashId] });
      expect(restored.structured.failed).to.deep.equal([]);
      const back = restored.structured.restored[0]!.contact;
      expect(back.resourceName).to.not.equal(rn);
      expect(content(stored(back.resourceName)!)).to.deep.equal(content(before));
      expect(back.groups!.map((g) => g.name).sort()).to.deep.equal(['Book Club', 'My Contacts', 'Starred']);
      // Restored once: it is no longer in the trash.
      const again = await ok<RestoreOut>(s, 'restore_contacts', { trashIds: [t!.trashId] });
      expect(again.structured.restored).to.deep.equal([]);
      expect(again.structured.failed[0]!.reason).to.match(/Not in the trash/);
    });

    it('deletes many with one people:batchDeleteContacts call; unknown ones are listed, the rest trashed', async () => {
      const rns = [];
      for (const n of ['One', 'Two', 'Three'])
        rns.push(await create({ name: { givenName: `Old${n}`, familyName: 'Job' }, groups: ['Book Club'] }));
      const before = calls('people.batchDeleteContacts');
      const r = await ok<{ contacts: Trashed[]; notFound?: string[]; deleted?: string }>(s, 'delete_contact', {
        resourceNames: [...rns, 'people/c42', rns[0]],
      });
      expect(calls('people.batchDeleteContacts') - before).to.equal(1);
      expect(r.structured.deleted).to.equal(undefined);
      expect(r.structured.contacts.map((c) => c.resourceName)).to.deep.equal(rns);
      expect(r.structured.notFound).to.deep.equal(['people/c42']);
      for (const rn of rns) expect(stored(rn)).to.equal(undefined);
      expect(r.text)
        .to.match(/^Deleted 3 contacts:/)
        .and.contain('No contact people/c42');

      // Newest first, paged with a cursor.
      const page1 = await ok<{ contacts: DeletedEntry[]; nextCursor?: string }>(s, 'list_deleted_contacts', {
        pageSize: 2,
      });
      expect(page1.structured.contacts).to.have.length(2);
      expect(page1.structured.nextCursor).to.be.a('string');
      const page2 = await ok<{ contacts: DeletedEntry[] }>(s, 'list_deleted_contacts', {
        cursor: page1.structured.nextCursor,
      });
      const seen = [...page1.structured.contacts, ...page2.structured.contacts].map((c) => c.trashId);
      expect(seen).to.include.members(r.structured.contacts.map((c) => c.trashId));
      expect(new Set(seen).size).to.equal(seen.length);
      const times = [...page1.structured.contacts, ...page2.structured.contacts].map((c) => Date.parse(c.deletedAt));
      expect(times).to.deep.equal([...times].sort((a, b) => b - a));

      // Restore after their group was deleted: they come back, without it, and say so.
      await ok(s, 'delete_contact_group', { group: 'Book Club' });
      const back = await ok<RestoreOut>(s, 'restore_contacts', {
        trashIds: r.structured.contacts.map((c) => c.trashId),
      });
      expect(back.structured.restored).to.have.length(3);
      expect(back.structured.restored[0]!.groupsGone).to.deep.equal(['Book Club']);
      expect(back.structured.restored[0]!.contact.groups!.map((g) => g.name)).to.deep.equal(['My Contacts']);
      expect(back.text).to.contain('groups that no longer exist: Book Club');
    });

    it('keeps the photo address of a contact (the API cannot restore photos) and says so', async () => {
      const rn = await create({ name: { givenName: 'Photo', familyName: 'Owner' } });
      h.people.setContactPhoto(ALICE, rn, 'https://lh3.example/custom-photo.jpg');
      const del = await ok<{ contacts: Trashed[] }>(s, 'delete_contact', { resourceName: rn });
      const back = await ok<RestoreOut>(s, 'restore_contacts', { trashIds: [del.structured.contacts[0]!.trashId] });
      expect(back.structured.restored[0]!.photoUrl).to.equal('https://lh3.example/custom-photo.jpg');
      expect(back.text).to.match(/custom photo.*cannot restore.*https:\/\/lh3\.example\/custom-photo\.jpg/);
    });

    it('a batch delete Google refuses deletes nothing and leaves no trash copy behind', async () => {
      const a = await create({ name: { givenName: 'Kept', familyName: 'One' } });
      const b = await create({ name: { givenName: 'Kept', familyName: 'Two' } });
      const trashBefore = (await h.store.list('Trash', { field: 'accountId', value: ALICE_ID })).length;
      h.people.failNext({ method: 'people.batchDeleteContacts', status: 403 });
      expect(await fails(s, 'delete_contact', { resourceNames: [a, b] })).to.match(/^Google refused this action/);
      expect(stored(a)).to.not.equal(undefined);
      expect(stored(b)).to.not.equal(undefined);
      expect((await h.store.list('Trash', { field: 'accountId', value: ALICE_ID })).length).to.equal(trashBefore);
    });

    it('deletes nothing when the trash cannot be written', async () => {
      const rn = await create({ name: { givenName: 'Survivor' } });
      const put = h.app.trash.put.bind(h.app.trash);
      const { StoreUnavailableError } = await import('../../src/storage/port.js');
      h.app.trash.put = async () => {
        throw new StoreUnavailableError('down');
      };
      try {
        const deletes = calls('people.deleteContact');
        expect(await fails(s, 'delete_contact', { resourceName: rn })).to.match(/^Nothing was deleted: the trash/);
        expect(calls('people.deleteContact')).to.equal(deletes);
        expect(stored(rn)).to.not.equal(undefined);
      } finally {
        h.app.trash.put = put;
      }
    });

    it('a user’s trash is only theirs: another user can neither list nor restore it', async () => {
      const rn = await create({ name: { givenName: 'Private', familyName: 'Entry' } });
      const del = await ok<{ contacts: Trashed[] }>(s, 'delete_contact', { resourceName: rn });
      const bob = await connect(h, 'bob@acme.test');
      try {
        const list = await ok<{ contacts: DeletedEntry[] }>(bob, 'list_deleted_contacts');
        expect(list.structured.contacts).to.deep.equal([]);
        const steal = await ok<RestoreOut>(bob, 'restore_contacts', {
          trashIds: [del.structured.contacts[0]!.trashId],
        });
        expect(steal.structured.restored).to.deep.equal([]);
        expect(steal.structured.failed[0]!.reason).to.match(/Not in the trash/);
        expect(
          h.people.snapshot('bob@acme.test')!.contacts.some((c) => c.names?.[0]?.givenName === 'Private'),
        ).to.equal(false);
      } finally {
        await bob.close();
      }
      // Still Alice's to restore.
      const mine = await ok<RestoreOut>(s, 'restore_contacts', { trashIds: [del.structured.contacts[0]!.trashId] });
      expect(mine.structured.restored).to.have.length(1);
    });
  });

  describe('find_duplicate_contacts and merge_contacts', () => {
    let robert: string;
    let bobM: string;

    before(async () => {
      bobM = byName('Bob Martinez').resourceName!;
      robert = await create({
        name: { givenName: 'Robert', familyName: 'Martinez', middleName: 'J' },
        emails: [{ value: 'BOB.MARTINEZ@example.net' }, { value: 'robert@home.example', type: 'home' }],
        phones: [{ value: '(415) 555 0101' }, { value: '+44 20 7946 0123', type: 'work' }],
        birthday: { year: 1985, month: 4, day: 21 },
        notes: 'Owes me a bike light.',
        groups: ['Hiking', 'Starred'],
        urls: [{ value: 'https://robert.example' }],
      });
      h.people.setContactPhoto(ALICE, robert, 'https://lh3.example/robert.jpg');
    });

    it('finds the duplicate (same email and phone across formats) and suggests the more complete contact', async () => {
      const r = await ok<{
        groups: Array<{ contacts: PersonOut[]; reasons: string[]; suggestedKeep: string }>;
        scanned: number;
        totalGroups: number;
      }>(s, 'find_duplicate_contacts', { maxGroups: 50 });
      const g = r.structured.groups.find((x) => x.contacts.some((c) => c.resourceName === robert))!;
      expect(g.contacts.map((c) => c.resourceName).sort(), JSON.stringify(g.contacts)).to.deep.equal(
        [bobM, robert].sort(),
      );
      expect(g.reasons).to.deep.equal(['same email', 'same phone']);
      expect(g.suggestedKeep).to.equal(bobM);
      expect(r.structured.scanned).to.equal(snapshot().contacts.length);
      const one = await ok<{ groups: unknown[]; truncated?: boolean; totalGroups: number }>(
        s,
        'find_duplicate_contacts',
        { maxGroups: 1 },
      );
      expect(one.structured.groups).to.have.length(1);
      expect(one.structured.truncated).to.equal(one.structured.totalGroups > 1 ? true : undefined);
      expect(r.text).to.contain(`suggested keep: ${bobM}`);
    });

    it('dryRun changes nothing and returns the plan', async () => {
      const before = JSON.stringify(snapshot().contacts);
      const mutations = h.people.requests.filter((x) => /update|delete|create|modify/i.test(x.method)).length;
      const r = await ok<MergeOut>(s, 'merge_contacts', { keep: bobM, merge: [robert], dryRun: true });
      expect(JSON.stringify(snapshot().contacts)).to.equal(before);
      expect(h.people.requests.filter((x) => /update|delete|create|modify/i.test(x.method)).length).to.equal(mutations);
      expect(r.structured.dryRun).to.equal(true);
      expect(r.structured.trash).to.deep.equal([]);
      const gains = r.structured.plan.gains.map((g) => `${g.field}: ${g.value}`);
      expect(gains).to.include.members([
        'emails: robert@home.example',
        'phones: +44 20 7946 0123',
        'name: middle name: J',
        'notes: Owes me a bike light.',
        'urls: https://robert.example',
      ]);
      expect(gains.filter((g) => g.startsWith('phones'))).to.have.length(1);
      expect(r.structured.plan.notTaken.map((n) => n.field)).to.include.members(['birthday', 'name', 'photo']);
      expect(r.structured.contact.emails.map((e) => e.value)).to.include('robert@home.example');
      expect(r.text).to.match(/^Dry run — nothing changed/);
    });

    it('merges: the kept contact gains the union, the other goes to the trash; restoring it gives back every field', async () => {
      const robertBefore = stored(robert)!;
      const keptBefore = stored(bobM)!;
      const r = await ok<MergeOut>(s, 'merge_contacts', { keep: bobM, merge: [robert], dryRun: false });
      expect(r.structured.dryRun).to.equal(false);
      expect(r.structured.merged).to.deep.equal([robert]);
      expect(r.structured.notDeleted).to.equal(undefined);
      expect(stored(robert)).to.equal(undefined);
      const kept = stored(bobM)! as {
        emailAddresses: Array<{ value: string }>;
        phoneNumbers: Array<{ value: string }>;
        birthdays: unknown[];
        names: Array<Record<string, string>>;
        biographies: Array<{ value: string }>;
        memberships: Array<{ contactGroupMembership: { contactGroupResourceName: string } }>;
        urls: Array<{ value: string }>;
      };
      expect(kept.emailAddresses.map((e) => e.value)).to.deep.equal([
        'bob.martinez@example.net',
        'bob@martinez-bikes.example',
        'robert@home.example',
      ]);
      expect(kept.phoneNumbers.map((p) => p.value)).to.deep.equal(['+1 415-555-0101', '+44 20 7946 0123']);
      expect(kept.birthdays).to.deep.equal(keptBefore.birthdays);
      expect(kept.names[0]).to.include({ givenName: 'Bob', middleName: 'J', familyName: 'Martinez' });
      expect(kept.biographies[0]!.value).to.equal(
        'Met at the climbing gym. Prefers texts over calls.\n\nOwes me a bike light.',
      );
      expect(kept.urls.map((u) => u.value)).to.include('https://robert.example');
      expect(kept.memberships.map((m) => m.contactGroupMembership.contactGroupResourceName)).to.include(
        'contactGroups/starred',
      );
      expect(r.structured.contact.resourceName).to.equal(bobM);
      expect(r.text).to.match(/^Merged 1 contact into Bob J Martinez/);

      // The merged contact is in the trash (reason merge); restoring it recreates every field.
      const t = r.structured.trash[0]!;
      expect(t).to.include({ resourceName: robert, name: 'Robert J Martinez' });
      const list = await ok<{ contacts: DeletedEntry[] }>(s, 'list_deleted_contacts');
      expect(list.structured.contacts.find((c) => c.trashId === t.trashId)?.reason).to.equal('merge');
      const back = await ok<RestoreOut>(s, 'restore_contacts', { trashIds: [t.trashId] });
      const again = stored(back.structured.restored[0]!.contact.resourceName)!;
      const { photos: _p, ...robertData } = robertBefore;
      expect(content(again)).to.deep.equal(content(robertData));
      expect(back.structured.restored[0]!.photoUrl).to.equal('https://lh3.example/robert.jpg');
    });

    it('if the update of the kept contact fails, nothing is deleted (and nothing trashed)', async () => {
      const a = await create({ name: { givenName: 'Twin' }, emails: [{ value: 'twin@x.example' }] });
      const b = await create({ name: { givenName: 'Twin' }, emails: [{ value: 'twin2@x.example' }] });
      const trashBefore = (await h.store.list('Trash', { field: 'accountId', value: ALICE_ID })).length;
      h.people.failNext({ method: 'people.updateContact', status: 403 });
      const msg = await fails(s, 'merge_contacts', { keep: a, merge: [b], dryRun: false });
      expect(msg).to.match(/Google refused/);
      expect(stored(a)).to.not.equal(undefined);
      expect(stored(b)).to.not.equal(undefined);
      expect((await h.store.list('Trash', { field: 'accountId', value: ALICE_ID })).length).to.equal(trashBefore);
    });

    it('if a delete fails after the update, it says which contact is still there, and keeps no stale trash copy', async () => {
      const a = await create({ name: { givenName: 'Pair' }, phones: [{ value: '+1 303 555 0188' }] });
      const b = await create({ name: { givenName: 'Pair' }, emails: [{ value: 'pair@x.example' }] });
      const trashBefore = (await h.store.list('Trash', { field: 'accountId', value: ALICE_ID })).length;
      h.people.failNext({ method: 'people.deleteContact', status: 403 });
      const r = await ok<MergeOut>(s, 'merge_contacts', { keep: a, merge: [b], dryRun: false });
      expect(r.structured.merged).to.deep.equal([]);
      expect(r.structured.notDeleted?.map((n) => n.resourceName)).to.deep.equal([b]);
      expect(r.text).to.match(/NOT deleted, still there: Pair/);
      expect(stored(b)).to.not.equal(undefined);
      expect(
        (stored(a)! as { emailAddresses: Array<{ value: string }> }).emailAddresses.map((e) => e.value),
      ).to.deep.equal(['pair@x.example']);
      expect((await h.store.list('Trash', { field: 'accountId', value: ALICE_ID })).length).to.equal(trashBefore);
    });

    it('refuses bad input with a clear message', async () => {
      expect(await fails(s, 'merge_contacts', { keep: bobM, merge: [bobM], dryRun: true })).to.match(
        /both the contact to keep and one to merge/,
      );
      expect(await fails(s, 'merge_contacts', { keep: bobM, merge: ['people/c42'], dryRun: true })).to.match(
        /^No contact people\/c42\b/,
      );
      // dryRun is required: a model must choose, never merge by default.
      const noDryRun = await call(s, 'merge_contacts', { keep: bobM, merge: [robert] });
      expect(noDryRun.isError).to.equal(true);
      expect(noDryRun.text).to.match(/Input validation error.*dryRun/s);
      expect(
        await fails(s, 'merge_contacts', {
          keep: bobM,
          merge: Array.from({ length: 10 }, (_, i) => `people/c${i + 1}`),
          dryRun: true,
        }),
      ).to.match(/merge/);
    });
  });

  it('logs no contact data', () => {
    const all = h.logs.join('\n');
    for (const secret of [
      'Temp Person',
      'temp@person.example',
      'robert@home.example',
      'Owes me a bike light',
      'import7@sheet.example',
      'custom-photo.jpg',
      'Robert',
    ]) {
      expect(all, secret).to.not.contain(secret);
    }
  });
});
