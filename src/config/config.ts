/**
 * Configuration: parsed and validated once at startup. Every error names the variable, what is wrong and
 * gives an example, so an admin reading a Cloud Run startup log knows what to fix.
 */
export type StoreKind = 'memory' | 'firestore';

export interface GoogleClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface Config {
  /** Public origin, no trailing slash, e.g. https://contacts.example.com */
  baseUrl: string;
  /** The OAuth issuer (= baseUrl). */
  issuer: string;
  /** The canonical MCP resource URL (= `${baseUrl}/mcp`). */
  mcpUrl: string;
  port: number;
  /** First entry signs; all entries verify (rotation: "new,previous"). */
  accessTokenSecrets: string[];
  google: GoogleClientCredentials;
  googleIssuer: string;
  peopleApiRootUrl: string;
  store: StoreKind;
  firestore: { projectId?: string; databaseId: string; collectionPrefix: string };
  allowedDomains: string[];
  allowedEmails: string[];
  readOnly: boolean;
  allowLoopbackHttp: boolean;
  /**
   * Whether URL client ids (Client ID Metadata Documents) are advertised and fetched. Off: clients fall
   * back to dynamic registration, for servers that cannot reach the apps' document hosts.
   */
  clientIdMetadataDocuments: boolean;
  logLevel: string;
  /** Global cap on dynamic client registrations per hour (not per IP: teams share egress IPs). */
  registrationsPerHour: number;
  /** Extra browser origins allowed to call /mcp (besides BASE_URL's own). */
  allowedOrigins: string[];
  /** Time limits for calls to Google's OAuth endpoints and to the People API. */
  googleTimeoutMs: number;
  peopleTimeoutMs: number;
  /** Token endpoint caps per client and per instance, per minute. */
  tokenRequestsPerClientPerMinute: number;
  tokenRequestsPerMinute: number;
  /** How long a just-rotated refresh token still works (concurrent refreshes), in seconds. */
  refreshReuseGraceSeconds: number;
  /** Whether this process runs on Cloud Run (K_SERVICE is set). */
  onCloudRun: boolean;
  /** How long deleted contacts stay in the trash (restorable), in days. */
  trashDays: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function parseBool(name: string, raw: string | undefined, problems: string[], fallback = false): boolean {
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  problems.push(`${name} must be true or false (got "${raw}"). Example: ${name}=true`);
  return false;
}

function parseList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

/** Validates an http(s) URL; https required unless loopback HTTP is allowed and the host is loopback. */
function parseUrl(
  name: string,
  raw: string,
  allowLoopbackHttp: boolean,
  problems: string[],
  opts: { originOnly?: boolean } = {},
): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${name} is not a valid URL (got "${raw}"). Example: ${name}=https://contacts-mcp.example.com`);
    return undefined;
  }
  if (url.protocol === 'http:') {
    if (!(allowLoopbackHttp && isLoopbackHost(url.hostname))) {
      problems.push(
        `${name} must use https (got "${raw}"). Plain http is only accepted for 127.0.0.1/localhost with DANGEROUSLY_ALLOW_LOOPBACK_HTTP=true (local sandbox and tests).`,
      );
      return undefined;
    }
  } else if (url.protocol !== 'https:') {
    problems.push(`${name} must be an https URL (got "${raw}").`);
    return undefined;
  }
  if (opts.originOnly) {
    if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
      problems.push(
        `${name} must be an origin only, without path, query or credentials (got "${raw}"). Example: ${name}=https://contacts-mcp.example.com`,
      );
      return undefined;
    }
    return url.origin;
  }
  return raw.replace(/\/+$/, '');
}

function parseGoogleCredentials(env: NodeJS.ProcessEnv, problems: string[]): GoogleClientCredentials {
  const json = env.GOOGLE_OAUTH_CLIENT?.trim();
  if (json) {
    try {
      const parsed = JSON.parse(json) as Record<string, { client_id?: string; client_secret?: string }>;
      const inner =
        parsed.web ?? parsed.installed ?? (parsed as unknown as { client_id?: string; client_secret?: string });
      if (!inner?.client_id || !inner.client_secret) {
        problems.push(
          'GOOGLE_OAUTH_CLIENT must be the JSON file downloaded from Google Cloud console (APIs & Services → Credentials → OAuth client → Download JSON), containing web.client_id and web.client_secret.',
        );
        return { clientId: '', clientSecret: '' };
      }
      return { clientId: inner.client_id, clientSecret: inner.client_secret };
    } catch {
      problems.push(
        'GOOGLE_OAUTH_CLIENT is not valid JSON. Put the whole downloaded client_secret_….json file in it, e.g. {"web":{"client_id":"….apps.googleusercontent.com","client_secret":"…"}}',
      );
      return { clientId: '', clientSecret: '' };
    }
  }
  const clientId = env.GOOGLE_CLIENT_ID?.trim() ?? '';
  const clientSecret = env.GOOGLE_CLIENT_SECRET?.trim() ?? '';
  if (!clientId || !clientSecret) {
    problems.push(
      'Google OAuth client credentials are missing: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (e.g. GOOGLE_CLIENT_ID=1234-abc.apps.googleusercontent.com), or GOOGLE_OAUTH_CLIENT to the downloaded JSON file.',
    );
  }
  return { clientId, clientSecret };
}

/** Parses and validates the environment. Throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const onCloudRun = Boolean(env.K_SERVICE);
  const allowLoopbackHttp = parseBool('DANGEROUSLY_ALLOW_LOOPBACK_HTTP', env.DANGEROUSLY_ALLOW_LOOPBACK_HTTP, problems);
  if (allowLoopbackHttp && onCloudRun) {
    problems.push(
      'DANGEROUSLY_ALLOW_LOOPBACK_HTTP=true is refused on Cloud Run (K_SERVICE is set): it is for the local sandbox and tests only. Remove it from the service.',
    );
  }

  let baseUrl: string | undefined;
  if (!env.BASE_URL) {
    problems.push(
      'BASE_URL is required: the public origin of this server. Example: BASE_URL=https://contacts-mcp-123456789.europe-west1.run.app',
    );
  } else {
    baseUrl = parseUrl('BASE_URL', env.BASE_URL.trim(), allowLoopbackHttp, problems, { originOnly: true });
  }

  const secrets = (env.ACCESS_TOKEN_SECRET ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (secrets.length === 0) {
    problems.push(
      'ACCESS_TOKEN_SECRET is required: at least 32 random characters. Generate one with: openssl rand -base64 48. To rotate, set "new,previous".',
    );
  } else if (secrets.some((s) => s.length < 32)) {
    problems.push(
      'ACCESS_TOKEN_SECRET values must each be at least 32 characters long. Generate one with: openssl rand -base64 48',
    );
  }

  const google = parseGoogleCredentials(env, problems);
  const googleIssuer =
    parseUrl(
      'GOOGLE_OIDC_ISSUER',
      (env.GOOGLE_OIDC_ISSUER ?? 'https://accounts.google.com').trim(),
      allowLoopbackHttp,
      problems,
    ) ?? 'https://accounts.google.com';
  const peopleApiRootUrl =
    parseUrl(
      'PEOPLE_API_ROOT_URL',
      (env.PEOPLE_API_ROOT_URL ?? 'https://people.googleapis.com').trim(),
      allowLoopbackHttp,
      problems,
    ) ?? 'https://people.googleapis.com';

  const storeRaw = (env.STORE ?? 'memory').trim().toLowerCase();
  let store: StoreKind = 'memory';
  if (storeRaw === 'memory' || storeRaw === 'firestore') store = storeRaw;
  else problems.push(`STORE must be "memory" or "firestore" (got "${env.STORE}"). Example: STORE=firestore`);
  if (store === 'memory' && onCloudRun) {
    // Each Cloud Run instance would keep its own clients, grants and tokens, and lose them at every
    // restart or scale-in: users would be signed out at random. Refuse rather than start half-working.
    problems.push(
      `STORE=${env.STORE ? storeRaw : 'memory (the default)'} is refused on Cloud Run (K_SERVICE is set): every instance would keep its own sign-ins and lose them when it stops. Set STORE=firestore and GOOGLE_CLOUD_PROJECT (terraform/run.tf does).`,
    );
  }

  const projectId = env.GOOGLE_CLOUD_PROJECT?.trim() || env.GCLOUD_PROJECT?.trim() || undefined;
  if (store === 'firestore' && !projectId && !env.FIRESTORE_EMULATOR_HOST) {
    problems.push('GOOGLE_CLOUD_PROJECT is required with STORE=firestore. Example: GOOGLE_CLOUD_PROJECT=my-project-id');
  }
  const collectionPrefix = (env.FIRESTORE_COLLECTION_PREFIX ?? '').trim();
  if (collectionPrefix && !/^[A-Za-z0-9_-]{1,40}$/.test(collectionPrefix)) {
    problems.push(
      'FIRESTORE_COLLECTION_PREFIX may only contain letters, digits, "_" and "-" (max 40). Example: FIRESTORE_COLLECTION_PREFIX=staging_',
    );
  }

  let port = 8080;
  if (env.PORT) {
    port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      problems.push(`PORT must be a port number (got "${env.PORT}"). Example: PORT=8080`);
      port = 8080;
    }
  }

  const allowedDomains = parseList(env.ALLOWED_DOMAINS).map((d) => d.replace(/^@/, ''));
  const allowedEmails = parseList(env.ALLOWED_EMAILS);
  for (const e of allowedEmails) {
    if (!/^[^@\s]+@[^@\s]+$/.test(e))
      problems.push(
        `ALLOWED_EMAILS contains "${e}", which is not an email address. Example: ALLOWED_EMAILS=ana@example.com,bo@example.com`,
      );
  }
  for (const d of allowedDomains) {
    if (!/^[a-z0-9.-]+\.[a-z]{2,}$/.test(d))
      problems.push(
        `ALLOWED_DOMAINS contains "${d}", which is not a domain name. Example: ALLOWED_DOMAINS=example.com`,
      );
  }

  const readOnly = parseBool('READ_ONLY', env.READ_ONLY, problems);
  const clientIdMetadataDocuments = parseBool(
    'CLIENT_ID_METADATA_DOCUMENTS',
    env.CLIENT_ID_METADATA_DOCUMENTS,
    problems,
    true,
  );
  const logLevel = (env.LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of debug, info, warn, error, silent (got "${env.LOG_LEVEL}").`);
  }
  const registrationsPerHour = env.REGISTRATIONS_PER_HOUR ? Number(env.REGISTRATIONS_PER_HOUR) : 1000;
  if (!Number.isInteger(registrationsPerHour) || registrationsPerHour < 1) {
    problems.push(`REGISTRATIONS_PER_HOUR must be a positive integer (got "${env.REGISTRATIONS_PER_HOUR}").`);
  }

  const positiveInt = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
      problems.push(`${name} must be a positive integer (got "${raw}"). Default: ${fallback}`);
      return fallback;
    }
    return n;
  };
  const allowedOrigins: string[] = [];
  for (const o of (env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    try {
      const u = new URL(o);
      if (u.origin !== o.replace(/\/$/, '') || !/^https?:$/.test(u.protocol)) throw new Error('not an origin');
      allowedOrigins.push(u.origin);
    } catch {
      problems.push(
        `ALLOWED_ORIGINS contains "${o}", which is not an origin. Example: ALLOWED_ORIGINS=https://app.example.com`,
      );
    }
  }
  const googleTimeoutMs = positiveInt('GOOGLE_TIMEOUT_MS', 10_000);
  const peopleTimeoutMs = positiveInt('PEOPLE_TIMEOUT_MS', 30_000);
  const tokenRequestsPerClientPerMinute = positiveInt('TOKEN_REQUESTS_PER_CLIENT_PER_MINUTE', 120);
  const tokenRequestsPerMinute = positiveInt('TOKEN_REQUESTS_PER_MINUTE', 6000);
  const refreshReuseGraceSeconds = env.REFRESH_REUSE_GRACE_SECONDS ? Number(env.REFRESH_REUSE_GRACE_SECONDS) : 60;
  if (!Number.isFinite(refreshReuseGraceSeconds) || refreshReuseGraceSeconds < 0 || refreshReuseGraceSeconds > 300) {
    problems.push(
      `REFRESH_REUSE_GRACE_SECONDS must be a number of seconds between 0 and 300 (got "${env.REFRESH_REUSE_GRACE_SECONDS}"). Default: 60`,
    );
  }

  const trashDays = positiveInt('TRASH_DAYS', 30);
  if (trashDays > 365) problems.push(`TRASH_DAYS must be at most 365 (got "${env.TRASH_DAYS}"). Default: 30`);

  if (problems.length > 0 || !baseUrl) throw new ConfigError(problems);
  return {
    baseUrl,
    issuer: baseUrl,
    mcpUrl: `${baseUrl}/mcp`,
    port,
    accessTokenSecrets: secrets,
    google,
    googleIssuer,
    peopleApiRootUrl,
    store,
    firestore: {
      projectId,
      databaseId: (env.FIRESTORE_DATABASE ?? '(default)').trim() || '(default)',
      collectionPrefix,
    },
    allowedDomains,
    allowedEmails,
    readOnly,
    allowLoopbackHttp,
    clientIdMetadataDocuments,
    logLevel,
    registrationsPerHour,
    refreshReuseGraceSeconds,
    tokenRequestsPerClientPerMinute,
    tokenRequestsPerMinute,
    googleTimeoutMs,
    peopleTimeoutMs,
    allowedOrigins,
    onCloudRun,
    trashDays,
  };
}
