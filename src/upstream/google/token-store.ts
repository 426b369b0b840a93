/**
 * The user's Google tokens, kept server-side and encrypted (AES-256-GCM, key derived from
 * ACCESS_TOKEN_SECRET, bound to the account id). One record per Google account, shared by all of that
 * user's grants. Access tokens are cached in memory so a steady stream of tool calls costs no store
 * reads; refreshes are single-flight per user in this process and lease-guarded across instances, and a
 * fresher token is never overwritten by an older one.
 */
import type { KeyRing } from '../../security/keys.js';
import type { Store, StoredRecord } from '../../storage/port.js';
import type { GoogleAccessTokens } from './access-tokens.js';
import { GoogleReauthRequired, GoogleUnavailable, type GoogleOAuth, type GoogleTokens } from './oauth.js';
import { grantedScopes, missingScopes } from './scopes.js';

export interface GoogleAccountProfile {
  email: string;
  name?: string;
  hd?: string;
}

interface SealedTokens {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
  scope?: string;
}

const REFRESH_MARGIN_MS = 120_000;
const LEASE_MS = 15_000;

export class GoogleTokenStore implements GoogleAccessTokens {
  /** scope: what Google granted with this token (granular consent), so tools can check it without a store read. */
  private readonly cache = new Map<string, { accessToken: string; expiresAt: number; scope?: string }>();
  private readonly inflight = new Map<string, Promise<string>>();
  /** accountId → email, for audit log lines (filled as records are read or written; never persisted). */
  private readonly emails = new Map<string, string>();

  /** The account's email if this instance has seen it (audit logs only; no store read). */
  knownEmail(accountId: string | undefined): string | undefined {
    return accountId ? this.emails.get(accountId) : undefined;
  }

  private rememberEmail(accountId: string, email: unknown): void {
    if (typeof email !== 'string') return;
    if (this.emails.size > 10_000) this.emails.clear();
    this.emails.set(accountId, email);
  }

  constructor(
    private readonly store: Store,
    private readonly keys: KeyRing,
    private readonly google: GoogleOAuth,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  private seal(accountId: string, t: SealedTokens): string {
    return this.keys.encrypt(JSON.stringify(t), `google_tokens/${accountId}`);
  }

  private open(accountId: string, record: StoredRecord): SealedTokens {
    return JSON.parse(this.keys.decrypt(String(record.data.sealed), `google_tokens/${accountId}`)) as SealedTokens;
  }

  /** After a Google sign-in: store the new tokens, keeping the old refresh token if Google sent none. */
  async saveFromSignIn(accountId: string, profile: GoogleAccountProfile, tokens: GoogleTokens): Promise<void> {
    const expiresAt = this.now() + this.ttlSeconds * 1000;
    await this.store.update('GoogleToken', accountId, (cur) => {
      let refreshToken = tokens.refreshToken;
      if (!refreshToken && cur) {
        try {
          refreshToken = this.open(accountId, cur).refreshToken;
        } catch {
          refreshToken = undefined;
        }
      }
      const sealed: SealedTokens = {
        accessToken: tokens.accessToken,
        refreshToken,
        expiresAt: tokens.expiresAt,
        scope: tokens.scope,
      };
      return {
        data: {
          sealed: this.seal(accountId, sealed),
          email: profile.email,
          name: profile.name ?? null,
          hd: profile.hd ?? null,
          hasRefreshToken: Boolean(refreshToken),
          tokenExpiresAt: tokens.expiresAt,
        },
        accountId,
        expiresAt,
      };
    });
    this.cache.set(accountId, { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt, scope: tokens.scope });
    this.rememberEmail(accountId, profile.email);
  }

  /**
   * Whether we hold a usable Google refresh token for the account (so a new client needs no Google round
   * trip) — and, with `covering`, one Google granted each of those scopes (granular consent: the user may
   * have unticked some). Tokens stored without Google's scope list count as covering everything.
   */
  async hasRefreshToken(accountId: string, covering: readonly string[] = []): Promise<boolean> {
    const r = await this.store.get('GoogleToken', accountId);
    if (!r?.data.hasRefreshToken) return false;
    if (covering.length === 0) return true;
    let scope: string | undefined;
    try {
      scope = this.open(accountId, r).scope;
    } catch {
      return false;
    }
    return missingScopes(grantedScopes(scope), covering).length === 0;
  }

  /**
   * The scopes Google granted for the account's current token (with what they imply), refreshing it
   * first if needed; undefined when Google never said. Costs no store read while the token is cached.
   */
  async grantedScopes(accountId: string): Promise<ReadonlySet<string> | undefined> {
    await this.accessToken(accountId);
    return grantedScopes(this.cache.get(accountId)?.scope);
  }

  async profile(accountId: string): Promise<GoogleAccountProfile | undefined> {
    const r = await this.store.get('GoogleToken', accountId);
    if (!r) return undefined;
    this.rememberEmail(accountId, r.data.email);
    return {
      email: String(r.data.email),
      name: (r.data.name as string | null) ?? undefined,
      hd: (r.data.hd as string | null) ?? undefined,
    };
  }

  /** A valid Google access token for the account, refreshing server-side when needed. */
  async accessToken(accountId: string): Promise<string> {
    const cached = this.cache.get(accountId);
    if (cached && cached.expiresAt - this.now() > REFRESH_MARGIN_MS) return cached.accessToken;
    let p = this.inflight.get(accountId);
    if (!p) {
      p = this.loadOrRefresh(accountId).finally(() => this.inflight.delete(accountId));
      this.inflight.set(accountId, p);
    }
    return p;
  }

  /** Forgets the cached access token (its record was deleted). A token Google rejected: markStale(). */
  invalidate(accountId: string): void {
    this.cache.delete(accountId);
  }

  private async loadOrRefresh(accountId: string, attempt = 0): Promise<string> {
    const record = await this.store.get('GoogleToken', accountId);
    if (!record) throw new GoogleReauthRequired('no Google tokens stored for this account');
    this.rememberEmail(accountId, record.data.email);
    const tokens = this.open(accountId, record);
    const cached = this.cache.get(accountId);
    const forceRefresh = cached !== undefined && cached.accessToken === tokens.accessToken && cached.expiresAt === 0;
    if (!forceRefresh && tokens.expiresAt - this.now() > REFRESH_MARGIN_MS) {
      this.cache.set(accountId, { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt, scope: tokens.scope });
      return tokens.accessToken;
    }
    if (!tokens.refreshToken) throw new GoogleReauthRequired('no Google refresh token stored for this account');

    // Take a short lease so only one instance refreshes; others wait and read its result.
    const leaseId = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const now = this.now();
    const leased = await this.store.update('GoogleToken', accountId, (cur) => {
      if (!cur) return undefined;
      const until = Number(cur.data.leaseUntil ?? 0);
      if (until > now && cur.data.leaseId !== leaseId) return undefined;
      return { ...cur, data: { ...cur.data, leaseUntil: now + LEASE_MS, leaseId } };
    });
    if (!leased || leased.data.leaseId !== leaseId) {
      if (attempt >= 20) throw new GoogleUnavailable('another instance is refreshing this Google token');
      await new Promise((r) => setTimeout(r, 250 + Math.random() * 250));
      return this.loadOrRefresh(accountId, attempt + 1);
    }

    let fresh: GoogleTokens;
    try {
      fresh = await this.google.refresh(tokens.refreshToken);
    } catch (err) {
      await this.store.update('GoogleToken', accountId, (cur) =>
        cur && cur.data.leaseId === leaseId
          ? { ...cur, data: { ...cur.data, leaseUntil: 0, leaseId: null } }
          : undefined,
      );
      throw err;
    }
    const merged: SealedTokens = {
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken ?? tokens.refreshToken,
      expiresAt: fresh.expiresAt,
      scope: fresh.scope ?? tokens.scope,
    };
    await this.store.update('GoogleToken', accountId, (cur) => {
      if (!cur) return undefined;
      // Never overwrite a fresher token written meanwhile (e.g. by a new sign-in).
      if (Number(cur.data.tokenExpiresAt ?? 0) > merged.expiresAt) return undefined;
      return {
        ...cur,
        data: {
          ...cur.data,
          sealed: this.seal(accountId, merged),
          tokenExpiresAt: merged.expiresAt,
          hasRefreshToken: true,
          leaseUntil: 0,
          leaseId: null,
        },
        expiresAt: Math.max(cur.expiresAt, this.now() + this.ttlSeconds * 1000),
      };
    });
    this.cache.set(accountId, { accessToken: merged.accessToken, expiresAt: merged.expiresAt, scope: merged.scope });
    return merged.accessToken;
  }

  /** Forces the next accessToken() call to refresh (Google rejected the cached token). */
  markStale(accountId: string): void {
    const c = this.cache.get(accountId);
    if (c) this.cache.set(accountId, { ...c, expiresAt: 0 });
  }

  /** Revokes the Google grant (best effort) and deletes the record. */
  async revokeAndDelete(accountId: string): Promise<boolean> {
    const record = await this.store.get('GoogleToken', accountId);
    this.cache.delete(accountId);
    if (!record) return false;
    try {
      const t = this.open(accountId, record);
      await this.google.revoke(t.refreshToken ?? t.accessToken);
    } finally {
      await this.store.delete('GoogleToken', accountId);
    }
    return true;
  }
}
