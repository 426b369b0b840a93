/**
 * Client ID Metadata Documents wired into oidc-provider. oidc-provider fetches and validates https
 * documents itself; we supply policy and glue through its hooks:
 *
 * - `allowFetch`: the SSRF pre-flight (cimd.ts). A refusal is final. A failed DNS lookup is a network
 *   failure instead, so a stored copy may still serve (an offline laptop, a locked-down egress).
 * - `fetch`: for the document of the client being resolved, the stored-copy policy (cimd-documents.ts)
 *   around the real fetch, which keeps oidc-provider's SSRF-guarded dispatcher, timeout and size limit.
 * - `Client.find` (wrapped): URL client ids are refused clearly when CLIENT_ID_METADATA_DOCUMENTS=false;
 *   loopback http documents are resolved in loopback mode (oidc-provider only fetches https); every
 *   outcome is logged exactly once per request (oidc-provider looks a failed client up twice) and a
 *   failure becomes an `invalid_client` error that knows which page to show (cimd-pages.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type Provider from 'oidc-provider';
import type { Configuration, errors as OidcErrors } from 'oidc-provider';
import type { Config } from '../config/config.js';
import { log } from '../logging/logger.js';
import { isStoreUnavailable, type Store } from '../storage/port.js';
import { checkCimdUrl, isLoopbackHttpClientId, readLoopbackDocument } from './cimd.js';
import { checkRedirectUri } from './redirect-uris.js';
import {
  CIMD_CACHE_SECONDS,
  CimdDocuments,
  CimdFetchError,
  freshnessSeconds,
  type CimdFetchResult,
} from './cimd-documents.js';
import { describeCimdDetail, type CimdFailure } from './cimd-pages.js';

/** One resolution of a URL client id, carried through oidc-provider's hooks. */
interface CimdAttempt {
  clientId: string;
  /** The SSRF pre-flight refused the URL, with its reason. */
  refusal?: string;
  /** The pre-flight DNS lookup failed: a network failure, so the fetch is not tried again now. */
  preflightNetworkFailure?: string;
  result?: CimdFetchResult;
}

export interface CimdSupportDeps {
  config: Config;
  store: Store;
  errors: typeof OidcErrors;
  /** oidc-provider's request context (Provider.ctx), to log each outcome once per request. */
  currentContext: () => object | undefined;
  now?: () => number;
}

export interface CimdSupport {
  feature: Record<string, unknown>;
  fetch: NonNullable<Configuration['fetch']>;
  install(provider: Provider): void;
}

const LOOPBACK_FETCH_TIMEOUT_MS = 2500;
/** Like oidc-provider's in-process cache of https documents. */
const LOOPBACK_CACHE_ENTRIES = 100;

/** The part of a client id safe and short enough for a log line. */
function forLog(url: string): string {
  return url.slice(0, 200);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

export function createCimdSupport(deps: CimdSupportDeps): CimdSupport {
  const { config, errors, currentContext } = deps;
  const now = deps.now ?? (() => Date.now());
  const documents = new CimdDocuments(deps.store, now);
  const attempts = new AsyncLocalStorage<CimdAttempt>();

  const assertDocumentRedirects = (uris: string[] | undefined) => {
    for (const [i, uri] of (uris ?? []).entries()) {
      const check = checkRedirectUri(uri);
      if (!check.ok) throw new errors.InvalidClientMetadata(`redirect_uris[${i}] ${check.reason}`);
    }
  };

  const feature = {
    enabled: config.clientIdMetadataDocuments,
    ack: 'draft-02',
    allowFetch: async (_ctx: unknown, clientId: string) => {
      const attempt = attempts.getStore();
      const decision = await checkCimdUrl(clientId, { allowLoopbackHttp: config.allowLoopbackHttp });
      if (decision.allowed) return true;
      if (decision.reason === 'dns_failed') {
        // Not an SSRF finding: the name did not resolve. The fetch hook treats it as the outage it is
        // (and oidc-provider's socket guard would still refuse a special-use address if it did resolve).
        if (attempt) attempt.preflightNetworkFailure = 'dns_failed';
        return true;
      }
      if (attempt) attempt.refusal = decision.reason ?? 'refused';
      return false;
    },
    // A document's redirect_uris follow the same rule as a registration's (redirect-uris.ts), on top of
    // oidc-provider's own client validation, so the two ways a client arrives cannot drift apart.
    allowClient: async (_ctx: unknown, client: { redirectUris?: string[] }) => {
      assertDocumentRedirects(client.redirectUris);
      return true;
    },
    cacheDuration: { ...CIMD_CACHE_SECONDS },
  };

  const fetchHook: NonNullable<Configuration['fetch']> = async (input, init) => {
    const attempt = attempts.getStore();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!attempt || attempt.clientId !== url) return globalThis.fetch(input, init);
    const result = await documents.fetchThrough(
      url,
      () => globalThis.fetch(input, init),
      attempt.preflightNetworkFailure,
    );
    attempt.result = result;
    return result.response;
  };

  /** `invalid_client` (what OAuth clients understand) carrying the failure, for renderError's page. */
  function cimdError(failure: CimdFailure): Error {
    const url = forLog(failure.clientId);
    const description = {
      unreachable: `this server could not reach the client metadata document at ${url} (${describeCimdDetail(failure.detail)})`,
      refused: `the client_id URL is not acceptable: ${describeCimdDetail(failure.detail)}`,
      invalid: `the client metadata document at ${url} is not acceptable: ${failure.detail.slice(0, 300)}`,
      disabled:
        'this server does not accept client ID metadata documents (URL client ids); register with dynamic client registration (RFC 7591)',
    }[failure.kind];
    const err = new errors.InvalidClient(description);
    Object.defineProperty(err, 'cimdFailure', { value: failure });
    return err;
  }

  function logFailure(failure: CimdFailure): void {
    const clientId = forLog(failure.clientId);
    const host = hostOf(failure.clientId);
    switch (failure.kind) {
      case 'unreachable':
        log().warn(
          { event: 'cimd.fetch_failed', reason: 'cimd_unreachable', detail: failure.detail, clientId, host },
          `this server could not reach the client metadata document at ${clientId} (${describeCimdDetail(failure.detail)}) and holds no copy under 7 days old; allow this server's network egress to ${host}, or set CLIENT_ID_METADATA_DOCUMENTS=false so apps register instead`,
        );
        break;
      case 'refused':
        log().warn(
          { event: 'cimd.fetch_blocked', reason: 'cimd_fetch_blocked', detail: failure.detail, clientId },
          `client_id URL refused by the SSRF guard (${describeCimdDetail(failure.detail)}); nothing was fetched`,
        );
        break;
      case 'invalid':
        log().warn(
          {
            event: 'cimd.document_invalid',
            reason: 'cimd_document_invalid',
            detail: failure.detail.slice(0, 300),
            clientId,
          },
          'client metadata document fetched but not acceptable',
        );
        break;
      case 'disabled':
        log().info(
          { event: 'cimd.disabled', reason: 'cimd_disabled', clientId },
          'URL client_id refused: CLIENT_ID_METADATA_DOCUMENTS=false, the app must register instead',
        );
        break;
    }
  }

  function logSuccess(attempt: CimdAttempt, client: unknown): void {
    const result = attempt.result;
    const clientId = forLog(attempt.clientId);
    if (result?.source === 'stale') {
      const ageHours = Math.round((now() - (result.fetchedAt ?? 0)) / 360_000) / 10;
      log().warn(
        {
          event: 'cimd.stale_copy_used',
          reason: 'cimd_unreachable',
          detail: result.failure,
          clientId,
          host: hostOf(attempt.clientId),
          ageHours,
        },
        `could not reach the client metadata document at ${clientId} (${describeCimdDetail(result.failure ?? '')}); using the copy fetched ${ageHours} h ago (kept up to 7 days)`,
      );
    } else if (result?.source === 'network') {
      const clientName = (client as { clientName?: unknown } | undefined)?.clientName;
      log().info(
        {
          event: 'cimd.fetched',
          clientId,
          clientName: typeof clientName === 'string' ? clientName.slice(0, 100) : undefined,
        },
        'client metadata document fetched',
      );
    }
  }

  /** What went wrong, if it is a CIMD failure (a store outage or a bug is not: it propagates as it is). */
  function failureOf(err: unknown, attempt: CimdAttempt): CimdFailure | undefined {
    const clientId = attempt.clientId;
    const fetchError = [err, (err as { cause?: unknown } | undefined)?.cause].find(
      (e): e is CimdFetchError => e instanceof CimdFetchError,
    );
    if (fetchError) return { kind: fetchError.kind, clientId, detail: fetchError.detail };
    if (attempt.refusal) return { kind: 'refused', clientId, detail: attempt.refusal };
    const oidcError = err as { error?: unknown; error_description?: unknown; error_detail?: unknown; expose?: unknown };
    if (err instanceof Error && typeof oidcError.error === 'string' && oidcError.expose === true) {
      const detail = [oidcError.error_description, oidcError.error_detail]
        .filter((p) => typeof p === 'string' && p)
        .join(': ');
      return { kind: 'invalid', clientId, detail: detail || oidcError.error };
    }
    return undefined;
  }

  function install(provider: Provider): void {
    const ClientStatic = provider.Client as unknown as { find(id: string, ...rest: unknown[]): Promise<unknown> };
    const originalFind = ClientStatic.find.bind(provider.Client);
    const ClientCtor = provider.Client as unknown as new (
      metadata: unknown,
      ctx: unknown,
      opts: { cimd: boolean },
    ) => unknown;

    const isUrlClientId = (id: string) =>
      /^https:\/\//i.test(id) || (config.allowLoopbackHttp && isLoopbackHttpClientId(id));

    // Loopback mode only: http://127.0.0.1 documents, which oidc-provider does not fetch (https only).
    // Kept in process memory for as long as their cache headers say, as oidc-provider keeps https ones,
    // so a sign-in costs one fetch attempt (and one log line) whichever path the document takes.
    const recentLoopback = new Map<string, { props: Record<string, unknown>; until: number }>();
    const loopbackDocument = async (id: string, attempt: CimdAttempt): Promise<Record<string, unknown>> => {
      const cached = recentLoopback.get(id);
      if (cached && cached.until > now()) return cached.props;
      const result = await documents.fetchThrough(id, () =>
        fetch(id, {
          redirect: 'manual',
          signal: AbortSignal.timeout(LOOPBACK_FETCH_TIMEOUT_MS),
          headers: { accept: 'application/json' },
        }),
      );
      attempt.result = result;
      let props: Record<string, unknown>;
      try {
        props = await readLoopbackDocument(id, result.response);
      } catch (err) {
        throw new errors.InvalidClient('client_id metadata document fetch failed', (err as Error).message);
      }
      if (recentLoopback.size >= LOOPBACK_CACHE_ENTRIES) recentLoopback.clear();
      recentLoopback.set(id, { props, until: now() + freshnessSeconds(result.response.headers, now()) * 1000 });
      return props;
    };
    const resolveLoopback = async (id: string, attempt: CimdAttempt): Promise<unknown> => {
      const props = await loopbackDocument(id, attempt);
      try {
        const client = new ClientCtor(props, undefined, { cimd: true }) as { redirectUris?: string[] };
        assertDocumentRedirects(client.redirectUris);
        Object.defineProperty(client, 'clientIdMetadataDocument', { value: true });
        return client;
      } catch (err) {
        throw new errors.InvalidClientMetadata((err as Error).message);
      }
    };

    const resolve = async (id: string, rest: unknown[]): Promise<unknown> => {
      if (!config.clientIdMetadataDocuments) {
        const failure: CimdFailure = { kind: 'disabled', clientId: id, detail: 'CLIENT_ID_METADATA_DOCUMENTS=false' };
        logFailure(failure);
        throw cimdError(failure);
      }
      const attempt: CimdAttempt = { clientId: id };
      let client: unknown;
      try {
        client = await attempts.run(attempt, () =>
          /^https:/i.test(id) ? originalFind(id, ...rest) : resolveLoopback(id, attempt),
        );
      } catch (err) {
        if (isStoreUnavailable(err)) throw err;
        const failure = failureOf(err, attempt);
        if (!failure) throw err;
        logFailure(failure);
        throw cimdError(failure);
      }
      logSuccess(attempt, client);
      return client;
    };

    // oidc-provider looks a client up again when rendering an error for it; one outcome per request.
    const perRequest = new WeakMap<object, Map<string, Promise<unknown>>>();
    ClientStatic.find = (id: string, ...rest: unknown[]) => {
      if (typeof id !== 'string' || !isUrlClientId(id)) return originalFind(id, ...rest);
      const ctx = currentContext();
      if (!ctx) return resolve(id, rest);
      let seen = perRequest.get(ctx);
      if (!seen) {
        seen = new Map();
        perRequest.set(ctx, seen);
      }
      let outcome = seen.get(id);
      if (!outcome) {
        outcome = resolve(id, rest);
        seen.set(id, outcome);
      }
      return outcome;
    };
  }

  return { feature, fetch: fetchHook, install };
}
