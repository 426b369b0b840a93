/**
 * The server process: read the environment, build the app, listen on PORT, and on SIGTERM (Cloud Run
 * scale-in) shut down within 8 s (shutdown.ts). Started by index.ts.
 */
import { createServer } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { resolveSecretReferences } from './config/secrets.js';
import { createLogger, setRootLogger } from './logging/logger.js';
import { createStore } from './storage/factory.js';
import { createShutdown } from './shutdown.js';

export async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(await resolveSecretReferences(process.env));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `${JSON.stringify({ severity: 'CRITICAL', message: err.message, problems: err.problems })}\n`,
      );
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, pretty: process.env.LOG_PRETTY === 'true' });
  setRootLogger(logger);
  if (config.allowedDomains.length === 0 && config.allowedEmails.length === 0) {
    logger.warn(
      { event: 'config.open_sign_in' },
      'ALLOWED_DOMAINS and ALLOWED_EMAILS are empty: ANY verified Google account can sign in and use this server. Set one of them to restrict access.',
    );
  }
  if (config.allowLoopbackHttp)
    logger.warn(
      { event: 'config.loopback_http' },
      'DANGEROUSLY_ALLOW_LOOPBACK_HTTP=true: plain-http loopback URLs are accepted (sandbox/tests only)',
    );

  // Firestore's client is created on first use (storage/deferred.ts): the ping after listen below.
  const store = createStore(config);
  const { app, warmUp } = createApp({ config, store, logger });
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0; // Cloud Run enforces the request timeout.
  server.listen(config.port, () => {
    logger.info(
      {
        event: 'server.started',
        port: config.port,
        mcpUrl: config.mcpUrl,
        store: config.store,
        readOnly: config.readOnly,
      },
      `listening on ${config.port}; MCP URL ${config.mcpUrl}`,
    );
    // After listen, not before: /healthz (the startup probe) answers as early as it can, while what the
    // first tool call needs loads in the background. The ping loads the Firestore client and opens the
    // channel the first request uses; it also tells the admin at once if the database is not reachable
    // (a slow or absent database must not stop /healthz from answering).
    const warmStarted = performance.now();
    const stored = store.ping().then(
      () => logger.info({ event: 'store.ready', store: config.store }, 'storage reachable'),
      (err: unknown) =>
        logger.error(
          { event: 'store.unavailable', store: config.store, error: (err as Error).message },
          config.store === 'firestore'
            ? `Firestore is not reachable: check that database ${config.firestore.databaseId} exists in project ${config.firestore.projectId ?? '(from the environment)'} and that the service account has roles/datastore.user`
            : 'storage is not reachable',
        ),
    );
    void Promise.all([stored, warmUp()]).then(() =>
      logger.debug(
        { event: 'server.warm', ms: Math.round(performance.now() - warmStarted) },
        'first-request dependencies loaded',
      ),
    );
  });

  const stop = createShutdown({ server, store, logger, exit: (code) => process.exit(code) });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
