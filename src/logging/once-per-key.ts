/**
 * "Log this once per key per window on this instance": clients repeat the same handshake many times a
 * session (one Claude Code session sent 9 `initialize`/`server/discover` requests), and a line per repeat
 * drowns the ones that matter. Bounded: past `maxKeys` the least recently logged keys are forgotten (at
 * worst an event is logged again), so a stream of new client ids cannot grow memory.
 */
export class OncePerKey {
  /** Key → when it was last logged; Map order is insertion order, so the first entry is the oldest. */
  private readonly loggedAt = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `key` was not logged within the window (and records that it is being logged now). */
  shouldLog(key: string): boolean {
    const t = this.now();
    const last = this.loggedAt.get(key);
    if (last !== undefined && t - last < this.windowMs) return false;
    this.loggedAt.delete(key);
    this.loggedAt.set(key, t);
    while (this.loggedAt.size > this.maxKeys) this.loggedAt.delete(this.loggedAt.keys().next().value!);
    return true;
  }
}
