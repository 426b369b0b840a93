/**
 * A Store wrapper that counts operations the way Firestore bills them (documents read / written), for the
 * benchmark and docs/storage.md. get/findBy = 1 read; put/delete = 1 write; consume and update = a
 * transaction: 1 read (+1 write when it writes); list = 1 read per document returned (min 1);
 * deleteByGrantId = 1 read per kind queried + 1 write per deleted document; purgeExpired = its deletions.
 */
import type { ConsumeResult, Kind, RecordIndexes, Store, StoredRecord, UpdateResult } from './port.js';

export interface OperationCounts {
  reads: number;
  writes: number;
  byOp: Record<string, number>;
}

export class CountingStore implements Store {
  private reads = 0;
  private writes = 0;
  private byOp: Record<string, number> = {};

  constructor(private readonly inner: Store) {}

  private count(op: string, kind: Kind | undefined, reads: number, writes: number) {
    this.reads += reads;
    this.writes += writes;
    const key = kind ? `${op}:${kind}` : op;
    this.byOp[key] = (this.byOp[key] ?? 0) + 1;
  }

  counts(): OperationCounts {
    return { reads: this.reads, writes: this.writes, byOp: { ...this.byOp } };
  }

  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.byOp = {};
  }

  async get(kind: Kind, key: string) {
    this.count('get', kind, 1, 0);
    return this.inner.get(kind, key);
  }
  async put(kind: Kind, key: string, record: StoredRecord) {
    this.count('put', kind, 0, 1);
    return this.inner.put(kind, key, record);
  }
  async delete(kind: Kind, key: string) {
    this.count('delete', kind, 0, 1);
    return this.inner.delete(kind, key);
  }
  async findBy(kind: Kind, field: 'uid' | 'userCode', value: string) {
    this.count('findBy', kind, 1, 0);
    return this.inner.findBy(kind, field, value);
  }
  async consume(kind: Kind, key: string, now: number): Promise<ConsumeResult> {
    const r = await this.inner.consume(kind, key, now);
    this.count('consume', kind, 1, r.consumedNow ? 1 : 0);
    return r;
  }
  async deleteByGrantId(grantId: string, kinds?: Kind[]) {
    const n = await this.inner.deleteByGrantId(grantId, kinds);
    this.count('deleteByGrantId', undefined, kinds?.length ?? 2, n);
    return n;
  }
  async update(kind: Kind, key: string, fn: (current: StoredRecord | undefined) => UpdateResult) {
    let wrote = false;
    const r = await this.inner.update(kind, key, (cur) => {
      const next = fn(cur);
      wrote = next !== undefined;
      return next;
    });
    this.count('update', kind, 1, wrote ? 1 : 0);
    return r;
  }
  async list(kind: Kind, filter?: { field: keyof RecordIndexes; value: string }) {
    const r = await this.inner.list(kind, filter);
    this.count('list', kind, Math.max(1, r.length), 0);
    return r;
  }
  async purgeExpired(now: number) {
    const n = await this.inner.purgeExpired(now);
    this.count('purgeExpired', undefined, 0, n);
    return n;
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}
