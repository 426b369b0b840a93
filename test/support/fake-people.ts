/**
 * A fake of one user's Google Contacts for unit tests of tools: no servers, no HTTP, no tokens — a tool's
 * run() finishes in milliseconds. `FakePeople` implements the tools' `AccountPeople` (ctx.google) over an
 * in-memory address book with a small, Google-like subset of the People API; `fakeToolContext()` adds a
 * real trash over an in-memory store (or the store you pass, e.g. a flaky one).
 *
 * What it does like Google: resource names, etags that change on every write (a stale etag is refused
 * with `precondition`), 404s as PeopleApiError('not_found'), memberships, the search-cache warm-up. What it
 * does not: field masks (every read returns the whole contact), paging, quotas. Requests it does not know
 * throw, so a test never passes by silently calling nothing. `on(method, handler)` replaces or wraps one
 * method (to fail it, count it, slow it); `calls` records every request, with whether it ran inside
 * serialize().
 */
import type { people_v1 } from '@googleapis/people';
import { ContactTrash, type AccountTrash } from '../../src/contacts/trash.js';
import type { ToolContext } from '../../src/mcp/tools/types.js';
import { KeyRing } from '../../src/security/keys.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { Store } from '../../src/storage/port.js';
import {
  MissingGooglePermission,
  PeopleApiError,
  type AccountPeople,
  type CallOptions,
  type OptionalPermission,
  type PeopleApi,
  type PeopleRequest,
  type PeopleRequestOptions,
  type SearchKind,
} from '../../src/upstream/google/people.js';

type Person = people_v1.Schema$Person;
type Group = people_v1.Schema$ContactGroup;
/** A request's parameters as the tool passed them (the googleapis method's first argument). */
export type FakeParams = Record<string, unknown>;
/** Answers one request: returns the response's `data`, or throws (a PeopleApiError, as the real gateway would). */
export type FakeHandler = (params: FakeParams) => unknown;

export interface FakeCall {
  /** e.g. 'people.updateContact', 'contactGroups.members.modify' */
  method: string;
  params: FakeParams;
  idempotent: boolean;
  /** Whether it ran inside serialize() (every write must). */
  serialized: boolean;
}

/** Methods that change contacts or groups. */
export const WRITE_METHODS = new Set([
  'people.createContact',
  'people.batchCreateContacts',
  'people.updateContact',
  'people.deleteContact',
  'people.batchDeleteContacts',
  'contactGroups.create',
  'contactGroups.update',
  'contactGroups.delete',
  'contactGroups.members.modify',
  'otherContacts.copyOtherContactToMyContactsGroup',
]);

const REQUEST_OPTIONS: PeopleRequestOptions = {
  headers: { Authorization: 'Bearer fake' },
  timeout: 1000,
};
const CONTACT_SOURCE = (id: string, etag: string) => ({ type: 'CONTACT', id, etag });

export function notFound(what = 'Requested entity was not found.'): PeopleApiError {
  return new PeopleApiError('not_found', what, 404, 'NOT_FOUND');
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function membership(rn: string): people_v1.Schema$Membership {
  return { contactGroupMembership: { contactGroupResourceName: rn, contactGroupId: rn.replace('contactGroups/', '') } };
}

function groupsOfPerson(p: Person): string[] {
  return (p.memberships ?? [])
    .map((m) => m.contactGroupMembership?.contactGroupResourceName)
    .filter((g): g is string => typeof g === 'string');
}

export class FakePeople implements AccountPeople {
  readonly contacts = new Map<string, Person>();
  readonly groups = new Map<string, Group>();
  readonly calls: FakeCall[] = [];
  readonly warmedUp: SearchKind[] = [];
  /** Optional permissions the user unticked at Google's consent screen. */
  readonly missingPermissions = new Set<OptionalPermission>();
  private readonly overrides = new Map<string, FakeHandler>();
  private serializing = 0;
  private counter = 100;

  constructor() {
    for (const [rn, name] of [
      ['contactGroups/myContacts', 'myContacts'],
      ['contactGroups/starred', 'starred'],
      ['contactGroups/all', 'all'],
    ] as const) {
      this.groups.set(rn, {
        resourceName: rn,
        name,
        formattedName: name === 'myContacts' ? 'My Contacts' : name[0]!.toUpperCase() + name.slice(1),
        groupType: 'SYSTEM_CONTACT_GROUP',
      });
    }
  }

  // ------------------------------------------------------------------------------ test-facing helpers

  /** Adds a contact (in My Contacts unless it names memberships) and returns it as Google would. */
  addContact(fields: Person = {}): Person {
    const id = `c${++this.counter}`;
    const rn = fields.resourceName ?? `people/${id}`;
    const etag = `%etag-${id}-1`;
    const person: Person = {
      memberships: [membership('contactGroups/myContacts')],
      ...clone(fields),
      resourceName: rn,
      etag,
      metadata: { sources: [CONTACT_SOURCE(id, etag)] },
    };
    this.contacts.set(rn, person);
    return clone(person);
  }

  /** Adds one of the user's own groups. */
  addGroup(name: string): Group {
    const rn = `contactGroups/${(++this.counter).toString(16)}ab`;
    const g: Group = { resourceName: rn, name, formattedName: name, groupType: 'USER_CONTACT_GROUP' };
    this.groups.set(rn, g);
    return clone(g);
  }

  /** Replaces how one method answers; the handler may call `this.answer(method, params)` for the default. */
  on(method: string, handler: FakeHandler): this {
    this.overrides.set(method, handler);
    return this;
  }

  /** Makes one method fail with `err` every time. */
  fail(method: string, err: Error): this {
    return this.on(method, () => {
      throw err;
    });
  }

  /** The requests that changed something, in order. */
  writes(): FakeCall[] {
    return this.calls.filter((c) => WRITE_METHODS.has(c.method));
  }

  /** The default (Google-like) answer to a request. */
  answer(method: string, params: FakeParams): unknown {
    const rn = typeof params.resourceName === 'string' ? params.resourceName : '';
    const body = params.requestBody;
    switch (method) {
      case 'people.get':
        return clone(this.contact(rn));
      case 'people.getBatchGet':
        return {
          responses: (params.resourceNames as string[]).map((name) => {
            const person = this.contacts.get(name);
            return person
              ? { requestedResourceName: name, httpStatusCode: 200, person: clone(person) }
              : { requestedResourceName: name, httpStatusCode: 404, status: { code: 5, message: 'not found' } };
          }),
        };
      case 'people.connections.list':
        return {
          connections: [...this.contacts.values()].map(clone),
          totalPeople: this.contacts.size,
          totalItems: this.contacts.size,
        };
      case 'people.searchContacts': {
        const q = (typeof params.query === 'string' ? params.query : '').toLowerCase();
        if (q === '') return {};
        const hits = [...this.contacts.values()].filter((c) =>
          [
            ...(c.names ?? []).map((n) => n.displayName ?? [n.givenName, n.familyName].filter(Boolean).join(' ')),
            ...(c.emailAddresses ?? []).map((e) => e.value ?? ''),
          ].some((v) => v.toLowerCase().includes(q)),
        );
        return { results: hits.map((person) => ({ person: clone(person) })) };
      }
      case 'people.createContact':
        return this.addContact((body as Person | undefined) ?? {});
      case 'people.batchCreateContacts': {
        const { contacts } = body as { contacts: Array<{ contactPerson: Person }> };
        return { createdPeople: contacts.map((c) => ({ person: this.addContact(c.contactPerson) })) };
      }
      case 'people.updateContact':
        return this.update(
          rn,
          typeof params.updatePersonFields === 'string' ? params.updatePersonFields : '',
          body as Person,
        );
      case 'people.deleteContact':
        this.contact(rn);
        this.contacts.delete(rn);
        return {};
      case 'people.batchDeleteContacts':
        for (const name of (body as { resourceNames: string[] }).resourceNames) this.contacts.delete(name);
        return {};
      case 'contactGroups.list':
        return {
          contactGroups: [...this.groups.values()].map((g) => ({
            ...clone(g),
            memberCount: this.membersOf(g.resourceName!).length,
          })),
        };
      case 'contactGroups.get': {
        const g = this.groups.get(rn);
        if (!g) throw notFound();
        const members = this.membersOf(rn);
        return {
          ...clone(g),
          memberCount: members.length,
          memberResourceNames: members.slice(0, Number(params.maxMembers ?? 0)),
        };
      }
      case 'contactGroups.members.modify': {
        if (!this.groups.has(rn)) throw notFound();
        const change = body as { resourceNamesToAdd?: string[]; resourceNamesToRemove?: string[] };
        const missing: string[] = [];
        for (const member of [...(change.resourceNamesToAdd ?? []), ...(change.resourceNamesToRemove ?? [])]) {
          const c = this.contacts.get(member);
          if (!c) {
            missing.push(member);
            continue;
          }
          const groups = groupsOfPerson(c).filter((g) => g !== rn);
          if (change.resourceNamesToAdd?.includes(member)) groups.push(rn);
          c.memberships = groups.map(membership);
        }
        return missing.length ? { notFoundResourceNames: missing } : {};
      }
      default:
        throw new Error(`FakePeople: no answer for ${method}; give one with on('${method}', …)`);
    }
  }

  private contact(rn: string): Person {
    const c = this.contacts.get(rn);
    if (!c) throw notFound();
    return c;
  }

  private membersOf(group: string): string[] {
    return [...this.contacts.values()].filter((c) => groupsOfPerson(c).includes(group)).map((c) => c.resourceName!);
  }

  private update(rn: string, mask: string, body: Person): Person {
    const current = this.contact(rn);
    const sent = body.metadata?.sources?.find((s) => s.type === 'CONTACT')?.etag ?? body.etag;
    if (sent !== current.etag)
      throw new PeopleApiError(
        'precondition',
        'Request person.etag is different than the current person.etag. Clear local cache and get the latest person.',
        400,
        'FAILED_PRECONDITION',
      );
    const next: Person = { ...current };
    for (const field of mask.split(',').filter(Boolean))
      (next as Record<string, unknown>)[field] = clone((body as Record<string, unknown>)[field] ?? []);
    const id = rn.replace('people/', '');
    const version = Number(/-(\d+)$/.exec(current.etag ?? '')?.[1] ?? 1) + 1;
    next.etag = `%etag-${id}-${version}`;
    next.metadata = { sources: [CONTACT_SOURCE(id, next.etag)] };
    this.contacts.set(rn, next);
    return clone(next);
  }

  /** The googleapis-shaped client a request function receives: `api.people.get(params, options)` etc. */
  private api(opts: CallOptions): PeopleApi {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the Proxy handlers below have their own `this`
    const fake = this;
    const node = (path: string[]): unknown =>
      new Proxy(function () {}, {
        get: (_t, prop) => (typeof prop === 'string' ? node([...path, prop]) : undefined),
        apply: (_t, _this, args: unknown[]) => {
          const method = path.join('.');
          const params = (args[0] ?? {}) as FakeParams;
          fake.calls.push({
            method,
            params: clone(params),
            idempotent: opts.idempotent ?? true,
            serialized: fake.serializing > 0,
          });
          const handler = fake.overrides.get(method);
          // Like googleapis: a promise of { data }; a thrown error becomes a rejection.
          return (async () => ({ data: handler ? await handler(params) : fake.answer(method, params) }))();
        },
      });
    return node([]) as PeopleApi;
  }

  // ------------------------------------------------------------------------------------ AccountPeople

  async call<T>(request: PeopleRequest<T>, opts: CallOptions = {}): Promise<T> {
    return (await request(this.api(opts), REQUEST_OPTIONS)).data;
  }

  async serialize<T>(fn: () => Promise<T>): Promise<T> {
    this.serializing++;
    try {
      return await fn();
    } finally {
      this.serializing--;
    }
  }

  async requirePermission(permission: OptionalPermission): Promise<void> {
    if (this.missingPermissions.has(permission)) throw new MissingGooglePermission(permission);
  }

  async warmUpSearch(kind: SearchKind): Promise<void> {
    this.warmedUp.push(kind);
  }
}

let keys: KeyRing | undefined;

/** A tool context over a FakePeople and a real trash (in memory, or over `store`), bound to one account. */
export function fakeToolContext(options: { store?: Store; trashDays?: number; accountId?: string } = {}): {
  ctx: ToolContext;
  google: FakePeople;
  trash: AccountTrash;
} {
  keys ??= new KeyRing(['fake-people-test-secret-0123456789abcdef']);
  const google = new FakePeople();
  const trash = new ContactTrash(options.store ?? new MemoryStore(), keys, options.trashDays ?? 30).forAccount(
    options.accountId ?? 'account-1',
  );
  return { ctx: { google, trash }, google, trash };
}
