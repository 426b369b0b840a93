// The trash on the Firestore emulator: what is really stored for a deleted contact (no plaintext
// contact field; an expiresAt Timestamp for the TTL policy), and delete → list → restore through it.
import { Timestamp } from '@google-cloud/firestore';
import { expect } from 'chai';
import { FirestoreStore } from '../../src/storage/firestore.js';
import { startFirestoreEmulator, type FirestoreEmulator } from '../../standins/firestore-emulator.js';
import { startHarness, type Harness } from '../support/harness.js';
import { SAMPLE_USERS } from '../../standins/sample-users.js';
import { connect, ok, type PersonOut, type Session } from './helpers.js';

const ALICE = 'alice@example.com';
const ALICE_ID = SAMPLE_USERS.find((u) => u.email === ALICE)!.sub;
const DAY = 86_400_000;

describe('mcp tools: the trash on Firestore (emulator)', function () {
  this.timeout(90_000);
  let emu: FirestoreEmulator;
  let store: FirestoreStore;
  let h: Harness;
  let s: Session;

  before(async () => {
    emu = await startFirestoreEmulator();
    store = await FirestoreStore.connect({ firestore: emu.client() });
    // A cold emulator on a busy machine can take longer than the store's 5 s deadline for its first
    // writes: warm it up (bounded) so the sign-in below measures the server, not the JVM's start.
    for (let i = 0; i < 10; i++) {
      try {
        await store.put('Trash', 'warm-up', { data: {}, expiresAt: Date.now() + 60_000 });
        await store.delete('Trash', 'warm-up');
        break;
      } catch (err) {
        if (i === 9) throw err;
      }
    }
    h = await startHarness({ store, env: { TRASH_DAYS: '7' } });
    s = await connect(h, ALICE);
  });
  after(async () => {
    await s?.close();
    await h?.close();
    await store?.close();
    await emu?.stop();
  });

  it('stores a deleted contact sealed (no plaintext field), indexed by account, expiring after TRASH_DAYS', async () => {
    const snap = h.people.snapshot(ALICE)!;
    const bob = snap.contacts.find((c) => c.names?.[0]?.displayName === 'Bob Martinez')!;
    const carol = snap.contacts.find((c) => c.names?.[0]?.displayName === 'Carol Nguyen')!;
    const started = Date.now();
    const del = await ok<{ contacts: Array<{ trashId: string }> }>(s, 'delete_contact', {
      resourceNames: [bob.resourceName, carol.resourceName],
    });
    expect(del.structured.contacts).to.have.length(2);

    const docs = (await emu.documents()).filter((d) => d.collection === 'trash');
    expect(docs.map((d) => d.key).sort()).to.deep.equal(del.structured.contacts.map((c) => c.trashId).sort());
    // Every value a person would recognise, from both contacts.
    const plain = [
      'Bob',
      'Martinez',
      'bob.martinez@example.net',
      'martinez-bikes',
      '415',
      '555-0101',
      'Market St',
      'San Francisco',
      'climbing gym',
      'Bobby',
      '1985',
      'Carol',
      'Nguyen',
      'carol.nguyen@example.org',
      'Acme Robotics',
      'Vegetarian',
      '650',
      'Hiking',
      'hiking',
      'Starred',
      'myContacts',
      bob.resourceName!,
      carol.resourceName!,
    ];
    for (const d of docs) {
      // The ciphertext is random base64url (it may contain "415" by chance): searched as bytes below.
      const sealed = String(d.fields.data.sealed);
      // Timestamps are numbers that may contain "650" by chance too: they are checked as dates elsewhere.
      const text = JSON.stringify({ ...d.fields, data: { ...d.fields.data, sealed: '<sealed>' } }, (_k, v: unknown) =>
        v !== null && typeof v === 'object' && '_seconds' in v ? '<timestamp>' : v,
      );
      for (const v of plain) expect(text, `trash/${d.id} holds "${v}" in clear`).to.not.contain(v);
      expect(sealed).to.match(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      const bytes = Buffer.concat(
        sealed
          .split('.')
          .slice(1)
          .map((p) => Buffer.from(p, 'base64url')),
      ).toString('latin1');
      for (const v of [
        'Martinez',
        'bob.martinez@example.net',
        'carol.nguyen@example.org',
        'Vegetarian',
        'climbing gym',
      ])
        expect(bytes, `sealed bytes hold "${v}"`).to.not.contain(v);
      expect(Object.keys(d.fields.data).sort()).to.deep.equal(['deletedAt', 'reason', 'sealed']);
      expect(d.fields.accountId).to.equal(ALICE_ID);
      expect(d.fields.expiresAt).to.be.instanceOf(Timestamp);
      const expires = (d.fields.expiresAt as Timestamp).toMillis();
      expect(expires - started).to.be.within(7 * DAY - 1000, 7 * DAY + 60_000);
    }
  });

  it('lists and restores through Firestore', async () => {
    const list = await ok<{ contacts: Array<{ trashId: string; name?: string; expiresAt: string }> }>(
      s,
      'list_deleted_contacts',
    );
    expect(list.structured.contacts.map((c) => c.name).sort()).to.deep.equal(['Bob Martinez', 'Carol Nguyen']);
    const back = await ok<{ restored: Array<{ contact: PersonOut }>; failed: unknown[] }>(s, 'restore_contacts', {
      trashIds: list.structured.contacts.map((c) => c.trashId),
    });
    expect(back.structured.failed).to.deep.equal([]);
    expect(back.structured.restored.map((r) => r.contact.name).sort()).to.deep.equal(['Bob Martinez', 'Carol Nguyen']);
    expect((await emu.documents()).filter((d) => d.collection === 'trash')).to.deep.equal([]);
  });
});
