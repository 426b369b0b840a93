/**
 * `npm run sandbox`: the whole service on loopback with no credentials at all — a stand-in Google
 * (sign-in page listing sample users), a stand-in People API with sample contacts, and this server
 * wired to them. Options: --port <n> (default 8080; 0 = any free port), --store memory|firestore
 * (firestore starts the local emulator), --read-only, --cimd on|off (off: client ID metadata documents
 * are not advertised, so Claude Code registers with DCR — for machines that cannot reach claude.ai).
 *
 * `startSandbox` is exported so a test can start exactly this wiring; the CLI runs only when this file
 * is executed directly.
 */
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { Config } from '../src/config/config.js';
import { MemoryStore } from '../src/storage/memory.js';
import type { Store } from '../src/storage/port.js';
import type { GoogleStandin } from '../standins/google.js';
import { startServerOnStandins } from '../standins/wiring.js';

export interface SandboxOptions {
  port: number;
  store: 'memory' | 'firestore';
  readOnly: boolean;
  /** false: CLIENT_ID_METADATA_DOCUMENTS=false (clients register with DCR). */
  cimd: boolean;
  logLevel?: string;
  /** Human-readable log lines (a terminal). */
  pretty?: boolean;
  /** Where log lines go (tests); stdout by default. */
  logDestination?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

export interface Sandbox {
  config: Config;
  baseUrl: string;
  google: GoogleStandin;
  storeKind: SandboxOptions['store'];
  server: Server;
  stop(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const env = opts.env ?? process.env;
  let store: Store = new MemoryStore();
  let stopEmulator: (() => Promise<void>) | undefined;
  const storeEnv: Record<string, string> = {};
  if (opts.store === 'firestore') {
    const { startFirestoreEmulator } = await import('../standins/firestore-emulator.js');
    const emu = await startFirestoreEmulator();
    stopEmulator = () => emu.stop();
    process.env.FIRESTORE_EMULATOR_HOST = emu.host;
    process.env.METADATA_SERVER_DETECTION = 'none';
    const { FirestoreStore } = await import('../src/storage/firestore.js');
    store = await FirestoreStore.connect({ projectId: emu.projectId });
    storeEnv.STORE = 'firestore';
    storeEnv.GOOGLE_CLOUD_PROJECT = emu.projectId;
  }

  const stopStore = () => Promise.allSettled([store.close(), stopEmulator?.()]);
  const sandbox = await startServerOnStandins({
    port: opts.port,
    store,
    // The sign-in page lists the sample users, so a person picks one in the browser.
    google: { interactive: true },
    env: {
      ...storeEnv,
      ...(env.ACCESS_TOKEN_SECRET ? { ACCESS_TOKEN_SECRET: env.ACCESS_TOKEN_SECRET } : {}),
      READ_ONLY: String(opts.readOnly),
      CLIENT_ID_METADATA_DOCUMENTS: String(opts.cimd),
      LOG_LEVEL: opts.logLevel ?? env.LOG_LEVEL ?? 'info',
      ALLOWED_DOMAINS: env.ALLOWED_DOMAINS ?? '',
      ALLOWED_EMAILS: env.ALLOWED_EMAILS ?? '',
    },
    prettyLogs: opts.pretty,
    logDestination: opts.logDestination,
  }).catch(async (err: unknown) => {
    // e.g. the port is taken: do not leave the emulator running.
    await stopStore();
    throw err;
  });

  return {
    config: sandbox.config,
    baseUrl: sandbox.baseUrl,
    google: sandbox.google,
    storeKind: opts.store,
    server: sandbox.server,
    async stop() {
      await sandbox.close();
      await stopStore();
    },
  };
}

export function sandboxBanner(sandbox: Sandbox): string {
  const { config, baseUrl, google, storeKind } = sandbox;
  const cimd = config.clientIdMetadataDocuments
    ? 'on'
    : 'off (apps register with dynamic client registration; nothing is fetched from claude.ai)';
  return `
  Google Contacts MCP — local sandbox (nothing here talks to Google)

    MCP URL (paste into your client):  ${config.mcpUrl}
    Landing page:                      ${baseUrl}/
    Your connected apps:               ${baseUrl}/account
    Stand-in Google sign-in:           ${google.url}  (pick a sample user: ${google.users
      .filter((u) => u.emailVerified)
      .map((u) => u.email)
      .join(', ')})
    Store:                             ${storeKind}${config.readOnly ? ' (read-only mode)' : ''}
    Client ID metadata documents:      ${cimd}

  Connect MCP Inspector:
    npx @modelcontextprotocol/inspector   → Transport "Streamable HTTP", URL ${config.mcpUrl}, then "Open Auth Settings" → Quick OAuth Flow
  Or Claude Code:
    claude mcp add --transport http contacts ${config.mcpUrl}
    Claude Code offline? use --cimd off (it identifies itself with a document on claude.ai, which this
    sandbox must fetch; with --cimd off it registers instead).

  Ctrl-C stops everything.
`;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  return v && !v.startsWith('--') ? v : 'true';
}

async function main() {
  const storeKind = arg('store') ?? process.env.STORE ?? 'memory';
  if (storeKind !== 'memory' && storeKind !== 'firestore')
    throw new Error(`--store must be memory or firestore (got "${storeKind}")`);
  const cimd = (arg('cimd') ?? 'on').toLowerCase();
  if (!['on', 'off', 'true', 'false'].includes(cimd)) throw new Error(`--cimd must be on or off (got "${cimd}")`);
  const sandbox = await startSandbox({
    port: Number(arg('port') ?? process.env.PORT ?? 8080),
    store: storeKind,
    readOnly: arg('read-only') === 'true' || process.env.READ_ONLY === 'true',
    cimd: cimd === 'on' || cimd === 'true',
    pretty: process.stdout.isTTY && process.env.LOG_FORMAT !== 'json',
  });
  process.stdout.write(sandboxBanner(sandbox));

  const stop = async () => {
    await sandbox.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
