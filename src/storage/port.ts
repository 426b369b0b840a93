/**
 * The storage port: every record the server keeps goes through this interface, implemented by the memory
 * store (local runs, tests) and the Firestore store (production). The store knows records — their kind,
 * key, payload, expiry, index fields and single use — not what they mean: which keys are hashed, what is
 * encrypted, which oidc-provider model lands in which kind and how it is read are decided by the callers
 * (oauth/adapter.ts, upstream/google/token-store.ts, oauth/interaction/, contacts/trash.ts).
 * See docs/storage.md for every kind, its fields and TTL.
 */

/**
 * The kinds of record the server keeps, each with the collection (Firestore) it lives in. This list is
 * the storage schema: one collection per kind, one TTL policy per collection (terraform/firestore.tf),
 * one section per collection in docs/storage.md. Several kinds hold oidc-provider's models under the
 * model's name; the adapter (oauth/adapter.ts) owns that mapping.
 */
export const KINDS = {
  Client: 'clients',
  Session: 'sessions',
  Interaction: 'interactions',
  Grant: 'grants',
  AuthorizationCode: 'authorization_codes',
  RefreshToken: 'refresh_tokens',
  ReplayDetection: 'replay_detections',
  PushedAuthorizationRequest: 'pushed_authorization_requests',
  Consent: 'consents',
  GoogleToken: 'google_tokens',
  GoogleLoginState: 'google_login_states',
  CimdDocument: 'cimd_documents',
  Trash: 'trash',
} as const;

export type Kind = keyof typeof KINDS;

/** Indexed fields a record may carry next to its payload. */
export interface RecordIndexes {
  grantId?: string;
  uid?: string;
  userCode?: string;
  accountId?: string;
  clientId?: string;
}

export interface StoredRecord extends RecordIndexes {
  /** JSON-serialisable payload. */
  data: Record<string, unknown>;
  /** Epoch milliseconds; a record past it is treated as absent by every read. */
  expiresAt: number;
  /** Epoch milliseconds of the first consumption, for single-use records. */
  consumedAt?: number;
  /** Epoch milliseconds of the last write. */
  updatedAt?: number;
}

export interface ConsumeResult {
  /** The record as it was before this call (absent if missing or expired). */
  record?: StoredRecord;
  /** True when this call was the one that consumed it. */
  consumedNow: boolean;
}

export interface GetOptions {
  /**
   * The caller is about to consume this record (a single-use record is read, checked, then redeemed).
   * A store may keep what it read for a few seconds so that the consume() that follows does not read it
   * again; consume() stays atomic either way. Which records are read this way is the caller's knowledge.
   */
  consumeNext?: boolean;
}

/** What an update function returns: a record to write, `null` to delete, or `undefined` to leave as is. */
export type UpdateResult = StoredRecord | null | undefined;

export interface Store {
  get(kind: Kind, key: string, options?: GetOptions): Promise<StoredRecord | undefined>;
  put(kind: Kind, key: string, record: StoredRecord): Promise<void>;
  delete(kind: Kind, key: string): Promise<void>;
  /** The unexpired record whose index field equals value (uid, userCode). */
  findBy(
    kind: Kind,
    field: 'uid' | 'userCode',
    value: string,
  ): Promise<{ key: string; record: StoredRecord } | undefined>;
  /** Atomically marks a record consumed; exactly one concurrent caller sees consumedNow=true. */
  consume(kind: Kind, key: string, now: number): Promise<ConsumeResult>;
  /** Deletes the records of the given kinds (default: codes and refresh tokens) that belong to the grant. */
  deleteByGrantId(grantId: string, kinds?: Kind[]): Promise<number>;
  /**
   * Transactional read-modify-write: `fn` sees the current unexpired record (or undefined) and decides.
   * It may be called more than once under contention, so it must be free of side effects.
   */
  update(
    kind: Kind,
    key: string,
    fn: (current: StoredRecord | undefined) => UpdateResult,
  ): Promise<StoredRecord | undefined>;
  /** Unexpired records of a kind, optionally filtered by an index field (admin and housekeeping only). */
  list(
    kind: Kind,
    filter?: { field: keyof RecordIndexes; value: string },
  ): Promise<Array<{ key: string; record: StoredRecord }>>;
  /** Deletes expired records now (for stores or emulators without TTL); returns how many. */
  purgeExpired(now: number): Promise<number>;
  /** Whether the backend answers (checked in the background at startup, and by the image's compile-cache warm-up). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The kinds deleteByGrantId clears when it names none: records issued under a grant, which die with it. */
export const GRANT_BOUND_KINDS: Kind[] = ['AuthorizationCode', 'RefreshToken'];

/** Raised by a store when its backend is unreachable; mapped to 503 + Retry-After. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** True for a StoreUnavailableError, also across module copies (checked by name). */
export function isStoreUnavailable(err: unknown): boolean {
  return err instanceof StoreUnavailableError || (err instanceof Error && err.name === 'StoreUnavailableError');
}
