/**
 * How a stored record becomes a Firestore document and back, and how a store key becomes a document id.
 * Pure functions, no client calls: the Firestore store (firestore.ts) does the I/O.
 *
 * - Each document: `{ data | dataJson, expiresAt: Timestamp, updatedAt: Timestamp, consumedAt?: Timestamp,
 *   writeId?, grantId?, uid?, userCode?, accountId?, clientId? }`.
 * - `data` is the payload as a Firestore map. A payload Firestore cannot hold as a map (an array directly
 *   inside an array, an empty or `__reserved__` map key, nesting deeper than 16, non-JSON values) is
 *   stored as a JSON string in `dataJson` instead, so untrusted client metadata can never make a write fail.
 * - Keys become document ids reversibly (see encodeKey): `[A-Za-z0-9_-]{1,200}` as-is, anything else
 *   `b64_` + base64url(UTF-8).
 */
import { Timestamp, type DocumentData } from '@google-cloud/firestore';
import type { RecordIndexes, StoredRecord } from './port.js';

export const INDEX_FIELDS = ['grantId', 'uid', 'userCode', 'accountId', 'clientId'] as const satisfies ReadonlyArray<
  keyof RecordIndexes
>;
/** Every field a store document may have. */
export const DOCUMENT_FIELDS = [
  'data',
  'dataJson',
  'expiresAt',
  'updatedAt',
  'consumedAt',
  'writeId',
  ...INDEX_FIELDS,
] as const;

const MAX_KEY_BYTES = 1024;
const MAX_MAP_DEPTH = 16;

// ---------------------------------------------------------------------------------------------------
// Keys

const SAFE_ID = /^[A-Za-z0-9_-]{1,200}$/;
const ENCODED_PREFIX = 'b64_';

/**
 * Maps a store key to a valid Firestore document id, reversibly. Keys of 1-200 characters from
 * `[A-Za-z0-9_-]` (hashes, Google subs, client ids) are used as-is, unless they start with `b64_` or look
 * like a reserved id (`__x__`); every other key becomes `b64_` + base64url(UTF-8 bytes). Ids never contain
 * `/`, are never `.`/`..` and stay below Firestore's 1500-byte limit (keys are limited to 1024 bytes).
 */
export function encodeKey(key: string): string {
  if (SAFE_ID.test(key) && !key.startsWith(ENCODED_PREFIX) && !/^__.*__$/.test(key)) return key;
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length === 0 || bytes.length > MAX_KEY_BYTES) {
    throw new RangeError(`store key must be 1-${MAX_KEY_BYTES} bytes (got ${bytes.length})`);
  }
  return ENCODED_PREFIX + bytes.toString('base64url');
}

export function decodeKey(id: string): string {
  return id.startsWith(ENCODED_PREFIX)
    ? Buffer.from(id.slice(ENCODED_PREFIX.length), 'base64url').toString('utf8')
    : id;
}

// ---------------------------------------------------------------------------------------------------
// Documents

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Whether Firestore can store the value as a map/array with the same JSON meaning. */
function firestoreSafe(v: unknown, depth: number, inArray: boolean): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'undefined':
      // Dropped from objects (ignoreUndefinedProperties), but JSON turns it into null inside arrays.
      return !inArray;
    case 'object':
      if (v === null) return true;
      if (Array.isArray(v)) return !inArray && v.every((x) => firestoreSafe(x, depth, true));
      if (!isPlainObject(v) || depth >= MAX_MAP_DEPTH) return false;
      return Object.entries(v).every(
        ([k, x]) => k.length > 0 && !/^__.*__$/.test(k) && firestoreSafe(x, depth + 1, false),
      );
    default:
      return false;
  }
}

function millis(v: unknown): number | undefined {
  if (v instanceof Timestamp) return v.toMillis();
  if (typeof v === 'number') return v;
  return undefined;
}

/** Epoch milliseconds as a Timestamp; a non-finite value is a caller's bug, refused before any write. */
export function timestamp(ms: number, field: string): Timestamp {
  if (!Number.isFinite(ms)) throw new TypeError(`${field} must be a finite epoch-milliseconds number`);
  return Timestamp.fromMillis(ms);
}

/** The document for a record written at `now` (its `updatedAt`). */
export function toDocument(record: StoredRecord, now: number): DocumentData {
  const doc: DocumentData = {
    expiresAt: timestamp(record.expiresAt, 'expiresAt'),
    updatedAt: timestamp(now, 'updatedAt'),
  };
  if (firestoreSafe(record.data, 0, false) && isPlainObject(record.data)) doc.data = record.data;
  else doc.dataJson = JSON.stringify(record.data);
  if (record.consumedAt !== undefined) doc.consumedAt = timestamp(record.consumedAt, 'consumedAt');
  for (const f of INDEX_FIELDS) {
    const v = record[f];
    if (typeof v === 'string') doc[f] = v;
  }
  return doc;
}

/** The record a document holds, expired or not (the store decides what is live). */
export function fromDocument(doc: DocumentData): StoredRecord {
  const data =
    typeof doc.dataJson === 'string'
      ? (JSON.parse(doc.dataJson) as Record<string, unknown>)
      : ((doc.data ?? {}) as Record<string, unknown>);
  const record: StoredRecord = { data, expiresAt: millis(doc.expiresAt) ?? 0 };
  const consumedAt = millis(doc.consumedAt);
  if (consumedAt !== undefined) record.consumedAt = consumedAt;
  const updatedAt = millis(doc.updatedAt);
  if (updatedAt !== undefined) record.updatedAt = updatedAt;
  for (const f of INDEX_FIELDS) {
    const v: unknown = doc[f];
    if (typeof v === 'string') record[f] = v;
  }
  return record;
}
