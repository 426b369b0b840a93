// merge_contacts' run() against a fake People API and an in-memory trash: the order of its writes and what
// happens when one of them fails. No servers; each case takes milliseconds.
import { expect } from 'chai';
import { mergeContacts } from '../../../src/mcp/tools/merge-contacts.js';
import { MAX_UPDATE_ATTEMPTS } from '../../../src/mcp/tools/update-contact.js';
import { MemoryStore } from '../../../src/storage/memory.js';
import { PeopleApiError } from '../../../src/upstream/google/people.js';
import { fakeToolContext, type FakePeople } from '../../support/fake-people.js';
import { flaky } from '../../support/flaky-store.js';

type Args = Parameters<typeof mergeContacts.run>[0];

function addressBook(google: FakePeople): { keep: string; dup: string } {
  const keep = google.addContact({
    names: [{ givenName: 'Dana', familyName: 'Smith' }],
    emailAddresses: [{ value: 'dana@work.example' }],
  }).resourceName!;
  const dup = google.addContact({
    names: [{ givenName: 'Dana', familyName: 'Smith' }],
    emailAddresses: [{ value: 'dana@home.example' }],
    phoneNumbers: [{ value: '+1 415 555 0199' }],
  }).resourceName!;
  return { keep, dup };
}

const emails = (google: FakePeople, rn: string) => (google.contacts.get(rn)?.emailAddresses ?? []).map((e) => e.value);

describe('merge_contacts run() with a fake People API (unit)', () => {
  it('merges: the kept contact gains the other’s data first, then the other goes to the trash and is deleted', async () => {
    const { ctx, google, trash } = fakeToolContext();
    const { keep, dup } = addressBook(google);
    const out = await mergeContacts.run({ keep, merge: [dup], dryRun: false } satisfies Args, ctx);

    expect(google.writes().map((c) => c.method)).to.deep.equal(['people.updateContact', 'people.deleteContact']);
    expect(
      google.writes().every((c) => c.serialized),
      'every write runs inside serialize()',
    ).to.equal(true);
    expect(emails(google, keep)).to.deep.equal(['dana@work.example', 'dana@home.example']);
    expect(google.contacts.has(dup)).to.equal(false);
    const [entry] = await trash.list();
    expect(entry?.person.resourceName).to.equal(dup);
    expect(entry?.reason).to.equal('merge');
    expect(out.structured.merged).to.deep.equal([dup]);
    expect(out.structured.trash.map((t) => t.trashId)).to.deep.equal([entry!.trashId]);
  });

  it('an update of the kept contact that fails deletes nothing and trashes nothing', async () => {
    const { ctx, google, trash } = fakeToolContext();
    const { keep, dup } = addressBook(google);
    google.fail('people.updateContact', new PeopleApiError('invalid', 'Invalid phone number', 400, 'INVALID_ARGUMENT'));

    const err = await mergeContacts.run({ keep, merge: [dup], dryRun: false }, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(PeopleApiError);
    expect((err as PeopleApiError).kind).to.equal('invalid');
    expect(google.writes().map((c) => c.method)).to.deep.equal(['people.updateContact']);
    expect(google.contacts.has(dup), 'the duplicate still exists').to.equal(true);
    expect(emails(google, keep)).to.deep.equal(['dana@work.example']);
    expect(await trash.list()).to.deep.equal([]);
  });

  it('Google unavailable during the update (outcome unknown): nothing is deleted either', async () => {
    const { ctx, google, trash } = fakeToolContext();
    const { keep, dup } = addressBook(google);
    google.fail(
      'people.updateContact',
      new PeopleApiError('unavailable', 'Google Contacts is temporarily unavailable', 503),
    );

    await mergeContacts.run({ keep, merge: [dup], dryRun: false }, ctx).then(
      () => expect.fail('the merge must fail'),
      (e: unknown) => expect((e as PeopleApiError).kind).to.equal('unavailable'),
    );
    expect(google.writes().filter((c) => c.method === 'people.deleteContact')).to.deep.equal([]);
    expect(google.contacts.has(dup)).to.equal(true);
    expect(await trash.list()).to.deep.equal([]);
  });

  it('a contact edited meanwhile (stale etag): reads again, re-plans, and keeps the other edit', async () => {
    const { ctx, google } = fakeToolContext();
    const { keep, dup } = addressBook(google);
    let editedMeanwhile = false;
    google.on('people.updateContact', (params) => {
      if (!editedMeanwhile) {
        // Someone adds a phone to the kept contact between our read and our write: our etag is now stale.
        editedMeanwhile = true;
        google.answer('people.updateContact', {
          resourceName: keep,
          updatePersonFields: 'phoneNumbers',
          requestBody: { ...google.contacts.get(keep), phoneNumbers: [{ value: '+1 212 555 0100' }] },
        });
      }
      return google.answer('people.updateContact', params);
    });

    await mergeContacts.run({ keep, merge: [dup], dryRun: false }, ctx);
    expect(google.calls.filter((c) => c.method === 'people.getBatchGet')).to.have.length(2);
    expect((google.contacts.get(keep)?.phoneNumbers ?? []).map((p) => p.value)).to.deep.equal([
      '+1 212 555 0100',
      '+1 415 555 0199',
    ]);
    expect(google.contacts.has(dup)).to.equal(false);
  });

  it(`a contact that keeps changing: gives up after ${MAX_UPDATE_ATTEMPTS} rounds with nothing deleted`, async () => {
    const { ctx, google, trash } = fakeToolContext();
    const { keep, dup } = addressBook(google);
    google.fail(
      'people.updateContact',
      new PeopleApiError('precondition', 'etag mismatch', 400, 'FAILED_PRECONDITION'),
    );

    await mergeContacts.run({ keep, merge: [dup], dryRun: false }, ctx).then(
      () => expect.fail('the merge must fail'),
      (e: unknown) => expect((e as PeopleApiError).kind).to.equal('precondition'),
    );
    expect(google.calls.filter((c) => c.method === 'people.updateContact')).to.have.length(MAX_UPDATE_ATTEMPTS);
    expect(google.contacts.has(dup)).to.equal(true);
    expect(await trash.list()).to.deep.equal([]);
  });

  it('the trash unavailable: the merged data stays in the kept contact, the duplicate is kept and reported', async () => {
    const store = flaky(new MemoryStore());
    const { ctx, google } = fakeToolContext({ store });
    const { keep, dup } = addressBook(google);
    google.on('people.updateContact', (params) => {
      store.down = true; // the store fails right after the kept contact was updated
      return google.answer('people.updateContact', params);
    });

    const out = await mergeContacts.run({ keep, merge: [dup], dryRun: false }, ctx);
    expect(google.writes().map((c) => c.method)).to.deep.equal(['people.updateContact']);
    expect(google.contacts.has(dup)).to.equal(true);
    expect(out.structured.notDeleted).to.deep.equal([
      { resourceName: dup, reason: 'it could not be saved to the trash first, so it was kept' },
    ]);
    expect(out.text).to.contain('NOT deleted');
  });

  it('a delete Google refuses: the contact stays, its trash copy is removed, and it is reported', async () => {
    const { ctx, google, trash } = fakeToolContext();
    const { keep, dup } = addressBook(google);
    google.fail('people.deleteContact', new PeopleApiError('permission', 'The caller does not have permission', 403));

    const out = await mergeContacts.run({ keep, merge: [dup], dryRun: false }, ctx);
    expect(google.contacts.has(dup)).to.equal(true);
    expect(await trash.list(), 'no trash copy of a contact that still exists').to.deep.equal([]);
    expect(out.structured.notDeleted).to.deep.equal([
      { resourceName: dup, reason: 'The caller does not have permission' },
    ]);
    expect(out.structured.trash).to.deep.equal([]);
  });

  it('dryRun: reads only, returns the plan', async () => {
    const { ctx, google, trash } = fakeToolContext();
    const { keep, dup } = addressBook(google);
    const out = await mergeContacts.run({ keep, merge: [dup], dryRun: true }, ctx);
    expect(google.writes()).to.deep.equal([]);
    expect(await trash.list()).to.deep.equal([]);
    expect(out.structured.dryRun).to.equal(true);
    expect(out.structured.plan.gains.map((g) => g.value)).to.include('dana@home.example');
    expect(out.structured.contact.emails.map((e) => e.value)).to.deep.equal(['dana@work.example', 'dana@home.example']);
  });

  it('refuses a contact that is both kept and merged before reading anything', async () => {
    const { ctx, google } = fakeToolContext();
    const { keep } = addressBook(google);
    await mergeContacts.run({ keep, merge: [keep], dryRun: false }, ctx).then(
      () => expect.fail('must be refused'),
      (e: unknown) => expect((e as Error).message).to.match(/both the contact to keep and one to merge/),
    );
    expect(google.calls).to.deep.equal([]);
  });
});
