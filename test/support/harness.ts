/**
 * Starts the whole system on loopback for a test: the stand-in Google, the stand-in People API and our
 * server (in-process, port 0), wired as in production but for the loopback switch. Log lines are
 * captured so tests can assert on them (and on what they must never contain).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createLogger, setRootLogger } from '../../src/logging/logger.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { Store } from '../../src/storage/port.js';
import type { ToolDefinition } from '../../src/mcp/tools/types.js';
import { startGoogleStandin, type GoogleStandin } from './google-standin.js';
import { startPeopleStandin, type PeopleStandin } from './people-standin.js';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
export const GOOGLE_CLIENT_ID = 'test-client.apps.googleusercontent.com';
export const GOOGLE_CLIENT_SECRET = 'GOCSPX-test-google-client-secret';

export interface Harness {
  baseUrl: string;
  mcpUrl: string;
  config: Config;
  store: Store;
  google: GoogleStandin;
  people: PeopleStandin;
  app: App;
  server: Server;
  /** Every log line written so far (JSON strings). */
  logs: string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  store?: Store;
  tools?: ToolDefinition[];
  /** Reuse running stand-ins (e.g. two server instances on one Google). */
  google?: GoogleStandin;
  people?: PeopleStandin;
  googleAccessTokenTtlSeconds?: number;
  /** Google's rule: refresh tokens only on first consent or prompt=consent. */
  googleRefreshTokenOnlyOnConsent?: boolean;
}

export function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const server = createServer();
  const port = await listen(server);
  const baseUrl = `http://127.0.0.1:${port}`;
  const ownGoogle = !opts.google;
  const google =
    opts.google ??
    (await startGoogleStandin({
      clients: [{ client_id: GOOGLE_CLIENT_ID, client_secret: GOOGLE_CLIENT_SECRET, redirect_uris: [`${baseUrl}/oauth/google/callback`] }],
      accessTokenTtlSeconds: opts.googleAccessTokenTtlSeconds,
      refreshTokenOnlyOnConsent: opts.googleRefreshTokenOnlyOnConsent,
    }));
  const ownPeople = !opts.people;
  const people = opts.people ?? (await startPeopleStandin({ verifyToken: (t) => google.verifyAccessToken(t), users: google.users.filter((u) => u.emailVerified) }));
  const config = loadConfig({
    BASE_URL: baseUrl,
    ACCESS_TOKEN_SECRET: TEST_SECRET,
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    GOOGLE_OIDC_ISSUER: google.url,
    PEOPLE_API_ROOT_URL: people.url,
    DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'true',
    LOG_LEVEL: 'debug',
    ...opts.env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(line);
      cb();
    },
  });
  const logger = createLogger({ level: config.logLevel, destination: sink });
  setRootLogger(logger);
  const store = opts.store ?? new MemoryStore();
  const app = createApp({ config, store, logger, tools: opts.tools });
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
    logs,
    async close() {
      await Promise.allSettled([...app.pending]);
      await closeServer(server);
      if (ownPeople) await people.close();
      if (ownGoogle) await google.close();
    },
  };
}
