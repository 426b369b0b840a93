/**
 * Image build step (Dockerfile), never run in production: fills Node's compile cache with every module a
 * production instance loads, so a cold start on Cloud Run reads compiled code instead of compiling it.
 *
 * - It must run as the runtime user: Node keys the cache directory by user id
 *   (`<NODE_COMPILE_CACHE>/v<version>-<arch>-<hash>-<uid>`), so a cache written by root is never read by
 *   uid 1000, which instead logs a permission error and compiles everything again.
 * - Importing main.js alone misses what production loads lazily: the Firestore store and client (loaded
 *   when STORE=firestore, and the gRPC stack on its first request), oidc-provider (first OAuth request),
 *   google-auth-library and the People API client (first tool call). Each is loaded here; the Firestore
 *   client makes one request to a closed loopback port, which fails at once, so no network is needed.
 */
import module from 'node:module';

/** Nothing listens on the discard port of the build container: the request fails fast, after loading gRPC. */
const CLOSED_LOOPBACK_PORT = '127.0.0.1:9';
const FIRESTORE_ATTEMPT_MS = 1_500;

function within(ms: number, work: Promise<unknown>): Promise<unknown> {
  return Promise.race([work.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}

const dir = process.env.NODE_COMPILE_CACHE;
if (!dir) {
  process.stderr.write('compile-cache-warmup: set NODE_COMPILE_CACHE to the cache directory\n');
  process.exit(2);
}
const enabled = module.enableCompileCache(dir);
if (
  enabled.status === module.constants.compileCacheStatus.FAILED ||
  enabled.status === module.constants.compileCacheStatus.DISABLED
) {
  process.stderr.write(
    `compile-cache-warmup: the compile cache is not usable in ${dir}: ${enabled.message ?? 'disabled'}\n`,
  );
  process.exit(1);
}

const started = Date.now();
// The server (config, app, MCP handler and tools, logging, memory store).
await import('./main.js');
// STORE=firestore: the store, the client, and what the client loads on its first request.
process.env.FIRESTORE_EMULATOR_HOST = CLOSED_LOOPBACK_PORT;
process.env.METADATA_SERVER_DETECTION = 'none';
const { FirestoreStore } = await import('./storage/firestore.js');
const store = await FirestoreStore.connect({ projectId: 'compile-cache-warmup', deadlineMs: FIRESTORE_ATTEMPT_MS });
await within(FIRESTORE_ATTEMPT_MS, store.ping());
await within(FIRESTORE_ATTEMPT_MS, store.close());
// Loaded on first use in production.
await import('./oauth/authorization-server.js');
await import('oidc-provider');
await import('google-auth-library');

module.flushCompileCache();
process.stdout.write(
  `compile-cache-warmup: ${enabled.directory ?? dir} filled in ${Date.now() - started} ms (uid ${process.getuid?.() ?? '?'})\n`,
);
process.exit(0);
