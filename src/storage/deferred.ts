/**
 * A store that is created on first use: the Firestore client takes a large share of a cold start's CPU to
 * load (bench/README.md), and nothing before the first request needs it. The server listens first (so
 * Cloud Run's startup probe on /healthz can pass), then starts the load in the background (`warm()`, from
 * main.ts); a request that needs the store before that waits for the same load, never starts a second one.
 */
import type { GetOptions, Kind, RecordIndexes, Store, StoredRecord, UpdateResult } from './port.js';

export class DeferredStore implements Store {
  private loading: Promise<Store> | undefined;

  constructor(private readonly load: () => Promise<Store>) {}

  /** Starts creating the store if nothing has yet; resolves once it exists (rejects if it could not be created). */
  warm(): Promise<Store> {
    this.loading ??= this.load();
    return this.loading;
  }

  get(kind: Kind, key: string, options?: GetOptions): Promise<StoredRecord | undefined> {
    return this.warm().then((s) => s.get(kind, key, options));
  }
  put(kind: Kind, key: string, record: StoredRecord) {
    return this.warm().then((s) => s.put(kind, key, record));
  }
  delete(kind: Kind, key: string) {
    return this.warm().then((s) => s.delete(kind, key));
  }
  findBy(kind: Kind, field: 'uid' | 'userCode', value: string) {
    return this.warm().then((s) => s.findBy(kind, field, value));
  }
  consume(kind: Kind, key: string, now: number) {
    return this.warm().then((s) => s.consume(kind, key, now));
  }
  deleteByGrantId(grantId: string, kinds?: Kind[]) {
    return this.warm().then((s) => s.deleteByGrantId(grantId, kinds));
  }
  update(kind: Kind, key: string, fn: (current: StoredRecord | undefined) => UpdateResult) {
    return this.warm().then((s) => s.update(kind, key, fn));
  }
  list(kind: Kind, filter?: { field: keyof RecordIndexes; value: string }) {
    return this.warm().then((s) => s.list(kind, filter));
  }
  purgeExpired(now: number) {
    return this.warm().then((s) => s.purgeExpired(now));
  }
  ping() {
    return this.warm().then((s) => s.ping());
  }
  /** Closes the store if it was created; a store never created has nothing to close. */
  async close(): Promise<void> {
    if (!this.loading) return;
    const store = await this.loading.catch(() => undefined);
    await store?.close();
  }
}
