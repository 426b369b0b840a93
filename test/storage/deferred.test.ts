// The Firestore store is created on first use, after the server listens (src/storage/deferred.ts): a cold
// start's /healthz does not wait for the client library to load.
import { expect } from 'chai';
import { DeferredStore } from '../../src/storage/deferred.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { Store } from '../../src/storage/port.js';

function counted(make: () => Promise<Store> = async () => new MemoryStore()) {
  let created = 0;
  const store = new DeferredStore(async () => {
    created++;
    return make();
  });
  return { store, created: () => created };
}

describe('storage: DeferredStore (created on first use)', function () {
  it('creates nothing until the first operation (or warm())', async function () {
    const { store, created } = counted();
    await new Promise((r) => setTimeout(r, 10));
    expect(created()).to.equal(0);
    await store.warm();
    expect(created()).to.equal(1);
  });

  it('creates the store once however many operations arrive while it loads', async function () {
    const { store, created } = counted();
    const record = { data: { a: 1 }, expiresAt: Date.now() + 60_000 };
    await Promise.all([store.put('Client', 'k', record), store.get('Client', 'x'), store.ping(), store.warm()]);
    expect(created()).to.equal(1);
    expect((await store.get('Client', 'k'))?.data).to.deep.equal({ a: 1 });
  });

  it('passes every operation to the created store', async function () {
    const { store } = counted();
    const expiresAt = Date.now() + 60_000;
    await store.put('Grant', 'g1', { data: {}, expiresAt, grantId: 'g1' });
    await store.put('RefreshToken', 'r1', { data: {}, expiresAt, grantId: 'g1' });
    expect((await store.list('RefreshToken')).map((r) => r.key)).to.deep.equal(['r1']);
    expect(await store.update('Grant', 'g1', (cur) => cur && { ...cur, data: { v: 2 } })).to.not.equal(undefined);
    expect((await store.get('Grant', 'g1'))?.data).to.deep.equal({ v: 2 });
    expect((await store.consume('Grant', 'g1', Date.now())).consumedNow).to.equal(true);
    expect(await store.deleteByGrantId('g1')).to.equal(1);
    await store.delete('Grant', 'g1');
    expect(await store.get('Grant', 'g1')).to.equal(undefined);
    expect(await store.purgeExpired(Date.now())).to.equal(0);
  });

  it('close() before any use creates nothing; after use it closes the created store', async function () {
    const unused = counted();
    await unused.store.close();
    expect(unused.created()).to.equal(0);

    let closed = 0;
    const inner = new MemoryStore();
    inner.close = async () => void closed++;
    const used = new DeferredStore(async () => inner);
    await used.ping();
    await used.close();
    expect(closed).to.equal(1);
  });

  it('a store that cannot be created fails the operations that need it, with its error', async function () {
    const { store } = counted(async () => {
      throw new Error('module not found');
    });
    let failure: unknown;
    await store.ping().catch((err: unknown) => (failure = err));
    expect((failure as Error | undefined)?.message).to.equal('module not found');
    await store.close(); // nothing to close, and no throw
  });
});
