/**
 * oidc-provider's storage adapter over our storage port. Policy that belongs to storage lives here:
 * - bearer values (codes, refresh tokens, session and interaction ids) are stored under their SHA-256 hash,
 *   and the raw value is never written (a leaked store yields no usable token);
 * - client secrets are stored hashed (compared by `compareClientSecret` in provider.ts);
 * - single-use records are consumed atomically: a replayed authorization code revokes its grant;
 * - a refresh token consumed less than `graceSeconds` ago still reads as unconsumed, so a client that
 *   refreshes twice concurrently (Claude does) is not logged out; after the window reuse revokes the grant;
 * - grants and clients slide: each refresh pushes their expiry out (at most one write a day each).
 * The store only knows record kinds; which oidc-provider model is kept as which kind, and how each is
 * read, is decided here (MODEL_KINDS, READ_THEN_CONSUMED).
 */
import { hashValue } from '../security/keys.js';
import type { Kind, Store, StoredRecord } from '../storage/port.js';

type Payload = Record<string, unknown> & {
  jti?: string;
  uid?: string;
  userCode?: string;
  grantId?: string;
  accountId?: string;
  clientId?: string;
  client_id?: string;
  client_secret?: string;
  consumed?: number;
};

export interface AdapterPolicy {
  /** Refresh-token reuse grace window (RFC 9700 §4.14.2 allows tolerating concurrent use). */
  refreshGraceSeconds: number;
  /** Lifetime of a grant and of a refresh token, renewed on each refresh. */
  grantTtlSeconds: number;
  /** Lifetime of a registered client that is not used. */
  clientIdleTtlSeconds: number;
  /** Builds oidc-provider's invalid_grant error (the library is loaded lazily, so it is passed in). */
  invalidGrant?: (message: string) => Error;
  /** Called when a replayed single-use record revokes a grant (for audit logs). */
  onReplay?: (kind: Kind, grantId: string | undefined) => void;
  now?: () => number;
}

/** The record kind each persisted oidc-provider model is kept as. */
const MODEL_KINDS: Readonly<Record<string, Kind>> = {
  Client: 'Client',
  Session: 'Session',
  Interaction: 'Interaction',
  Grant: 'Grant',
  AuthorizationCode: 'AuthorizationCode',
  RefreshToken: 'RefreshToken',
  ReplayDetection: 'ReplayDetection',
  PushedAuthorizationRequest: 'PushedAuthorizationRequest',
};
/**
 * Single-use models oidc-provider reads and then consumes in the same request (the token endpoint finds
 * the code or refresh token, checks it, then consumes it): the store may reuse that read for the consume.
 */
const READ_THEN_CONSUMED = new Set<Kind>(['AuthorizationCode', 'RefreshToken']);
const HASHED_KINDS = new Set<Kind>([
  'AuthorizationCode',
  'RefreshToken',
  'Session',
  'Interaction',
  'PushedAuthorizationRequest',
  'ReplayDetection',
]);
/** Models we never persist (JWT access tokens are self-contained; features we do not enable). */
const EPHEMERAL_MODELS = new Set(['AccessToken', 'ClientCredentials', 'RegistrationAccessToken', 'InitialAccessToken']);
const DAY = 24 * 3600;

/**
 * Registered clients never change after registration (registration management is off), so each instance
 * keeps them for a few minutes: the authorization and token endpoints look the client up on every request.
 */
const CLIENT_CACHE_MS = 5 * 60_000;

/** Shared between adapter instances of one provider: the expiries seen recently, to avoid rewrites. */
const recentExpiry = new Map<string, number>();
function remember(key: string, expiresAt: number) {
  if (recentExpiry.size > 10_000) recentExpiry.clear();
  recentExpiry.set(key, expiresAt);
}

export function createAdapterFactory(store: Store, policy: AdapterPolicy) {
  const now = policy.now ?? Date.now;
  const clientCache = new Map<string, { record: StoredRecord; cachedAt: number }>();
  const invalidGrant = (message: string): Error =>
    policy.invalidGrant
      ? policy.invalidGrant(message)
      : Object.assign(new Error(message), { error: 'invalid_grant', status: 400 });

  class StoreAdapter {
    private readonly kind: Kind | undefined;

    constructor(readonly name: string) {
      this.kind = Object.hasOwn(MODEL_KINDS, name) ? MODEL_KINDS[name] : undefined;
      if (!this.kind && !EPHEMERAL_MODELS.has(name)) {
        throw new Error(`oidc-provider model ${name} has no storage kind`);
      }
    }

    private key(id: string): string {
      return this.kind && HASHED_KINDS.has(this.kind) ? hashValue(id) : id;
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      if (!this.kind) return;
      const data: Payload = { ...payload };
      // The raw bearer value is the key; never store it.
      if (HASHED_KINDS.has(this.kind)) delete data.jti;
      if (
        this.kind === 'Client' &&
        typeof data.client_secret === 'string' &&
        !data.client_secret.startsWith('sha256:')
      ) {
        data.client_secret = `sha256:${hashValue(data.client_secret)}`;
      }
      let ttl = expiresIn;
      if (this.kind === 'Client') ttl = policy.clientIdleTtlSeconds;
      const record: StoredRecord = {
        data,
        expiresAt: now() + (ttl ?? policy.grantTtlSeconds) * 1000,
        ...(data.grantId ? { grantId: data.grantId } : {}),
        ...(data.uid ? { uid: hashValue(data.uid) } : {}),
        ...(data.userCode ? { userCode: hashValue(data.userCode) } : {}),
        ...(data.accountId ? { accountId: data.accountId } : {}),
        ...(data.clientId || data.client_id ? { clientId: (data.clientId ?? data.client_id) as string } : {}),
      };
      await store.put(this.kind, this.key(id), record);
      if (this.kind === 'Client') clientCache.set(id, { record, cachedAt: now() });
      if (this.kind === 'RefreshToken') await this.slide(data);
    }

    /** A refresh keeps the grant and client alive: extend them when less than a day of slack was used. */
    private async slide(data: Payload): Promise<void> {
      const grantId = data.grantId;
      const clientId = data.clientId;
      const targets: Array<[Kind, string | undefined, number]> = [
        ['Grant', grantId, policy.grantTtlSeconds],
        ['Client', clientId, policy.clientIdleTtlSeconds],
      ];
      await Promise.all(
        targets.map(async ([kind, key, ttl]) => {
          if (!key) return;
          const wanted = now() + ttl * 1000;
          const seen = recentExpiry.get(`${kind}:${key}`);
          if (seen !== undefined && wanted - seen < DAY * 1000) return;
          const updated = await store.update(kind, key, (cur) => {
            if (!cur || wanted - cur.expiresAt < DAY * 1000) return undefined;
            return {
              ...cur,
              expiresAt: wanted,
              data: kind === 'Grant' ? { ...cur.data, exp: Math.floor(wanted / 1000) } : cur.data,
            };
          });
          if (updated) remember(`${kind}:${key}`, updated.expiresAt);
        }),
      );
    }

    private present(id: string, record: StoredRecord | undefined): Payload | undefined {
      if (!record || !this.kind) return undefined;
      const data: Payload = { ...record.data };
      if (HASHED_KINDS.has(this.kind)) data.jti = id;
      if (record.consumedAt !== undefined) {
        const withinGrace =
          this.kind === 'RefreshToken' && now() - record.consumedAt < policy.refreshGraceSeconds * 1000;
        if (!withinGrace) data.consumed = Math.floor(record.consumedAt / 1000);
      }
      if (this.kind === 'Grant' || this.kind === 'Client') remember(`${this.kind}:${id}`, record.expiresAt);
      return data;
    }

    async find(id: string): Promise<Payload | undefined> {
      if (!this.kind || typeof id !== 'string' || id.length === 0 || id.length > 512) return undefined;
      if (this.kind === 'Client') {
        const hit = clientCache.get(id);
        if (hit && now() - hit.cachedAt < CLIENT_CACHE_MS && hit.record.expiresAt > now())
          return this.present(id, hit.record);
      }
      const record = await store.get(this.kind, this.key(id), { consumeNext: READ_THEN_CONSUMED.has(this.kind) });
      if (this.kind === 'Client' && record) {
        if (clientCache.size > 5_000) clientCache.clear();
        clientCache.set(id, { record, cachedAt: now() });
      }
      return this.present(id, record);
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      if (!this.kind) return undefined;
      const hit = await store.findBy(this.kind, 'uid', hashValue(uid));
      return hit ? { ...hit.record.data } : undefined;
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      if (!this.kind) return undefined;
      const hit = await store.findBy(this.kind, 'userCode', hashValue(userCode));
      return hit ? { ...hit.record.data } : undefined;
    }

    async consume(id: string): Promise<void> {
      if (!this.kind) return;
      const result = await store.consume(this.kind, this.key(id), now());
      if (result.consumedNow) return;
      const label = this.kind === 'RefreshToken' ? 'refresh token' : 'authorization code';
      // Gone between oidc-provider's read and this consume: revoked or replayed meanwhile.
      if (!result.record) throw invalidGrant(`${label} not found`);
      const consumedAt = result.record.consumedAt ?? 0;
      if (this.kind === 'RefreshToken' && now() - consumedAt < policy.refreshGraceSeconds * 1000) return;
      // Lost a consume race (two instances redeeming one code): a replay. Revoke what it issued.
      const grantId = result.record.grantId;
      if (grantId) {
        await Promise.all([store.deleteByGrantId(grantId), store.delete('Grant', grantId)]);
      }
      policy.onReplay?.(this.kind, grantId);
      const message = `${label} already used`;
      throw invalidGrant(message);
    }

    async destroy(id: string): Promise<void> {
      if (!this.kind) return;
      if (this.kind === 'Client') clientCache.delete(id);
      await store.delete(this.kind, this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      if (!this.kind || (this.kind !== 'RefreshToken' && this.kind !== 'AuthorizationCode')) return;
      await store.deleteByGrantId(grantId, [this.kind]);
    }
  }

  return StoreAdapter;
}
