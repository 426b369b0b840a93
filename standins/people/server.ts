/** HTTP front of the People API stand-in: routing, auth, scopes, faults, concurrency probe. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../http.js';
import { ApiError, badRequest, injectedFault, insufficientScopes, unauthenticated } from './errors.js';
import { Handlers, type Ctx } from './handlers.js';
import { Query } from './params.js';
import { validateBody, type BodyType } from './validate.js';
import { refreshProfileData, seedUserData, UserData } from './store.js';
import type {
  FailNextOptions,
  PeopleMethodId,
  PeopleStandin,
  PeopleStandinOptions,
  PeopleStandinSnapshot,
  PeopleStandinUser,
  RecordedRequest,
} from './types.js';

const S = (s: string): string => `https://www.googleapis.com/auth/${s}`;
export const SCOPES = {
  contacts: S('contacts'),
  contactsReadonly: S('contacts.readonly'),
  otherReadonly: S('contacts.other.readonly'),
  directoryReadonly: S('directory.readonly'),
} as const;
const CONTACTS_READ = [SCOPES.contacts, SCOPES.contactsReadonly];
const CONTACTS_WRITE = [SCOPES.contacts];
const OTHER_READ = [SCOPES.otherReadonly];
const DIRECTORY_READ = [SCOPES.directoryReadonly];
/** Scopes people.get / getBatchGet accept (Google's list; contact resources additionally need CONTACTS_READ). */
export const PROFILE_READ = [
  SCOPES.contacts,
  SCOPES.contactsReadonly,
  SCOPES.otherReadonly,
  SCOPES.directoryReadonly,
  S('userinfo.profile'),
  S('userinfo.email'),
  'profile',
  'email',
  S('user.addresses.read'),
  S('user.birthday.read'),
  S('user.emails.read'),
  S('user.gender.read'),
  S('user.organization.read'),
  S('user.phonenumbers.read'),
];

interface RouteDef {
  id: PeopleMethodId;
  rpc: string;
  httpMethod: string;
  pattern: RegExp;
  /** Any one of these scopes suffices... */
  anyOf: readonly string[];
  /** ...and all of these are needed too. */
  allOf?: readonly string[];
  mutation: boolean;
  params: readonly string[];
  /** Request-body type checked against people-schema.json, and the request field the body binds to. */
  body?: { type: BodyType; root: string };
}

const RPC = 'google.people.v1.PeopleService.';
const ROUTES: RouteDef[] = [
  {
    id: 'people.getBatchGet',
    rpc: RPC + 'GetPeople',
    httpMethod: 'GET',
    pattern: /^\/v1\/people:batchGet$/,
    anyOf: PROFILE_READ,
    mutation: false,
    params: ['personFields', 'requestMask.includeField', 'resourceNames', 'sources'],
  },
  {
    id: 'people.searchContacts',
    rpc: RPC + 'SearchContacts',
    httpMethod: 'GET',
    pattern: /^\/v1\/people:searchContacts$/,
    anyOf: CONTACTS_READ,
    mutation: false,
    params: ['pageSize', 'query', 'readMask', 'sources'],
  },
  {
    id: 'people.searchDirectoryPeople',
    rpc: RPC + 'SearchDirectoryPeople',
    httpMethod: 'GET',
    pattern: /^\/v1\/people:searchDirectoryPeople$/,
    anyOf: DIRECTORY_READ,
    mutation: false,
    params: ['mergeSources', 'pageSize', 'pageToken', 'query', 'readMask', 'sources'],
  },
  {
    id: 'people.listDirectoryPeople',
    rpc: RPC + 'ListDirectoryPeople',
    httpMethod: 'GET',
    pattern: /^\/v1\/people:listDirectoryPeople$/,
    anyOf: DIRECTORY_READ,
    mutation: false,
    params: ['mergeSources', 'pageSize', 'pageToken', 'readMask', 'requestSyncToken', 'sources', 'syncToken'],
  },
  {
    id: 'people.createContact',
    rpc: RPC + 'CreateContact',
    httpMethod: 'POST',
    pattern: /^\/v1\/people:createContact$/,
    anyOf: CONTACTS_WRITE,
    mutation: true,
    params: ['personFields', 'sources'],
    body: { type: 'Person', root: 'person' },
  },
  {
    id: 'people.connections.list',
    rpc: RPC + 'ListConnections',
    httpMethod: 'GET',
    pattern: /^\/v1\/(people\/[^/:]*)\/connections$/,
    anyOf: CONTACTS_READ,
    mutation: false,
    params: [
      'pageSize',
      'pageToken',
      'personFields',
      'requestMask.includeField',
      'requestSyncToken',
      'sortOrder',
      'sources',
      'syncToken',
    ],
  },
  {
    id: 'people.updateContact',
    rpc: RPC + 'UpdateContact',
    httpMethod: 'PATCH',
    pattern: /^\/v1\/(people\/[^/:]*):updateContact$/,
    anyOf: CONTACTS_WRITE,
    mutation: true,
    params: ['personFields', 'sources', 'updatePersonFields'],
    body: { type: 'Person', root: 'person' },
  },
  {
    id: 'people.batchCreateContacts',
    rpc: RPC + 'BatchCreateContacts',
    httpMethod: 'POST',
    pattern: /^\/v1\/people:batchCreateContacts$/,
    anyOf: CONTACTS_WRITE,
    mutation: true,
    params: [],
    body: { type: 'BatchCreateContactsRequest', root: '' },
  },
  {
    id: 'people.batchDeleteContacts',
    rpc: RPC + 'BatchDeleteContacts',
    httpMethod: 'POST',
    pattern: /^\/v1\/people:batchDeleteContacts$/,
    anyOf: CONTACTS_WRITE,
    mutation: true,
    params: [],
    body: { type: 'BatchDeleteContactsRequest', root: '' },
  },
  {
    id: 'people.deleteContact',
    rpc: RPC + 'DeleteContact',
    httpMethod: 'DELETE',
    pattern: /^\/v1\/(people\/[^/:]*):deleteContact$/,
    anyOf: CONTACTS_WRITE,
    mutation: true,
    params: [],
  },
  {
    id: 'people.get',
    rpc: RPC + 'GetPerson',
    httpMethod: 'GET',
    pattern: /^\/v1\/(people\/[^/:]*)$/,
    anyOf: PROFILE_READ,
    mutation: false,
    params: ['personFields', 'requestMask.includeField', 'sources'],
  },
  {
    id: 'contactGroups.batchGet',
    rpc: 'google.people.v1.ContactGroupService.BatchGetContactGroups',
    httpMethod: 'GET',
    pattern: /^\/v1\/contactGroups:batchGet$/,
    anyOf: CONTACTS_READ,
    mutation: false,
    params: ['groupFields', 'maxMembers', 'resourceNames'],
  },
  {
    id: 'contactGroups.list',
    rpc: 'google.people.v1.ContactGroupService.ListContactGroups',
    httpMethod: 'GET',
    pattern: /^\/v1\/contactGroups$/,
    anyOf: CONTACTS_READ,
    mutation: false,
    params: ['groupFields', 'pageSize', 'pageToken', 'syncToken'],
  },
  {
    id: 'contactGroups.create',
    rpc: 'google.people.v1.ContactGroupService.CreateContactGroup',
    httpMethod: 'POST',
    pattern: /^\/v1\/contactGroups$/,
    anyOf: CONTACTS_WRITE,
    mutation: true,
    params: [],
    body: { type: 'CreateContactGroupRequest', root: '' },
  },
  {
    id: 'contactGroups.members.modify',
    rpc: 'google.people.v1.ContactGroupService.ModifyContactGroupMembers',
    httpMethod: 'POST',
    pattern: /^\/v1\/(contactGroups\/[^/:]*)\/members:modify$/,
    anyOf: CONTACTS_WRITE,
    mutation: true,
    params: [],
    body: { type: 'ModifyContactGroupMembersRequest', root: '' },
  },
  {
    id: 'contactGroups.get',
    rpc: 'google.people.v1.ContactGroupService.GetContactGroup',
    httpMethod: 'GET',
    pattern: /^\/v1\/(contactGroups\/[^/:]*)$/,
    anyOf: CONTACTS_READ,
    mutation: false,
    params: ['groupFields', 'maxMembers'],
  },
  {
    id: 'contactGroups.update',
    rpc: 'google.people.v1.ContactGroupService.UpdateContactGroup',
    httpMethod: 'PUT',
    pattern: /^\/v1\/(contactGroups\/[^/:]*)$/,
    anyOf: CONTACTS_WRITE,
    mutation: true,
    params: [],
    body: { type: 'UpdateContactGroupRequest', root: '' },
  },
  {
    id: 'contactGroups.delete',
    rpc: 'google.people.v1.ContactGroupService.DeleteContactGroup',
    httpMethod: 'DELETE',
    pattern: /^\/v1\/(contactGroups\/[^/:]*)$/,
    anyOf: CONTACTS_WRITE,
    mutation: true,
    params: ['deleteContacts'],
  },
  {
    id: 'otherContacts.list',
    rpc: 'google.people.v1.OtherContactsService.ListOtherContacts',
    httpMethod: 'GET',
    pattern: /^\/v1\/otherContacts$/,
    anyOf: OTHER_READ,
    mutation: false,
    params: ['pageSize', 'pageToken', 'readMask', 'requestSyncToken', 'sources', 'syncToken'],
  },
  {
    id: 'otherContacts.search',
    rpc: 'google.people.v1.OtherContactsService.SearchOtherContacts',
    httpMethod: 'GET',
    pattern: /^\/v1\/otherContacts:search$/,
    anyOf: OTHER_READ,
    mutation: false,
    params: ['pageSize', 'query', 'readMask'],
  },
  {
    id: 'otherContacts.copyOtherContactToMyContactsGroup',
    rpc: 'google.people.v1.OtherContactsService.CopyOtherContactToMyContactsGroup',
    httpMethod: 'POST',
    pattern: /^\/v1\/(otherContacts\/[^/:]*):copyOtherContactToMyContactsGroup$/,
    anyOf: CONTACTS_WRITE,
    allOf: OTHER_READ,
    mutation: true,
    params: [],
    body: { type: 'CopyOtherContactToMyContactsGroupRequest', root: '' },
  },
];

function match(httpMethod: string, path: string): { route: RouteDef; resourceName?: string } | undefined {
  for (const route of ROUTES) {
    if (route.httpMethod !== httpMethod) continue;
    const m = route.pattern.exec(path);
    if (m) return m[1] !== undefined ? { route, resourceName: m[1] } : { route };
  }
  return undefined;
}

function decodePath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((seg) => {
      try {
        return decodeURIComponent(seg);
      } catch {
        return seg;
      }
    })
    .join('/');
}

const MAX_BODY = 1024 * 1024;

/** A JSON body; past 1 MiB, Google's own answer. */
function readJsonBody(req: IncomingMessage): Promise<string> {
  return readBody(
    req,
    MAX_BODY,
    () => new ApiError(413, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit: 1048576 bytes.'),
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface FaultRule {
  method?: string;
  status?: number;
  retryAfterSeconds?: number;
  remaining: number;
  delayMs?: number;
}

class StandinImpl implements PeopleStandin {
  url = '';
  port = 0;
  readonly requests: RecordedRequest[] = [];
  readonly warmups = new Map<string, number>();
  readonly otherContactsWarmups = new Map<string, number>();
  readonly internalErrors: Error[] = [];
  readonly quirks = { batchCreateIgnoresMemberships: false };
  private maxConcurrent = 0;
  private readonly inflight = new Map<string, number>();
  private faults: FaultRule[] = [];
  private readonly usersByEmail = new Map<string, UserData>();
  generation = 1;
  private server!: Server;
  private readonly handlers: Handlers;

  constructor(private readonly opts: PeopleStandinOptions) {
    this.handlers = new Handlers(this);
    this.seedAll();
  }

  get maxConcurrentMutations(): number {
    return this.maxConcurrent;
  }

  private seedAll(): void {
    this.usersByEmail.clear();
    for (const user of this.opts.users) {
      this.usersByEmail.set(user.email.toLowerCase(), seedUserData(user));
    }
  }

  /** Every known user (seeded or created on first use). */
  allUsers(): UserData[] {
    return [...this.usersByEmail.values()];
  }

  private userFor(email: string, sub: string): UserData {
    const key = email.toLowerCase();
    let u = this.usersByEmail.get(key);
    if (!u) {
      // A verified account without seeded data: Google would still have an (empty) address book.
      const local = email.split('@')[0] ?? email;
      const user: PeopleStandinUser = { email, name: local, sub };
      u = seedUserData(user);
      for (const c of [...u.contacts.keys()]) u.contacts.delete(c);
      for (const o of [...u.otherContacts.keys()]) u.otherContacts.delete(o);
      for (const [rn, g] of [...u.groups]) if (g.groupType === 'USER_CONTACT_GROUP') u.groups.delete(rn);
      this.usersByEmail.set(key, u);
    }
    if (!u.accountIdExplicit && u.accountId !== sub && sub) {
      u.accountId = sub;
      refreshProfileData(u);
    }
    return u;
  }

  failNext(opts: FailNextOptions): void {
    if (opts.status === undefined && opts.delayMs === undefined) {
      throw new TypeError('failNext needs a status, a delayMs, or both');
    }
    const rule: FaultRule = { remaining: opts.count ?? 1 };
    if (opts.method !== undefined) rule.method = opts.method;
    if (opts.status !== undefined) rule.status = opts.status;
    if (opts.retryAfterSeconds !== undefined) rule.retryAfterSeconds = opts.retryAfterSeconds;
    if (opts.delayMs !== undefined) rule.delayMs = opts.delayMs;
    if (rule.remaining > 0) this.faults.push(rule);
  }

  reset(): void {
    this.seedAll();
    this.requests.length = 0;
    this.internalErrors.length = 0;
    this.warmups.clear();
    this.otherContactsWarmups.clear();
    this.faults = [];
    this.quirks.batchCreateIgnoresMemberships = false;
    this.maxConcurrent = 0;
    this.generation += 1;
  }

  expireSyncTokens(): void {
    this.generation += 1;
  }

  setContactPhoto(email: string, resourceName: string, url: string): void {
    const p = this.usersByEmail.get(email.toLowerCase())?.contacts.get(resourceName);
    if (!p) throw new Error(`stand-in: no contact ${resourceName} for ${email}`);
    p.data.photos = [{ metadata: { primary: true, source: { type: 'CONTACT', id: p.sourceId } }, url }];
  }

  snapshot(email: string): PeopleStandinSnapshot | undefined {
    const u = this.usersByEmail.get(email.toLowerCase());
    if (!u) return undefined;
    return structuredClone(this.handlers.snapshot(u));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private takeFault(method: string): FaultRule | undefined {
    const idx = this.faults.findIndex((f) => f.method === undefined || f.method === method);
    if (idx < 0) return undefined;
    const rule = this.faults[idx] as FaultRule;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.faults.splice(idx, 1);
    return rule;
  }

  private send(
    res: ServerResponse,
    record: RecordedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    record.status = status;
    this.requests.push(record);
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
      vary: 'Origin, X-Origin, Referer',
      ...headers,
    });
    res.end(text);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record: RecordedRequest = { method: 'unknown', status: 0 };
    try {
      const url = new URL(req.url ?? '/', 'http://stand-in.invalid');
      const path = decodePath(url.pathname);
      const raw = req.method === 'GET' || req.method === 'DELETE' ? '' : await readJsonBody(req);
      const m = match(req.method ?? 'GET', path);
      if (!m) {
        throw new ApiError(404, 'NOT_FOUND', `The requested URL ${url.pathname} was not found on this server.`);
      }
      const { route } = m;
      record.method = route.id;

      const fault = this.takeFault(route.id);
      if (fault?.delayMs) await sleep(fault.delayMs);
      if (fault?.status !== undefined) throw injectedFault(fault.status, route.rpc, fault.retryAfterSeconds);

      // Authentication: Authorization: Bearer <token>, or Google's access_token query parameter.
      const header = req.headers.authorization ?? '';
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? url.searchParams.get('access_token') ?? undefined;
      if (!bearer) throw unauthenticated(route.rpc, 'CREDENTIALS_MISSING');
      const identity = await this.opts.verifyToken(bearer);
      if (!identity) throw unauthenticated(route.rpc, 'ACCESS_TOKEN_EXPIRED');
      record.email = identity.email;
      const scopes = new Set(identity.scopes);
      if (!route.anyOf.some((s) => scopes.has(s)) || !(route.allOf ?? []).every((s) => scopes.has(s))) {
        throw insufficientScopes(route.rpc, [...(route.allOf ?? []), ...route.anyOf]);
      }
      const user = this.userFor(identity.email, identity.sub);

      const query = new Query(url.searchParams);
      query.checkKnown(route.params);
      let body: unknown = {};
      if (raw.trim().length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          throw badRequest('Invalid JSON payload received. Unexpected token.');
        }
      }
      if (route.body) {
        const invalid = validateBody(route.body.type, body, route.body.root);
        if (invalid) throw invalid;
      }
      const ctx: Ctx = { user, scopes, query, body, resourceName: m.resourceName ?? '', rpc: route.rpc };

      let result: unknown;
      if (route.mutation) {
        const n = (this.inflight.get(user.email) ?? 0) + 1;
        this.inflight.set(user.email, n);
        this.maxConcurrent = Math.max(this.maxConcurrent, n);
        try {
          if (this.opts.rejectConcurrentMutations && n > 1) {
            throw new ApiError(
              409,
              'ABORTED',
              "The request was aborted because of a concurrent modification of the same user's contacts. Send mutate requests for the same user sequentially.",
            );
          }
          if (this.opts.mutationLatencyMs) await sleep(this.opts.mutationLatencyMs);
          result = this.handlers.dispatch(route.id, ctx);
        } finally {
          this.inflight.set(user.email, (this.inflight.get(user.email) ?? 1) - 1);
        }
      } else {
        result = this.handlers.dispatch(route.id, ctx);
      }
      this.send(res, record, 200, result ?? {});
    } catch (err) {
      if (err instanceof ApiError) {
        this.send(res, record, err.code, err.body(), err.headers);
        return;
      }
      // A stand-in bug: answer like Google's 500 and keep the error for the test to inspect (no logging).
      this.internalErrors.push(err instanceof Error ? err : new Error(String(err)));
      this.send(res, record, 500, new ApiError(500, 'INTERNAL', 'Internal error encountered.').body());
    }
  }

  async listen(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.keepAliveTimeout = 65_000; // keep idle connections like Google's front ends: Node's agent and undici refuse to reuse a socket the server announces it will close within ~1 s
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
  }
}

/** Starts the People API stand-in on 127.0.0.1. */
export async function startPeopleStandin(opts: PeopleStandinOptions): Promise<PeopleStandin> {
  const standin = new StandinImpl(opts);
  await standin.listen(opts.port ?? 0);
  return standin;
}
