/**
 * `npm run sandbox`: the whole service on loopback with no credentials at all — a stand-in Google
 * (sign-in page listing sample users), a stand-in People API with sample contacts, and this server
 * wired to them. Options: --port <n> (default 8080), --store memory|firestore (firestore starts the
 * local emulator), --read-only.
 */
import { createServer } from 'node:http';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger, setRootLogger } from '../src/logging/logger.js';
import { MemoryStore } from '../src/storage/memory.js';
import type { Store } from '../src/storage/port.js';
import { startGoogleStandin } from '../test/support/google-standin.js';
import { startPeopleStandin } from '../test/support/people-standin.js';
import { listen } from '../test/support/harness.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  return v && !v.startsWith('--') ? v : 'true';
}

async function main() {
  const port = Number(arg('port') ?? process.env.PORT ?? 8080);
  const storeKind = arg('store') ?? process.env.STORE ?? 'memory';
  const readOnly = arg('read-only') === 'true' || process.env.READ_ONLY === 'true';
  const baseUrl = `http://127.0.0.1:${port}`;
  const googleClient = { client_id: 'sandbox-client.apps.googleusercontent.com', client_secret: 'sandbox-google-secret' };

  const google = await startGoogleStandin({ clients: [{ ...googleClient, redirect_uris: [`${baseUrl}/oauth/google/callback`] }], interactive: true });
  const people = await startPeopleStandin({ verifyToken: (t) => google.verifyAccessToken(t), users: google.users.filter((u) => u.emailVerified) });

  let store: Store = new MemoryStore();
  let stopEmulator: (() => Promise<void>) | undefined;
  const env: Record<string, string> = {};
  if (storeKind === 'firestore') {
    const { startFirestoreEmulator } = await import('../test/support/firestore-emulator.js');
    const emu = await startFirestoreEmulator();
    stopEmulator = () => emu.stop();
    process.env.FIRESTORE_EMULATOR_HOST = emu.host;
    process.env.METADATA_SERVER_DETECTION = 'none';
    const { FirestoreStore } = await import('../src/storage/firestore.js');
    store = await FirestoreStore.connect({ projectId: emu.projectId });
    env.STORE = 'firestore';
    env.GOOGLE_CLOUD_PROJECT = emu.projectId;
  }

  const config = loadConfig({
    ...env,
    BASE_URL: baseUrl,
    ACCESS_TOKEN_SECRET: process.env.ACCESS_TOKEN_SECRET ?? 'sandbox-only-secret-do-not-use-in-production-0123456789',
    GOOGLE_CLIENT_ID: googleClient.client_id,
    GOOGLE_CLIENT_SECRET: googleClient.client_secret,
    GOOGLE_OIDC_ISSUER: google.url,
    PEOPLE_API_ROOT_URL: people.url,
    DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'true',
    READ_ONLY: String(readOnly),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ALLOWED_DOMAINS: process.env.ALLOWED_DOMAINS ?? '',
    ALLOWED_EMAILS: process.env.ALLOWED_EMAILS ?? '',
  });
  const logger = createLogger({ level: config.logLevel, pretty: process.stdout.isTTY && process.env.LOG_FORMAT !== 'json' });
  setRootLogger(logger);
  const { app } = createApp({ config, store, logger });
  const server = createServer(app);
  await listen(server, port);

  const banner = `
  Google Contacts MCP — local sandbox (nothing here talks to Google)

    MCP URL (paste into your client):  ${config.mcpUrl}
    Landing page:                      ${baseUrl}/
    Stand-in Google sign-in:           ${google.url}  (pick a sample user: ${google.users.filter((u) => u.emailVerified).map((u) => u.email).join(', ')})
    Store:                             ${storeKind}${readOnly ? ' (read-only mode)' : ''}

  Connect MCP Inspector:
    npx @modelcontextprotocol/inspector   → Transport "Streamable HTTP", URL ${config.mcpUrl}, then "Open Auth Settings" → Quick OAuth Flow
  Or Claude Code:
    claude mcp add --transport http contacts ${config.mcpUrl}

  Ctrl-C stops everything.
`;
  process.stdout.write(banner);

  const stop = async () => {
    server.closeAllConnections();
    server.close();
    await Promise.allSettled([people.close(), google.close(), store.close(), stopEmulator?.()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
