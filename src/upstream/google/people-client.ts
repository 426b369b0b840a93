/**
 * A thin People API v1 client: the twenty methods our tools call, with `@googleapis/people`'s types and
 * call shape (`api.people.get(params, options)` resolving to `{ data }`), sent with `node:http(s)` over a
 * keep-alive connection pool.
 *
 * Why not `@googleapis/people` itself: its request path (googleapis-common's URL templating and
 * parameter transcoding, gaxios, node-fetch, a DOMException built for every response) was the largest
 * cost of a tool call after warm-up — about 0.9 ms of CPU per call, where this whole client costs about
 * a third of that (bench/README.md). The library stays a dev dependency for its `people_v1` types.
 *
 * What it sends is what the library sends: the discovery document's HTTP method and path for each
 * method (`{+resourceName}` expanded into the path), every other parameter in the query string
 * (arrays repeated: `resourceNames=a&resourceNames=b`), `requestBody` as JSON, `Accept-Encoding: gzip`
 * with the "gzip" user-agent comment Google asks for. What it answers: `{ data }` for 2xx (an empty
 * body is `{}`), otherwise a `PeopleHttpError` with Google's status, headers and parsed error body; a
 * network failure or timeout is a `PeopleHttpError` without a status. Retries and error meaning are the
 * gateway's (people.ts), not this file's.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createGunzip } from 'node:zlib';
import type { people_v1 } from '@googleapis/people';

/** What every request is sent with: the user's token and the gateway's timeout. */
export interface PeopleRequestOptions {
  headers: Record<string, string>;
  /** Whole-request timeout (connect, send, and reading the answer), in ms. */
  timeout: number;
}

type Method<P, R> = (params: P, options: PeopleRequestOptions) => Promise<{ data: R }>;

/** The People API as our tools call it: the subset of `people_v1.People` we use, with the same shapes. */
export interface PeopleApi {
  people: {
    get: Method<people_v1.Params$Resource$People$Get, people_v1.Schema$Person>;
    getBatchGet: Method<people_v1.Params$Resource$People$Getbatchget, people_v1.Schema$GetPeopleResponse>;
    searchContacts: Method<people_v1.Params$Resource$People$Searchcontacts, people_v1.Schema$SearchResponse>;
    searchDirectoryPeople: Method<
      people_v1.Params$Resource$People$Searchdirectorypeople,
      people_v1.Schema$SearchDirectoryPeopleResponse
    >;
    createContact: Method<people_v1.Params$Resource$People$Createcontact, people_v1.Schema$Person>;
    updateContact: Method<people_v1.Params$Resource$People$Updatecontact, people_v1.Schema$Person>;
    deleteContact: Method<people_v1.Params$Resource$People$Deletecontact, people_v1.Schema$Empty>;
    batchCreateContacts: Method<
      people_v1.Params$Resource$People$Batchcreatecontacts,
      people_v1.Schema$BatchCreateContactsResponse
    >;
    batchDeleteContacts: Method<people_v1.Params$Resource$People$Batchdeletecontacts, people_v1.Schema$Empty>;
    connections: {
      list: Method<people_v1.Params$Resource$People$Connections$List, people_v1.Schema$ListConnectionsResponse>;
    };
  };
  contactGroups: {
    get: Method<people_v1.Params$Resource$Contactgroups$Get, people_v1.Schema$ContactGroup>;
    batchGet: Method<people_v1.Params$Resource$Contactgroups$Batchget, people_v1.Schema$BatchGetContactGroupsResponse>;
    list: Method<people_v1.Params$Resource$Contactgroups$List, people_v1.Schema$ListContactGroupsResponse>;
    create: Method<people_v1.Params$Resource$Contactgroups$Create, people_v1.Schema$ContactGroup>;
    update: Method<people_v1.Params$Resource$Contactgroups$Update, people_v1.Schema$ContactGroup>;
    delete: Method<people_v1.Params$Resource$Contactgroups$Delete, people_v1.Schema$Empty>;
    members: {
      modify: Method<
        people_v1.Params$Resource$Contactgroups$Members$Modify,
        people_v1.Schema$ModifyContactGroupMembersResponse
      >;
    };
  };
  otherContacts: {
    list: Method<people_v1.Params$Resource$Othercontacts$List, people_v1.Schema$ListOtherContactsResponse>;
    search: Method<people_v1.Params$Resource$Othercontacts$Search, people_v1.Schema$SearchResponse>;
    copyOtherContactToMyContactsGroup: Method<
      people_v1.Params$Resource$Othercontacts$Copyothercontacttomycontactsgroup,
      people_v1.Schema$Person
    >;
  };
}

/** Google's answer when it was not a 2xx, or (no `status`) why there was no answer. */
export class PeopleHttpError extends Error {
  constructor(
    message: string,
    /** Google's HTTP status; undefined when no answer came (network failure, timeout). */
    readonly status: number | undefined,
    /** Google's response headers (lower-case names), e.g. retry-after, www-authenticate. */
    readonly headers: Readonly<Record<string, string | string[] | undefined>> = {},
    /** Google's parsed error body: `{ error: { code, message, status, details } }` when it sent JSON. */
    readonly body?: PeopleErrorBody,
    /** The network error's code (ECONNRESET, ETIMEDOUT, …) when there was no answer. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'PeopleHttpError';
  }
}

export interface PeopleErrorBody {
  error?: { code?: number; status?: string; message?: string; details?: Array<{ reason?: string }> };
}

export interface PeopleClientOptions {
  /** e.g. https://people.googleapis.com/ (the stand-in's URL in tests). */
  rootUrl: string;
  /** Upper bound on one answer's size: a runaway answer must not exhaust the instance's memory. */
  maxResponseBytes?: number;
}

/** A pooled connection that Google had closed: nothing was answered on it (see PeopleClient.call). */
class StaleConnection extends Error {}

/** What the library puts in User-Agent; Google serves gzip only to user agents that say "gzip". */
const USER_AGENT = 'google-contacts-mcp (gzip)';
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * `{+resourceName}` expansion: the resource name goes into the path as its segments ("people/c123"),
 * each percent-encoded. A "." or ".." segment (which a URL would resolve away, reaching another
 * resource) is refused; the tools validate resource names already, this keeps it true for any caller.
 */
function resourcePath(resourceName: unknown): string {
  if (typeof resourceName !== 'string' || resourceName === '')
    throw new PeopleHttpError('Missing required parameters: resourceName', 400);
  const segments = resourceName.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    throw new PeopleHttpError(`Invalid resource name: ${resourceName.slice(0, 100)}`, 400);
  return segments.map(encodeURIComponent).join('/');
}

/** Query string of every parameter but the path's and the body (arrays repeated, like `qs`'s `repeat`). */
function queryString(params: Record<string, unknown>, skip: string): string {
  let q = '';
  for (const key in params) {
    if (key === skip || key === 'requestBody') continue;
    const value = params[key];
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const v of values) q += `${q ? '&' : '?'}${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`;
  }
  return q;
}

export class PeopleClient implements PeopleApi {
  /**
   * Reused connections to Google: without them every tool call pays a new TCP and TLS handshake.
   * `maxFreeSockets` is as large as `maxSockets`: a smaller one closes connections after every burst
   * and the next burst reconnects (measured: 16 made 10–22 % of calls reconnect at 32 concurrent calls).
   */
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;
  private readonly base: URL;
  private readonly maxResponseBytes: number;

  constructor(opts: PeopleClientOptions) {
    this.base = new URL(opts.rootUrl.endsWith('/') ? opts.rootUrl : `${opts.rootUrl}/`);
    this.maxResponseBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const agentOptions = {
      keepAlive: true,
      maxSockets: 64,
      maxFreeSockets: 64,
      timeout: 60_000,
      scheduling: 'lifo' as const,
    };
    const https = this.base.protocol === 'https:';
    this.agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.send = https ? httpsRequest : httpRequest;
  }

  /** Closes idle pooled connections (tests and shutdown; in-flight requests finish). */
  close(): void {
    this.agent.destroy();
  }

  /**
   * One request. `path` is relative to `{root}/v1/`; `{+resourceName}` in it is expanded from params.
   * The methods below are the discovery document's, one line each.
   */
  private call<R>(method: string, path: string, params: object, options: PeopleRequestOptions): Promise<{ data: R }> {
    const p = params as Record<string, unknown>;
    const hasResource = path.includes('{+resourceName}');
    let url: string;
    try {
      url =
        (hasResource ? path.replace('{+resourceName}', resourcePath(p.resourceName)) : path) +
        queryString(p, hasResource ? 'resourceName' : '');
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const body = p.requestBody === undefined ? undefined : Buffer.from(JSON.stringify(p.requestBody));
    const headers: OutgoingHttpHeaders = {
      ...options.headers,
      accept: 'application/json',
      'accept-encoding': 'gzip',
      'user-agent': USER_AGENT,
    };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = body.length;
    }
    const deadline = Date.now() + options.timeout;
    const path_ = `${this.base.pathname}v1/${url}`;
    return this.exchange<R>(method, path_, headers, body, deadline).catch((err: unknown) => {
      // The keep-alive race: Google closed an idle pooled connection just as we sent on it, and nothing
      // was answered. Sent again on a fresh connection, once, whatever the method — what Node's
      // documentation (`request.reusedSocket`) and browsers do: a front end that drops an idle connection
      // has not passed the request on. Otherwise a create would fail as "may or may not have been saved".
      if (err instanceof StaleConnection) return this.exchange<R>(method, path_, headers, body, deadline, true);
      throw err;
    });
  }

  /** One HTTP exchange; rejects with StaleConnection when a reused connection failed before any answer. */
  private exchange<R>(
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    body: Buffer | undefined,
    deadline: number,
    /** A new connection of its own, not one from the pool (whose other idle connections may be stale too). */
    fresh = false,
  ): Promise<{ data: R }> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = this.send(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          path,
          method,
          headers,
          agent: fresh ? false : this.agent,
        },
        (res) => {
          answered = true;
          readAnswer(res, this.maxResponseBytes).then((text) => {
            clearTimeout(timer);
            const status = res.statusCode ?? 0;
            const parsed = parseJson(text);
            if (status >= 200 && status < 300) {
              if (text !== '' && parsed === undefined) {
                reject(new PeopleHttpError('Google answered with a body that is not JSON', 502, res.headers));
                return;
              }
              resolve({ data: (parsed ?? {}) as R });
              return;
            }
            reject(
              new PeopleHttpError(
                `Google answered ${status}`,
                status,
                res.headers,
                parsed !== null && typeof parsed === 'object' ? (parsed as PeopleErrorBody) : undefined,
              ),
            );
          }, fail);
        },
      );
      const fail = (err: Error & { code?: string }): void => {
        clearTimeout(timer);
        req.destroy();
        if (err instanceof PeopleHttpError) reject(err);
        else if (!answered && req.reusedSocket && err.code === 'ECONNRESET') reject(new StaleConnection());
        else reject(new PeopleHttpError(err.message, undefined, {}, undefined, err.code));
      };
      const timeout = Math.max(0, deadline - Date.now());
      const timer = setTimeout(
        () => fail(Object.assign(new Error(`No answer from Google within the timeout`), { code: 'ETIMEDOUT' })),
        timeout,
      );
      req.on('error', fail);
      req.end(body);
    });
  }

  readonly people: PeopleApi['people'] = {
    get: (params, o) => this.call('GET', '{+resourceName}', params, o),
    getBatchGet: (params, o) => this.call('GET', 'people:batchGet', params, o),
    searchContacts: (params, o) => this.call('GET', 'people:searchContacts', params, o),
    searchDirectoryPeople: (params, o) => this.call('GET', 'people:searchDirectoryPeople', params, o),
    createContact: (params, o) => this.call('POST', 'people:createContact', params, o),
    updateContact: (params, o) => this.call('PATCH', '{+resourceName}:updateContact', params, o),
    deleteContact: (params, o) => this.call('DELETE', '{+resourceName}:deleteContact', params, o),
    batchCreateContacts: (params, o) => this.call('POST', 'people:batchCreateContacts', params, o),
    batchDeleteContacts: (params, o) => this.call('POST', 'people:batchDeleteContacts', params, o),
    connections: {
      list: (params, o) => this.call('GET', '{+resourceName}/connections', params, o),
    },
  };

  readonly contactGroups: PeopleApi['contactGroups'] = {
    get: (params, o) => this.call('GET', '{+resourceName}', params, o),
    batchGet: (params, o) => this.call('GET', 'contactGroups:batchGet', params, o),
    list: (params, o) => this.call('GET', 'contactGroups', params, o),
    create: (params, o) => this.call('POST', 'contactGroups', params, o),
    update: (params, o) => this.call('PUT', '{+resourceName}', params, o),
    delete: (params, o) => this.call('DELETE', '{+resourceName}', params, o),
    members: {
      modify: (params, o) => this.call('POST', '{+resourceName}/members:modify', params, o),
    },
  };

  readonly otherContacts: PeopleApi['otherContacts'] = {
    list: (params, o) => this.call('GET', 'otherContacts', params, o),
    search: (params, o) => this.call('GET', 'otherContacts:search', params, o),
    copyOtherContactToMyContactsGroup: (params, o) =>
      this.call('POST', '{+resourceName}:copyOtherContactToMyContactsGroup', params, o),
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The answer's body as text, gunzipped when Google compressed it, bounded in size. */
function readAnswer(res: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
    const stream = encoding === 'gzip' ? res.pipe(createGunzip()) : res;
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy();
        reject(new PeopleHttpError(`Google's answer is larger than ${maxBytes} bytes`, 502, res.headers));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    stream.on('error', (err: Error) => reject(err));
    // pipe() does not pass the response's own errors on to the gunzip stream.
    if (stream !== res) res.on('error', (err: Error) => reject(err));
    // A connection closed mid-answer: 'end' never comes (a settled promise ignores this after 'end').
    res.on('close', () => {
      if (!res.complete)
        reject(Object.assign(new Error('Google closed the connection mid-answer'), { code: 'ECONNRESET' }));
    });
  });
}
