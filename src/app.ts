/**
 * Builds the whole service from configuration and dependencies, without listening (main.ts listens;
 * tests, the sandbox and the bench start it in-process through standins/wiring.ts). Route order matters: our own routes and request policy first,
 * oidc-provider (mounted at the root) last.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import cors from 'cors';
import type { Logger } from 'pino';
import type Provider from 'oidc-provider';
import type { Config } from './config/config.js';
import { ContactTrash } from './contacts/trash.js';
import { log, traceFields, withRequestLogger } from './logging/logger.js';
import { createMcpRouter } from './mcp/http/router.js';
import type { ToolDefinition } from './mcp/tools/types.js';
import { AccessTokenVerifier } from './oauth/access-tokens.js';
import { createAccountRouter } from './account/router.js';
import { createInteractionRouter } from './oauth/interaction/router.js';
import { OAUTH_FORM_MAX_BYTES, OIDC_SCOPES, resourceScope } from './oauth/constants.js';
import { createAuthorizationServer } from './oauth/authorization-server.js';
import { createRegistrationPolicy } from './oauth/request-policy/registration.js';
import { normalizeAuthorizeScope } from './oauth/request-policy/authorize-params.js';
import { createTokenRateLimit } from './oauth/request-policy/token-rate-limit.js';
import { limitOAuthBody } from './http/body.js';
import { idlePreload } from './http/idle-preload.js';
import { OAuthHttpError, storeUnavailable } from './http/oauth-error.js';
import { KeyRing } from './security/keys.js';
import { isStoreUnavailable, type Store } from './storage/port.js';
import { GoogleOAuth } from './upstream/google/oauth.js';
import { PeopleGateway } from './upstream/google/people.js';
import { GoogleTokenStore } from './upstream/google/token-store.js';
import { html, raw, sendPage, STYLESHEET } from './web/html.js';
import { GRANT_TTL } from './oauth/constants.js';
import { revokeAccount } from './oauth/revocation.js';

export interface AppDeps {
  config: Config;
  store: Store;
  logger: Logger;
  /** Override the tool set (tests). */
  tools?: ToolDefinition[];
}

export interface App {
  app: express.Express;
  /** The authorization server (oidc-provider), created on first use. */
  authorizationServer: () => Promise<Provider>;
  keys: KeyRing;
  googleTokens: GoogleTokenStore;
  people: PeopleGateway;
  verifier: AccessTokenVerifier;
  /** Deleted contacts kept for undo. */
  trash: ContactTrash;
  /** Background work started by events (e.g. Google revocation); tests await it. */
  pending: Set<Promise<unknown>>;
  /**
   * Loads what the first tool call needs and the start did not (the People API client), so that a cold
   * instance does it while it waits for its startup probe and the first request, not inside that request.
   * Never rejects.
   */
  warmUp: () => Promise<void>;
}

/** Masks ids that appear in paths (interaction uids) so a log line carries no bearer-ish value. */
function routeOf(path: string): string {
  return path.replace(/^\/(interaction|authorize)\/[^/]+/, '/$1/:uid');
}

export function createApp(deps: AppDeps): App {
  const { config, store, logger } = deps;
  const keys = new KeyRing(config.accessTokenSecrets);
  const google = new GoogleOAuth({
    issuer: config.googleIssuer,
    clientId: config.google.clientId,
    clientSecret: config.google.clientSecret,
    redirectUri: `${config.baseUrl}/oauth/google/callback`,
    timeoutMs: config.googleTimeoutMs,
  });
  const googleTokens = new GoogleTokenStore(store, keys, google, GRANT_TTL);
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    p.catch((err: unknown) => log().error({ err }, 'background task failed')).finally(() => pending.delete(p));
  };
  const verifier = new AccessTokenVerifier(config, keys, store);
  // A revoked grant's access tokens stop at once on this instance (other instances: within GRANT_CHECK_TTL_MS).
  const onGrantRevoked = (grantId: string) => verifier.forgetGrant(grantId);
  const people = new PeopleGateway({
    rootUrl: config.peopleApiRootUrl,
    tokens: googleTokens,
    timeoutMs: config.peopleTimeoutMs,
    onReauthRequired: async (accountId) => {
      // Google no longer honours our token: end our grants too, so the client's next refresh fails
      // and it starts a fresh sign-in instead of looping on 401s.
      const grantIds = await revokeAccount(store, googleTokens, accountId, { revokeAtGoogle: false });
      grantIds.forEach(onGrantRevoked);
      log().warn(
        {
          event: 'grant.revoked',
          reason: 'google_invalid_grant',
          accountId,
          email: googleTokens.knownEmail(accountId),
          grants: grantIds.length,
        },
        'Google sign-in revoked; grants ended',
      );
    },
  });
  const trash = new ContactTrash(store, keys, config.trashDays);
  const scope = resourceScope(config);
  // The authorization server is created on first use, or preloaded once the server is idle after its first
  // request (http/idle-preload.ts: never in front of the request a cold start is for).
  let authorizationServer: Promise<Provider> | undefined;
  const getAuthorizationServer = (): Promise<Provider> =>
    (authorizationServer ??= createAuthorizationServer({ config, store, keys, googleTokens, onGrantRevoked, track }));
  let providerCallback: ((req: Request, res: Response) => unknown) | undefined;

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.set('query parser', 'simple');

  // Request context: a logger with trace fields, and one summary line per request.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const reqLogger = logger.child(traceFields(req.headers, config.firestore.projectId));
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : 'debug';
      reqLogger[level](
        { route: routeOf(req.path), method: req.method, status: res.statusCode, latencyMs: Math.round(ms * 10) / 10 },
        'request',
      );
    });
    withRequestLogger(reqLogger, next);
  });
  app.use(idlePreload(() => void getAuthorizationServer().catch(() => undefined)));

  // /healthz is what the Cloud Run probes call (inside Google's network). Cloud Run reserves some paths
  // ending in "z" on *.run.app, so from outside /healthz returns Google's own 404: /health is the URL the
  // admin and `npm run admin -- doctor` use. Same answer, nothing secret in it.
  const health = (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  };
  app.get('/healthz', health);
  app.get('/health', health);
  app.get('/assets/style.css', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/css').send(STYLESHEET);
  });
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.get('/', (_req, res) => {
    sendPage(
      res,
      200,
      'Google Contacts for Claude',
      html`<div class="card">
<h1>Google Contacts for Claude</h1>
<p>This server lets Claude and other MCP clients search and manage your Google Contacts after you sign in with Google.</p>
<p>To connect, add a custom connector in Claude (Settings → Connectors → Add custom connector) and paste this URL:</p>
<code class="url">${config.mcpUrl}</code>
<p>Already connected? <a href="/account">See and disconnect your connected apps</a>.</p>
<p class="muted">${config.readOnly ? 'This server is read-only: it can look up contacts but not change them.' : 'Claude will be able to read, create, update and delete contacts and groups.'} Your Google tokens stay on this server and are never given to Claude.</p>
${config.allowedDomains.length || config.allowedEmails.length ? html`<p class="muted">Only accounts your administrator allowed can sign in.</p>` : raw('')}
</div>`,
    );
  });

  // RFC 9728 Protected Resource Metadata, at the path-inserted URL and at the root.
  const prm = (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.json({
      resource: config.mcpUrl,
      authorization_servers: [config.issuer],
      scopes_supported: [scope],
      bearer_methods_supported: ['header'],
      resource_name: 'Google Contacts',
      resource_documentation: `${config.baseUrl}/`,
    });
  };
  app.get(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'], cors(), prm);

  // RFC 8414 metadata: oidc-provider serves /.well-known/openid-configuration; the other names and the
  // path-inserted variants some clients try (issuer "with a path") get the same document.
  app.get(
    [
      '/.well-known/oauth-authorization-server',
      '/.well-known/oauth-authorization-server/mcp',
      '/.well-known/openid-configuration/mcp',
      '/mcp/.well-known/openid-configuration',
      '/mcp/.well-known/oauth-authorization-server',
    ],
    (req: Request, _res: Response, next: NextFunction) => {
      req.url = '/.well-known/openid-configuration';
      next();
    },
  );

  app.post('/register', createRegistrationPolicy({ perHour: config.registrationsPerHour }));
  app.get('/authorize', normalizeAuthorizeScope([...OIDC_SCOPES, scope], scope, config.mcpUrl));
  // oidc-provider reads these bodies itself and would answer an oversized one 400 without draining it.
  app.post(['/revoke', '/introspect'], limitOAuthBody(OAUTH_FORM_MAX_BYTES, 'Request'));
  app.post(
    '/token',
    createTokenRateLimit({
      perClientPerMinute: config.tokenRequestsPerClientPerMinute,
      globalPerMinute: config.tokenRequestsPerMinute,
      mcpUrl: config.mcpUrl,
      knownScopes: [...OIDC_SCOPES, scope],
    }),
  );

  app.use(
    createMcpRouter({
      config,
      verifier,
      people,
      trash,
      scope,
      tools: deps.tools,
      allowedOrigins: config.allowedOrigins,
    }),
  );
  app.use(
    createAccountRouter({
      config,
      store,
      keys,
      google,
      googleTokens,
      provider: getAuthorizationServer,
      onGrantRevoked,
    }),
  );
  app.use(createInteractionRouter({ config, provider: getAuthorizationServer, store, keys, google, googleTokens }));

  // oidc-provider derives endpoint URLs from the request's host and scheme; pin them to BASE_URL so the
  // metadata matches the issuer whichever hostname reached us (Cloud Run has several; proxies add more).
  const publicBase = new URL(config.baseUrl);
  app.use(async (req: Request, res: Response) => {
    req.headers['x-forwarded-host'] = publicBase.host;
    req.headers['x-forwarded-proto'] = publicBase.protocol.replace(':', '');
    providerCallback ??= (await getAuthorizationServer()).callback() as unknown as (
      req: Request,
      res: Response,
    ) => unknown;
    await providerCallback(req, res);
  });

  // Anything that escaped: a spec-shaped error, never a stack trace.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (isStoreUnavailable(err)) {
      log().error({ event: 'store.unavailable', route: routeOf(req.path) }, 'storage unavailable');
      storeUnavailable().send(res);
      return;
    }
    const status =
      (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      new OAuthHttpError(status, 'invalid_request', (err as Error).message?.slice(0, 200) ?? 'Bad request').send(res);
      return;
    }
    log().error({ err, route: routeOf(req.path) }, 'unhandled error');
    new OAuthHttpError(500, 'server_error', 'Internal error').send(res);
  });

  // What the first tool call after a cold start would otherwise load itself (see GoogleOAuth.preload).
  const warmUp = async (): Promise<void> => {
    await google.preload().catch(() => undefined);
  };

  return {
    app,
    authorizationServer: getAuthorizationServer,
    keys,
    googleTokens,
    people,
    verifier,
    trash,
    pending,
    warmUp,
  };
}
