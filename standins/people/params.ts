/** Query-string access with Google's binding rules (unknown names, typed values) and opaque tokens. */
import { ApiError, badRequest, errorInfo, failedPrecondition } from './errors.js';
import { camelToSnake } from './fields.js';

/** System parameters every Google API accepts. */
const STANDARD_PARAMS = [
  '$.xgafv',
  'access_token',
  'alt',
  'callback',
  'fields',
  'key',
  'oauth_token',
  'prettyPrint',
  'quotaUser',
  'upload_protocol',
  'uploadType',
];

export class Query {
  constructor(private readonly sp: URLSearchParams) {}

  /** 400 for a parameter the method doesn't bind, as Google answers. */
  checkKnown(allowed: readonly string[]): void {
    for (const name of new Set(this.sp.keys())) {
      if (STANDARD_PARAMS.includes(name) || allowed.includes(name)) continue;
      throw badRequest(
        `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. ` +
          `Field '${name}' could not be found in request message.`,
      );
    }
  }

  has(name: string): boolean {
    return this.sp.has(name);
  }

  str(name: string): string | undefined {
    const v = this.sp.get(name);
    return v === null ? undefined : v;
  }

  list(name: string): string[] {
    return this.sp.getAll(name).filter((v) => v.length > 0);
  }

  int(name: string): number | undefined {
    const v = this.sp.get(name);
    if (v === null || v === '') return undefined;
    if (!/^-?\d+$/.test(v))
      throw badRequest(`Invalid value at '${camelToSnake(name)}' (TYPE_INT32), "${v}"`, camelToSnake(name));
    return Number(v);
  }

  bool(name: string): boolean {
    const v = this.sp.get(name);
    if (v === null || v === '') return false;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw badRequest(`Invalid value at '${camelToSnake(name)}' (TYPE_BOOL), "${v}"`, camelToSnake(name));
  }

  enumList(name: string, valid: readonly string[], enumType: string): string[] {
    const values = this.list(name);
    values.forEach((v, i) => {
      if (!valid.includes(v)) {
        throw badRequest(
          `Invalid value at '${camelToSnake(name)}[${i}]' (type.googleapis.com/google.people.v1.${enumType}), "${v}"`,
          `${camelToSnake(name)}[${i}]`,
        );
      }
    });
    return values;
  }
}

function encode(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj), 'utf8').toString('base64url');
}

function decode(token: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Opaque page tokens bound to the method, caller, parameters and stand-in generation. */
export function makePageToken(method: string, email: string, key: string, offset: number, generation: number): string {
  return encode({ m: method, u: email, k: key, o: offset, g: generation });
}

export function readPageToken(
  token: string | undefined,
  method: string,
  email: string,
  key: string,
  generation: number,
): number {
  if (token === undefined || token === '') return 0;
  const t = decode(token);
  if (!t || t['m'] !== method || t['u'] !== email || typeof t['o'] !== 'number' || t['g'] !== generation) {
    throw badRequest('Page token is not valid.', 'page_token');
  }
  if (t['k'] !== key) {
    throw badRequest(
      'Parameters provided with a page token must match the call that provided the page token.',
      'page_token',
    );
  }
  return t['o'];
}

export function makeSyncToken(kind: string, email: string, seq: number, generation: number): string {
  return encode({ s: kind, u: email, q: seq, g: generation });
}

export function readSyncToken(token: string, kind: string, email: string, generation: number, rpc: string): number {
  const t = decode(token);
  if (!t || t['s'] !== kind || t['u'] !== email || typeof t['q'] !== 'number') {
    throw badRequest('Sync token is not valid.', 'sync_token');
  }
  if (t['g'] !== generation) {
    throw failedPrecondition('Sync token is expired. Clear local cache and retry call without the sync token.', [
      errorInfo('EXPIRED_SYNC_TOKEN', rpc),
    ]);
  }
  return t['q'];
}

export { ApiError };
