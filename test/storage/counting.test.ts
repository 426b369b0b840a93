/** CountingStore: Firestore-billing-style read/write counts over any store (for the benchmark and docs). */
import { expect } from 'chai';
import { CountingStore } from '../../src/storage/counting.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { KINDS, type Kind, type StoredRecord, type UpdateResult } from '../../src/storage/port.js';

const HOUR = 3600_000;
const rec = (o: Partial<StoredRecord> = {}): StoredRecord => ({ data: { v: 1 }, expiresAt: Date.now() + HOUR, ...o });

describe('CountingStore', () => {
  let store: CountingStore;
  beforeEach(() => {
    store = new CountingStore(new MemoryStore());
  });
  const delta = async (op: () => Promise<unknown>) => {
    store.reset();
    await op();
    const { reads, writes } = store.counts();
    return { reads, writes };
  };

  it('counts single-document operations like Firestore bills them', async () => {
    expect(await delta(() => store.put('Grant', 'g', rec()))).to.deep.equal({ reads: 0, writes: 1 });
    expect(await delta(() => store.get('Grant', 'g'))).to.deep.equal({ reads: 1, writes: 0 });
    expect(await delta(() => store.get('Grant', 'missing'))).to.deep.equal({ reads: 1, writes: 0 });
    expect(await delta(() => store.delete('Grant', 'g'))).to.deep.equal({ reads: 0, writes: 1 });
    expect(await delta(() => store.findBy('Session', 'uid', 'u'))).to.deep.equal({ reads: 1, writes: 0 });
    expect(await delta(() => store.ping())).to.deep.equal({ reads: 1, writes: 0 });
    expect(await delta(() => store.close())).to.deep.equal({ reads: 0, writes: 0 });
  });

  it('consume: 1 read, plus 1 write only for the call that consumed', async () => {
    await store.put('AuthorizationCode', 'c', rec());
    expect(await delta(() => store.consume('AuthorizationCode', 'c', Date.now()))).to.deep.equal({
      reads: 1,
      writes: 1,
    });
    expect(await delta(() => store.consume('AuthorizationCode', 'c', Date.now()))).to.deep.equal({
      reads: 1,
      writes: 0,
    });
    expect(await delta(() => store.consume('AuthorizationCode', 'missing', Date.now()))).to.deep.equal({
      reads: 1,
      writes: 0,
    });
  });

  it('consume right after a get with consumeNext costs no read (the store reuses that read); after a plain get it does', async () => {
    await store.put('AuthorizationCode', 'hinted', rec());
    await store.put('AuthorizationCode', 'plain', rec());
    expect(await delta(() => store.get('AuthorizationCode', 'hinted', { consumeNext: true }))).to.deep.equal({
      reads: 1,
      writes: 0,
    });
    expect(await delta(() => store.consume('AuthorizationCode', 'hinted', Date.now()))).to.deep.equal({
      reads: 0,
      writes: 1,
    });
    expect(await delta(() => store.get('AuthorizationCode', 'plain'))).to.deep.equal({ reads: 1, writes: 0 });
    expect(await delta(() => store.consume('AuthorizationCode', 'plain', Date.now()))).to.deep.equal({
      reads: 1,
      writes: 1,
    });
  });

  it('update: 1 read, plus 1 write when fn writes or deletes an existing record', async () => {
    expect(await delta(() => store.update('GoogleToken', 's', () => undefined))).to.deep.equal({ reads: 1, writes: 0 });
    expect(await delta(() => store.update('GoogleToken', 's', () => null))).to.deep.equal({ reads: 1, writes: 0 });
    expect(await delta(() => store.update('GoogleToken', 's', () => rec()))).to.deep.equal({ reads: 1, writes: 1 });
    expect(await delta(() => store.update('GoogleToken', 's', (c) => ({ ...c!, data: { v: 2 } })))).to.deep.equal({
      reads: 1,
      writes: 1,
    });
    expect(await delta(() => store.update('GoogleToken', 's', () => null))).to.deep.equal({ reads: 1, writes: 1 });
  });

  it('update: the last run of fn decides (fn may run again under contention)', async () => {
    class RetryingStore extends MemoryStore {
      override async update(kind: Kind, key: string, fn: (cur: StoredRecord | undefined) => UpdateResult) {
        fn(undefined); // a first attempt that lost a race
        return super.update(kind, key, fn);
      }
    }
    const counting = new CountingStore(new RetryingStore());
    await counting.put('Grant', 'g', rec());
    counting.reset();
    await counting.update('Grant', 'g', (cur) => (cur ? undefined : rec()));
    expect(counting.counts()).to.deep.include({ reads: 1, writes: 0 });
  });

  it('queries: one read per document returned (min 1 per query), deletions are writes', async () => {
    expect(await delta(() => store.list('Grant'))).to.deep.equal({ reads: 1, writes: 0 });
    for (const k of ['a', 'b', 'c']) await store.put('Grant', k, rec({ accountId: 'acc' }));
    expect(await delta(() => store.list('Grant', { field: 'accountId', value: 'acc' }))).to.deep.equal({
      reads: 3,
      writes: 0,
    });

    for (const k of ['c1', 'c2', 'c3']) await store.put('AuthorizationCode', k, rec({ grantId: 'g' }));
    // Codes: 3 matched (3 reads, 3 deletes); refresh tokens: an empty query still costs 1 read.
    expect(await delta(() => store.deleteByGrantId('g'))).to.deep.equal({ reads: 4, writes: 3 });
    expect(store.detail()).to.deep.equal({
      'deleteByGrantId:AuthorizationCode': { calls: 1, reads: 3, writes: 3 },
      'deleteByGrantId:RefreshToken': { calls: 1, reads: 1, writes: 0 },
    });

    await store.put('Session', 'old', rec({ expiresAt: Date.now() - 1 }));
    await store.put('Interaction', 'old', rec({ expiresAt: Date.now() - 1 }));
    const kinds = Object.keys(KINDS).length;
    expect(await delta(() => store.purgeExpired(Date.now()))).to.deep.equal({ reads: kinds + 2, writes: 2 });
  });

  it('byOp counts calls per op:Kind; reset() clears everything', async () => {
    await store.put('Client', 'c', rec());
    await store.get('Client', 'c');
    await store.get('Client', 'c');
    await store.get('Grant', 'g');
    await store.ping();
    expect(store.counts().byOp).to.deep.equal({ 'put:Client': 1, 'get:Client': 2, 'get:Grant': 1, ping: 1 });
    expect(store.detail()['get:Client']).to.deep.equal({ calls: 2, reads: 2, writes: 0 });
    store.reset();
    expect(store.counts()).to.deep.equal({ reads: 0, writes: 0, byOp: {} });
    expect(store.detail()).to.deep.equal({});
  });

  it('passes results through unchanged', async () => {
    await store.put('Grant', 'g', rec({ data: { x: 1 }, accountId: 'a' }));
    expect((await store.get('Grant', 'g'))!.data).to.deep.equal({ x: 1 });
    expect((await store.list('Grant', { field: 'accountId', value: 'a' })).map((r) => r.key)).to.deep.equal(['g']);
    expect((await store.update('Grant', 'g', (c) => ({ ...c!, data: { x: 2 } })))!.data).to.deep.equal({ x: 2 });
  });
});
