/**
 * Starts the whole system on loopback for a test: the stand-in Google, the stand-in People API and our
 * server (in-process, port 0), wired as in production but for the loopback switch (standins/wiring.ts).
 * Log lines are captured so tests can assert on them (and on what they must never contain).
 */
import { Writable } from 'node:stream';
import type { ToolDefinition } from '../../src/mcp/tools/types.js';
import type { Store } from '../../src/storage/port.js';
import type { GoogleStandin } from '../../standins/google.js';
import type { PeopleStandin } from '../../standins/people.js';
import {
  STANDIN_ACCESS_TOKEN_SECRET,
  STANDIN_GOOGLE_CLIENT_ID,
  STANDIN_GOOGLE_CLIENT_SECRET,
  startServerOnStandins,
  type ServerOnStandins,
} from '../../standins/wiring.js';

/** The secrets the server under test is configured with (tests sign tokens and look for leaks with them). */
export const TEST_SECRET = STANDIN_ACCESS_TOKEN_SECRET;
export const GOOGLE_CLIENT_ID = STANDIN_GOOGLE_CLIENT_ID;
export const GOOGLE_CLIENT_SECRET = STANDIN_GOOGLE_CLIENT_SECRET;

export interface Harness extends ServerOnStandins {
  /** Every log line written so far (JSON strings). */
  logs: string[];
}

export interface HarnessOptions {
  env?: Record<string, string>;
  store?: Store;
  tools?: ToolDefinition[];
  /** Reuse running stand-ins (e.g. two server instances on one Google). */
  standins?: { google: GoogleStandin; people: PeopleStandin };
  googleAccessTokenTtlSeconds?: number;
  /** Google's rule: refresh tokens only on first consent or prompt=consent. */
  googleRefreshTokenOnlyOnConsent?: boolean;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(line);
      cb();
    },
  });
  const server = await startServerOnStandins({
    env: { LOG_LEVEL: 'debug', ...opts.env },
    store: opts.store,
    standins: opts.standins,
    google: {
      accessTokenTtlSeconds: opts.googleAccessTokenTtlSeconds,
      refreshTokenOnlyOnConsent: opts.googleRefreshTokenOnlyOnConsent,
    },
    logDestination: sink,
    app: { tools: opts.tools },
  });
  return Object.assign(server, { logs });
}
