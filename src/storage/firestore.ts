/**
 * The Firestore store: production storage behind the storage port (see port.ts and docs/storage.md).
 * What a document looks like is firestore-codec.ts; deadlines and error mapping are firestore-deadlines.ts.
 *
 * - One collection per kind (KINDS in port.ts), optionally prefixed so two deployments can share a database.
 * - `expiresAt` is the field a Firestore TTL policy deletes on; TTL deletion lags (a day or more), so every
 *   read treats `expiresAt <= now` as absent. Queries use equality on one field only, so no composite
 *   index is needed. list() and findBy() return the original keys (decodeKey).
 * - consume() and update() are atomic read-modify-writes: a read, then a write with a precondition on the
 *   update time read (Firestore checks it server-side), retried on conflict. Exactly one of any number of
 *   concurrent callers, in any number of processes, consumes a record; no update is lost. (Firestore
 *   transactions would do the same with locks; on the emulator they stall on a 2 s lock timeout.)
 * - A backend that does not answer surfaces as StoreUnavailableError within `deadlineMs` (default 5 s).
 */
import { randomUUID } from 'node:crypto';
import {
  FieldValue,
  Firestore,
  type CollectionReference,
  type DocumentData,
  type DocumentReference,
  type DocumentSnapshot,
  type Settings,
  type Timestamp,
} from '@google-cloud/firestore';
import {
  decodeKey,
  DOCUMENT_FIELDS,
  encodeKey,
  fromDocument,
  INDEX_FIELDS,
  timestamp,
  toDocument,
} from './firestore-codec.js';
import {
  clientConfig,
  DEFAULT_DEADLINE_MS,
  DEFAULT_OPERATION_TIMEOUT_MS,
  isPreconditionFailed,
  isWriteConflict,
  Watchdog,
} from './firestore-deadlines.js';
import {
  GRANT_BOUND_KINDS,
  KINDS,
  StoreUnavailableError,
  type ConsumeResult,
  type GetOptions,
  type Kind,
  type RecordIndexes,
  type Store,
  type StoredRecord,
  type UpdateResult,
} from './port.js';

// The store's document ids and outage test, for the emulator stand-in and the tests that inspect documents.
export { decodeKey, encodeKey } from './firestore-codec.js';
export { isUnavailableError } from './firestore-deadlines.js';

export interface FirestoreStoreOptions {
  /** GCP project; default from the environment (GOOGLE_CLOUD_PROJECT), or `demo-local` on the emulator. */
  projectId?: string;
  /** Firestore database id; default `(default)`. */
  databaseId?: string;
  /** Prepended to every collection name (letters, digits, `_`, `-`). */
  collectionPrefix?: string;
  /** An existing client (tests). The store does not terminate a client it did not create. */
  firestore?: Firestore;
  /** How long an operation may go without an answer from Firestore before StoreUnavailableError. Default 5000. */
  deadlineMs?: number;
  /** Upper bound for an operation of several round trips (contention retries, batched deletes, list pages). Default 30000. */
  operationTimeoutMs?: number;
  /** Clock for expiry checks and `updatedAt` (tests). Default Date.now. */
  now?: () => number;
}

/** How long a snapshot read with `consumeNext` may stand in for consume()'s read. */
const RECENT_SNAP_MS = 10_000;
/** Compare-and-set attempts (contention retries) for consume() and update(). */
const CAS_ATTEMPTS = 200;
/** Firestore allows at most 500 writes per batch. */
const BATCH_SIZE = 500;
/** purgeExpired deletes at most this many batches per collection per call (bounded loop). */
const PURGE_MAX_ROUNDS = 20;

export class FirestoreStore implements Store {
  private readonly recentSnaps = new Map<string, { snap: DocumentSnapshot; at: number }>();
  private readonly prefix: string;
  private readonly operationTimeoutMs: number;
  private readonly now: () => number;
  private readonly watchdog: Watchdog;

  private constructor(
    readonly db: Firestore,
    private readonly ownsClient: boolean,
    opts: FirestoreStoreOptions,
  ) {
    this.prefix = opts.collectionPrefix ?? '';
    if (!/^[A-Za-z0-9_-]{0,40}$/.test(this.prefix)) {
      throw new Error('collectionPrefix may only contain letters, digits, "_" and "-" (max 40)');
    }
    const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.operationTimeoutMs = opts.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
    if (!(deadlineMs > 0 && this.operationTimeoutMs >= deadlineMs)) {
      throw new Error('deadlineMs must be positive and operationTimeoutMs at least deadlineMs');
    }
    this.watchdog = new Watchdog(deadlineMs);
    this.now = opts.now ?? Date.now;
  }

  /**
   * Builds the client (no network call: use ping() to check the backend). With FIRESTORE_EMULATOR_HOST
   * set, the client talks to the emulator without credentials.
   */
  static async connect(opts: FirestoreStoreOptions = {}): Promise<FirestoreStore> {
    if (opts.firestore) return new FirestoreStore(opts.firestore, false, opts);
    const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
    const emulator = Boolean(process.env.FIRESTORE_EMULATOR_HOST);
    const settings: Settings = {
      ignoreUndefinedProperties: true,
      databaseId: opts.databaseId ?? '(default)',
      clientConfig: clientConfig(deadlineMs),
      // Reconnect quickly once the backend is back (gRPC's default backoff grows to 120 s).
      grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 2000 },
    };
    const projectId =
      opts.projectId ??
      process.env.GOOGLE_CLOUD_PROJECT ??
      process.env.GCLOUD_PROJECT ??
      (emulator ? 'demo-local' : undefined);
    if (projectId) settings.projectId = projectId;
    // On the emulator there are no credentials: skip the Application Default Credentials lookup.
    if (emulator) settings.universeDomain = 'googleapis.com';
    return new FirestoreStore(new Firestore(settings), true, opts);
  }

  /** The collection name of a kind, prefix included. */
  collectionName(kind: Kind): string {
    return this.prefix + KINDS[kind];
  }

  private col(kind: Kind): CollectionReference {
    return this.db.collection(this.collectionName(kind));
  }

  private ref(kind: Kind, key: string) {
    return this.col(kind).doc(encodeKey(key));
  }

  private live(doc: DocumentData | undefined): StoredRecord | undefined {
    if (!doc) return undefined;
    const record = fromDocument(doc);
    return record.expiresAt > this.now() ? record : undefined;
  }

  /**
   * Optimistic compare-and-set for single-document read-modify-write: read the document, decide, write
   * with a precondition on the update time read (or "must not exist"); a conflict means another writer
   * got there first, so read again. Lock-free: the emulator's transactions stall on a 2 s lock timeout
   * under contention (20 concurrent updates of one document took over 30 s), while this settles one
   * writer per round trip. Every conflict is an answer from Firestore, so a hot record keeps retrying
   * (up to operationTimeoutMs) while a silent backend still fails after deadlineMs.
   *
   * Each write carries `writeId`, a nonce of this operation: when a write was applied but its answer
   * lost (the client library retries the commit, which then fails its own precondition), the next read
   * recognises our write and returns its result instead of applying the change twice.
   */
  private casLoop<T>(
    what: string,
    attemptOnce: (ctx: { snap: DocumentSnapshot; writeId: string; wrote: (value: T) => void }) => Promise<T>,
    ref: DocumentReference,
    initial?: DocumentSnapshot,
  ): Promise<T> {
    const writeId = randomUUID();
    let written: { value: T } | undefined;
    const wrote = (value: T) => {
      written = { value };
    };
    return this.watchdog.run(
      what,
      async (progress) => {
        for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
          try {
            // The first attempt may use the snapshot a get() just read: its update-time precondition
            // still guards the write, and a stale one simply costs a retry.
            const snap = attempt === 1 && initial ? initial : await ref.get();
            progress();
            if (written && snap.get('writeId') === writeId) return written.value;
            written = undefined;
            return await attemptOnce({ snap, writeId, wrote });
          } catch (err) {
            if (!isWriteConflict(err)) throw err;
          }
          progress();
          const cap = Math.min(250, 5 * 2 ** Math.min(attempt, 6));
          await new Promise((r) => setTimeout(r, Math.random() * cap));
        }
        throw new StoreUnavailableError(
          `Firestore write conflicts did not settle after ${CAS_ATTEMPTS} attempts (${what})`,
        );
      },
      this.operationTimeoutMs,
    );
  }

  async get(kind: Kind, key: string, options?: GetOptions): Promise<StoredRecord | undefined> {
    const ref = this.ref(kind, key);
    const snap = await this.watchdog.run(`get ${kind}`, () => ref.get());
    if (options?.consumeNext && snap.exists) {
      if (this.recentSnaps.size >= 1000) this.recentSnaps.clear();
      this.recentSnaps.set(ref.path, { snap, at: Date.now() });
    }
    return this.live(snap.data());
  }

  /** The snapshot a get() with `consumeNext` read moments ago (saves consume() its read). */
  private takeRecentSnap(ref: DocumentReference): DocumentSnapshot | undefined {
    const hit = this.recentSnaps.get(ref.path);
    this.recentSnaps.delete(ref.path);
    return hit && Date.now() - hit.at < RECENT_SNAP_MS ? hit.snap : undefined;
  }

  async put(kind: Kind, key: string, record: StoredRecord): Promise<void> {
    const ref = this.ref(kind, key);
    const doc = toDocument(record, this.now());
    await this.watchdog.run(`put ${kind}`, () => ref.set(doc));
  }

  async delete(kind: Kind, key: string): Promise<void> {
    const ref = this.ref(kind, key);
    await this.watchdog.run(`delete ${kind}`, () => ref.delete());
  }

  async findBy(kind: Kind, field: 'uid' | 'userCode', value: string) {
    // Equality only (no composite index needed); expired documents TTL has not removed yet are skipped here.
    const snap = await this.watchdog.run(`findBy ${kind}.${field}`, () =>
      this.col(kind).where(field, '==', value).get(),
    );
    for (const doc of snap.docs) {
      const record = this.live(doc.data());
      if (record) return { key: decodeKey(doc.id), record };
    }
    return undefined;
  }

  async consume(kind: Kind, key: string, now: number): Promise<ConsumeResult> {
    const ref = this.ref(kind, key);
    const initial = this.takeRecentSnap(ref);
    return this.casLoop<ConsumeResult>(
      `consume ${kind}`,
      async ({ snap, writeId, wrote }) => {
        const record = this.live(snap.data());
        if (!record) return { consumedNow: false };
        if (record.consumedAt !== undefined) return { record, consumedNow: false };
        const result: ConsumeResult = { record, consumedNow: true };
        wrote(result);
        await ref.update(
          { consumedAt: timestamp(now, 'consumedAt'), updatedAt: timestamp(this.now(), 'updatedAt'), writeId },
          { lastUpdateTime: snap.updateTime! },
        );
        return result;
      },
      ref,
      initial,
    );
  }

  async update(
    kind: Kind,
    key: string,
    fn: (current: StoredRecord | undefined) => UpdateResult,
  ): Promise<StoredRecord | undefined> {
    const ref = this.ref(kind, key);
    return this.casLoop<StoredRecord | undefined>(
      `update ${kind}`,
      async ({ snap, writeId, wrote }) => {
        const current = this.live(snap.data());
        const next = fn(current ? structuredClone(current) : undefined);
        if (next === undefined) return current;
        if (next === null) {
          // A delete leaves no writeId to recognise; deleting twice is harmless.
          if (snap.exists) await ref.delete({ lastUpdateTime: snap.updateTime! });
          return undefined;
        }
        const updatedAt = this.now();
        const doc = { ...toDocument(next, updatedAt), writeId };
        const result: StoredRecord = { ...structuredClone(next), updatedAt };
        wrote(result);
        if (snap.exists) {
          // update() naming every field replaces the document; fields the new record lacks are removed.
          for (const f of DOCUMENT_FIELDS) if (!(f in doc)) (doc as DocumentData)[f] = FieldValue.delete();
          await ref.update(doc, { lastUpdateTime: snap.updateTime! });
        } else {
          await ref.create(doc);
        }
        return result;
      },
      ref,
    );
  }

  /** Deletes documents in batches of 500; with `ifUnchanged`, only those not rewritten since they were read. */
  private async deleteDocs(
    docs: Array<{ ref: DocumentReference; updateTime: Timestamp }>,
    ifUnchanged: boolean,
    progress: () => void,
  ): Promise<number> {
    let n = 0;
    for (let i = 0; i < docs.length; i += BATCH_SIZE) {
      const chunk = docs.slice(i, i + BATCH_SIZE);
      const batch = this.db.batch();
      for (const d of chunk) {
        if (ifUnchanged) batch.delete(d.ref, { lastUpdateTime: d.updateTime });
        else batch.delete(d.ref);
      }
      try {
        await batch.commit();
        n += chunk.length;
      } catch (err) {
        if (!ifUnchanged || !isPreconditionFailed(err)) throw err;
        // One document was rewritten meanwhile (e.g. a sliding expiry): delete the others one by one.
        const results = await Promise.allSettled(chunk.map((d) => d.ref.delete({ lastUpdateTime: d.updateTime })));
        for (const r of results) {
          if (r.status === 'fulfilled') n++;
          else if (!isPreconditionFailed(r.reason)) throw r.reason;
        }
      }
      progress();
    }
    return n;
  }

  async deleteByGrantId(grantId: string, kinds: Kind[] = GRANT_BOUND_KINDS): Promise<number> {
    const counts = await Promise.all(
      kinds.map((kind) =>
        this.watchdog.run(
          `deleteByGrantId ${kind}`,
          async (progress) => {
            const snap = await this.col(kind).where('grantId', '==', grantId).select().get();
            progress();
            return this.deleteDocs(snap.docs, false, progress);
          },
          this.operationTimeoutMs,
        ),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async list(kind: Kind, filter?: { field: keyof RecordIndexes; value: string }) {
    if (filter && !(INDEX_FIELDS as readonly string[]).includes(filter.field))
      throw new Error(`cannot list by ${String(filter.field)}`);
    const out: Array<{ key: string; record: StoredRecord }> = [];
    const base = filter ? this.col(kind).where(filter.field, '==', filter.value) : this.col(kind);
    await this.watchdog.run(
      `list ${kind}`,
      async (progress) => {
        // Pages of 500 by document id, so a large collection is never one huge response.
        let after: string | undefined;
        for (let page = 0; page < 10_000; page++) {
          let q = base.orderBy('__name__').limit(BATCH_SIZE);
          if (after !== undefined) q = q.startAfter(after);
          const snap = await q.get();
          progress();
          for (const doc of snap.docs) {
            const record = this.live(doc.data());
            if (record) out.push({ key: decodeKey(doc.id), record });
          }
          if (snap.size < BATCH_SIZE) return;
          after = snap.docs[snap.docs.length - 1]!.id;
        }
      },
      this.operationTimeoutMs,
    );
    return out;
  }

  async purgeExpired(now: number): Promise<number> {
    const cutoff = timestamp(now, 'now');
    const counts = await Promise.all(
      (Object.keys(KINDS) as Kind[]).map((kind) =>
        this.watchdog.run(
          `purgeExpired ${kind}`,
          async (progress) => {
            let n = 0;
            for (let round = 0; round < PURGE_MAX_ROUNDS; round++) {
              const snap = await this.col(kind).where('expiresAt', '<=', cutoff).select().limit(BATCH_SIZE).get();
              progress();
              if (snap.empty) break;
              const deleted = await this.deleteDocs(snap.docs, true, progress);
              n += deleted;
              if (snap.size < BATCH_SIZE || deleted === 0) break;
            }
            return n;
          },
          this.operationTimeoutMs,
        ),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async ping(): Promise<void> {
    // One document read (1 billed read whether or not it exists).
    const ref = this.col('Client').doc('_ping');
    await this.watchdog.run('ping', () => ref.get());
  }

  /**
   * Waits (up to deadlineMs) for calls still running, then terminates the client if the store created it.
   * Calls still retrying against a dead backend at that point make the client library report an
   * unhandled "client has already been terminated" rejection (a library bug: ClientPool.run's promise
   * is voided), hence the wait.
   */
  async close(): Promise<void> {
    await this.watchdog.settle();
    if (this.ownsClient) await this.db.terminate();
  }
}
