/**
 * The authorization server: oidc-provider configured for MCP clients. oidc-provider does the protocol
 * (discovery, DCR, CIMD, PKCE, codes, refresh rotation, revocation, introspection); this file only sets
 * policy: token formats and lifetimes, the single resource (our MCP URL), loopback redirect ports,
 * hashed client secrets, the CIMD fetch guard and the error page.
 */
import { createSecretKey } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/config.js';
import { isLoopbackHost } from '../config/config.js';
import { log } from '../logging/logger.js';
import { constantTimeEqual, hashValue, type KeyRing } from '../security/keys.js';
import type { Store } from '../storage/port.js';
import { html, page, raw } from '../web/html.js';
import { createAdapterFactory } from './adapter.js';
import { CIMD_MAX_BYTES } from './cimd.js';
import { createCimdSupport } from './cimd-clients.js';
import { cimdErrorPage } from './cimd-pages.js';
import type { GoogleTokenStore } from '../upstream/google/token-store.js';

import {
  ACCESS_TOKEN_TTL,
  AUTHORIZATION_CODE_TTL,
  GRANT_TTL,
  SESSION_TTL,
  INTERACTION_TTL,
  CLIENT_IDLE_TTL,
  OIDC_SCOPES,
  resourceScope,
  isOurResource,
  scopesSupported,
} from './constants.js';

export interface ProviderDeps {
  config: Config;
  store: Store;
  keys: KeyRing;
  googleTokens: GoogleTokenStore;
}

function loopbackRedirectMatches(registered: string, actual: string): boolean {
  // RFC 8252 §7.3: for loopback redirect URIs the port is chosen at run time; everything else must match.
  let r: URL;
  let a: URL;
  try {
    r = new URL(registered);
    a = new URL(actual);
  } catch {
    return false;
  }
  if (r.protocol !== 'http:' || a.protocol !== 'http:') return false;
  if (!isLoopbackHost(r.hostname) || r.hostname !== a.hostname) return false;
  return r.pathname === a.pathname && r.search === a.search && !a.hash && !a.username && !a.password;
}

export async function createProvider(deps: ProviderDeps): Promise<Provider> {
  // Imported here, not at the top: loading oidc-provider is a third of the cold start (see app.ts).
  const { default: ProviderClass, errors } = await import('oidc-provider');
  const { config, store, keys, googleTokens } = deps;
  const hsKey = createSecretKey(keys.accessTokenKeys[0]!);
  const cimd = createCimdSupport({ config, store, errors, currentContext: () => ProviderClass.ctx });

  const configuration: Configuration = {
    adapter: createAdapterFactory(store, {
      invalidGrant: (message) => new errors.InvalidGrant(message),
      refreshGraceSeconds: config.refreshReuseGraceSeconds,
      grantTtlSeconds: GRANT_TTL,
      clientIdleTtlSeconds: CLIENT_IDLE_TTL,
      onReplay: (kind, grantId) =>
        log().warn(
          { event: 'grant.revoked', reason: 'replay_detected', kind, grantRevoked: Boolean(grantId) },
          'single-use credential replayed; grant revoked',
        ),
    }) as unknown as Configuration['adapter'],
    clients: [],
    jwks: keys.jwks as unknown as Configuration['jwks'],
    cookies: {
      keys: keys.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      async claims() {
        const profile = await googleTokens.profile(sub);
        return { sub, email: profile?.email, email_verified: profile ? true : undefined, name: profile?.name };
      },
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: OIDC_SCOPES,
    responseTypes: ['code'],
    clientAuthMethods: ['none', 'client_secret_post', 'client_secret_basic'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      requestObjectSigningAlgValues: ['ES256'],
      userinfoSigningAlgValues: ['ES256'],
      introspectionSigningAlgValues: ['ES256'],
      authorizationSigningAlgValues: ['ES256'],
    },
    pkce: { required: () => true },
    routes: {
      authorization: '/authorize',
      token: '/token',
      registration: '/register',
      revocation: '/revoke',
      introspection: '/introspect',
      jwks: '/jwks',
      userinfo: '/userinfo',
      end_session: '/session/end',
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      // No registration access token: client management (RFC 7592) is off, so a registration_client_uri
      // would point at an endpoint that can only answer 401 (hashed secrets cannot be read back either).
      registration: { enabled: true, initialAccessToken: false, issueRegistrationAccessToken: false },
      registrationManagement: { enabled: false },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a client may only revoke its own tokens.
        allowedPolicy: async (_ctx, client, token) => client.clientId === (token as { clientId?: string }).clientId,
      },
      introspection: {
        enabled: true,
        // Only the client a token was issued to may introspect it.
        allowedPolicy: async (_ctx, client, token) => client.clientId === (token as { clientId?: string }).clientId,
      },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => config.mcpUrl,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (!isOurResource(config, resourceIndicator)) {
            throw new errors.InvalidTarget(`resource must be ${config.mcpUrl}`);
          }
          return {
            scope: resourceScope(config),
            audience: config.mcpUrl,
            accessTokenTTL: ACCESS_TOKEN_TTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'HS256', key: hsKey } },
          };
        },
      },
      // On unless CLIENT_ID_METADATA_DOCUMENTS=false; fetch guard, stored copies and pages in cimd-*.ts.
      clientIdMetadataDocument: cimd.feature,
    } as Configuration['features'],
    fetchResponseBodyLimits: {
      'client_id metadata document': CIMD_MAX_BYTES,
    } as unknown as Configuration['fetchResponseBodyLimits'],
    fetch: cimd.fetch,
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL,
      AuthorizationCode: AUTHORIZATION_CODE_TTL,
      IdToken: ACCESS_TOKEN_TTL,
      RefreshToken: GRANT_TTL,
      Grant: GRANT_TTL,
      Session: SESSION_TTL,
      Interaction: INTERACTION_TTL,
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    allowOmittingSingleRegisteredRedirectUri: true,
    extraTokenClaims: async (_ctx, token) => {
      const grantId = (token as { grantId?: string }).grantId;
      return grantId ? { gid: grantId } : undefined;
    },
    renderError: async (ctx, out, err) => {
      ctx.type = 'html';
      ctx.set(
        'Content-Security-Policy',
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      ctx.set('X-Frame-Options', 'DENY');
      const cimdPage = cimdErrorPage(err);
      if (cimdPage) {
        ctx.status = cimdPage.status;
        ctx.body = page(cimdPage.title, cimdPage.body);
        return;
      }
      ctx.body = page(
        'Sign-in could not continue',
        html`<div class="card"><h1>Sign-in could not continue</h1>
<p>The app that sent you here made a request this server cannot accept, so you were not sent back to it.</p>
<dl><dt>Error</dt><dd><code>${out.error}</code></dd>${out.error_description ? html`<dt>Details</dt><dd>${out.error_description}</dd>` : raw('')}</dl>
<p class="muted">You can close this window and try connecting again from your app. If it keeps happening, give your administrator the time of this attempt.</p></div>`,
      );
    },
  };

  const provider = new ProviderClass(config.issuer, configuration);
  provider.proxy = true;

  // The resource scope is not an OpenID Connect scope, so oidc-provider leaves it out of scopes_supported;
  // clients compare that list with the protected-resource metadata and the challenge, so add it.
  provider.use(async (ctx, next) => {
    await next();
    if (
      (ctx.oidc as { route?: string } | undefined)?.route === 'discovery' &&
      ctx.body &&
      typeof ctx.body === 'object'
    ) {
      (ctx.body as { scopes_supported?: string[] }).scopes_supported = scopesSupported(config);
    }
  });

  // Client secrets are stored as "sha256:<hash>" (adapter.ts); compare the hash of what is presented.
  const ClientProto = provider.Client.prototype as unknown as {
    clientSecret?: string;
    compareClientSecret(actual: string): boolean | Promise<boolean>;
    redirectUriAllowed(value: string): boolean;
    redirectUris?: string[];
  };
  ClientProto.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    const stored = this.clientSecret ?? '';
    const presented = stored.startsWith('sha256:') ? `sha256:${hashValue(actual)}` : actual;
    return constantTimeEqual(stored, presented);
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the client as `this`
  const exactRedirect = ClientProto.redirectUriAllowed;
  ClientProto.redirectUriAllowed = function redirectUriAllowed(this: { redirectUris?: string[] }, value: string) {
    if (exactRedirect.call(this, value)) return true;
    return (this.redirectUris ?? []).some((registered) => loopbackRedirectMatches(registered, value));
  };

  // URL client ids: CLIENT_ID_METADATA_DOCUMENTS=false refusals, loopback http documents (loopback mode
  // only), one log line per attempt.
  cimd.install(provider);

  return provider;
}

export type { KoaContextWithOIDC };
