/**
 * The People API gateway: every tool call to Google goes through here. It supplies the user's Google
 * access token (refreshed server-side), retries 429/5xx with backoff honouring Retry-After, turns a
 * Google 401 into one refresh-and-retry, serializes a user's writes (Google asks for this), warms up
 * Google's search caches, and maps Google's errors to typed errors the tools turn into messages a model
 * can act on. Tools see it through `AccountPeople`: the same gateway, bound to the signed-in user.
 */
import type { GoogleAccessTokens } from './access-tokens.js';
import { PeopleClient, PeopleHttpError, type PeopleApi, type PeopleRequestOptions } from './people-client.js';
import { GoogleReauthRequired, GoogleUnavailable } from './oauth.js';
import { OPTIONAL_PERMISSIONS, type OptionalPermission } from './scopes.js';

export type { PeopleApi, PeopleRequestOptions };

export type PeopleErrorKind =
  'not_found' | 'permission' | 'rate_limited' | 'unavailable' | 'invalid' | 'precondition' | 'conflict' | 'busy';

export class PeopleApiError extends Error {
  constructor(
    readonly kind: PeopleErrorKind,
    message: string,
    readonly status?: number,
    readonly googleStatus?: string,
    readonly reason?: string,
    /** On a 403 for a missing scope: the scopes Google said would do (from its WWW-Authenticate header). */
    readonly requiredScopes?: string[],
  ) {
    super(message);
    this.name = 'PeopleApiError';
  }
}

/** The user unticked an optional permission on Google's consent screen, and the tool needs it. */
export class MissingGooglePermission extends Error {
  constructor(readonly permission: OptionalPermission) {
    super(`Google permission not granted: ${permission}`);
    this.name = 'MissingGooglePermission';
  }
}

/** One People API request, e.g. `(api, options) => api.people.get({ resourceName, personFields }, options)`. */
export type PeopleRequest<T> = (api: PeopleApi, options: PeopleRequestOptions) => Promise<{ data: T }>;

export interface CallOptions {
  /**
   * `false` for creations: retried only on 429 (Google did not process it), never after a 5xx or a
   * timeout, where the contact may already exist and a retry would duplicate it. Default true.
   */
  idempotent?: boolean;
}

/** Which of Google's search caches: people.searchContacts or otherContacts.search. */
export type SearchKind = 'contacts' | 'otherContacts';

/**
 * The People API for one signed-in user: what a tool gets as `ctx.google`. Everything the gateway does
 * (tokens, retries, error mapping) happens behind it; tests give tools a fake (test/support/fake-people.ts).
 */
export interface AccountPeople {
  /** Runs one People API request for the user, with retries and error mapping; resolves to its `data`. */
  call<T>(request: PeopleRequest<T>, opts?: CallOptions): Promise<T>;
  /** Runs `fn` after the user's earlier writes on this instance finished (Google asks for one write at a time). */
  serialize<T>(fn: () => Promise<T>): Promise<T>;
  /** Throws MissingGooglePermission when the user is known not to have granted the optional permission. */
  requirePermission(permission: OptionalPermission): Promise<void>;
  /** Warms up Google's search cache of that kind for the user, once per instance, before the first search. */
  warmUpSearch(kind: SearchKind): Promise<void>;
}

export interface PeopleGatewayOptions {
  rootUrl: string;
  tokens: GoogleAccessTokens;
  /** Called when Google says the user's grant is gone, so our grants can be revoked too. */
  onReauthRequired?: (accountId: string) => Promise<void>;
  maxAttempts?: number;
  timeoutMs?: number;
  /** Upper bound on one Retry-After wait. */
  maxRetryAfterMs?: number;
  maxQueuedMutations?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** One response header's value (Node gives repeated headers as arrays). */
function header(err: PeopleHttpError, name: string): string | undefined {
  const value = err.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Bound on remembered warmed-up search caches per instance. */
const MAX_WARMUP_MARKERS = 50_000;

export class PeopleGateway {
  private readonly client: PeopleClient;
  private readonly queues = new Map<string, { tail: Promise<unknown>; depth: number }>();
  /** `kind:accountId` of the search caches this instance warmed up (an account id, nothing about contacts). */
  private readonly warmed = new Set<string>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: PeopleGatewayOptions) {
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.client = new PeopleClient({ rootUrl: opts.rootUrl });
  }

  /** The People API client every request function receives (tests wrap its methods to watch calls). */
  api(): PeopleApi {
    return this.client;
  }

  /** Makes sure a Google access token is at hand (refreshing if needed) before a tool runs. */
  async prepare(accountId: string): Promise<void> {
    try {
      await this.opts.tokens.accessToken(accountId);
    } catch (err) {
      if (err instanceof GoogleReauthRequired) await this.opts.onReauthRequired?.(accountId);
      throw err;
    }
  }

  /**
   * Throws MissingGooglePermission when the user's Google sign-in is known not to include the optional
   * permission, so the tool answers without a Google call that can only fail. When Google never told us
   * what it granted, the call goes ahead and Google's 403 says it instead.
   */
  async requirePermission(accountId: string, permission: OptionalPermission): Promise<void> {
    let granted: ReadonlySet<string> | undefined;
    try {
      granted = await this.opts.tokens.grantedScopes(accountId);
    } catch (err) {
      if (err instanceof GoogleReauthRequired) await this.opts.onReauthRequired?.(accountId);
      throw err;
    }
    if (granted && !granted.has(OPTIONAL_PERMISSIONS[permission].scope)) throw new MissingGooglePermission(permission);
  }

  /** The gateway bound to one user: the tools' view of Google (`ctx.google`). */
  forAccount(accountId: string): AccountPeople {
    return {
      call: (request, opts) => this.call(accountId, request, opts),
      serialize: (fn) => this.serialize(accountId, fn),
      requirePermission: (permission) => this.requirePermission(accountId, permission),
      warmUpSearch: (kind) => this.warmUpSearch(accountId, kind),
    };
  }

  /** Runs one People API call for the user with retries and error mapping (see CallOptions.idempotent). */
  async call<T>(accountId: string, fn: PeopleRequest<T>, callOpts: CallOptions = {}): Promise<T> {
    const idempotent = callOpts.idempotent ?? true;
    const maxAttempts = this.opts.maxAttempts ?? 4;
    let refreshedAfter401 = false;
    for (let attempt = 1; ; attempt++) {
      const token = await this.opts.tokens.accessToken(accountId).catch(async (err: unknown) => {
        if (err instanceof GoogleReauthRequired) await this.opts.onReauthRequired?.(accountId);
        throw err;
      });
      try {
        const res = await fn(this.client, {
          headers: { Authorization: `Bearer ${token}` },
          timeout: this.opts.timeoutMs ?? 30_000,
        });
        return res.data;
      } catch (raw) {
        // Anything but Google's answer (a bug in a request function) is not Google's to map or retry.
        if (!(raw instanceof PeopleHttpError)) throw raw;
        const err = raw;
        const status = err.status;
        const gErr = err.body?.error;
        if (status === 401) {
          if (!refreshedAfter401) {
            refreshedAfter401 = true;
            this.opts.tokens.markStale(accountId);
            continue;
          }
          await this.opts.onReauthRequired?.(accountId);
          throw new GoogleReauthRequired('Google rejected the refreshed access token');
        }
        if (status === 429 || (status !== undefined && status >= 500) || status === undefined) {
          if (attempt < maxAttempts && (idempotent || status === 429)) {
            const retryAfter = Number(header(err, 'retry-after'));
            const backoff =
              Number.isFinite(retryAfter) && retryAfter > 0
                ? retryAfter * 1000
                : 250 * 2 ** (attempt - 1) + Math.random() * 100;
            if (backoff <= (this.opts.maxRetryAfterMs ?? 10_000)) {
              await this.sleep(backoff);
              continue;
            }
          }
          if (status === 429)
            throw new PeopleApiError('rate_limited', 'Google Contacts is rate limiting requests', status, gErr?.status);
          const base =
            status === undefined
              ? 'Google Contacts did not answer in time'
              : 'Google Contacts is temporarily unavailable';
          throw new PeopleApiError(
            'unavailable',
            idempotent ? base : `${base}; the change may or may not have been saved — search before trying again`,
            status,
            gErr?.status,
          );
        }
        const reason = gErr?.details?.find((d) => d.reason)?.reason;
        const message = gErr?.message ?? `Google answered ${status}`;
        if (status === 404) throw new PeopleApiError('not_found', message, status, gErr?.status);
        if (status === 403) {
          const scope = /\bscope="([^"]*)"/.exec(header(err, 'www-authenticate') ?? '')?.[1];
          const requiredScopes = scope ? scope.split(/\s+/).filter(Boolean) : undefined;
          throw new PeopleApiError('permission', message, status, gErr?.status, reason, requiredScopes);
        }
        if (status === 409) throw new PeopleApiError('conflict', message, status, gErr?.status);
        if (status === 412 || gErr?.status === 'FAILED_PRECONDITION')
          throw new PeopleApiError('precondition', message, status, gErr?.status);
        throw new PeopleApiError('invalid', message, status, gErr?.status);
      }
    }
  }

  /**
   * Google's search caches must be warmed up with an empty-query request before the first search for a
   * user ("send a warmup request with an empty query to update the cache"), for people.searchContacts and
   * otherContacts.search alike. Done once per user, per kind, per running instance.
   */
  async warmUpSearch(accountId: string, kind: SearchKind): Promise<void> {
    const key = `${kind}:${accountId}`;
    if (this.warmed.has(key)) return;
    if (kind === 'contacts')
      await this.call(accountId, (api, options) =>
        api.people.searchContacts({ query: '', readMask: 'names', pageSize: 1 }, options),
      );
    else
      await this.call(accountId, (api, options) =>
        api.otherContacts.search({ query: '', readMask: 'names', pageSize: 1 }, options),
      );
    // Bounded memory: past the bound the markers start over, costing one extra warm-up per user.
    if (this.warmed.size >= MAX_WARMUP_MARKERS) this.warmed.clear();
    this.warmed.add(key);
  }

  /** Runs fn after the user's earlier writes on this instance finished (bounded queue). */
  async serialize<T>(accountId: string, fn: () => Promise<T>): Promise<T> {
    const max = this.opts.maxQueuedMutations ?? 20;
    const q = this.queues.get(accountId) ?? { tail: Promise.resolve(), depth: 0 };
    if (q.depth >= max)
      throw new PeopleApiError(
        'busy',
        `Too many changes are waiting for this account (limit ${max}); try again in a moment`,
      );
    q.depth++;
    this.queues.set(accountId, q);
    const run = q.tail.catch(() => undefined).then(fn);
    q.tail = run.finally(() => {
      q.depth--;
      if (q.depth === 0 && this.queues.get(accountId) === q) this.queues.delete(accountId);
    });
    return run;
  }
}

export { GoogleReauthRequired, GoogleUnavailable };
export type { OptionalPermission };
