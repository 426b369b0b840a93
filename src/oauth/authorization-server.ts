/**
 * The authorization server with its audit logging and storage-outage mapping: oidc-provider configured
 * in provider.ts, plus event listeners. Created on first use by app.ts (oidc-provider itself is imported
 * then), so a cold start that only serves /mcp with existing tokens does not pay for loading it.
 */
import type Provider from 'oidc-provider';
import { OAuthHttpError, storeUnavailable } from '../http/oauth-error.js';
import { log } from '../logging/logger.js';
import type { KeyRing } from '../security/keys.js';
import { isStoreUnavailable, type Store } from '../storage/port.js';
import type { GoogleTokenStore } from '../upstream/google/token-store.js';
import type { Config } from '../config/config.js';
import { createProvider } from './provider.js';
import { revokeGoogleWithLastGrant } from './revocation.js';

export interface AuthorizationServerDeps {
  config: Config;
  store: Store;
  keys: KeyRing;
  googleTokens: GoogleTokenStore;
  /**
   * Told of every grant oidc-provider revokes (refresh-token replay, /revoke), so whatever caches grant
   * liveness (the access-token verifier) stops honouring it at once on this instance. Wired in app.ts.
   */
  onGrantRevoked: (grantId: string) => void;
  /** Registers background work (e.g. Google revocation) so tests and shutdown can await it. */
  track: (p: Promise<unknown>) => void;
}

export async function createAuthorizationServer(deps: AuthorizationServerDeps): Promise<Provider> {
  const { config, store, keys, googleTokens, onGrantRevoked, track } = deps;
  const provider = await createProvider({ config, store, keys, googleTokens });

  (provider as unknown as { on(e: string, fn: (...a: never[]) => void): void }).on(
    'grant.revoked',
    (ctx: { oidc?: { entities?: Record<string, { accountId?: string } | undefined> } }, grantId: string) => {
      onGrantRevoked(grantId);
      const e = ctx.oidc?.entities ?? {};
      const accountId =
        e.RefreshToken?.accountId ?? e.AuthorizationCode?.accountId ?? e.AccessToken?.accountId ?? e.Grant?.accountId;
      const oidc = (ctx as { oidc?: { client?: { clientId?: string }; route?: string } }).oidc;
      // At the token endpoint a revocation means a replayed code or refresh token (RFC 9700 §4.14.2).
      const reason =
        oidc?.route === 'token' ? 'replay_detected' : oidc?.route === 'revocation' ? 'client_revoked' : oidc?.route;
      log().info(
        {
          event: 'grant.revoked',
          reason,
          accountId,
          email: googleTokens.knownEmail(accountId),
          clientId: oidc?.client?.clientId,
        },
        'grant revoked',
      );
      if (!accountId) return;
      track(revokeGoogleWithLastGrant(store, googleTokens, accountId));
    },
  );
  provider.on(
    'registration_create.success',
    (ctx: { oidc?: { client?: { clientId?: string; clientName?: string } } }) => {
      log().info(
        {
          event: 'client.registered',
          clientId: ctx.oidc?.client?.clientId,
          clientName: ctx.oidc?.client?.clientName?.slice(0, 100),
        },
        'client registered',
      );
    },
  );
  provider.on(
    'grant.success',
    (ctx: {
      oidc?: {
        params?: { grant_type?: string };
        client?: { clientId?: string };
        entities?: { Account?: { accountId?: string } };
      };
    }) => {
      const refresh = ctx.oidc?.params?.grant_type === 'refresh_token';
      const accountId = ctx.oidc?.entities?.Account?.accountId;
      log().info(
        {
          event: refresh ? 'token.refreshed' : 'token.issued',
          clientId: ctx.oidc?.client?.clientId,
          accountId,
          email: googleTokens.knownEmail(accountId),
        },
        refresh ? 'tokens refreshed' : 'tokens issued',
      );
    },
  );
  provider.on(
    'grant.error',
    (
      ctx: { oidc?: { params?: { grant_type?: string }; client?: { clientId?: string } } },
      err: { error?: string; error_description?: string },
    ) => {
      log().warn(
        {
          event: 'token.refused',
          reason: err.error,
          detail: err.error_description,
          grantType: ctx.oidc?.params?.grant_type,
          clientId: ctx.oidc?.client?.clientId,
        },
        'token request refused',
      );
    },
  );
  provider.on(
    'authorization.error',
    (ctx: { oidc?: { params?: { client_id?: string } } }, err: { error?: string; error_description?: string }) => {
      log().warn(
        {
          event: 'authorize.refused',
          reason: err.error,
          detail: err.error_description,
          clientId:
            typeof ctx.oidc?.params?.client_id === 'string' ? ctx.oidc.params.client_id.slice(0, 200) : undefined,
        },
        'authorization request refused',
      );
    },
  );
  provider.on('registration_create.error', (_ctx: unknown, err: { error?: string; error_description?: string }) => {
    log().warn(
      { event: 'client.registration_refused', reason: err.error, detail: err.error_description },
      'client registration refused',
    );
  });
  provider.on('server_error', (ctx: { state?: Record<string, unknown> }, err: Error) => {
    if (isStoreUnavailable(err)) {
      if (ctx.state) ctx.state.storeUnavailable = true;
      log().error({ event: 'store.unavailable', error: err.message }, 'storage unavailable during an OAuth request');
      return;
    }
    log().error({ err }, 'authorization server error');
  });
  // oidc-provider answers 500 for any adapter failure; a storage outage is a 503 the client should retry.
  // It answers unknown routes with a bare "Not Found"; give them an OAuth-style JSON error instead.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && (ctx.body === undefined || ctx.body === null || ctx.body === 'Not Found')) {
      new OAuthHttpError(404, 'not_found', 'No such endpoint').applyTo(ctx);
    }
    if (ctx.status === 500 && ctx.state.storeUnavailable) storeUnavailable().applyTo(ctx);
  });

  return provider;
}
