/**
 * Preloading without getting in the way of a cold start's request. oidc-provider (the authorization
 * server) is needed by OAuth requests only — sign-ins and token refreshes — not by tool calls; loading it
 * blocks the process for a while (bench/README.md). It used to be preloaded on a timer 1 s after start,
 * which is about when Cloud Run lets a new instance's first request in: the CPU profile of a cold start
 * showed the preload running inside that request. Here it is loaded once the server has answered a real
 * request (health probes do not count) and then had nothing in flight for a moment: while nobody waits.
 */
import type { NextFunction, Request, Response } from 'express';

export interface IdlePreloadOptions {
  /** How long nothing may have been in flight before loading. */
  idleMs: number;
  /** How often to look again until the server has been idle for idleMs. */
  checkMs: number;
  /** Paths that do not count as requests (the startup and liveness probes). */
  ignorePaths: string[];
  now?: () => number;
}

export const IDLE_PRELOAD: IdlePreloadOptions = { idleMs: 500, checkMs: 250, ignorePaths: ['/healthz', '/health'] };

/**
 * Returns middleware that counts requests in flight and calls `load` once (after the first answered
 * request, when nothing has been in flight for `idleMs`). `load` must not throw (it starts a promise).
 */
export function idlePreload(
  load: () => void,
  opts: IdlePreloadOptions = IDLE_PRELOAD,
): (req: Request, res: Response, next: NextFunction) => void {
  const now = opts.now ?? (() => performance.now());
  let inFlight = 0;
  let lastDone: number | undefined;
  let loaded = false;
  let timer: NodeJS.Timeout | undefined;

  const check = () => {
    timer = undefined;
    // A request still in flight schedules the next look when it ends.
    if (loaded || inFlight > 0 || lastDone === undefined) return;
    if (now() - lastDone >= opts.idleMs) {
      loaded = true;
      load();
      return;
    }
    schedule();
  };
  function schedule() {
    if (timer || loaded) return;
    timer = setTimeout(check, opts.checkMs);
    timer.unref();
  }

  return (req, res, next) => {
    if (loaded || opts.ignorePaths.includes(req.path)) return next();
    inFlight++;
    res.once('close', () => {
      inFlight--;
      lastDone = now();
      schedule();
    });
    next();
  };
}
