/**
 * The storage port's contract, run against every implementation: the memory store and the Firestore
 * store on the official emulator (started here on a free loopback port; the suite fails with install
 * instructions when Java or the emulator is missing). For Firestore, a second store on a separate client
 * plays a second server instance: consume-once and updates race across the two.
 */
import { expect } from 'chai';
import { createAdapterFactory } from '../../src/oauth/adapter.js';
import { hashValue } from '../../src/security/keys.js';
import { FirestoreStore } from '../../src/storage/firestore.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { GRANT_BOUND_KINDS, KINDS, type Kind, type Store, type StoredRecord } from '../../src/storage/port.js';
import { startFirestoreEmulator, type FirestoreEmulator } from '../../standins/firestore-emulator.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const nowS = () => Math.floor(Date.now() / 1000);

/** JSON semantics: what a payload means once stored (undefined properties disappear). */
const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Realistic payloads, shaped like oidc-provider 9's models and our own records. */
function fixtures(): Record<Kind, { key: string; record: StoredRecord }> {
  const iat = nowS();
  const accountId = '109876543210987654321';
  const clientId = 'https://claude.ai/oauth/mcp-oauth-client-metadata';
  const grantId = 'Qx7a9-grant_Id';
  return {
    Client: {
      key: clientId,
      record: {
        data: {
          client_id: clientId,
          client_id_issued_at: iat,
          client_name: 'Claude',
          client_secret: `sha256:${hashValue('secret')}`,
          redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'http://127.0.0.1:33418/callback'],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
          scope: 'openid email https://www.googleapis.com/auth/contacts',
          contacts: [],
          jwks: {
            keys: [
              {
                kty: 'EC',
                crv: 'P-256',
                x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
                y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
                use: 'sig',
              },
            ],
          },
          logo_uri: undefined,
          'urn:example:extension': { nested: { deeper: [1, 2.5, 'three', null, true] } },
        },
        expiresAt: Date.now() + 30 * DAY,
        clientId,
      },
    },
    Session: {
      key: hashValue('session-id-value'),
      record: {
        data: {
          iat,
          exp: iat + 14 * 86400,
          uid: 'session-uid-value',
          kind: 'Session',
          accountId,
          loginTs: iat,
          amr: ['pwd'],
          acr: undefined,
          authorizations: {
            [clientId]: { sid: 'sid-1', grantId, persistsLogout: undefined },
            'mcp_other-client': { sid: 'sid-2', grantId: 'other-grant' },
          },
          transient: undefined,
        },
        expiresAt: Date.now() + 14 * DAY,
        uid: hashValue('session-uid-value'),
        accountId,
      },
    },
    Interaction: {
      key: hashValue('interaction-id'),
      record: {
        data: {
          iat,
          exp: iat + 3600,
          kind: 'Interaction',
          uid: 'interaction-uid',
          returnTo: 'https://mcp.example.com/auth/interaction-id',
          cid: 'cookie-id',
          trusted: [],
          params: {
            client_id: clientId,
            redirect_uri: 'https://claude.ai/api/mcp/auth_callback',
            response_type: 'code',
            scope: 'openid email',
            state: 'st@te/with?chars',
            code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
            code_challenge_method: 'S256',
            resource: ['https://mcp.example.com/mcp'],
          },
          prompt: { name: 'login', reasons: ['no_session'], details: {} },
          result: { login: { accountId, remember: true }, consent: { grantId } },
          lastSubmission: undefined,
          session: undefined,
        },
        expiresAt: Date.now() + HOUR,
        uid: hashValue('interaction-uid'),
      },
    },
    Grant: {
      key: grantId,
      record: {
        data: {
          iat,
          exp: iat + 90 * 86400,
          kind: 'Grant',
          jti: grantId,
          accountId,
          clientId,
          openid: { scope: 'openid email', claims: ['sub', 'email'] },
          resources: { 'https://mcp.example.com/mcp': 'https://www.googleapis.com/auth/contacts' },
          rejected: undefined,
        },
        expiresAt: Date.now() + 90 * DAY,
        accountId,
        clientId,
      },
    },
    AuthorizationCode: {
      key: hashValue('authorization-code'),
      record: {
        data: {
          iat,
          exp: iat + 600,
          kind: 'AuthorizationCode',
          accountId,
          clientId,
          grantId,
          authTime: iat,
          redirectUri: 'https://claude.ai/api/mcp/auth_callback',
          scope: 'openid email',
          resource: 'https://mcp.example.com/mcp',
          codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          codeChallengeMethod: 'S256',
          sessionUid: 'session-uid-value',
          expiresWithSession: true,
          claims: { id_token: { email: null } },
          nonce: undefined,
          dpopJkt: undefined,
        },
        expiresAt: Date.now() + 10 * 60_000,
        grantId,
        accountId,
        clientId,
      },
    },
    RefreshToken: {
      key: hashValue('refresh-token'),
      record: {
        data: {
          iat,
          exp: iat + 90 * 86400,
          kind: 'RefreshToken',
          accountId,
          clientId,
          grantId,
          gty: 'authorization_code',
          scope: 'openid email',
          resource: 'https://mcp.example.com/mcp',
          sid: 'sid-1',
          sessionUid: 'session-uid-value',
          expiresWithSession: false,
          rotations: 3,
          iiat: iat - 7200,
          rar: [{ type: 'contacts', actions: ['read', 'write'] }],
        },
        expiresAt: Date.now() + 90 * DAY,
        grantId,
        accountId,
        clientId,
      },
    },
    ReplayDetection: {
      key: hashValue('dpop-proof-jti'),
      record: { data: { iat, exp: iat + 120, kind: 'ReplayDetection' }, expiresAt: Date.now() + 120_000 },
    },
    PushedAuthorizationRequest: {
      key: hashValue('urn:ietf:params:oauth:request_uri:abc'),
      record: {
        data: {
          iat,
          exp: iat + 60,
          kind: 'PushedAuthorizationRequest',
          request: 'eyJhbGciOiJub25lIn0.eyJjbGllbnRfaWQiOiJhIn0.',
          dpopJkt: undefined,
          trusted: true,
        },
        expiresAt: Date.now() + 60_000,
        clientId,
      },
    },
    Consent: {
      key: hashValue(`${accountId}\n${clientId}`),
      record: { data: { accountId, clientId, at: Date.now() }, expiresAt: Date.now() + 90 * DAY, accountId, clientId },
    },
    GoogleToken: {
      key: accountId,
      record: {
        data: {
          sealed: 'v1.' + 'A'.repeat(300),
          email: 'ada@example.com',
          name: 'Ada Lovelace',
          hd: null,
          hasRefreshToken: true,
          tokenExpiresAt: Date.now() + HOUR,
          leaseUntil: 0,
          leaseId: null,
        },
        expiresAt: Date.now() + 90 * DAY,
        accountId,
      },
    },
    GoogleLoginState: {
      key: hashValue('google-state'),
      record: { data: { sealed: 'v1.' + 'B'.repeat(200) }, expiresAt: Date.now() + 10 * 60_000 },
    },
    Trash: {
      key: 'Zk3qP0xV9mT2bL7cR4sW1a',
      record: {
        data: { sealed: 'v1.' + 'C'.repeat(400), reason: 'merge', deletedAt: Date.now() },
        expiresAt: Date.now() + 30 * DAY,
        accountId,
      },
    },
    CimdDocument: {
      key: 'https://app.example.com/.well-known/client.json?v=2&lang=en#frag',
      record: {
        data: {
          document: {
            client_id: 'https://app.example.com/.well-known/client.json?v=2&lang=en#frag',
            client_name: 'Example App',
            redirect_uris: ['https://app.example.com/callback'],
            token_endpoint_auth_method: 'none',
            // Untrusted documents may hold what Firestore maps cannot: arrays in arrays, odd keys.
            x_matrix: [
              [1, 2],
              [3, 4],
            ],
            '': 'empty key',
            __reserved__: 'dunder key',
            'dotted.key/with:chars': ['a', undefined, 'b'],
          },
          fetchedAt: Date.now(),
          etag: 'W/"abc"',
        },
        expiresAt: Date.now() + HOUR,
        clientId: 'https://app.example.com/.well-known/client.json?v=2&lang=en#frag',
      },
    },
  };
}

function rec(overrides: Partial<StoredRecord> = {}): StoredRecord {
  return { data: { v: 1 }, expiresAt: Date.now() + HOUR, ...overrides };
}

interface Backend {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A fresh, empty store and a peer (another "instance" on the same data). */
  fresh(): Promise<{ store: Store; peer: Store }>;
}

const memoryBackend: Backend = {
  name: 'MemoryStore',
  async setup() {},
  async teardown() {},
  async fresh() {
    const store = new MemoryStore();
    return { store, peer: store };
  },
};

function firestoreBackend(): Backend {
  let emu: FirestoreEmulator | undefined;
  let n = 0;
  return {
    name: 'FirestoreStore (emulator)',
    async setup() {
      emu = await startFirestoreEmulator();
    },
    async teardown() {
      await emu?.stop();
    },
    async fresh() {
      if (!emu) throw new Error('emulator not started');
      // A fresh collection prefix per test isolates tests without clearing the emulator.
      const collectionPrefix = `t${++n}_`;
      const store = await FirestoreStore.connect({ firestore: emu.client(), collectionPrefix });
      const peer = await FirestoreStore.connect({ firestore: emu.client(), collectionPrefix });
      return { store, peer };
    },
  };
}

for (const backend of [memoryBackend, firestoreBackend()]) {
  describe(`storage contract: ${backend.name}`, function () {
    this.timeout(30_000);
    let store: Store;
    let peer: Store;

    before(async function () {
      this.timeout(60_000);
      await backend.setup();
    });
    after(async () => {
      await backend.teardown();
    });
    beforeEach(async () => {
      ({ store, peer } = await backend.fresh());
    });

    it('has a fixture for every kind', () => {
      expect(Object.keys(fixtures()).sort()).to.deep.equal(Object.keys(KINDS).sort());
    });

    it('round-trips every kind with a realistic payload, seen alike by another instance', async () => {
      const all = fixtures();
      await Promise.all(Object.entries(all).map(([kind, f]) => store.put(kind as Kind, f.key, f.record)));
      for (const [kind, f] of Object.entries(all)) {
        for (const reader of [store, peer]) {
          const got = await reader.get(kind as Kind, f.key);
          expect(got, kind).to.not.equal(undefined);
          expect(json(got!.data), kind).to.deep.equal(json(f.record.data));
          expect(got!.expiresAt, kind).to.equal(f.record.expiresAt);
          expect(got!.consumedAt, kind).to.equal(undefined);
          expect(got!.updatedAt, kind).to.be.a('number');
          for (const field of ['grantId', 'uid', 'userCode', 'accountId', 'clientId'] as const) {
            expect(got![field], `${kind}.${field}`).to.equal(f.record[field]);
          }
        }
      }
    });

    it('keeps kinds apart: one key in two kinds is two records', async () => {
      await store.put('Grant', 'same', rec({ data: { which: 'grant' } }));
      await store.put('Client', 'same', rec({ data: { which: 'client' } }));
      expect((await store.get('Grant', 'same'))!.data).to.deep.equal({ which: 'grant' });
      expect((await store.get('Client', 'same'))!.data).to.deep.equal({ which: 'client' });
      await store.delete('Grant', 'same');
      expect(await store.get('Grant', 'same')).to.equal(undefined);
      expect(await store.get('Client', 'same')).to.not.equal(undefined);
    });

    it("round-trips keys with '/', ':', URL and other characters, and returns them from list() and findBy()", async () => {
      const keys = [
        'https://app.example.com/client.json?x=1&y=%2F#f',
        'a/b/c',
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        '.',
        '..',
        '__name__',
        'b64_aGVsbG8',
        'with space',
        'ünïcødé-✓',
        'x'.repeat(600),
        hashValue('plain'),
      ];
      await Promise.all(
        keys.map((k, i) => store.put('Client', k, rec({ data: { i }, clientId: `c${i}`, uid: `u${i}` }))),
      );
      for (const [i, k] of keys.entries()) {
        expect((await peer.get('Client', k))?.data, k).to.deep.equal({ i });
        expect((await store.findBy('Client', 'uid', `u${i}`))?.key).to.equal(k);
      }
      expect((await store.list('Client')).map((r) => r.key).sort()).to.deep.equal([...keys].sort());
      expect((await store.list('Client', { field: 'clientId', value: 'c1' })).map((r) => r.key)).to.deep.equal([
        'a/b/c',
      ]);
      await store.delete('Client', 'a/b/c');
      expect(await store.get('Client', 'a/b/c')).to.equal(undefined);
      expect(await store.get('Client', 'b64_aGVsbG8')).to.not.equal(undefined);
    });

    it('put replaces the whole record (no stale consumedAt or index fields)', async () => {
      await store.put('AuthorizationCode', 'k', rec({ data: { a: 1, b: 2 }, grantId: 'g', consumedAt: Date.now() }));
      await store.put('AuthorizationCode', 'k', rec({ data: { a: 3 } }));
      const got = (await store.get('AuthorizationCode', 'k'))!;
      expect(got.data).to.deep.equal({ a: 3 });
      expect(got.consumedAt).to.equal(undefined);
      expect(got.grantId).to.equal(undefined);
      expect(await store.deleteByGrantId('g')).to.equal(0);
    });

    it('treats an expired record as absent on every read', async () => {
      const past = rec({
        expiresAt: Date.now() - 1000,
        uid: 'u-exp',
        userCode: 'uc-exp',
        accountId: 'acc',
        grantId: 'g-exp',
      });
      await store.put('Session', 'expired', past);
      await store.put('AuthorizationCode', 'expired', past);
      await store.put('Grant', 'expired', past);
      expect(await store.get('Session', 'expired')).to.equal(undefined);
      expect(await store.findBy('Session', 'uid', 'u-exp')).to.equal(undefined);
      expect(await store.findBy('Session', 'userCode', 'uc-exp')).to.equal(undefined);
      expect(await store.list('Grant')).to.deep.equal([]);
      expect(await store.list('Grant', { field: 'accountId', value: 'acc' })).to.deep.equal([]);
      expect(await store.consume('AuthorizationCode', 'expired', Date.now())).to.deep.equal({ consumedNow: false });
      let seen: unknown = 'not called';
      const result = await store.update('Grant', 'expired', (cur) => {
        seen = cur;
        return undefined;
      });
      expect(seen).to.equal(undefined);
      expect(result).to.equal(undefined);
      // An update may bring an expired key back to life with a new record.
      await store.update('Grant', 'expired', () => rec({ data: { revived: true } }));
      expect((await store.get('Grant', 'expired'))!.data).to.deep.equal({ revived: true });
    });

    it('consume: the first call consumes, later calls see the consumed record, a missing record is not consumed', async () => {
      const t1 = Date.now();
      await store.put('AuthorizationCode', 'code', rec({ data: { c: 1 }, grantId: 'g' }));
      const first = await store.consume('AuthorizationCode', 'code', t1);
      expect(first.consumedNow).to.equal(true);
      expect(first.record!.data).to.deep.equal({ c: 1 });
      expect(first.record!.consumedAt).to.equal(undefined);
      const second = await peer.consume('AuthorizationCode', 'code', t1 + 5);
      expect(second.consumedNow).to.equal(false);
      expect(second.record!.consumedAt).to.equal(t1);
      expect(second.record!.grantId).to.equal('g');
      expect((await store.get('AuthorizationCode', 'code'))!.consumedAt).to.equal(t1);
      expect(await store.consume('AuthorizationCode', 'missing', t1)).to.deep.equal({ consumedNow: false });
    });

    it('consume is exactly-once under 20 parallel callers on two instances', async () => {
      await store.put('AuthorizationCode', 'race', rec({ data: { c: 'race' }, grantId: 'g' }));
      const now = Date.now();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? peer : store).consume('AuthorizationCode', 'race', now + i)),
      );
      const winners = results.filter((r) => r.consumedNow);
      expect(winners).to.have.length(1);
      const winnerAt = now + results.indexOf(winners[0]!);
      for (const r of results.filter((x) => !x.consumedNow)) {
        expect(r.record?.data).to.deep.equal({ c: 'race' });
        expect(r.record?.consumedAt).to.equal(winnerAt);
      }
      expect((await store.get('AuthorizationCode', 'race'))!.consumedAt).to.equal(winnerAt);
    });

    it('update: fn sees the current record; undefined keeps it, null deletes it, a record replaces it', async () => {
      let seen: StoredRecord | undefined | 'not called' = 'not called';
      expect(
        await store.update('GoogleToken', 'sub', (cur) => {
          seen = cur;
          return undefined;
        }),
      ).to.equal(undefined);
      expect(seen).to.equal(undefined);
      expect(await store.get('GoogleToken', 'sub')).to.equal(undefined);

      const created = await store.update('GoogleToken', 'sub', () => rec({ data: { n: 1 }, accountId: 'sub' }));
      expect(created!.data).to.deep.equal({ n: 1 });
      const kept = await peer.update('GoogleToken', 'sub', (cur) => {
        seen = cur;
        return undefined;
      });
      expect(json(kept!.data)).to.deep.equal({ n: 1 });
      expect((seen as unknown as StoredRecord).accountId).to.equal('sub');

      const replaced = await peer.update('GoogleToken', 'sub', (cur) => ({
        data: { n: Number(cur!.data.n) + 1 },
        expiresAt: cur!.expiresAt + 1000,
      }));
      expect(replaced!.data).to.deep.equal({ n: 2 });
      const after = (await store.get('GoogleToken', 'sub'))!;
      expect(after.data).to.deep.equal({ n: 2 });
      expect(after.accountId).to.equal(undefined);
      expect(after.expiresAt).to.equal(created!.expiresAt + 1000);

      expect(await store.update('GoogleToken', 'sub', () => null)).to.equal(undefined);
      expect(await store.get('GoogleToken', 'sub')).to.equal(undefined);
      expect(await store.update('GoogleToken', 'never-existed', () => null)).to.equal(undefined);
    });

    it('update loses no write under contention: 20 parallel increments on two instances end at 20', async () => {
      await store.put('Grant', 'counter', rec({ data: { n: 0 } }));
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? peer : store).update('Grant', 'counter', (cur) => ({
            ...cur!,
            data: { n: Number(cur!.data.n) + 1 },
          })),
        ),
      );
      expect((await store.get('Grant', 'counter'))!.data).to.deep.equal({ n: 20 });
    });

    it("deleteByGrantId removes only that grant's records of the given kinds", async () => {
      for (const kind of ['AuthorizationCode', 'RefreshToken', 'Session'] as Kind[]) {
        await store.put(kind, `${kind}-g1-a`, rec({ grantId: 'g1' }));
        await store.put(kind, `${kind}-g1-b`, rec({ grantId: 'g1', expiresAt: Date.now() - 1000 }));
        await store.put(kind, `${kind}-g2`, rec({ grantId: 'g2' }));
      }
      await store.put('Grant', 'g1', rec());
      expect(await peer.deleteByGrantId('g1')).to.equal(4);
      for (const kind of GRANT_BOUND_KINDS) {
        expect(await store.get(kind, `${kind}-g1-a`)).to.equal(undefined);
        expect((await store.list(kind)).map((r) => r.key)).to.deep.equal([`${kind}-g2`]);
      }
      expect(await store.get('Session', 'Session-g1-a')).to.not.equal(undefined);
      expect(await store.get('Grant', 'g1')).to.not.equal(undefined);
      expect(await store.deleteByGrantId('g1', ['Session'])).to.equal(2);
      expect(await store.get('Session', 'Session-g1-a')).to.equal(undefined);
      expect(await store.get('Session', 'Session-g2')).to.not.equal(undefined);
      expect(await store.deleteByGrantId('nope')).to.equal(0);
    });

    it('findBy returns the live record and ignores expired ones with the same value', async () => {
      await store.put('Session', 'old', rec({ uid: 'same-uid', expiresAt: Date.now() - 1000, data: { old: true } }));
      await store.put('Session', 'new', rec({ uid: 'same-uid', data: { old: false } }));
      await store.put('Interaction', 'i', rec({ userCode: 'CODE-1234' }));
      const hit = await peer.findBy('Session', 'uid', 'same-uid');
      expect(hit?.key).to.equal('new');
      expect(hit?.record.data).to.deep.equal({ old: false });
      expect((await store.findBy('Interaction', 'userCode', 'CODE-1234'))?.key).to.equal('i');
      expect(await store.findBy('Session', 'uid', 'nobody')).to.equal(undefined);
      expect(await store.findBy('Interaction', 'uid', 'CODE-1234')).to.equal(undefined);
    });

    it('list returns the live records of a kind, optionally filtered by an index field', async () => {
      await store.put('Grant', 'a1-1', rec({ accountId: 'a1', clientId: 'c1' }));
      await store.put('Grant', 'a1-2', rec({ accountId: 'a1', clientId: 'c2' }));
      await store.put('Grant', 'a1-old', rec({ accountId: 'a1', expiresAt: Date.now() - 1 }));
      await store.put('Grant', 'a2-1', rec({ accountId: 'a2', clientId: 'c1' }));
      await store.put('Consent', 'a1-consent', rec({ accountId: 'a1' }));
      const keys = async (l: Promise<Array<{ key: string }>>) => (await l).map((r) => r.key).sort();
      expect(await keys(store.list('Grant', { field: 'accountId', value: 'a1' }))).to.deep.equal(['a1-1', 'a1-2']);
      expect(await keys(peer.list('Grant', { field: 'clientId', value: 'c1' }))).to.deep.equal(['a1-1', 'a2-1']);
      expect(await keys(store.list('Grant'))).to.deep.equal(['a1-1', 'a1-2', 'a2-1']);
      expect(await keys(store.list('Consent', { field: 'accountId', value: 'a2' }))).to.deep.equal([]);
      const one = (await store.list('Grant', { field: 'accountId', value: 'a2' }))[0]!;
      expect(one.record.accountId).to.equal('a2');
      expect(one.record.data).to.deep.equal({ v: 1 });
    });

    it('purgeExpired deletes expired records of every kind and returns how many', async () => {
      const now = Date.now();
      await store.put('AuthorizationCode', 'e1', rec({ expiresAt: now - 10 }));
      await store.put('Session', 'e2', rec({ expiresAt: now - 10 }));
      await store.put('CimdDocument', 'https://x.example/e3', rec({ expiresAt: now }));
      await store.put('Session', 'live', rec({ expiresAt: now + HOUR }));
      await store.put('Grant', 'live', rec({ expiresAt: now + HOUR }));
      expect(await peer.purgeExpired(now)).to.equal(3);
      expect(await store.purgeExpired(now)).to.equal(0);
      expect(await store.get('Session', 'live')).to.not.equal(undefined);
      expect(await store.get('Grant', 'live')).to.not.equal(undefined);
      // Records that expire later are purged later, not before.
      expect(await store.purgeExpired(now + 2 * HOUR)).to.equal(2);
    });

    describe('oidc-provider adapter over this store (two instances)', () => {
      const policy = { refreshGraceSeconds: 60, grantTtlSeconds: 90 * 86400, clientIdleTtlSeconds: 30 * 86400 };

      it('an authorization code redeemed on two instances at once: one wins, the replay revokes the grant', async () => {
        let replays = 0;
        const A = createAdapterFactory(store, { ...policy, onReplay: () => replays++ });
        const B = createAdapterFactory(peer, { ...policy, onReplay: () => replays++ });
        const iat = nowS();
        await new A('Grant').upsert(
          'grant-1',
          { kind: 'Grant', accountId: 'acc', clientId: 'cl', iat, exp: iat + 600 },
          600,
        );
        await new A('AuthorizationCode').upsert(
          'the-code',
          { kind: 'AuthorizationCode', grantId: 'grant-1', clientId: 'cl', accountId: 'acc', iat, exp: iat + 600 },
          600,
        );
        await new A('RefreshToken').upsert(
          'older-rt',
          { kind: 'RefreshToken', grantId: 'grant-1', clientId: 'cl', accountId: 'acc', iat, exp: iat + 600 },
          600,
        );
        // (With more racers, a late one may find the code already deleted by the revocation: the store-level
        // race above covers many callers; here the adapter's reaction to the loser.)
        const outcomes = await Promise.allSettled([
          new A('AuthorizationCode').consume('the-code'),
          new B('AuthorizationCode').consume('the-code'),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).to.have.length(1);
        const failed = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect((failed.reason as { error?: string }).error).to.equal('invalid_grant');
        expect(replays).to.equal(1);
        expect(await new B('Grant').find('grant-1')).to.equal(undefined);
        expect(await new B('RefreshToken').find('older-rt')).to.equal(undefined);
        // Codes are stored under their hash, never the raw value.
        expect(await store.get('AuthorizationCode', 'the-code')).to.equal(undefined);
      });

      it('a refresh token used on two instances at once stays valid (grace window); reuse after the window revokes the grant', async () => {
        let clock = Date.now();
        const A = createAdapterFactory(store, { ...policy, now: () => clock });
        const B = createAdapterFactory(peer, { ...policy, now: () => clock });
        const iat = nowS();
        await new A('Grant').upsert(
          'grant-2',
          { kind: 'Grant', accountId: 'acc', clientId: 'cl', iat, exp: iat + 86400 },
          86400,
        );
        await new A('RefreshToken').upsert(
          'rt-1',
          { kind: 'RefreshToken', grantId: 'grant-2', clientId: 'cl', accountId: 'acc', iat, exp: iat + 86400 },
          86400,
        );
        await Promise.all([new A('RefreshToken').consume('rt-1'), new B('RefreshToken').consume('rt-1')]);
        expect((await new B('RefreshToken').find('rt-1'))?.consumed).to.equal(undefined);
        clock += 61_000;
        expect((await new A('RefreshToken').find('rt-1'))?.consumed).to.be.a('number');
        let err: unknown;
        try {
          await new B('RefreshToken').consume('rt-1');
        } catch (e) {
          err = e;
        }
        expect((err as { error?: string }).error).to.equal('invalid_grant');
        expect(await new A('Grant').find('grant-2')).to.equal(undefined);
        expect(await new A('RefreshToken').find('rt-1')).to.equal(undefined);
      });
    });
  });
}
