/**
 * Firestore-specific behaviour of the Firestore store, on the official emulator: the document shape
 * (expiresAt a Timestamp, for TTL policies), document ids, collection prefixes, what is stored for
 * bearer values, and StoreUnavailableError within seconds when Firestore is down (on a second emulator,
 * stopped and restarted on the same port).
 */
import { randomBytes } from 'node:crypto';
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { expect } from 'chai';
import sinon from 'sinon';
import { createAdapterFactory } from '../../src/oauth/adapter.js';
import { hashValue } from '../../src/security/keys.js';
import { FirestoreStore, decodeKey, encodeKey, isUnavailableError } from '../../src/storage/firestore.js';
import { KINDS, StoreUnavailableError, type Kind, type StoredRecord } from '../../src/storage/port.js';
import { startFirestoreEmulator, type FirestoreEmulator } from '../../standins/firestore-emulator.js';

const HOUR = 3600_000;
const rec = (o: Partial<StoredRecord> = {}): StoredRecord => ({ data: { v: 1 }, expiresAt: Date.now() + HOUR, ...o });

/** Builds a store through connect() (the production path: env-configured emulator, short deadlines). */
async function connectTo(
  emu: FirestoreEmulator,
  opts: Parameters<typeof FirestoreStore.connect>[0] = {},
): Promise<FirestoreStore> {
  const saved = { host: process.env.FIRESTORE_EMULATOR_HOST, project: process.env.GOOGLE_CLOUD_PROJECT };
  process.env.FIRESTORE_EMULATOR_HOST = emu.host;
  try {
    return await FirestoreStore.connect({ projectId: emu.projectId, ...opts });
  } finally {
    if (saved.host === undefined) delete process.env.FIRESTORE_EMULATOR_HOST;
    else process.env.FIRESTORE_EMULATOR_HOST = saved.host;
  }
}

describe('document ids (encodeKey/decodeKey)', () => {
  it('keeps simple keys as they are and encodes everything else reversibly into a valid id', () => {
    for (const k of [hashValue('x'), '109876543210987654321', 'mcp_client-1', 'A'.repeat(200)])
      expect(encodeKey(k)).to.equal(k);
    const tricky = [
      'a/b',
      '.',
      '..',
      '__name__',
      '__x__',
      'b64_abc',
      'A'.repeat(201),
      'https://x.example/a?b=c#d',
      'sp ace',
      'ü',
      'a.b',
      '-'.repeat(201),
    ];
    for (const k of tricky) {
      const id = encodeKey(k);
      expect(id, k).to.match(/^b64_[A-Za-z0-9_-]+$/);
      expect(decodeKey(id), k).to.equal(k);
    }
    expect(encodeKey('b64_abc')).to.not.equal('b64_abc');
  });

  it('round-trips random keys and never produces an invalid document id', () => {
    const alphabet = 'aZ09_-/.:?#%&= ü✓\u0000\n';
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const len = 1 + (i % 40);
      const k = Array.from({ length: len }, () => alphabet[randomBytes(1)[0]! % alphabet.length]).join('');
      const id = encodeKey(k);
      expect(decodeKey(id)).to.equal(k);
      expect(id).to.not.include('/');
      expect(id).to.not.match(/^\.\.?$|^__.*__$/);
      expect(Buffer.byteLength(id)).to.be.at.most(1500);
      ids.add(`${k}\u0001${id}`);
    }
    // Injective: distinct keys never share an id.
    const byId = new Map<string, string>();
    for (const pair of ids) {
      const [k, id] = pair.split('\u0001') as [string, string];
      expect(byId.get(id) ?? k).to.equal(k);
      byId.set(id, k);
    }
  });

  it('refuses empty keys and keys over 1024 bytes', () => {
    expect(() => encodeKey('')).to.throw(RangeError);
    expect(() => encodeKey('/'.repeat(1025))).to.throw(RangeError);
    expect(Buffer.byteLength(encodeKey('/'.repeat(1024)))).to.be.below(1500);
  });
});

describe('isUnavailableError', () => {
  it('recognises unreachable-backend errors and nothing else', () => {
    const grpc = (code: number, message = 'x') => Object.assign(new Error(message), { code });
    expect(isUnavailableError(grpc(14))).to.equal(true); // UNAVAILABLE
    expect(isUnavailableError(grpc(4))).to.equal(true); // DEADLINE_EXCEEDED
    expect(isUnavailableError(grpc(8))).to.equal(true); // RESOURCE_EXHAUSTED
    expect(
      isUnavailableError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
    ).to.equal(true);
    expect(isUnavailableError(new StoreUnavailableError('down'))).to.equal(true);
    expect(isUnavailableError(grpc(7))).to.equal(false); // PERMISSION_DENIED: configuration, not an outage
    expect(isUnavailableError(grpc(3))).to.equal(false); // INVALID_ARGUMENT
    expect(isUnavailableError(grpc(9))).to.equal(false); // FAILED_PRECONDITION
    expect(isUnavailableError(new TypeError('bug'))).to.equal(false);
  });
});

describe('FirestoreStore on the emulator', function () {
  this.timeout(30_000);
  let emu: FirestoreEmulator;
  let raw: Firestore;

  before(async function () {
    this.timeout(60_000);
    emu = await startFirestoreEmulator();
    raw = emu.client();
  });
  after(async () => {
    await emu?.stop();
  });

  it('stores documents with expiresAt/updatedAt/consumedAt as Timestamps and index fields at the top level', async () => {
    const store = await FirestoreStore.connect({ firestore: emu.client(), collectionPrefix: 'shape_' });
    const expiresAt = Date.now() + 600_000;
    await store.put('AuthorizationCode', 'code-hash', {
      data: { scope: 'openid', nested: { a: [1, 2] }, gone: undefined },
      expiresAt,
      grantId: 'g1',
      accountId: 'acc',
      clientId: 'cl',
    });
    const consumedAt = Date.now();
    expect((await store.consume('AuthorizationCode', 'code-hash', consumedAt)).consumedNow).to.equal(true);

    const snap = await raw.collection('shape_authorization_codes').doc('code-hash').get();
    const doc = snap.data()!;
    expect(doc.expiresAt).to.be.instanceOf(Timestamp);
    expect((doc.expiresAt as Timestamp).toMillis()).to.equal(expiresAt);
    expect(doc.updatedAt).to.be.instanceOf(Timestamp);
    expect(doc.consumedAt).to.be.instanceOf(Timestamp);
    expect((doc.consumedAt as Timestamp).toMillis()).to.equal(consumedAt);
    expect(doc).to.include({ grantId: 'g1', accountId: 'acc', clientId: 'cl' });
    expect(doc.data).to.deep.equal({ scope: 'openid', nested: { a: [1, 2] } });
    expect(doc).to.not.have.property('dataJson');
    expect(Object.keys(doc).sort()).to.deep.equal([
      'accountId',
      'clientId',
      'consumedAt',
      'data',
      'expiresAt',
      'grantId',
      'updatedAt',
      'writeId',
    ]);
  });

  it('uses one collection per kind, named after KINDS, with the prefix', async () => {
    const prefix = 'names_';
    const store = await FirestoreStore.connect({ firestore: emu.client(), collectionPrefix: prefix });
    await Promise.all((Object.keys(KINDS) as Kind[]).map((k) => store.put(k, 'k', rec())));
    const names = (await raw.listCollections())
      .map((c) => c.id)
      .filter((n) => n.startsWith(prefix))
      .sort();
    expect(names).to.deep.equal(
      Object.values(KINDS)
        .map((n) => prefix + n)
        .sort(),
    );
    expect(store.collectionName('GoogleLoginState')).to.equal('names_google_login_states');
  });

  it('stores payloads Firestore cannot hold as maps (arrays in arrays, odd keys) as JSON, and only those', async () => {
    const store = await FirestoreStore.connect({ firestore: emu.client(), collectionPrefix: 'json_' });
    const odd = { matrix: [[1, 2], [3]], '': 'empty', __x__: 1, list: ['a', undefined, 'b'] };
    await store.put('CimdDocument', 'https://a.example/c.json', rec({ data: odd }));
    await store.put('CimdDocument', 'plain', rec({ data: { list: ['a', 'b'], deep: { er: { est: true } } } }));
    const oddDoc = (
      await raw.collection('json_cimd_documents').doc(encodeKey('https://a.example/c.json')).get()
    ).data()!;
    expect(oddDoc.dataJson).to.be.a('string');
    expect(oddDoc).to.not.have.property('data');
    expect((await store.get('CimdDocument', 'https://a.example/c.json'))!.data).to.deep.equal(
      JSON.parse(JSON.stringify(odd)),
    );
    const plainDoc = (await raw.collection('json_cimd_documents').doc('plain').get()).data()!;
    expect(plainDoc.data).to.deep.equal({ list: ['a', 'b'], deep: { er: { est: true } } });
    expect(plainDoc).to.not.have.property('dataJson');
    // Switching representation on update leaves no stale field behind.
    await store.update('CimdDocument', 'plain', (cur) => ({ ...cur!, data: odd }));
    const switched = (await raw.collection('json_cimd_documents').doc('plain').get()).data()!;
    expect(switched).to.not.have.property('data');
    expect(switched.dataJson).to.be.a('string');
  });

  it('a collection prefix isolates two stores sharing one database', async () => {
    const a = await FirestoreStore.connect({ firestore: emu.client(), collectionPrefix: 'isoA_' });
    const b = await FirestoreStore.connect({ firestore: emu.client(), collectionPrefix: 'isoB_' });
    await a.put('RefreshToken', 'same', rec({ data: { from: 'a' }, grantId: 'g', uid: 'u' }));
    await b.put('RefreshToken', 'same', rec({ data: { from: 'b' }, grantId: 'g', uid: 'u' }));
    await b.put('Session', 'old', rec({ expiresAt: Date.now() - 1000 }));
    expect((await a.get('RefreshToken', 'same'))!.data).to.deep.equal({ from: 'a' });
    expect((await b.findBy('RefreshToken', 'uid', 'u'))!.record.data).to.deep.equal({ from: 'b' });
    expect(await a.list('RefreshToken')).to.have.length(1);
    expect(await a.deleteByGrantId('g')).to.equal(1);
    expect((await b.get('RefreshToken', 'same'))!.data).to.deep.equal({ from: 'b' });
    expect(await a.purgeExpired(Date.now())).to.equal(0);
    expect((await raw.collection('isoB_sessions').doc('old').get()).exists).to.equal(true);
    expect(await b.purgeExpired(Date.now())).to.equal(1);
  });

  it('handles more than 500 documents: list pages, batched deletes, purge rounds', async () => {
    const store = await FirestoreStore.connect({ firestore: emu.client(), collectionPrefix: 'many_' });
    const now = Date.now();
    for (let i = 0; i < 1100; i += 275) {
      await Promise.all(
        Array.from({ length: 275 }, (_, j) =>
          store.put(
            'RefreshToken',
            `rt/${i + j}`,
            rec({
              data: { i: i + j },
              grantId: (i + j) % 2 ? 'odd' : 'even',
              expiresAt: (i + j) % 4 === 0 ? now - 1000 : now + HOUR,
            }),
          ),
        ),
      );
    }
    const live = await store.list('RefreshToken');
    expect(live).to.have.length(825);
    expect(new Set(live.map((r) => r.key)).size).to.equal(825);
    expect(await store.list('RefreshToken', { field: 'grantId', value: 'odd' })).to.have.length(550);
    expect(await store.deleteByGrantId('odd')).to.equal(550);
    expect(await store.purgeExpired(now)).to.equal(275);
    expect((await raw.collection('many_refresh_tokens').count().get()).data().count).to.equal(275);
  });

  it('a store built by connect() (FIRESTORE_EMULATOR_HOST) works; close() terminates only a client it created', async () => {
    const store = await connectTo(emu, { collectionPrefix: 'connect_' });
    await store.ping();
    await store.put('Grant', 'g', rec());
    expect(await store.get('Grant', 'g')).to.not.equal(undefined);
    const terminate = sinon.spy(store.db, 'terminate');
    await store.close();
    expect(terminate.calledOnce).to.equal(true);

    const given = emu.client();
    const borrowed = await FirestoreStore.connect({ firestore: given, collectionPrefix: 'connect_' });
    const notTerminated = sinon.spy(given, 'terminate');
    await borrowed.close();
    expect(notTerminated.called).to.equal(false);
    expect(await borrowed.get('Grant', 'g')).to.not.equal(undefined);
  });

  it('holds no bearer value or client secret in plain text (adapter over the store)', async () => {
    const store = await FirestoreStore.connect({ firestore: emu.client(), collectionPrefix: 'scan_' });
    const Adapter = createAdapterFactory(store, {
      refreshGraceSeconds: 60,
      grantTtlSeconds: 86400,
      clientIdleTtlSeconds: 86400,
    });
    const secret = (name: string) => `${name}-${randomBytes(16).toString('base64url')}`;
    const values = {
      code: secret('code'),
      rt: secret('rt'),
      sessionId: secret('sess'),
      interactionId: secret('int'),
      clientSecret: secret('cs'),
      par: secret('par'),
    };
    // A session's uid is an internal identifier (kept in the payload, looked up by its hash), not a bearer value.
    const sessionUid = secret('suid');
    const iat = Math.floor(Date.now() / 1000);
    await new Adapter('Client').upsert('client-1', {
      client_id: 'client-1',
      client_secret: values.clientSecret,
      redirect_uris: ['https://a.example/cb'],
    });
    await new Adapter('Grant').upsert(
      'grant-1',
      { kind: 'Grant', accountId: 'acc', clientId: 'client-1', iat, exp: iat + 600 },
      600,
    );
    await new Adapter('AuthorizationCode').upsert(
      values.code,
      { jti: values.code, kind: 'AuthorizationCode', grantId: 'grant-1', clientId: 'client-1', iat },
      600,
    );
    await new Adapter('RefreshToken').upsert(
      values.rt,
      { jti: values.rt, kind: 'RefreshToken', grantId: 'grant-1', clientId: 'client-1', iat },
      600,
    );
    await new Adapter('Session').upsert(
      values.sessionId,
      { jti: values.sessionId, uid: sessionUid, kind: 'Session', accountId: 'acc', iat },
      600,
    );
    await new Adapter('Interaction').upsert(
      values.interactionId,
      { jti: values.interactionId, kind: 'Interaction', iat },
      600,
    );
    await new Adapter('PushedAuthorizationRequest').upsert(
      values.par,
      { jti: values.par, kind: 'PushedAuthorizationRequest', iat },
      60,
    );
    await new Adapter('AuthorizationCode').consume(values.code);
    // The adapter finds them by raw value...
    expect(await new Adapter('RefreshToken').find(values.rt)).to.include({ grantId: 'grant-1' });
    expect(await new Adapter('Session').findByUid(sessionUid)).to.include({ accountId: 'acc' });
    // ...but no document, id or decoded key holds one.
    const docs = (await emu.documents()).filter((d) => d.collection.startsWith('scan_'));
    expect(docs.length).to.be.at.least(7);
    const leaks: string[] = [];
    for (const d of docs) {
      const text = `${d.id}\n${d.key}\n${JSON.stringify(d.fields)}`;
      for (const [name, v] of Object.entries(values))
        if (text.includes(v)) leaks.push(`${d.collection}/${d.id} holds ${name}`);
    }
    expect(leaks).to.deep.equal([]);
    const client = docs.find((d) => d.collection === 'scan_clients')!;
    expect((client.fields.data as { client_secret: string }).client_secret).to.equal(
      `sha256:${hashValue(values.clientSecret)}`,
    );
  });

  describe('when Firestore is down', () => {
    let down: FirestoreEmulator;
    let store: FirestoreStore;

    before(async function () {
      this.timeout(60_000);
      down = await startFirestoreEmulator();
    });
    after(async () => {
      await store?.close();
      await down?.stop();
    });

    it('a hung Firestore (process frozen): StoreUnavailableError within a few seconds, then it answers again', async function () {
      this.timeout(60_000);
      store = await connectTo(down, { collectionPrefix: 'hung_' });
      await store.put('GoogleToken', 'sub', rec({ data: { n: 0 } }));
      await down.freeze();
      const t0 = Date.now();
      try {
        const outcomes = await Promise.allSettled([
          store.get('GoogleToken', 'sub'),
          store.update('GoogleToken', 'sub', (cur) => ({ ...cur!, data: { n: 1 } })),
          store.consume('AuthorizationCode', 'c', Date.now()),
          store.findBy('Session', 'uid', 'u'),
        ]);
        const elapsed = Date.now() - t0;
        for (const o of outcomes)
          expect(
            o.status === 'rejected' && o.reason instanceof StoreUnavailableError,
            String((o as PromiseRejectedResult).reason),
          ).to.equal(true);
        expect(elapsed).to.be.below(8000);
        console.log(`      (StoreUnavailableError after ${elapsed} ms with the emulator frozen)`);
      } finally {
        down.thaw();
      }
      expect((await store.get('GoogleToken', 'sub'))?.data).to.be.an('object');
      await store.close();
    });

    it('every operation fails with StoreUnavailableError within a few seconds, and the same store recovers on restart', async function () {
      this.timeout(60_000);
      store = await connectTo(down, { collectionPrefix: 'outage_' });
      await store.put('Grant', 'g', rec({ grantId: 'g' }));
      await store.ping();
      await down.stop({ keepClients: true });

      const t0 = Date.now();
      const ops: Record<string, () => Promise<unknown>> = {
        ping: () => store.ping(),
        get: () => store.get('Grant', 'g'),
        put: () => store.put('Grant', 'g2', rec()),
        delete: () => store.delete('Grant', 'g'),
        findBy: () => store.findBy('Session', 'uid', 'u'),
        consume: () => store.consume('AuthorizationCode', 'c', Date.now()),
        update: () => store.update('GoogleToken', 'sub', (cur) => cur),
        deleteByGrantId: () => store.deleteByGrantId('g'),
        list: () => store.list('Grant', { field: 'accountId', value: 'a' }),
        purgeExpired: () => store.purgeExpired(Date.now()),
      };
      const outcomes = await Promise.all(
        Object.entries(ops).map(async ([name, op]) => {
          try {
            await op();
            return { name, err: undefined as unknown, ms: Date.now() - t0 };
          } catch (err) {
            return { name, err, ms: Date.now() - t0 };
          }
        }),
      );
      for (const o of outcomes) {
        expect(o.err, o.name).to.be.instanceOf(StoreUnavailableError);
        expect(o.ms, o.name).to.be.below(8000);
      }
      const slowest = Math.max(...outcomes.map((o) => o.ms));
      console.log(`      (StoreUnavailableError after ${slowest} ms with the emulator stopped)`);

      await down.restart();
      const t1 = Date.now();
      let recovered = false;
      for (let i = 0; i < 30 && !recovered; i++) {
        try {
          await store.ping();
          recovered = true;
        } catch (err) {
          expect(err).to.be.instanceOf(StoreUnavailableError);
        }
      }
      expect(recovered, 'store answers again after the emulator restarted').to.equal(true);
      console.log(`      (recovered ${Date.now() - t1} ms after the emulator answered again)`);
      await store.put('Grant', 'after', rec());
      expect(await store.get('Grant', 'after')).to.not.equal(undefined);
    });
  });
});
