/**
 * How a server is wired to the stand-ins: the one place that knows which configuration variables point our
 * server at the stand-in Google and People API, and with which credentials. The test harness, the
 * multi-process tests, the sandbox and the bench all start servers through it:
 *
 *   - `standinServerEnv`: the configuration variables, for a server in this process or a child process;
 *   - `startStandins`: the stand-in Google (with our server's OAuth client registered) and People API;
 *   - `startServerOnStandins`: our app, in this process, listening on loopback and wired to them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createApp, type App, type AppDeps } from '../src/app.js';
import { loadConfig, type Config } from '../src/config/config.js';
import { createLogger, setRootLogger } from '../src/logging/logger.js';
import { MemoryStore } from '../src/storage/memory.js';
import type { Store } from '../src/storage/port.js';
import { startGoogleStandin, type GoogleStandin, type GoogleStandinOptions } from './google.js';
import { closeServer, listen } from './http.js';
import { startPeopleStandin, type PeopleStandin } from './people.js';

/** ACCESS_TOKEN_SECRET of every server wired to the stand-ins. Never a production value. */
export const STANDIN_ACCESS_TOKEN_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
/** Our server's OAuth client at the stand-in Google (GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET). */
export const STANDIN_GOOGLE_CLIENT_ID = 'test-client.apps.googleusercontent.com';
export const STANDIN_GOOGLE_CLIENT_SECRET = 'GOCSPX-test-google-client-secret';

export interface Standins {
  google: GoogleStandin;
  people: PeopleStandin;
  close(): Promise<void>;
}

/**
 * The configuration variables of a server at `baseUrl` wired to the stand-ins: its URL, secrets, the
 * stand-in Google as issuer and the stand-in People API as root URL, and the loopback-http switch (never on
 * Cloud Run). Without stand-ins (a server that only needs to start) the two URLs are left out.
 */
export function standinServerEnv(
  baseUrl: string,
  standins?: Pick<Standins, 'google' | 'people'>,
): Record<string, string> {
  return {
    BASE_URL: baseUrl,
    ACCESS_TOKEN_SECRET: STANDIN_ACCESS_TOKEN_SECRET,
    GOOGLE_CLIENT_ID: STANDIN_GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET: STANDIN_GOOGLE_CLIENT_SECRET,
    ...(standins ? { GOOGLE_OIDC_ISSUER: standins.google.url, PEOPLE_API_ROOT_URL: standins.people.url } : {}),
    DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'true',
  };
}

/**
 * The stand-in Google, with our server's OAuth client registered for the Google callback at
 * `serverBaseUrl` (the public URL: a proxy's, when one is in front), and the People API holding the sample
 * data of every user who can sign in there.
 */
export async function startStandins(
  serverBaseUrl: string,
  google: Omit<GoogleStandinOptions, 'clients'> = {},
): Promise<Standins> {
  const googleStandin = await startGoogleStandin({
    ...google,
    clients: [
      {
        client_id: STANDIN_GOOGLE_CLIENT_ID,
        client_secret: STANDIN_GOOGLE_CLIENT_SECRET,
        redirect_uris: [`${serverBaseUrl}/oauth/google/callback`],
      },
    ],
  });
  const people = await startPeopleStandin({
    verifyToken: (token) => googleStandin.verifyAccessToken(token),
    users: googleStandin.users.filter((u) => u.emailVerified),
  });
  return {
    google: googleStandin,
    people,
    async close() {
      await people.close();
      await googleStandin.close();
    },
  };
}

export interface ServerOnStandinsOptions {
  /** Loopback port; default 0 (any free port). */
  port?: number;
  /** Configuration variables on top of (and overriding) the wiring's; a BASE_URL here is the public URL. */
  env?: Record<string, string>;
  /** Default: a new memory store. The caller closes a store it passed in. */
  store?: Store;
  /** Running stand-ins to reuse (e.g. two servers on one Google); closed by their owner, not here. */
  standins?: Pick<Standins, 'google' | 'people'>;
  /** How the stand-in Google behaves when this call starts it. */
  google?: Omit<GoogleStandinOptions, 'clients'>;
  /** Where log lines go (default stdout), and whether they are for a human. */
  logDestination?: NodeJS.WritableStream;
  prettyLogs?: boolean;
  /** The rest of the app's dependencies (e.g. a tool set for a test). */
  app?: Omit<AppDeps, 'config' | 'store' | 'logger'>;
}

export interface ServerOnStandins {
  /** Where this process listens (BASE_URL unless `env` named another public URL). */
  baseUrl: string;
  mcpUrl: string;
  config: Config;
  store: Store;
  google: GoogleStandin;
  people: PeopleStandin;
  app: App;
  server: Server;
  /** Waits for the app's background work, stops listening, then stops the stand-ins it started. */
  close(): Promise<void>;
}

/** Our app in this process, on 127.0.0.1, configured by `standinServerEnv` and `opts.env`. */
export async function startServerOnStandins(opts: ServerOnStandinsOptions = {}): Promise<ServerOnStandins> {
  // Listen first: with port 0 the address is only known afterwards, and BASE_URL (and the Google redirect
  // registered at the stand-in) must name it.
  // Until the app is attached, answer 503: a request that arrived in between would otherwise never be
  // answered (a server without a 'request' listener leaves it hanging), and pollers wait on it forever.
  const starting = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' }).end('starting');
  };
  const server = createServer(starting);
  const port = await listen(server, opts.port ?? 0);
  const baseUrl = `http://127.0.0.1:${port}`;
  // The stand-in Google redirects to the public URL: a proxy's, when the caller put one in front (BASE_URL).
  const own = opts.standins ? undefined : await startStandins(opts.env?.BASE_URL ?? baseUrl, opts.google);
  const { google, people } = opts.standins ?? own!;
  const config = loadConfig({ ...standinServerEnv(baseUrl, { google, people }), ...opts.env });
  const logger = createLogger({ level: config.logLevel, pretty: opts.prettyLogs, destination: opts.logDestination });
  setRootLogger(logger);
  const store = opts.store ?? new MemoryStore();
  const app = createApp({ ...opts.app, config, store, logger });
  server.off('request', starting);
  server.on('request', app.app);
  return {
    baseUrl,
    mcpUrl: config.mcpUrl,
    config,
    store,
    google,
    people,
    app,
    server,
    async close() {
      await Promise.allSettled([...app.pending]);
      await closeServer(server);
      await own?.close();
    },
  };
}
