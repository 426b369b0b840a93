/**
 * Graceful shutdown on SIGTERM (Cloud Run scale-in or a new revision): stop accepting connections, let
 * in-flight requests finish, close the store, flush the logs, exit. Cloud Run sends SIGKILL 10 s after
 * SIGTERM, so all of it is bounded to finish within 8 s, leaving margin for a busy instance.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Store } from './storage/port.js';

export interface ShutdownTimings {
  /** How long in-flight requests may take to finish before their connections are cut. */
  drainMs: number;
  /** How long closing the store (Firestore channels) may take. */
  storeCloseMs: number;
  /** The process exits by then whatever is still pending (a hung flush or close). */
  deadlineMs: number;
}

/** Cloud Run's SIGKILL comes at 10 s: drain 6 s + store 1 s + log flush, with an 8 s backstop. */
export const SHUTDOWN_TIMINGS: ShutdownTimings = { drainMs: 6_000, storeCloseMs: 1_000, deadlineMs: 8_000 };

/** How often idle keep-alive connections are closed while draining (a request that just finished leaves one). */
const IDLE_SWEEP_MS = 100;

function within<T>(ms: number, work: Promise<T>): Promise<'done' | 'timeout'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve('done');
      },
      () => {
        clearTimeout(timer);
        resolve('done');
      },
    );
  });
}

/**
 * Returns `stop(signal)`, idempotent; it calls `exit` once, with 0 after an orderly shutdown (even if the
 * drain timed out: that is expected for a stuck client) and 1 if the backstop fired.
 */
export function createShutdown(deps: {
  server: Server;
  store: Pick<Store, 'close'>;
  logger: Logger;
  exit: (code: number) => void;
  timings?: ShutdownTimings;
}): (signal: string) => void {
  const { server, store, logger } = deps;
  const timings = deps.timings ?? SHUTDOWN_TIMINGS;
  let stopping = false;
  let exited = false;
  const exit = (code: number) => {
    if (exited) return;
    exited = true;
    deps.exit(code);
  };

  return (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    logger.info({ event: 'server.stopping', signal }, 'stopping: no new connections; draining in-flight requests');

    setTimeout(() => {
      process.stderr.write(
        `${JSON.stringify({ severity: 'ERROR', event: 'server.shutdown_deadline', message: `shutdown did not finish within ${timings.deadlineMs} ms; exiting now` })}\n`,
      );
      exit(1);
    }, timings.deadlineMs).unref();

    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    sweep.unref();

    void (async () => {
      const drain = await within(timings.drainMs, closed);
      clearInterval(sweep);
      if (drain === 'timeout') {
        // A client that never finishes its request (or a hung upstream call) must not keep the instance
        // past Cloud Run's SIGKILL: cut what is left.
        logger.warn(
          { event: 'server.drain_timeout', drainMs: timings.drainMs },
          `in-flight requests still open after ${timings.drainMs} ms; closing their connections`,
        );
        server.closeAllConnections();
      }
      const storeClose = await within(timings.storeCloseMs, store.close());
      if (storeClose === 'timeout')
        logger.warn(
          { event: 'store.close_timeout', storeCloseMs: timings.storeCloseMs },
          'the store did not close in time',
        );
      logger.info(
        {
          event: 'server.stopped',
          signal,
          ms: Date.now() - started,
          drained: drain === 'done',
          storeClosed: storeClose === 'done',
        },
        'stopped',
      );
      logger.flush(() => exit(0));
    })();
  };
}
