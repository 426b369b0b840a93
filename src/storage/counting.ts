/**
 * A Store wrapper that counts operations the way Firestore bills them (documents read, documents
 * written or deleted), for the benchmark and docs/storage.md. It counts logical operations: the
 * Firestore store's conflict retries under contention are not included.
 *
 *   get, ping                1 read (Firestore bills a read for a missing document too)
 *   put                      1 write
 *   delete                   1 write (a delete is billed like a write)
 *   findBy                   1 read (an equality query matching at most one live document)
 *   consume                  1 read, +1 write when this call consumed the record; no read when the
 *                            same record was read by get() with `consumeNext` in the last 10 s (the
 *                            Firestore store reuses that snapshot under an update-time precondition)
 *   update                   1 read, +1 write when fn returned a record, or null for an existing one
 *   list                     1 read per document returned (min 1 per query)
 *   deleteByGrantId          per kind: 1 read per matched document (min 1 per query) + 1 write per deletion
 *   purgeExpired             per collection queried: 1 read (min) + 1 read and 1 write per deletion
 *   close                    nothing
 *
 * byOp counts calls, keyed `op:Kind` (`op` alone for ping and purgeExpired); detail() adds the reads
 * and writes of each key.
 */
import {
  KINDS,
  GRANT_BOUND_KINDS,
  type ConsumeResult,
  type GetOptions,
  type Kind,
  type RecordIndexes,
  type Store,
  type StoredRecord,
  type UpdateResult,
} from './port.js';

export interface OperationCounts {
  reads: number;
  writes: number;
  /** Calls per `op:Kind`. */
  byOp: Record<string, number>;
}

export interface OperationDetail {
  calls: number;
  reads: number;
  writes: number;
}

export class CountingStore implements Store {
  private reads = 0;
  private writes = 0;
  private byOp: Record<string, number> = {};
  private details: Record<string, OperationDetail> = {};

  /** Recent get()s with `consumeNext`, mirroring the Firestore store's reuse of their snapshot. */
  private readonly recentGets = new Map<string, number>();

  constructor(readonly inner: Store) {}

  private count(op: string, kind: Kind | undefined, reads: number, writes: number, calls = 1) {
    this.reads += reads;
    this.writes += writes;
    const key = kind ? `${op}:${kind}` : op;
    this.byOp[key] = (this.byOp[key] ?? 0) + calls;
    const d = (this.details[key] ??= { calls: 0, reads: 0, writes: 0 });
    d.calls += calls;
    d.reads += reads;
    d.writes += writes;
  }

  counts(): OperationCounts {
    return { reads: this.reads, writes: this.writes, byOp: { ...this.byOp } };
  }

  /** Calls, reads and writes per `op:Kind`. */
  detail(): Record<string, OperationDetail> {
    return structuredClone(this.details);
  }

  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.byOp = {};
    this.details = {};
  }

  async get(kind: Kind, key: string, options?: GetOptions) {
    const r = await this.inner.get(kind, key, options);
    this.count('get', kind, 1, 0);
    if (r && options?.consumeNext) this.recentGets.set(`${kind}/${key}`, Date.now());
    return r;
  }

  async put(kind: Kind, key: string, record: StoredRecord) {
    await this.inner.put(kind, key, record);
    this.count('put', kind, 0, 1);
  }

  async delete(kind: Kind, key: string) {
    await this.inner.delete(kind, key);
    this.count('delete', kind, 0, 1);
  }

  async findBy(kind: Kind, field: 'uid' | 'userCode', value: string) {
    const r = await this.inner.findBy(kind, field, value);
    this.count('findBy', kind, 1, 0);
    return r;
  }

  async consume(kind: Kind, key: string, now: number): Promise<ConsumeResult> {
    const r = await this.inner.consume(kind, key, now);
    const seen = this.recentGets.get(`${kind}/${key}`);
    this.recentGets.delete(`${kind}/${key}`);
    this.count('consume', kind, seen !== undefined && Date.now() - seen < 10_000 ? 0 : 1, r.consumedNow ? 1 : 0);
    return r;
  }

  async deleteByGrantId(grantId: string, kinds: Kind[] = GRANT_BOUND_KINDS): Promise<number> {
    // One call per kind, so each query's minimum of one billed read is counted.
    const counts = await Promise.all(kinds.map((k) => this.inner.deleteByGrantId(grantId, [k])));
    kinds.forEach((kind, i) => {
      const n = counts[i] ?? 0;
      this.count('deleteByGrantId', kind, Math.max(1, n), n);
    });
    return counts.reduce((a, b) => a + b, 0);
  }

  async update(kind: Kind, key: string, fn: (current: StoredRecord | undefined) => UpdateResult) {
    let writes = 0;
    const r = await this.inner.update(kind, key, (cur) => {
      const next = fn(cur);
      // The last call decides (fn may run more than once under contention). Deleting a missing record is free.
      writes = next === undefined || (next === null && cur === undefined) ? 0 : 1;
      return next;
    });
    this.count('update', kind, 1, writes);
    return r;
  }

  async list(kind: Kind, filter?: { field: keyof RecordIndexes; value: string }) {
    const r = await this.inner.list(kind, filter);
    this.count('list', kind, Math.max(1, r.length), 0);
    return r;
  }

  async purgeExpired(now: number) {
    const n = await this.inner.purgeExpired(now);
    this.count('purgeExpired', undefined, Object.keys(KINDS).length + n, n);
    return n;
  }

  async ping() {
    await this.inner.ping();
    this.count('ping', undefined, 1, 0);
  }

  close() {
    return this.inner.close();
  }
}
