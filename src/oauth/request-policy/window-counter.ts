/**
 * Sliding-window hit counters for the registration and token endpoint caps. In memory, per instance:
 * the caps only stop floods, so an exact count across instances is not worth a store round trip.
 */

export class WindowCounter {
  private hits: number[] = [];
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a hit; returns seconds to wait when over the cap, else 0. */
  take(): number {
    const t = this.now();
    while (this.hits.length && this.hits[0]! <= t - this.windowMs) this.hits.shift();
    if (this.hits.length >= this.max) return Math.max(1, Math.ceil((this.hits[0]! + this.windowMs - t) / 1000));
    this.hits.push(t);
    return 0;
  }
}

/** One WindowCounter per key (e.g. client id), bounded in memory: past 10,000 keys all are forgotten. */
export class KeyedCounters {
  private readonly counters = new Map<string, WindowCounter>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  take(key: string): number {
    let c = this.counters.get(key);
    if (!c) {
      if (this.counters.size >= 10_000) this.counters.clear();
      c = new WindowCounter(this.max, this.windowMs);
      this.counters.set(key, c);
    }
    return c.take();
  }
}
