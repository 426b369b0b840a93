/**
 * The only code that talks to Google's OAuth endpoints: discovery, the authorization URL, the code
 * exchange, id_token verification, token refresh and revocation. Endpoints come from the issuer's
 * discovery document, so a loopback stand-in can replace Google in tests and the sandbox.
 */
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Credentials, OAuth2Client } from 'google-auth-library';

// The scope lists live with the rest of the scope rules; re-exported for the callers that know them here.
export { GOOGLE_BASE_SCOPES, GOOGLE_SCOPES_READ_ONLY, GOOGLE_SCOPES_READ_WRITE } from './scopes.js';

export interface GoogleDiscovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint?: string;
  jwks_uri: string;
}

export interface GoogleIdentity {
  sub: string;
  email: string;
  emailVerified: boolean;
  name?: string;
  hd?: string;
}

export interface GoogleTokens {
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms. */
  expiresAt: number;
  /** The scopes Google granted, space-separated: fewer than we asked for when the user unticked some. */
  scope?: string;
}

/** Google said the grant is gone (revoked by the user, expired, or the app is in Testing for >7 days). */
export class GoogleReauthRequired extends Error {
  constructor(message = 'Google sign-in is no longer valid') {
    super(message);
    this.name = 'GoogleReauthRequired';
  }
}

/** Google could not be reached or answered 5xx/429: try again later. */
export class GoogleUnavailable extends Error {
  constructor(message = 'Google is temporarily unavailable') {
    super(message);
    this.name = 'GoogleUnavailable';
  }
}

export interface GoogleOAuthSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  timeoutMs?: number;
}

function errorCode(err: unknown): { status?: number; error?: string } {
  const e = err as { response?: { status?: number; data?: { error?: string } }; status?: number };
  return { status: e.response?.status ?? e.status, error: e.response?.data?.error };
}

export class GoogleOAuth {
  private discovery?: Promise<GoogleDiscovery>;
  private jwks?: JWTVerifyGetKey;

  constructor(private readonly settings: GoogleOAuthSettings) {}

  /** Fetches (once) the issuer's discovery document; retried on the next call if it failed. */
  async endpoints(): Promise<GoogleDiscovery> {
    if (!this.discovery) {
      this.discovery = (async () => {
        const res = await fetch(`${this.settings.issuer}/.well-known/openid-configuration`, {
          signal: AbortSignal.timeout(this.settings.timeoutMs ?? 10_000),
        });
        if (!res.ok) throw new GoogleUnavailable(`Google discovery answered ${res.status}`);
        const doc = (await res.json()) as GoogleDiscovery;
        if (!doc.authorization_endpoint || !doc.token_endpoint || !doc.jwks_uri) {
          throw new GoogleUnavailable('Google discovery document is incomplete');
        }
        return doc;
      })();
      this.discovery.catch(() => {
        this.discovery = undefined;
      });
    }
    return this.discovery;
  }

  /**
   * Loads the Google sign-in library without sending anything. The first tool call after a scale-to-zero
   * usually finds the user's Google access token expired (they last an hour) and refreshes it with this
   * library; loading it right after listen takes that load off the first call.
   */
  async preload(): Promise<void> {
    await import('google-auth-library');
  }

  private async client(): Promise<OAuth2Client> {
    const d = await this.endpoints();
    // Loaded on first use (or by preload() after listen): /healthz and the start itself never need it.
    const { OAuth2Client } = await import('google-auth-library');
    return new OAuth2Client({
      clientId: this.settings.clientId,
      clientSecret: this.settings.clientSecret,
      redirectUri: this.settings.redirectUri,
      endpoints: {
        oauth2AuthBaseUrl: d.authorization_endpoint,
        oauth2TokenUrl: d.token_endpoint,
        oauth2RevokeUrl: d.revocation_endpoint ?? `${new URL(d.token_endpoint).origin}/revoke`,
      },
      issuers: [d.issuer],
      transporterOptions: { timeout: this.settings.timeoutMs ?? 10_000, retry: false },
    } as ConstructorParameters<typeof OAuth2Client>[0]);
  }

  async authorizationUrl(opts: {
    state: string;
    codeChallenge: string;
    nonce: string;
    scopes: string[];
    promptConsent: boolean;
    loginHint?: string;
    /**
     * 'offline' (default): the contacts sign-in, which needs a refresh token. 'online': an identity-only
     * sign-in (the account page), which must not get one.
     */
    accessType?: 'online' | 'offline';
    /** Google's account chooser even when the browser is signed in to one account ("use a different account"). */
    selectAccount?: boolean;
  }): Promise<string> {
    const client = await this.client();
    return client.generateAuthUrl({
      access_type: opts.accessType ?? 'offline',
      scope: opts.scopes,
      state: opts.state,
      code_challenge: opts.codeChallenge,
      code_challenge_method: 'S256',
      include_granted_scopes: false,
      ...(opts.promptConsent || opts.selectAccount
        ? {
            prompt: [opts.promptConsent ? 'consent' : '', opts.selectAccount ? 'select_account' : '']
              .filter(Boolean)
              .join(' '),
          }
        : {}),
      ...(opts.loginHint ? { login_hint: opts.loginHint } : {}),
      nonce: opts.nonce,
    } as Parameters<OAuth2Client['generateAuthUrl']>[0]);
  }

  /** Exchanges the authorization code and verifies the id_token it came with. */
  async exchangeCode(
    code: string,
    codeVerifier: string,
    nonce: string,
  ): Promise<{ identity: GoogleIdentity; tokens: GoogleTokens }> {
    const client = await this.client();
    let credentials: Credentials;
    try {
      ({ tokens: credentials } = await client.getToken({ code, codeVerifier }));
    } catch (err) {
      const { status, error } = errorCode(err);
      if (error === 'invalid_grant' || status === 400 || status === 401)
        throw new GoogleReauthRequired('Google refused the sign-in code');
      throw new GoogleUnavailable('Google token endpoint failed during sign-in');
    }
    if (!credentials.id_token || !credentials.access_token) throw new GoogleUnavailable('Google returned no id_token');
    const identity = await this.verifyIdToken(credentials.id_token, nonce);
    return { identity, tokens: toTokens(credentials) };
  }

  async verifyIdToken(idToken: string, nonce?: string): Promise<GoogleIdentity> {
    const d = await this.endpoints();
    this.jwks ??= createRemoteJWKSet(new URL(d.jwks_uri), { timeoutDuration: this.settings.timeoutMs ?? 10_000 });
    // Google's id_tokens say iss "https://accounts.google.com" or "accounts.google.com".
    const issuers = [d.issuer, d.issuer.replace(/^https:\/\//, '')];
    const { payload } = await jwtVerify(idToken, this.jwks, {
      issuer: issuers,
      audience: this.settings.clientId,
      algorithms: ['RS256', 'ES256'],
    });
    if (nonce !== undefined && payload.nonce !== nonce) throw new Error('id_token nonce mismatch');
    if (typeof payload.sub !== 'string' || typeof payload.email !== 'string')
      throw new Error('id_token lacks sub or email');
    return {
      sub: payload.sub,
      email: payload.email.toLowerCase(),
      emailVerified: payload.email_verified === true || payload.email_verified === 'true',
      name: typeof payload.name === 'string' ? payload.name : undefined,
      hd: typeof payload.hd === 'string' ? payload.hd.toLowerCase() : undefined,
    };
  }

  /** Uses a Google refresh token. invalid_grant → GoogleReauthRequired; anything else transient → GoogleUnavailable. */
  async refresh(refreshToken: string): Promise<GoogleTokens> {
    const client = await this.client();
    try {
      const res = await (
        client as unknown as { refreshTokenNoCache(rt: string): Promise<{ tokens: Credentials }> }
      ).refreshTokenNoCache(refreshToken);
      return toTokens(res.tokens);
    } catch (err) {
      const { status, error } = errorCode(err);
      if (error === 'invalid_grant' || error === 'unauthorized_client' || status === 401)
        throw new GoogleReauthRequired();
      if (status === 400 && error !== undefined) throw new GoogleReauthRequired();
      throw new GoogleUnavailable('Google token refresh failed');
    }
  }

  /** Best effort: a token Google already forgot is fine. */
  async revoke(token: string): Promise<void> {
    const client = await this.client();
    try {
      await client.revokeToken(token);
    } catch (err) {
      const { status } = errorCode(err);
      if (status !== 400) throw new GoogleUnavailable('Google revocation failed');
    }
  }
}

function toTokens(c: Credentials): GoogleTokens {
  return {
    accessToken: c.access_token ?? '',
    refreshToken: c.refresh_token ?? undefined,
    expiresAt: c.expiry_date ?? Date.now() + 3600_000,
    scope: c.scope ?? undefined,
  };
}
