/**
 * A stand-in for Google's OAuth 2.0 / OpenID Connect server, for tests and the local sandbox.
 *
 * Built on oidc-provider (panva) with Google's endpoint paths, served on 127.0.0.1:
 *   authorization  /o/oauth2/v2/auth          token     /token
 *   revocation     /revoke                    tokeninfo /tokeninfo
 *   JWKS           /oauth2/v3/certs           PEM certs /oauth2/v1/certs (what google-auth-library uses in Node)
 *   userinfo       /v1/userinfo               discovery /.well-known/openid-configuration
 *
 * Google behaviours reproduced: refresh tokens only for `access_type=offline`; refresh tokens are not
 * rotated and the refresh response carries no `refresh_token`; revoking any token of a grant (at
 * /revoke, without client authentication) revokes the whole grant; requested scopes are granted as
 * requested (openid/email/profile, KNOWN_GOOGLE_SCOPES and opts.extraScopes; any other scope gets
 * Google's "Error 400: invalid_scope" page, because oidc-provider can only grant scopes it knows at
 * start-up); unknown parameters such as `access_type`, `include_granted_scopes`, `prompt=consent` and
 * `prompt=select_account` are accepted; a user who cancels is sent back with
 * `error=access_denied&state=...`; granular consent: the user can untick any requested Google API scope
 * (never openid/email/profile) — `nextUntickedScopes` in code, checkboxes on the interactive page — and the
 * grant, the token response's `scope` and the tokens' scopes then lack it; id_tokens carry azp, at_hash, email, email_verified, profile claims
 * and `hd` for Workspace users; the redirect back carries `scope`, `authuser`, `prompt` and (Workspace)
 * `hd`, plus RFC 9207 `iss`, which Google now sends too.
 *
 * Without `interactive`, the sign-in is finished in code (no browser, no cookies needed by the caller):
 * GET /o/oauth2/v2/auth answers with one 302 straight to the client's redirect_uri.
 */
import { X509Certificate, createHash, generateKeyPair, randomBytes, sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { interactionPolicy } from 'oidc-provider';
import type { AccountClaims, Adapter, AdapterPayload, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { readBody } from './http.js';
import { SAMPLE_USERS } from './sample-users.js';
import type { SampleUser } from './sample-users.js';

export type { SampleUser } from './sample-users.js';
export { SAMPLE_USERS } from './sample-users.js';

export interface GoogleStandinClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface GoogleStandinOptions {
  clients: GoogleStandinClient[];
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** Accounts that can sign in; default SAMPLE_USERS. */
  users?: SampleUser[];
  /** true: render an HTML sign-in page (sandbox); false (default): finish the sign-in in code. */
  interactive?: boolean;
  /** Access token lifetime; default 3600. */
  accessTokenTtlSeconds?: number;
  /**
   * More scopes to accept, beyond openid/email/profile and KNOWN_GOOGLE_SCOPES. oidc-provider only
   * grants scopes it knows at start-up, so a Google scope missing from both lists is answered with
   * Google's "Error 400: invalid_scope" page.
   */
  extraScopes?: string[];
  /**
   * Google's real rule: a refresh token comes with the user's first consent to a client, and again only
   * when the consent screen is shown again: `prompt=consent`, or a scope the user has not granted yet.
   * Off by default (every offline sign-in gets one).
   */
  refreshTokenOnlyOnConsent?: boolean;
}

/** One request that reached the token endpoint (secrets are not kept). */
export interface TokenRequestRecord {
  grant_type: string;
  client_id: string | undefined;
  /** Date.now() when the request arrived. */
  receivedAt: number;
  /** Date.now() when the answer was sent; undefined while pending. */
  answeredAt: number | undefined;
  /** HTTP status answered; 0 while pending. */
  status: number;
  /** true when the answer came from failNextToken. */
  injected: boolean;
}

export interface FailTokenOptions {
  status: number;
  /** JSON body; default `{"error":"internal_failure",...}` for 5xx, `{"error":"invalid_request"}` otherwise. */
  body?: object;
  /** Wait this long before answering. */
  delayMs?: number;
  /** How many consecutive token requests get this answer; default 1. */
  count?: number;
}

export interface VerifiedAccessToken {
  sub: string;
  email: string;
  scopes: string[];
}

/** The shape google-auth-library's OAuth2Client accepts as `endpoints`. */
export interface GoogleStandinEndpoints {
  oauth2AuthBaseUrl: string;
  oauth2TokenUrl: string;
  oauth2RevokeUrl: string;
  tokenInfoUrl: string;
  oauth2FederatedSignonPemCertsUrl: string;
  oauth2FederatedSignonJwkCertsUrl: string;
}

export interface GoogleStandin {
  /** The issuer, `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  /** Ready to pass as `new OAuth2Client({ endpoints: standin.endpoints, issuers: [standin.url] })`. */
  readonly endpoints: GoogleStandinEndpoints;
  readonly userinfoUrl: string;
  readonly discoveryUrl: string;
  readonly users: SampleUser[];
  /** Email of the user who signs in when no login_hint names a known user (default alice). Persistent. */
  nextUser: string;
  /** 'deny' makes the next sign-in cancel (access_denied); resets to 'allow' once used. */
  nextDecision: 'allow' | 'deny';
  /**
   * Granular consent: the next sign-in grants every requested scope except these (full Google scope URLs
   * the user unticked on the consent screen); resets to [] once used. openid/email/profile have no box
   * at Google and are refused here.
   */
  nextUntickedScopes: string[];
  /** Query parameters of each request to /o/oauth2/v2/auth. */
  readonly authorizeRequests: Array<Record<string, string>>;
  readonly tokenRequests: TokenRequestRecord[];
  /** Every token posted to /revoke, known or not. */
  readonly revocations: string[];
  /** Every refresh token issued by the authorization_code grant. */
  readonly issuedRefreshTokens: string[];
  /** Unexpected server-side errors (kept here instead of being logged). */
  readonly serverErrors: Error[];
  /** null for unknown, expired or revoked tokens. */
  verifyAccessToken(token: string): Promise<VerifiedAccessToken | null>;
  /** The next `count` (default 1) token-endpoint requests get this answer. */
  failNextToken(opts: FailTokenOptions): void;
  /** Drops every queued token-endpoint fault. */
  clearTokenFaults(): void;
  /** The user removed the app at myaccount.google.com: every grant of theirs is revoked. Returns how many. */
  revokeUser(email: string): number;
  close(): Promise<void>;
}

const AUTH_PATH = '/o/oauth2/v2/auth';
const GOOGLE_SCOPE_PREFIX = 'https://www.googleapis.com/auth/';
const OIDC_SCOPES = ['openid', 'email', 'profile'];

/** Google API scopes the stand-in accepts without `extraScopes` (the suffix after .../auth/). */
export const KNOWN_GOOGLE_SCOPES: readonly string[] = [
  'userinfo.email',
  'userinfo.profile',
  'contacts',
  'contacts.readonly',
  'contacts.other.readonly',
  'directory.readonly',
  'user.addresses.read',
  'user.birthday.read',
  'user.emails.read',
  'user.gender.read',
  'user.organization.read',
  'user.phonenumbers.read',
  'admin.directory.user.readonly',
  'admin.directory.group.readonly',
  'calendar',
  'calendar.readonly',
  'calendar.events',
  'calendar.events.readonly',
  'drive',
  'drive.readonly',
  'drive.file',
  'drive.metadata.readonly',
  'gmail.readonly',
  'gmail.send',
  'gmail.modify',
  'gmail.labels',
  'spreadsheets',
  'spreadsheets.readonly',
  'documents',
  'documents.readonly',
  'tasks',
  'tasks.readonly',
  'cloud-platform',
].map((name) => `https://www.googleapis.com/auth/${name}`);
const PROFILE_CLAIMS = ['name', 'given_name', 'family_name', 'picture'];
const EMAIL_CLAIMS = ['email', 'email_verified'];

// ---------------------------------------------------------------------------------------------
// Storage: a small in-memory oidc-provider adapter we can also inspect (revokeUser, /revoke,
// verifyAccessToken, /tokeninfo). The library's own memory adapter warns on use.

interface StoredEntry {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

class Store {
  private readonly entries = new Map<string, StoredEntry>();
  private readonly grantIndex = new Map<string, Set<string>>();
  private readonly uidIndex = new Map<string, string>();
  private readonly userCodeIndex = new Map<string, string>();
  private writes = 0;

  get(model: string, id: string): AdapterPayload | undefined {
    const key = `${model}:${id}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    const key = `${model}:${id}`;
    this.entries.set(key, {
      payload: structuredClone(payload),
      expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined,
    });
    if (payload.grantId) {
      let keys = this.grantIndex.get(payload.grantId);
      if (!keys) {
        keys = new Set();
        this.grantIndex.set(payload.grantId, keys);
      }
      keys.add(key);
    }
    if (payload.uid) this.uidIndex.set(payload.uid, id);
    if (payload.userCode) this.userCodeIndex.set(payload.userCode, id);
    if (++this.writes % 500 === 0) this.sweep();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Removes every artifact of a grant, and the grant itself. */
  revokeGrant(grantId: string): void {
    for (const key of this.grantIndex.get(grantId) ?? []) this.entries.delete(key);
    this.grantIndex.delete(grantId);
    this.entries.delete(`Grant:${grantId}`);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(key);
    }
  }

  adapterFor(model: string): Adapter {
    return {
      upsert: async (id, payload, expiresIn) => {
        this.set(model, id, payload, expiresIn);
      },
      find: async (id) => {
        const payload = this.get(model, id);
        return payload ? structuredClone(payload) : undefined;
      },
      findByUid: async (uid) => {
        const id = this.uidIndex.get(uid);
        const payload = id === undefined ? undefined : this.get(model, id);
        return payload ? structuredClone(payload) : undefined;
      },
      findByUserCode: async (userCode) => {
        const id = this.userCodeIndex.get(userCode);
        const payload = id === undefined ? undefined : this.get(model, id);
        return payload ? structuredClone(payload) : undefined;
      },
      consume: async (id) => {
        const payload = this.get(model, id);
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.delete(`${model}:${id}`);
      },
      revokeByGrantId: async (grantId) => {
        for (const key of this.grantIndex.get(grantId) ?? []) {
          if (key.startsWith(`${model}:`)) this.entries.delete(key);
        }
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// A self-signed X.509 certificate for /oauth2/v1/certs. Google publishes certificates there
// (CN=federated-signon.system.gserviceaccount.com); Node's crypto.verify accepts them as keys.

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}
const derSeq = (...content: Buffer[]): Buffer => tlv(0x30, ...content);
const derSet = (...content: Buffer[]): Buffer => tlv(0x31, ...content);
function derInt(value: Buffer): Buffer {
  return tlv(0x02, (value[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
}
function derOid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const part of rest) {
    const chunk = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}
function derUtcTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

function selfSignedCertificatePem(publicKey: KeyObject, privateKey: KeyObject): string {
  const sha256WithRsa = derSeq(derOid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  const name = derSeq(
    derSet(derSeq(derOid('2.5.4.3'), tlv(0x0c, Buffer.from('federated-signon.system.gserviceaccount.com')))),
  );
  const serial = randomBytes(8);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  const now = Date.now();
  const tbs = derSeq(
    tlv(0xa0, derInt(Buffer.from([2]))), // v3
    derInt(serial),
    sha256WithRsa,
    name,
    derSeq(derUtcTime(new Date(now - 3600_000)), derUtcTime(new Date(now + 14 * 86400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = cryptoSign('sha256', tbs, privateKey);
  const der = derSeq(tbs, sha256WithRsa, tlv(0x03, Buffer.from([0]), signature));
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  const pem = `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
  new X509Certificate(pem); // throws if the encoding is wrong
  return pem;
}

// ---------------------------------------------------------------------------------------------
// Small HTTP helpers.

const MAX_BODY = 64 * 1024;

/** An authorization request parameter as text ('' when absent; oidc-provider types them as unknown). */
function stringParam(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A form body; an oversized one is answered 413 by the request handler's error branch. */
function readFormBody(req: IncomingMessage): Promise<string> {
  return readBody(req, MAX_BODY, () => Object.assign(new Error('request body too large'), { status: 413 }));
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// ---------------------------------------------------------------------------------------------

interface GrantMeta {
  accountId: string;
  clientId: string;
  offline: boolean;
}

interface PendingFault {
  status: number;
  body: object;
  delayMs: number;
  remaining: number;
}

export async function startGoogleStandin(opts: GoogleStandinOptions): Promise<GoogleStandin> {
  const users = [...(opts.users ?? SAMPLE_USERS)];
  if (users.length === 0) throw new Error('google stand-in: at least one user is required');
  const interactive = opts.interactive ?? false;
  const accessTokenTtl = opts.accessTokenTtlSeconds ?? 3600;
  const supportedScopes = new Set([...OIDC_SCOPES, ...KNOWN_GOOGLE_SCOPES, ...(opts.extraScopes ?? [])]);
  const userBySub = (sub: string): SampleUser | undefined => users.find((u) => u.sub === sub);
  const userByEmail = (email: string): SampleUser | undefined =>
    users.find((u) => u.email.toLowerCase() === email.trim().toLowerCase());

  const { publicKey, privateKey } = await new Promise<{ publicKey: KeyObject; privateKey: KeyObject }>(
    (resolve, reject) => {
      generateKeyPair('rsa', { modulusLength: 2048 }, (err, pub, priv) =>
        err ? reject(err) : resolve({ publicKey: pub, privateKey: priv }),
      );
    },
  );
  const kid = randomBytes(20).toString('hex');
  const pemCerts = { [kid]: selfSignedCertificatePem(publicKey, privateKey) };
  const internalSecret = randomBytes(16).toString('hex');

  const store = new Store();
  const grants = new Map<string, GrantMeta>();
  const authorizeRequests: Array<Record<string, string>> = [];
  const tokenRequests: TokenRequestRecord[] = [];
  const revocations: string[] = [];
  const issuedRefreshTokens: string[] = [];
  const serverErrors: Error[] = [];
  const faults: PendingFault[] = [];
  const pendingDelays = new Set<() => void>();
  let nextUser = users[0]!.email;
  let nextDecision: 'allow' | 'deny' = 'allow';
  let nextUnticked: string[] = [];
  let closed = false;

  const takeDeny = (): boolean => {
    if (nextDecision !== 'deny') return false;
    nextDecision = 'allow';
    return true;
  };
  const takeFault = (): PendingFault | undefined => {
    const fault = faults[0];
    if (!fault) return undefined;
    if (--fault.remaining <= 0) faults.shift();
    return fault;
  };
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        pendingDelays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pendingDelays.add(done);
    });

  const revokeGrant = (grantId: string): void => {
    store.revokeGrant(grantId);
    grants.delete(grantId);
  };

  /** An access token's stored payload, if it is live. */
  const liveToken = (model: 'AccessToken' | 'RefreshToken', token: string): AdapterPayload | undefined => {
    if (!token) return undefined;
    const payload = store.get(model, token);
    if (!payload) return undefined;
    if (typeof payload.exp === 'number' && payload.exp * 1000 <= Date.now()) return undefined;
    if (payload.consumed) return undefined;
    if (payload.grantId && !store.get('Grant', payload.grantId)) return undefined;
    return payload;
  };

  const server: Server = createServer();
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const claimsFor = (user: SampleUser): AccountClaims => ({
    sub: user.sub,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name,
    given_name: user.givenName,
    family_name: user.familyName,
    picture: `${issuer}/avatars/${user.sub}.svg`,
    ...(user.hd ? { hd: user.hd } : {}),
  });

  // Google also knows prompt=select_account; oidc-provider rejects prompt values it has no prompt for.
  const policy = interactionPolicy.base();
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }));

  const configuration: Configuration = {
    adapter: (name: string) => store.adapterFor(name),
    clients: opts.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] },
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      // Browsers share cookies across ports: keep clear of our own server's oidc-provider cookies.
      names: { session: '_gstandin_session', interaction: '_gstandin_interaction', resume: '_gstandin_resume' },
      // The session cookie is scoped to a path no request uses: every authorization request starts
      // signed out, so each one goes through the sign-in step (and records access_type), like a
      // fresh Google consent screen, and switching users never hits a "sign out first?" page.
      long: { httpOnly: true, sameSite: 'lax', path: '/__standin_no_sso' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    routes: {
      authorization: AUTH_PATH,
      token: '/token',
      jwks: '/oauth2/v3/certs',
      userinfo: '/v1/userinfo',
    },
    // oidc-provider drops requested scopes it does not know (when resource indicators are off), so
    // every grantable scope is listed here; the sign-in step grants exactly what was requested.
    scopes: [...supportedScopes],
    claims: {
      openid: ['sub', 'hd', 'azp', 'at_hash'],
      email: EMAIL_CLAIMS,
      profile: PROFILE_CLAIMS,
      [`${GOOGLE_SCOPE_PREFIX}userinfo.email`]: EMAIL_CLAIMS,
      [`${GOOGLE_SCOPE_PREFIX}userinfo.profile`]: PROFILE_CLAIMS,
    },
    // Google puts email/profile claims into the id_token, not only into userinfo.
    conformIdTokenClaims: false,
    extraParams: ['access_type', 'include_granted_scopes', 'hd', 'enable_granular_consent'],
    responseTypes: ['code'],
    findAccount: async (ctx, sub) => {
      const user = userBySub(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async (use) => {
          if (use !== 'id_token') return claimsFor(user);
          // Google's id_tokens also carry azp and (next to an access token) at_hash; oidc-provider
          // turns an at_hash claim holding the token value into the hash when it signs.
          const accessToken = ctx.oidc?.entities.AccessToken?.jti;
          return {
            ...claimsFor(user),
            ...(ctx.oidc?.client ? { azp: ctx.oidc.client.clientId } : {}),
            ...(accessToken ? { at_hash: accessToken } : {}),
          } as AccountClaims;
        },
      };
    },
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && grants.get(code.grantId ?? '')?.offline === true,
    rotateRefreshToken: false,
    expiresWithSession: async () => false,
    revokeGrantPolicy: () => true,
    clientBasedCORS: () => true,
    interactions: {
      policy,
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
      dPoP: { enabled: false },
      revocation: { enabled: false },
      introspection: { enabled: false },
      userinfo: { enabled: true },
    },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 300,
      IdToken: 3600,
      RefreshToken: 180 * 86400,
      Interaction: 900,
      Session: 900,
      Grant: 365 * 86400,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Error 400 (OAuth2 Error)</title></head><body><h1>Access blocked: authorization error</h1><p>Error 400: ${escapeHtml(String(out.error))}</p><p>${escapeHtml(String(out.error_description ?? ''))}</p></body></html>`;
    },
  };

  let provider: Provider;
  try {
    provider = new Provider(issuer, configuration);
  } catch (err) {
    server.close();
    throw err;
  }
  // Koa logs unhandled errors to stderr unless an 'error' listener exists: keep them instead.
  (provider as unknown as EventEmitter).on('error', (err: Error) => serverErrors.push(err));
  provider.on('server_error', (_ctx: unknown, err: Error) => serverErrors.push(err));

  // Token endpoint: observation, fault injection, and Google's response shapes.
  provider.use(async (koaCtx, next) => {
    if (koaCtx.path !== '/token' || koaCtx.method !== 'POST') {
      await next();
      return;
    }
    const record: TokenRequestRecord = {
      grant_type: '',
      client_id: undefined,
      receivedAt: Date.now(),
      answeredAt: undefined,
      status: 0,
      injected: false,
    };
    tokenRequests.push(record);
    const fault = takeFault();
    if (fault) {
      const params = new URLSearchParams(await readFormBody(koaCtx.req).catch(() => ''));
      record.grant_type = params.get('grant_type') ?? '';
      record.client_id = params.get('client_id') ?? undefined;
      record.injected = true;
      if (fault.delayMs > 0) await sleep(fault.delayMs);
      koaCtx.status = fault.status;
      koaCtx.set('cache-control', 'no-store');
      koaCtx.body = fault.body;
      record.status = fault.status;
      record.answeredAt = Date.now();
      return;
    }
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    const params = (ctx.oidc?.params ?? {}) as Record<string, unknown>;
    const grantType = typeof params.grant_type === 'string' ? params.grant_type : '';
    record.grant_type = grantType;
    record.client_id =
      ctx.oidc?.client?.clientId ?? (typeof params.client_id === 'string' ? params.client_id : undefined);
    const body = koaCtx.body as Record<string, unknown> | undefined;
    if (koaCtx.status === 200 && body && typeof body === 'object') {
      if (grantType === 'refresh_token') {
        delete body.refresh_token; // Google does not rotate, and does not echo it
      } else if (typeof body.refresh_token === 'string') {
        issuedRefreshTokens.push(body.refresh_token);
      }
    } else if (body && typeof body === 'object' && body.error === 'invalid_grant') {
      body.error_description = grantType === 'refresh_token' ? 'Token has been expired or revoked.' : 'Bad Request';
    }
    record.status = koaCtx.status;
    record.answeredAt = Date.now();
  });

  // Authorization responses: Google's shape on the way back to the client.
  provider.use(async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    const route = ctx.oidc?.route;
    if (route !== 'authorization' && route !== 'resume') return;
    if (koaCtx.status !== 302 && koaCtx.status !== 303) return;
    const location = koaCtx.response.get('location');
    if (!location) return;
    const target = new URL(location, issuer);
    if (
      target.origin === issuer &&
      (target.pathname.startsWith('/interaction/') || target.pathname.startsWith(`${AUTH_PATH}/`))
    ) {
      return;
    }
    const error = target.searchParams.get('error');
    if (error === 'access_denied') {
      const state = target.searchParams.get('state');
      const iss = target.searchParams.get('iss');
      target.search = '';
      target.searchParams.set('error', 'access_denied');
      if (state !== null) target.searchParams.set('state', state);
      if (iss !== null) target.searchParams.set('iss', iss);
    } else if (!error && target.searchParams.has('code')) {
      const code = ctx.oidc.entities.AuthorizationCode;
      if (code?.scope) target.searchParams.set('scope', code.scope);
      target.searchParams.set('authuser', '0');
      const hd = userBySub(ctx.oidc.session?.accountId ?? '')?.hd;
      if (hd) target.searchParams.set('hd', hd);
      target.searchParams.set('prompt', 'consent');
    } else {
      return;
    }
    koaCtx.redirect(target.href);
    koaCtx.status = 302;
  });

  // Discovery: add Google's revocation endpoint (served outside oidc-provider) and its claims.
  provider.use(async (koaCtx, next) => {
    await next();
    if (koaCtx.path !== '/.well-known/openid-configuration' || koaCtx.status !== 200) return;
    const body = koaCtx.body as Record<string, unknown>;
    body.revocation_endpoint = `${issuer}/revoke`;
    body.scopes_supported = ['openid', 'email', 'profile'];
    body.claims_supported = [
      'aud',
      'email',
      'email_verified',
      'exp',
      'family_name',
      'given_name',
      'hd',
      'iat',
      'iss',
      'name',
      'picture',
      'sub',
    ];
    body.code_challenge_methods_supported = ['S256'];
    body.token_endpoint_auth_methods_supported = ['client_secret_post', 'client_secret_basic'];
  });

  const providerCallback = provider.callback();

  // -------------------------------------------------------------------------------------------
  // Sign-in step.

  const finish = async (
    req: IncomingMessage,
    res: ServerResponse,
    result: Parameters<Provider['interactionFinished']>[2],
  ): Promise<void> => {
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  };

  const denied = { error: 'access_denied', error_description: 'The user denied access' };
  /** (user, client) → the scopes granted so far (for refreshTokenOnlyOnConsent: new scopes show the consent screen). */
  const consentedBefore = new Map<string, Set<string>>();

  /** `unticked`: scopes the user unticked on the interactive page; undefined: take nextUntickedScopes. */
  const signIn = async (
    req: IncomingMessage,
    res: ServerResponse,
    email: string,
    unticked?: ReadonlySet<string>,
  ): Promise<void> => {
    const details = await provider.interactionDetails(req, res);
    const params = details.params as Record<string, unknown>;
    const user = userByEmail(email);
    if (!user) {
      sendHtml(res, 400, '<!DOCTYPE html><p>Unknown account.</p>');
      return;
    }
    const clientId = String(params.client_id);
    const requested = [...new Set(stringParam(params.scope).split(' ').filter(Boolean))];
    if (requested.length === 0) {
      await finish(req, res, { error: 'invalid_request', error_description: 'Missing required parameter: scope' });
      return;
    }
    const declined = unticked ?? new Set(nextUnticked);
    nextUnticked = [];
    const granted = requested.filter((sc) => OIDC_SCOPES.includes(sc) || !declined.has(sc));
    const rejected = requested.filter((sc) => !granted.includes(sc));
    const grant = new provider.Grant({ accountId: user.sub, clientId });
    grant.addOIDCScope(granted.join(' '));
    // Rejected, not just left out: oidc-provider would otherwise ask for consent to them again.
    if (rejected.length > 0) grant.rejectOIDCScope(rejected.join(' '));
    const grantId = await grant.save();
    const consentKey = `${user.sub}\n${clientId}`;
    const before = consentedBefore.get(consentKey);
    const consentShown =
      !opts.refreshTokenOnlyOnConsent ||
      !before ||
      requested.some((sc) => !OIDC_SCOPES.includes(sc) && !before.has(sc)) ||
      stringParam(params.prompt).split(' ').includes('consent');
    consentedBefore.set(consentKey, new Set([...(before ?? []), ...granted]));
    grants.set(grantId, { accountId: user.sub, clientId, offline: params.access_type === 'offline' && consentShown });
    await finish(req, res, {
      login: { accountId: user.sub, remember: false },
      consent: { grantId },
      select_account: {},
    });
  };

  const renderSignInPage = async (req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> => {
    const details = await provider.interactionDetails(req, res);
    const params = details.params as Record<string, unknown>;
    const action = `/interaction/${encodeURIComponent(uid)}`;
    const hint = typeof params.login_hint === 'string' ? userByEmail(params.login_hint)?.email : undefined;
    const scopes = stringParam(params.scope).split(' ').filter(Boolean);
    // Google's granular consent: every API scope has a box (ticked by default); openid/email/profile have none.
    const boxes = scopes
      .map((sc) =>
        OIDC_SCOPES.includes(sc)
          ? `<li><code>${escapeHtml(sc)}</code></li>`
          : `<li><label><input type="checkbox" name="grant" value="${escapeHtml(sc)}" checked> <code>${escapeHtml(sc)}</code></label></li>`,
      )
      .join('');
    const buttons = users
      .map(
        (u) =>
          `<button type="submit" name="email" value="${escapeHtml(u.email)}"${u.email === hint ? ' autofocus' : ''}>${escapeHtml(u.name)} &lt;${escapeHtml(u.email)}&gt;` +
          `${u.hd ? ' (Workspace)' : ''}${u.emailVerified ? '' : ' (unverified)'}</button>`,
      )
      .join('\n');
    sendHtml(
      res,
      200,
      `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Google Accounts (stand-in)</title>
<style>body{font-family:sans-serif;max-width:32em;margin:2em auto}button{width:100%;margin:.25em 0;padding:.6em;font-size:1em;text-align:left}
.cancel button{text-align:center;background:#eee}code{font-size:.85em}</style></head>
<body><h1>Choose an account</h1>
<p>to continue to <strong>${escapeHtml(String(params.client_id))}</strong> (Google stand-in, no real Google account is used)</p>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="granular" value="1">
<p>Requested access (untick what you don't want to grant):</p><ul>${boxes}</ul>
${buttons}
</form>
<form class="cancel" method="post" action="${escapeHtml(action)}"><input type="hidden" name="cancel" value="1"><button type="submit">Cancel</button></form>
</body></html>`,
    );
  };

  const handleInteraction = async (req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> => {
    if (req.method === 'GET') {
      if (takeDeny()) {
        await finish(req, res, denied);
        return;
      }
      await renderSignInPage(req, res, uid);
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'method_not_allowed' });
      return;
    }
    const form = new URLSearchParams(await readFormBody(req));
    if (form.has('cancel')) {
      await finish(req, res, denied);
      return;
    }
    if (form.has('auto')) {
      if (req.headers['x-standin-internal'] !== internalSecret) {
        sendJson(res, 403, { error: 'forbidden' });
        return;
      }
      if (takeDeny()) {
        await finish(req, res, denied);
        return;
      }
      const details = await provider.interactionDetails(req, res);
      const hint = (details.params as Record<string, unknown>).login_hint;
      const hinted = typeof hint === 'string' ? userByEmail(hint) : undefined;
      await signIn(req, res, hinted?.email ?? nextUser);
      return;
    }
    // The page's form says which boxes stayed ticked; a bare POST (email only) grants everything.
    let unticked: Set<string> | undefined;
    if (form.has('granular')) {
      const details = await provider.interactionDetails(req, res);
      const ticked = new Set(form.getAll('grant'));
      unticked = new Set(
        stringParam((details.params as Record<string, unknown>).scope)
          .split(' ')
          .filter((sc) => sc && !OIDC_SCOPES.includes(sc) && !ticked.has(sc)),
      );
    }
    await signIn(req, res, form.get('email') ?? '', unticked);
  };

  /** Non-interactive mode: run the whole browser leg against ourselves and answer with one 302. */
  const autoAuthorize = async (res: ServerResponse, pathAndQuery: string): Promise<void> => {
    const jar = new Map<string, string>();
    const headers = (): Record<string, string> => ({
      'x-standin-internal': internalSecret,
      cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
    });
    const absorb = (r: Response): void => {
      for (const line of r.headers.getSetCookie()) {
        const pair = line.split(';', 1)[0] ?? '';
        const eq = pair.indexOf('=');
        if (eq <= 0) continue;
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        if (!value || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
        else jar.set(name, value);
      }
    };
    let r = await fetch(`${issuer}${pathAndQuery}`, { redirect: 'manual', headers: headers() });
    for (let hop = 0; hop < 5; hop++) {
      const location = r.headers.get('location');
      if (!location || (r.status !== 302 && r.status !== 303)) break;
      const next = new URL(location, issuer);
      const internal =
        next.origin === issuer &&
        (next.pathname.startsWith('/interaction/') || next.pathname.startsWith(`${AUTH_PATH}/`));
      if (!internal) break;
      absorb(r);
      await r.body?.cancel();
      r = next.pathname.startsWith('/interaction/')
        ? await fetch(next, {
            method: 'POST',
            redirect: 'manual',
            headers: { ...headers(), 'content-type': 'application/x-www-form-urlencoded' },
            body: 'auto=1',
          })
        : await fetch(next, { redirect: 'manual', headers: headers() });
    }
    const out: Record<string, string> = { 'cache-control': 'no-store' };
    const location = r.headers.get('location');
    const contentType = r.headers.get('content-type');
    if (location) out.location = location;
    if (contentType) out['content-type'] = contentType;
    const body = Buffer.from(await r.arrayBuffer());
    out['content-length'] = String(body.length);
    res.writeHead(r.status === 303 ? 302 : r.status, out);
    res.end(body);
  };

  // -------------------------------------------------------------------------------------------
  // Endpoints served outside oidc-provider.

  const tokenInfo = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    let token = url.searchParams.get('access_token') ?? '';
    if (!token && req.method === 'POST') token = new URLSearchParams(await readFormBody(req)).get('access_token') ?? '';
    const auth = req.headers.authorization;
    if (!token && auth && /^bearer /i.test(auth)) token = auth.slice(7).trim();
    const payload = liveToken('AccessToken', token);
    const user = payload?.accountId ? userBySub(payload.accountId) : undefined;
    if (!payload || !user) {
      sendJson(res, 400, { error: 'invalid_token', error_description: 'Invalid Value' });
      return;
    }
    const scopes = String(payload.scope ?? '')
      .split(' ')
      .filter(Boolean);
    const exp = Number(payload.exp);
    const withEmail = scopes.includes('email') || scopes.includes(`${GOOGLE_SCOPE_PREFIX}userinfo.email`);
    sendJson(res, 200, {
      azp: payload.clientId,
      aud: payload.clientId,
      sub: user.sub,
      scope: scopes.join(' '),
      exp: String(exp),
      expires_in: String(Math.max(0, exp - Math.floor(Date.now() / 1000))),
      ...(withEmail ? { email: user.email, email_verified: String(user.emailVerified) } : {}),
      access_type: grants.get(payload.grantId ?? '')?.offline ? 'offline' : 'online',
    });
  };

  const revoke = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    let token = url.searchParams.get('token') ?? '';
    if (!token && req.method === 'POST') token = new URLSearchParams(await readFormBody(req)).get('token') ?? '';
    if (!token) {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'Missing required parameter: token' });
      return;
    }
    revocations.push(token);
    const payload = liveToken('AccessToken', token) ?? liveToken('RefreshToken', token);
    if (!payload) {
      sendJson(res, 400, { error: 'invalid_token', error_description: 'Token expired or revoked' });
      return;
    }
    if (payload.grantId) revokeGrant(payload.grantId);
    else {
      store.delete(`AccessToken:${token}`);
      store.delete(`RefreshToken:${token}`);
    }
    sendJson(res, 200, {});
  };

  const avatar = (res: ServerResponse, sub: string): void => {
    const user = userBySub(sub);
    if (!user) {
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    const initial = escapeHtml(user.givenName.slice(0, 1).toUpperCase() || '?');
    const hue = (parseInt(createHash('sha256').update(user.sub).digest('hex').slice(0, 2), 16) * 360) / 256;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96"><circle cx="48" cy="48" r="48" fill="hsl(${hue.toFixed(0)},55%,45%)"/><text x="48" y="62" font-family="sans-serif" font-size="44" fill="#fff" text-anchor="middle">${initial}</text></svg>`;
    res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=3600' });
    res.end(svg);
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', issuer);
    const path = url.pathname;
    const internal = req.headers['x-standin-internal'] === internalSecret;
    if (path === '/oauth2/v1/certs' && (req.method === 'GET' || req.method === 'HEAD')) {
      sendJson(res, 200, pemCerts, { 'cache-control': 'public, max-age=300' });
      return;
    }
    if (path === '/tokeninfo') {
      await tokenInfo(req, res, url);
      return;
    }
    if (path === '/revoke') {
      await revoke(req, res, url);
      return;
    }
    const interaction = /^\/interaction\/([^/]+)$/.exec(path);
    if (interaction) {
      await handleInteraction(req, res, decodeURIComponent(interaction[1]!));
      return;
    }
    const avatarMatch = /^\/avatars\/([0-9]+)\.svg$/.exec(path);
    if (avatarMatch) {
      avatar(res, avatarMatch[1]!);
      return;
    }
    if (path === AUTH_PATH && req.method === 'GET' && !internal) {
      authorizeRequests.push(Object.fromEntries(url.searchParams));
      const invalid = (url.searchParams.get('scope') ?? '').split(' ').filter((sc) => sc && !supportedScopes.has(sc));
      if (invalid.length > 0) {
        // Like Google: an error page for the user, no redirect to the client.
        sendHtml(
          res,
          400,
          `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Error 400 (OAuth2 Error)</title></head><body><h1>Access blocked: authorization error</h1><p>Error 400: invalid_scope</p><p>Some requested scopes were invalid. {invalid=[${escapeHtml(invalid.join(', '))}]} (unknown to the Google stand-in: pass them in extraScopes)</p></body></html>`,
        );
        return;
      }
      if (!interactive) {
        await autoAuthorize(res, `${url.pathname}${url.search}`);
        return;
      }
    }
    await providerCallback(req, res);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      const e = error as Error & { status?: number; statusCode?: number; error?: string; error_description?: string };
      const status = e.statusCode ?? e.status ?? 500;
      if (status >= 500) serverErrors.push(error);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, status, {
        error: e.error ?? (status >= 500 ? 'server_error' : 'invalid_request'),
        error_description: e.error_description ?? (status >= 500 ? 'internal error' : e.message),
      });
    });
  });

  const endpoints: GoogleStandinEndpoints = {
    oauth2AuthBaseUrl: `${issuer}${AUTH_PATH}`,
    oauth2TokenUrl: `${issuer}/token`,
    oauth2RevokeUrl: `${issuer}/revoke`,
    tokenInfoUrl: `${issuer}/tokeninfo`,
    oauth2FederatedSignonPemCertsUrl: `${issuer}/oauth2/v1/certs`,
    oauth2FederatedSignonJwkCertsUrl: `${issuer}/oauth2/v3/certs`,
  };

  const standin: GoogleStandin = {
    url: issuer,
    endpoints,
    userinfoUrl: `${issuer}/v1/userinfo`,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    users,
    get nextUser() {
      return nextUser;
    },
    set nextUser(email: string) {
      const user = userByEmail(email);
      if (!user) throw new Error(`google stand-in: no user with email ${email}`);
      nextUser = user.email;
    },
    get nextDecision() {
      return nextDecision;
    },
    set nextDecision(value: 'allow' | 'deny') {
      nextDecision = value;
    },
    get nextUntickedScopes() {
      return [...nextUnticked];
    },
    set nextUntickedScopes(scopes: string[]) {
      const boxless = scopes.filter((sc) => OIDC_SCOPES.includes(sc));
      if (boxless.length > 0)
        throw new Error(`google stand-in: Google's consent screen has no box for ${boxless.join(', ')}`);
      nextUnticked = [...scopes];
    },
    authorizeRequests,
    tokenRequests,
    revocations,
    issuedRefreshTokens,
    serverErrors,
    async verifyAccessToken(token: string) {
      const payload = liveToken('AccessToken', token);
      const user = payload?.accountId ? userBySub(payload.accountId) : undefined;
      if (!payload || !user) return null;
      return {
        sub: user.sub,
        email: user.email,
        scopes: String(payload.scope ?? '')
          .split(' ')
          .filter(Boolean),
      };
    },
    clearTokenFaults() {
      faults.length = 0;
    },
    failNextToken(fault: FailTokenOptions) {
      const count = fault.count ?? 1;
      if (!Number.isInteger(count) || count < 1) throw new Error('google stand-in: count must be a positive integer');
      faults.push({
        status: fault.status,
        body:
          fault.body ??
          (fault.status >= 500
            ? { error: 'internal_failure', error_description: 'Backend Error' }
            : { error: 'invalid_request' }),
        delayMs: fault.delayMs ?? 0,
        remaining: count,
      });
    },
    revokeUser(email: string) {
      const user = userByEmail(email);
      if (!user) throw new Error(`google stand-in: no user with email ${email}`);
      let revoked = 0;
      for (const [grantId, meta] of [...grants]) {
        if (meta.accountId === user.sub) {
          revokeGrant(grantId);
          revoked++;
        }
      }
      return revoked;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const release of [...pendingDelays]) release();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
  return standin;
}
