/**
 * `npm run admin -- doctor <BASE_URL>`: checks a running deployment from the admin's laptop, with no
 * credentials and without changing anything on it. Each check is one line, ✓ or ✗ (with what to do), ! for
 * a warning, – when skipped; the command exits non-zero if any check failed. It ends with the two values the
 * admin copies elsewhere: the Google redirect URI and the MCP URL for Claude.
 *
 * Least intrusive by design: only GETs, one unauthenticated POST to /mcp (answered 401 before any work),
 * and one POST to the registration endpoint whose body is not JSON, which oidc-provider refuses with a
 * 400 OAuth error before registering anything (and which our registration cap does not count).
 */
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { isLoopbackHost } from '../config/config.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  status: CheckStatus;
  /** Short name of what was checked. */
  name: string;
  /** What was found. */
  detail: string;
  /** What to do about it (failures and warnings). */
  fix?: string;
}

export interface DoctorReport {
  origin: string;
  results: CheckResult[];
  /** The MCP URL to paste into Claude, when the server announced one. */
  mcpUrl?: string;
  /** The redirect URI to register on the Google OAuth client. */
  googleRedirectUri?: string;
  ok: boolean;
}

export interface TlsInfo {
  authorized: boolean;
  /** OpenSSL/Node code, e.g. CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID. */
  authorizationError?: string;
  validTo?: Date;
  protocol?: string;
}

export interface DoctorOptions {
  fetch?: typeof fetch;
  /** Extra trusted CA certificates for the TLS check (tests). */
  ca?: string | Buffer;
  timeoutMs?: number;
  now?: () => Date;
}

const SYMBOL: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', skip: '–' };
/** Renew warnings: Google-managed certificates renew about a month ahead, so two weeks left means trouble. */
const CERT_WARN_DAYS = 14;
/** Endpoints some clients call at fixed paths whatever the metadata says (docs: mcp-and-claude.md). */
const FIXED_PATHS: Record<string, string> = {
  authorization_endpoint: '/authorize',
  token_endpoint: '/token',
  registration_endpoint: '/register',
  revocation_endpoint: '/revoke',
};
const ENDPOINT_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'registration_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'jwks_uri',
  'pushed_authorization_request_endpoint',
  'userinfo_endpoint',
  'end_session_endpoint',
];
const DEPLOY_GUIDE = 'docs/deploy.md';

/** Connects with TLS (certificate problems reported, not thrown) and reads what the server presented. */
export function probeTls(url: URL, opts: { ca?: string | Buffer; timeoutMs?: number } = {}): Promise<TlsInfo> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 443),
      servername: isIp(url.hostname) ? undefined : url.hostname,
      rejectUnauthorized: false,
      ...(opts.ca ? { ca: opts.ca } : {}),
    });
    socket.setTimeout(opts.timeoutMs ?? 10_000, () => socket.destroy(new Error('timed out')));
    socket.once('secureConnect', () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      resolve({
        authorized: socket.authorized,
        authorizationError: tlsErrorText(socket.authorizationError as unknown),
        validTo: cert?.valid_to ? new Date(cert.valid_to) : undefined,
        protocol: socket.getProtocol() ?? undefined,
      });
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** Node types authorizationError as an Error, but it is often the bare code string (e.g. "CERT_HAS_EXPIRED"). */
function tlsErrorText(error: unknown): string | undefined {
  if (error === null || error === undefined) return undefined;
  if (typeof error === 'string') return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : JSON.stringify(error);
}

function isIp(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.includes(':');
}

interface Fetched {
  status: number;
  headers: Headers;
  text: string;
  json?: Record<string, unknown>;
}

function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer (timed out)';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

/** Where each check reads its facts; the checks never throw. */
class Probe {
  constructor(
    private readonly doFetch: typeof fetch,
    private readonly timeoutMs: number,
  ) {}

  async get(url: string, init: RequestInit = {}): Promise<Fetched | { error: string }> {
    try {
      const res = await this.doFetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(this.timeoutMs) });
      const text = (await res.text()).slice(0, 100_000);
      let json: Record<string, unknown> | undefined;
      try {
        const parsed = JSON.parse(text) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    } catch (err) {
      return { error: describeError(err) };
    }
  }
}

/** A short reason for an HTTP answer that is not what a healthy deployment gives. */
function httpProblem(r: Fetched): { detail: string; fix?: string } {
  if (r.status >= 300 && r.status < 400) {
    return {
      detail: `HTTP ${r.status} redirect to ${r.headers.get('location') ?? '?'}`,
      fix: 'something in front of the service redirects (a proxy, IAP, or a wrong address): use the service URL itself (terraform output -raw service_url)',
    };
  }
  if (r.status === 403) {
    return {
      detail: 'HTTP 403 from Cloud Run',
      fix: `the service is not public: apply Terraform with deploy_service = true (it grants allUsers roles/run.invoker), or set invoker_iam_disabled = true (${DEPLOY_GUIDE}, step 6)`,
    };
  }
  if (r.status === 404) {
    return {
      detail: 'HTTP 404',
      fix: `not this server, or an image older than this check: deploy the current code (${DEPLOY_GUIDE}, step 7)`,
    };
  }
  if (r.status >= 500) {
    return {
      detail: `HTTP ${r.status}`,
      fix: 'the server failed: read its logs (gcloud run services logs read SERVICE --region REGION) for a CRITICAL or ERROR line',
    };
  }
  return { detail: `HTTP ${r.status}` };
}

function unreachable(error: string): { detail: string; fix: string } {
  return {
    detail: `could not connect: ${error}`,
    fix: 'check the address (terraform output -raw service_url) and that the service is deployed and running',
  };
}

/** `Bearer a="b", c="d"` -> { a: 'b', c: 'd' } (quoted values only; enough for our challenge). */
export function challengeParams(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
  return params;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}

/** Normalises what the admin typed: an origin (a pasted MCP URL is accepted and reduced to its origin). */
export function parseTarget(input: string): { origin: URL; note?: string } | { error: string } {
  let url: URL;
  try {
    url = new URL(input.includes('://') ? input : `https://${input}`);
  } catch {
    return {
      error: `"${input}" is not a URL. Example: npm run admin -- doctor https://contacts-mcp-123456789012.europe-west1.run.app`,
    };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { error: `"${input}" is not an http(s) URL.` };
  const origin = new URL(url.origin);
  const note =
    url.pathname !== '/' || url.search
      ? `checking the origin ${url.origin} (the path ${url.pathname} is ignored)`
      : undefined;
  return { origin, ...(note ? { note } : {}) };
}

export async function runDoctor(input: string, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const results: CheckResult[] = [];
  const add = (status: CheckStatus, name: string, detail: string, fix?: string) =>
    results.push({ status, name, detail, ...(fix ? { fix } : {}) });
  const target = parseTarget(input);
  if ('error' in target) {
    add('fail', 'address', target.error);
    return { origin: input, results, ok: false };
  }
  const origin = target.origin.origin;
  if (target.note) add('skip', 'address', target.note);
  const probe = new Probe(opts.fetch ?? fetch, opts.timeoutMs ?? 10_000);
  const loopback = isLoopbackHost(target.origin.hostname);
  const now = opts.now?.() ?? new Date();

  // 1. TLS
  if (target.origin.protocol === 'http:') {
    if (loopback) add('skip', 'TLS', 'skipped (loopback)');
    else
      add(
        'fail',
        'TLS',
        `${origin} is plain http`,
        'MCP clients and Google require https: use the https:// address of the service',
      );
  } else {
    try {
      const tls = await probeTls(target.origin, { ca: opts.ca, timeoutMs: opts.timeoutMs });
      const days = tls.validTo ? Math.floor((tls.validTo.getTime() - now.getTime()) / 86_400_000) : undefined;
      const validity = tls.validTo
        ? `valid until ${tls.validTo.toISOString().slice(0, 10)} (${days} days)`
        : 'no expiry date';
      if (!tls.authorized) {
        add(
          'fail',
          'TLS',
          `certificate not trusted for ${target.origin.hostname}: ${tls.authorizationError ?? 'unknown reason'}`,
          'for a custom domain: wait for the managed certificate (up to a day after the DNS records are right) and check the DNS records the domain mapping or load balancer asked for',
        );
      } else if (days !== undefined && days < CERT_WARN_DAYS) {
        add(
          'warn',
          'TLS',
          `certificate ${validity}, ${tls.protocol ?? ''}`.trim(),
          'the certificate is about to expire: check the domain mapping or load balancer certificate status in the console',
        );
      } else {
        add('pass', 'TLS', `certificate trusted, ${validity}, ${tls.protocol ?? ''}`.trim());
      }
    } catch (err) {
      add('fail', 'TLS', `no TLS connection: ${describeError(err)}`, unreachable(describeError(err)).fix);
    }
  }

  // 2. /health
  const health = await probe.get(`${origin}/health`);
  if ('error' in health) add('fail', '/health', unreachable(health.error).detail, unreachable(health.error).fix);
  else if (health.status === 200 && health.json?.status === 'ok') {
    const noStore = /no-store/.test(health.headers.get('cache-control') ?? '');
    if (noStore) add('pass', '/health', '200 {"status":"ok"}');
    else
      add(
        'warn',
        '/health',
        '200, but cacheable',
        'a proxy in front of the service may answer from its cache: /health must be Cache-Control: no-store',
      );
  } else {
    const p = httpProblem(health);
    add(
      'fail',
      '/health',
      `${p.detail}${health.status === 200 ? ' (not {"status":"ok"})' : ''}`,
      p.fix ?? 'this is not the contacts MCP server: check the address',
    );
  }

  // 3. Protected resource metadata (RFC 9728)
  const expectedMcpUrl = `${origin}/mcp`;
  const prmUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const prmRes = await probe.get(prmUrl);
  let prm: Record<string, unknown> | undefined;
  if ('error' in prmRes)
    add('fail', 'protected resource metadata', unreachable(prmRes.error).detail, unreachable(prmRes.error).fix);
  else if (prmRes.status !== 200 || !prmRes.json)
    add(
      'fail',
      'protected resource metadata',
      `${httpProblem(prmRes).detail} at ${prmUrl}`,
      httpProblem(prmRes).fix ?? 'deploy the current code',
    );
  else {
    prm = prmRes.json;
    const resource = prm.resource;
    const servers = stringList(prm.authorization_servers) ?? [];
    if (resource !== expectedMcpUrl) {
      add(
        'fail',
        'protected resource metadata',
        `resource is ${JSON.stringify(resource)}, not ${expectedMcpUrl}`,
        baseUrlFix(resource, '/mcp'),
      );
    } else if (!servers.includes(origin)) {
      add(
        'fail',
        'protected resource metadata',
        `authorization_servers ${JSON.stringify(servers)} does not list ${origin}`,
        'BASE_URL of the service must be this address (Terraform sets it from custom_domain or the run.app URL)',
      );
    } else {
      add('pass', 'protected resource metadata', `resource = ${expectedMcpUrl}, authorization server = ${origin}`);
    }
  }

  // 4. Authorization server metadata (RFC 8414)
  const asUrl = `${origin}/.well-known/oauth-authorization-server`;
  const asRes = await probe.get(asUrl);
  let as: Record<string, unknown> | undefined;
  if ('error' in asRes)
    add('fail', 'authorization server metadata', unreachable(asRes.error).detail, unreachable(asRes.error).fix);
  else if (asRes.status !== 200 || !asRes.json)
    add(
      'fail',
      'authorization server metadata',
      `${httpProblem(asRes).detail} at ${asUrl}`,
      httpProblem(asRes).fix ?? 'deploy the current code',
    );
  else {
    as = asRes.json;
    if (as.issuer !== origin)
      add('fail', 'issuer', `issuer is ${JSON.stringify(as.issuer)}, not ${origin}`, baseUrlFix(as.issuer, ''));
    else add('pass', 'issuer', `${origin} (equals the address checked)`);

    const offOrigin: string[] = [];
    const wrongPath: string[] = [];
    for (const field of ENDPOINT_FIELDS) {
      const value = as[field];
      if (value === undefined) continue;
      if (typeof value !== 'string' || !value.startsWith(`${origin}/`))
        offOrigin.push(`${field}=${JSON.stringify(value)}`);
      else if (FIXED_PATHS[field] && new URL(value).pathname !== FIXED_PATHS[field])
        wrongPath.push(`${field}=${value}`);
    }
    const missing = Object.keys(FIXED_PATHS).filter((f) => as![f] === undefined);
    if (offOrigin.length > 0)
      add(
        'fail',
        'endpoints',
        `not on ${origin}: ${offOrigin.join(', ')}`,
        'BASE_URL of the service must be the address clients use; a proxy must not rewrite the metadata',
      );
    else if (missing.length > 0) add('fail', 'endpoints', `missing: ${missing.join(', ')}`, 'deploy the current code');
    else if (wrongPath.length > 0)
      add(
        'fail',
        'endpoints',
        `not at the paths clients assume: ${wrongPath.join(', ')}`,
        'some clients ignore the metadata and call /authorize, /token, /register and /revoke: serve them there',
      );
    else add('pass', 'endpoints', `all on ${origin} (/authorize, /token, /register, /revoke)`);

    const pkce = stringList(as.code_challenge_methods_supported) ?? [];
    if (!pkce.includes('S256'))
      add(
        'fail',
        'PKCE',
        `code_challenge_methods_supported is ${JSON.stringify(as.code_challenge_methods_supported)}`,
        'MCP clients refuse a server that does not advertise S256: deploy the current code',
      );
    else if (pkce.includes('plain')) add('fail', 'PKCE', 'plain is advertised', 'only S256 may be offered (OAuth 2.1)');
    else add('pass', 'PKCE', 'S256 only');

    const authMethods = stringList(as.token_endpoint_auth_methods_supported) ?? [];
    const neededMethods = ['none', 'client_secret_post'].filter((m) => !authMethods.includes(m));
    if (neededMethods.length > 0)
      add(
        'fail',
        'client authentication',
        `token_endpoint_auth_methods_supported lacks ${neededMethods.join(', ')}`,
        'Claude registers public clients (none) and confidential ones (client_secret_post): deploy the current code',
      );
    else add('pass', 'client authentication', 'none and client_secret_post');

    if (as.client_id_metadata_document_supported === true)
      add('pass', 'client ID metadata documents', 'advertised (Claude uses them instead of registering)');
    else
      add(
        'warn',
        'client ID metadata documents',
        'CIMD not advertised: clients will use DCR (dynamic registration)',
        'expected if CLIENT_ID_METADATA_DOCUMENTS=false; otherwise deploy the current code',
      );
  }

  // 5. The 401 challenge on /mcp
  const mcp = await probe.get(expectedMcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  let challengeScope: string[] | undefined;
  if ('error' in mcp) add('fail', '401 challenge on /mcp', unreachable(mcp.error).detail, unreachable(mcp.error).fix);
  else if (mcp.status !== 401) {
    const p = httpProblem(mcp);
    add(
      'fail',
      '401 challenge on /mcp',
      `POST /mcp without a token answered ${p.detail}, not 401`,
      p.fix ?? 'Claude starts sign-in only on a 401 with a WWW-Authenticate challenge: deploy the current code',
    );
  } else {
    const header = mcp.headers.get('www-authenticate') ?? '';
    const params = challengeParams(header);
    if (!/^Bearer\b/i.test(header))
      add(
        'fail',
        '401 challenge on /mcp',
        `WWW-Authenticate is ${JSON.stringify(header)}`,
        'a proxy may strip the header: the 401 must carry WWW-Authenticate: Bearer resource_metadata=…',
      );
    else if (params.resource_metadata !== prmUrl)
      add(
        'fail',
        '401 challenge on /mcp',
        `resource_metadata is ${JSON.stringify(params.resource_metadata)}, not ${prmUrl}`,
        baseUrlFix(params.resource_metadata, '/.well-known/oauth-protected-resource/mcp'),
      );
    else {
      add('pass', '401 challenge on /mcp', `Bearer resource_metadata="${prmUrl}"`);
      challengeScope = params.scope?.split(' ').filter(Boolean);
    }
  }

  // 6. Scopes: what the challenge asks for is what the resource offers; offline_access is the AS's business.
  if (prm) {
    const prmScopes = stringList(prm.scopes_supported);
    if (!prmScopes || prmScopes.length === 0)
      add('fail', 'scopes', 'the protected resource metadata lists no scopes_supported', 'deploy the current code');
    else if (prmScopes.includes('offline_access'))
      add(
        'fail',
        'scopes',
        'the protected resource metadata lists offline_access',
        'offline_access belongs to the authorization server, not the resource (clients would ask for it twice)',
      );
    else if (challengeScope && !challengeScope.every((s) => prmScopes.includes(s)))
      add(
        'fail',
        'scopes',
        `the challenge asks for ${challengeScope.join(' ')} but the resource offers ${prmScopes.join(' ')}`,
        'instances disagree (READ_ONLY differs between revisions?): redeploy so that all run one configuration',
      );
    else
      add(
        'pass',
        'scopes',
        `resource offers ${prmScopes.join(' ')}${challengeScope ? `; the challenge asks for ${challengeScope.join(' ')}` : ''}`,
      );
  }

  // 7. Registration answers (a body it refuses before registering anything)
  const advertised = as?.registration_endpoint;
  const registration =
    typeof advertised === 'string' && advertised.startsWith(`${origin}/`) ? advertised : `${origin}/register`;
  const reg = await probe.get(registration, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'doctor: checking that registration answers',
  });
  if ('error' in reg) add('fail', 'registration', unreachable(reg.error).detail, unreachable(reg.error).fix);
  else if (reg.status === 400 && typeof reg.json?.error === 'string')
    add(
      'pass',
      'registration',
      `${new URL(registration).pathname} answers (400 ${String(reg.json.error)} to a probe that registers nothing)`,
    );
  else if (reg.status === 429)
    add(
      'warn',
      'registration',
      '429: the hourly registration cap is reached',
      'raise REGISTRATIONS_PER_HOUR if real clients hit it, or wait',
    );
  else {
    const p = httpProblem(reg);
    add(
      'fail',
      'registration',
      `${new URL(registration).pathname} answered ${p.detail}, not a 400 OAuth error`,
      p.fix ?? 'dynamic client registration is not served: deploy the current code',
    );
  }

  const mcpUrl = typeof prm?.resource === 'string' && prm.resource === expectedMcpUrl ? prm.resource : undefined;
  return {
    origin,
    results,
    ...(mcpUrl ? { mcpUrl } : {}),
    googleRedirectUri: `${origin}/oauth/google/callback`,
    ok: !results.some((r) => r.status === 'fail'),
  };
}

/** The fix when the server announces another address than the one checked: its BASE_URL differs. */
function baseUrlFix(announced: unknown, suffix: string): string {
  if (typeof announced === 'string' && announced.endsWith(suffix)) {
    const theirs = announced.slice(0, announced.length - suffix.length);
    return `the service's BASE_URL is ${theirs}: check that address instead (and give it to Claude), or set custom_domain so BASE_URL matches this one (${DEPLOY_GUIDE}, Custom domain)`;
  }
  return 'the service must announce this address: check BASE_URL (Terraform sets it from custom_domain or the run.app URL)';
}

export function formatDoctor(report: DoctorReport): string {
  const lines = [`Checking ${report.origin}`, ''];
  for (const r of report.results) {
    lines.push(`${SYMBOL[r.status]} ${r.name}: ${r.detail}${r.fix ? ` — ${r.fix}` : ''}`);
  }
  lines.push('');
  lines.push(
    `Google OAuth redirect URI (Authorized redirect URIs of the Web OAuth client): ${report.googleRedirectUri ?? '?'}`,
  );
  lines.push(
    `MCP URL (Claude: Settings → Connectors → Add custom connector): ${report.mcpUrl ?? `${report.origin}/mcp (not confirmed by the server)`}`,
  );
  const failed = report.results.filter((r) => r.status === 'fail').length;
  const warned = report.results.filter((r) => r.status === 'warn').length;
  lines.push('');
  lines.push(
    failed === 0
      ? `All checks passed${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}.`
      : `${failed} check${failed > 1 ? 's' : ''} failed.`,
  );
  return lines.join('\n');
}
