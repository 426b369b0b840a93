/**
 * Client ID Metadata Documents kept in the store (`cimd_documents`), and the fetch policy around them:
 * a copy still fresh by the document's HTTP cache headers is used without a fetch (on any instance, and
 * after a restart); a stale copy is used for up to 7 days after its last successful fetch, but only when a
 * refetch fails for a network reason (DNS, timeout, refused/reset connection, 5xx). Anything else — an SSRF
 * refusal, a 404, an invalid document — is never papered over with an old copy.
 *
 * Documents are public data, so they are stored as they are; the key is a hash of the URL because
 * client_id URLs can be longer than a store key may be.
 */
import { hashValue } from '../security/keys.js';
import type { Store } from '../storage/port.js';
import { CIMD_MAX_BYTES } from './cimd.js';

/** How long after its last successful fetch a stored document may stand in for an unreachable one. */
export const CIMD_STALE_IF_ERROR_MS = 7 * 24 * 60 * 60 * 1000;
/** Freshness bounds (seconds) applied to a document's Cache-Control/Expires, as oidc-provider does. */
export const CIMD_CACHE_SECONDS = { min: 300, max: 86_400 } as const;

export interface StoredCimdDocument {
  url: string;
  document: Record<string, unknown>;
  /** Epoch ms of the last successful fetch. */
  fetchedAt: number;
  /** Epoch ms until which the document's own cache headers call it fresh. */
  freshUntil: number;
}

/** Why a fetch could not produce a document. `refused` never falls back to a stored copy. */
export type CimdFetchFailureKind = 'unreachable' | 'refused';

export class CimdFetchError extends Error {
  constructor(
    readonly kind: CimdFetchFailureKind,
    /** Short machine-readable reason: `enotfound`, `timeout`, `http_503`, `non_public_address`, … */
    readonly detail: string,
  ) {
    super(`client metadata document ${kind === 'refused' ? 'fetch refused' : 'unreachable'}: ${detail}`);
    this.name = 'CimdFetchError';
  }
}

/** A response body over the size limit: the app's problem, not the network's. */
export class CimdDocumentTooLargeError extends Error {
  constructor() {
    super('client metadata document too large');
    this.name = 'CimdDocumentTooLargeError';
  }
}

export type CimdDocumentSource = 'network' | 'store' | 'stale';

export interface CimdFetchResult {
  response: Response;
  source: CimdDocumentSource;
  /** For `stale`: why the refetch failed, and when the copy was last fetched. */
  failure?: string;
  fetchedAt?: number;
}

export function cimdDocumentKey(url: string): string {
  return hashValue(url);
}

/** Error codes that mean "the network did not deliver", where a recent copy is the right answer. */
const NETWORK_ERROR_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function causeChain(err: unknown): Array<{ name?: string; code?: unknown; message?: string }> {
  const chain: Array<{ name?: string; code?: unknown; message?: string }> = [];
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    chain.push(current as { name?: string; code?: unknown; message?: string });
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/**
 * Sorts a failed fetch: `refused` when oidc-provider's socket guard destroyed a connection to a
 * special-use address (an SSRF attempt, e.g. DNS rebinding after the pre-flight check), `network` for
 * failures a recent copy may cover, `other` for the rest (TLS errors, bad URLs, bugs).
 */
export function classifyFetchError(err: unknown): { kind: 'refused' | 'network' | 'other'; detail: string } {
  const chain = causeChain(err);
  if (chain.some((e) => typeof e.message === 'string' && e.message.includes('special-use IP address'))) {
    return { kind: 'refused', detail: 'non_public_address' };
  }
  for (const e of chain) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { kind: 'network', detail: 'timeout' };
    if (typeof e.code === 'string' && NETWORK_ERROR_CODES.has(e.code))
      return { kind: 'network', detail: e.code.toLowerCase() };
  }
  const last = chain.at(-1);
  const code = typeof last?.code === 'string' ? last.code : undefined;
  return { kind: 'other', detail: (code ?? last?.name ?? 'fetch_error').toLowerCase().slice(0, 64) };
}

/** Seconds a response may be considered fresh: max-age, else Expires, else the minimum; clamped. */
export function freshnessSeconds(headers: Headers, now: number): number {
  let seconds: number | undefined;
  const maxAge = /(?:^|,)\s*max-age\s*=\s*(\d+)/i.exec(headers.get('cache-control') ?? '');
  if (maxAge) seconds = Number(maxAge[1]);
  if (seconds === undefined) {
    const expires = Date.parse(headers.get('expires') ?? '');
    if (!Number.isNaN(expires)) seconds = Math.floor((expires - now) / 1000);
  }
  return Math.max(CIMD_CACHE_SECONDS.min, Math.min(CIMD_CACHE_SECONDS.max, seconds ?? CIMD_CACHE_SECONDS.min));
}

async function readCapped(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel();
    throw new CimdDocumentTooLargeError();
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    received += chunk.length;
    if (received > limit) throw new CimdDocumentTooLargeError();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A document worth keeping: a JSON object naming its own URL and holding no secret. */
function keepable(url: string, text: string): Record<string, unknown> | undefined {
  try {
    const doc = JSON.parse(text) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
    const props = doc as Record<string, unknown>;
    return props.client_id === url && !('client_secret' in props) ? props : undefined;
  } catch {
    return undefined;
  }
}

function storedResponse(stored: StoredCimdDocument, maxAgeSeconds: number): Response {
  return new Response(JSON.stringify(stored.document), {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'cache-control': `max-age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    },
  });
}

export class CimdDocuments {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The stored copy, if any. A store failure reads as "no copy": the fetch itself may still work. */
  async read(url: string): Promise<StoredCimdDocument | undefined> {
    let record;
    try {
      record = await this.store.get('CimdDocument', cimdDocumentKey(url));
    } catch {
      return undefined;
    }
    const data = record?.data as Partial<StoredCimdDocument> | undefined;
    if (!data || data.url !== url || typeof data.document !== 'object' || data.document === null) return undefined;
    if (typeof data.fetchedAt !== 'number' || typeof data.freshUntil !== 'number') return undefined;
    return data as StoredCimdDocument;
  }

  /** Keeps a freshly fetched document; kept until its stale-if-error window ends (TTL on expiresAt). */
  async save(url: string, document: Record<string, unknown>, freshSeconds: number): Promise<void> {
    const fetchedAt = this.now();
    const data: StoredCimdDocument = { url, document, fetchedAt, freshUntil: fetchedAt + freshSeconds * 1000 };
    try {
      await this.store.put('CimdDocument', cimdDocumentKey(url), {
        data: data as unknown as Record<string, unknown>,
        expiresAt: fetchedAt + CIMD_STALE_IF_ERROR_MS,
        updatedAt: fetchedAt,
      });
    } catch {
      // Keeping a copy is a fallback for later; failing to keep one must not fail this sign-in.
    }
  }

  /**
   * Gets the document at `url`: a fresh stored copy, else `network()` (which must apply the SSRF and size
   * guards), else — on a network failure only — a stored copy under 7 days old. `skipNetwork` carries a
   * network failure already seen (the pre-flight DNS lookup failed), so the fetch is not tried again.
   */
  async fetchThrough(url: string, network: () => Promise<Response>, skipNetwork?: string): Promise<CimdFetchResult> {
    const stored = await this.read(url);
    const now = this.now();
    if (stored && stored.freshUntil > now) {
      return {
        response: storedResponse(stored, (stored.freshUntil - now) / 1000),
        source: 'store',
        fetchedAt: stored.fetchedAt,
      };
    }
    let failure: string | undefined = skipNetwork;
    if (failure === undefined) {
      try {
        const res = await network();
        if (res.status >= 500) {
          await res.body?.cancel();
          failure = `http_${res.status}`;
        } else if (res.status !== 200) {
          // A redirect or 4xx is the document host's answer, not an outage: oidc-provider refuses it.
          return { response: res, source: 'network' };
        } else {
          const text = await readCapped(res, CIMD_MAX_BYTES);
          const document = keepable(url, text);
          if (document) await this.save(url, document, freshnessSeconds(res.headers, now));
          const headers = new Headers({ 'content-type': res.headers.get('content-type') ?? 'application/json' });
          for (const name of ['cache-control', 'expires']) {
            const value = res.headers.get(name);
            if (value !== null) headers.set(name, value);
          }
          return { response: new Response(text, { status: 200, headers }), source: 'network' };
        }
      } catch (err) {
        if (err instanceof CimdDocumentTooLargeError) throw err;
        const sorted = classifyFetchError(err);
        if (sorted.kind === 'refused') throw new CimdFetchError('refused', sorted.detail);
        if (sorted.kind === 'other') throw new CimdFetchError('unreachable', sorted.detail);
        failure = sorted.detail;
      }
    }
    if (stored && now - stored.fetchedAt < CIMD_STALE_IF_ERROR_MS && isNetworkFailure(failure)) {
      // max-age=0: oidc-provider keeps it for its minimum (5 minutes), so the host is retried after that.
      return { response: storedResponse(stored, 0), source: 'stale', failure, fetchedAt: stored.fetchedAt };
    }
    throw new CimdFetchError('unreachable', failure);
  }
}

/** Failures a stored copy may stand in for: those classified as network, and 5xx answers. */
function isNetworkFailure(detail: string): boolean {
  return (
    detail === 'timeout' ||
    /^http_5\d\d$/.test(detail) ||
    NETWORK_ERROR_CODES.has(detail.toUpperCase()) ||
    detail === 'dns_failed'
  );
}
