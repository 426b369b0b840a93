/** In-memory store: the embedded default for local runs and tests. One process only; data dies with it. */
import {
  GRANT_BOUND_KINDS,
  type ConsumeResult,
  type Kind,
  type RecordIndexes,
  type Store,
  type StoredRecord,
  type UpdateResult,
} from './port.js';

export class MemoryStore implements Store {
  private readonly tables = new Map<Kind, Map<string, StoredRecord>>();

  constructor(private readonly now: () => number = Date.now) {}

  private table(kind: Kind): Map<string, StoredRecord> {
    let t = this.tables.get(kind);
    if (!t) {
      t = new Map();
      this.tables.set(kind, t);
    }
    return t;
  }

  private live(record: StoredRecord | undefined): StoredRecord | undefined {
    return record && record.expiresAt > this.now() ? record : undefined;
  }

  async get(kind: Kind, key: string): Promise<StoredRecord | undefined> {
    const r = this.live(this.table(kind).get(key));
    return r ? structuredClone(r) : undefined;
  }

  async put(kind: Kind, key: string, record: StoredRecord): Promise<void> {
    this.table(kind).set(key, structuredClone({ ...record, updatedAt: this.now() }));
  }

  async delete(kind: Kind, key: string): Promise<void> {
    this.table(kind).delete(key);
  }

  async findBy(kind: Kind, field: 'uid' | 'userCode', value: string) {
    for (const [key, record] of this.table(kind)) {
      if (record[field] === value && this.live(record)) return { key, record: structuredClone(record) };
    }
    return undefined;
  }

  async consume(kind: Kind, key: string, now: number): Promise<ConsumeResult> {
    const record = this.live(this.table(kind).get(key));
    if (!record) return { consumedNow: false };
    const before = structuredClone(record);
    if (record.consumedAt !== undefined) return { record: before, consumedNow: false };
    record.consumedAt = now;
    record.updatedAt = this.now();
    return { record: before, consumedNow: true };
  }

  async deleteByGrantId(grantId: string, kinds: Kind[] = GRANT_BOUND_KINDS): Promise<number> {
    let n = 0;
    for (const kind of kinds) {
      for (const [key, record] of this.table(kind)) {
        if (record.grantId === grantId) {
          this.table(kind).delete(key);
          n++;
        }
      }
    }
    return n;
  }

  async update(kind: Kind, key: string, fn: (current: StoredRecord | undefined) => UpdateResult) {
    const current = this.live(this.table(kind).get(key));
    const next = fn(current ? structuredClone(current) : undefined);
    if (next === null) {
      this.table(kind).delete(key);
      return undefined;
    }
    if (next === undefined) return current ? structuredClone(current) : undefined;
    await this.put(kind, key, next);
    return structuredClone(next);
  }

  async list(kind: Kind, filter?: { field: keyof RecordIndexes; value: string }) {
    const out: Array<{ key: string; record: StoredRecord }> = [];
    for (const [key, record] of this.table(kind)) {
      if (!this.live(record)) continue;
      if (filter && record[filter.field] !== filter.value) continue;
      out.push({ key, record: structuredClone(record) });
    }
    return out;
  }

  async purgeExpired(now: number): Promise<number> {
    let n = 0;
    for (const table of this.tables.values()) {
      for (const [key, record] of table) {
        if (record.expiresAt <= now) {
          table.delete(key);
          n++;
        }
      }
    }
    return n;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  /** Test helper: every stored record, raw (for "nothing stored in plain text" checks). */
  dump(): Array<{ kind: Kind; key: string; record: StoredRecord }> {
    const out: Array<{ kind: Kind; key: string; record: StoredRecord }> = [];
    for (const [kind, table] of this.tables) for (const [key, record] of table) out.push({ kind, key, record });
    return out;
  }
}
