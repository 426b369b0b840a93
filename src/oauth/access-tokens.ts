/**
 * The authorization server's side of the token contract (auth/token-verifier.ts): verifies the access
 * tokens this server issued — HS256 JWTs (RFC 9068 `at+jwt`, signed with a key derived from
 * ACCESS_TOKEN_SECRET in provider.ts), for exactly one audience, the MCP URL. alg "none", other
 * algorithms, other keys, other audiences and expired tokens are all `invalid_token`.
 *
 * A token names its grant in oidc-provider's `gid` claim; a revoked grant stops its access tokens within
 * GRANT_CHECK_TTL_MS (the liveness check is cached so steady traffic costs no store reads), and at once on
 * this instance when app.ts passes the revocation on to forgetGrant.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { InvalidTokenError, type Principal, type TokenVerifier } from '../auth/token-verifier.js';
import type { Config } from '../config/config.js';
import type { KeyRing } from '../security/keys.js';
import type { Store } from '../storage/port.js';

export const GRANT_CHECK_TTL_MS = 60_000;

export class AccessTokenVerifier implements TokenVerifier {
  private readonly keys: KeyObject[];
  private readonly grantAlive = new Map<string, { alive: boolean; checkedAt: number }>();
  /** Tokens already verified on this instance (a client sends the same one for up to an hour). */
  private readonly verified = new Map<string, Principal>();

  constructor(
    private readonly config: Config,
    keyRing: KeyRing,
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = keyRing.accessTokenKeys.map((k) => createSecretKey(k));
  }

  /** Marks a grant revoked on this instance at once (other instances notice within GRANT_CHECK_TTL_MS). */
  forgetGrant(grantId: string): void {
    this.grantAlive.set(grantId, { alive: false, checkedAt: this.now() });
  }

  async verify(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    if (known && known.expiresAt * 1000 > this.now()) {
      if (known.grantId && !(await this.isGrantAlive(known.grantId)))
        throw new InvalidTokenError('grant_revoked', 'The authorization was revoked');
      return known;
    }
    const principal = await this.verifyUncached(token);
    if (this.verified.size >= 10_000) this.verified.clear();
    this.verified.set(token, principal);
    return principal;
  }

  private async verifyUncached(token: string): Promise<Principal> {
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token) || token.length > 4096)
      throw new InvalidTokenError('malformed', 'The access token is malformed');
    let payload: JWTPayload | undefined;
    let lastError: unknown;
    for (const key of this.keys) {
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: this.config.issuer,
          typ: 'at+jwt',
          currentDate: new Date(this.now()),
        }));
        break;
      } catch (err) {
        lastError = err;
        if (!(err instanceof joseErrors.JWSSignatureVerificationFailed)) break;
      }
    }
    if (!payload) {
      if (lastError instanceof joseErrors.JWTExpired)
        throw new InvalidTokenError('expired', 'The access token expired');
      if (lastError instanceof joseErrors.JWSSignatureVerificationFailed)
        throw new InvalidTokenError('bad_signature', 'The access token signature is invalid');
      throw new InvalidTokenError('malformed', 'The access token is invalid');
    }
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!aud.includes(this.config.mcpUrl))
      throw new InvalidTokenError('wrong_audience', `The access token is not for ${this.config.mcpUrl}`);
    const sub = payload.sub;
    const clientId = payload.client_id;
    if (typeof sub !== 'string' || typeof clientId !== 'string' || typeof payload.exp !== 'number')
      throw new InvalidTokenError('claims', 'The access token lacks required claims');
    const grantId = typeof payload.gid === 'string' ? payload.gid : undefined;
    if (grantId && !(await this.isGrantAlive(grantId)))
      throw new InvalidTokenError('grant_revoked', 'The authorization was revoked');
    return {
      accountId: sub,
      clientId,
      grantId,
      scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
      expiresAt: payload.exp,
    };
  }

  private async isGrantAlive(grantId: string): Promise<boolean> {
    const cached = this.grantAlive.get(grantId);
    if (cached && this.now() - cached.checkedAt < GRANT_CHECK_TTL_MS) return cached.alive;
    const alive = Boolean(await this.store.get('Grant', grantId));
    if (this.grantAlive.size > 50_000) this.grantAlive.clear();
    this.grantAlive.set(grantId, { alive, checkedAt: this.now() });
    return alive;
  }
}
