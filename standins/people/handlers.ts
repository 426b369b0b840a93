/** The People API methods, over the in-memory store. */
import { ApiError, badRequest, failedPrecondition, insufficientScopes, notFound } from './errors.js';
import {
  COPY_MASK_FIELDS,
  GROUP_FIELDS,
  legacyRequestMask,
  normalizeItems,
  OTHER_LIST_FIELDS,
  OTHER_SEARCH_FIELDS,
  parseMask,
  personMatches,
  projectPerson,
  READ_PERSON_FIELDS,
  requireMask,
  SINGLETON_FIELDS,
  UPDATE_PERSON_FIELDS,
  type SearchField,
} from './fields.js';
import { makePageToken, makeSyncToken, readPageToken, readSyncToken, type Query } from './params.js';
import {
  ADDABLE_SYSTEM_GROUPS,
  directoryPerson,
  extraDirectoryPeople,
  orgNameOf,
  splitName,
  type StoredGroup,
  type StoredPerson,
  type UserData,
} from './store.js';
import type { ContactGroup, PeopleMethodId, PeopleStandinSnapshot, Person } from './types.js';

const DOC = 'https://developers.google.com/people/api/rest/v1/';
const DOC_GET = DOC + 'people/get';
const DOC_SEARCH = DOC + 'people/searchContacts';
const DOC_CREATE = DOC + 'people/createContact';
const DOC_UPDATE = DOC + 'people/updateContact';
const DOC_BATCH_CREATE = DOC + 'people/batchCreateContacts';
const DOC_DIR_SEARCH = DOC + 'people/searchDirectoryPeople';
const DOC_DIR_LIST = DOC + 'people/listDirectoryPeople';
const DOC_OTHER_LIST = DOC + 'otherContacts/list';
const DOC_OTHER_SEARCH = DOC + 'otherContacts/search';
const DOC_COPY = DOC + 'otherContacts/copyOtherContactToMyContactsGroup';
const DOC_GROUPS = DOC + 'contactGroups';

const CONTACT_SCOPES = [
  'https://www.googleapis.com/auth/contacts',
  'https://www.googleapis.com/auth/contacts.readonly',
];
const READ_SOURCE_TYPES = [
  'READ_SOURCE_TYPE_UNSPECIFIED',
  'READ_SOURCE_TYPE_PROFILE',
  'READ_SOURCE_TYPE_CONTACT',
  'READ_SOURCE_TYPE_DOMAIN_CONTACT',
  'READ_SOURCE_TYPE_OTHER_CONTACT',
];
const DIRECTORY_SOURCE_TYPES = ['DIRECTORY_SOURCE_TYPE_DOMAIN_CONTACT', 'DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE'];
const DIRECTORY_MERGE_SOURCE_TYPES = ['DIRECTORY_MERGE_SOURCE_TYPE_CONTACT'];
const SORT_ORDERS = [
  'LAST_MODIFIED_ASCENDING',
  'LAST_MODIFIED_DESCENDING',
  'FIRST_NAME_ASCENDING',
  'LAST_NAME_ASCENDING',
];
const DEFAULT_GROUP_READ = ['metadata', 'groupType', 'memberCount', 'name'];
const DEFAULT_GROUP_WRITE_READ = ['metadata', 'groupType', 'name'];
const CONTACT_SEARCH_FIELDS: SearchField[] = ['names', 'nicknames', 'emailAddresses', 'phoneNumbers', 'organizations'];
const OTHER_CONTACT_SEARCH_FIELDS: SearchField[] = ['names', 'emailAddresses', 'phoneNumbers'];
const GRPC_CODE: Record<string, number> = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNAUTHENTICATED: 16,
};

export interface Ctx {
  user: UserData;
  scopes: Set<string>;
  query: Query;
  body: unknown;
  /** The `{+resourceName}` path part, when the method has one. */
  resourceName: string;
  rpc: string;
}

export interface HandlerHost {
  allUsers(): UserData[];
  readonly quirks: { batchCreateIgnoresMemberships: boolean };
  readonly warmups: Map<string, number>;
  readonly otherContactsWarmups: Map<string, number>;
  readonly generation: number;
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

function strOrUndef(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function pageSizeOf(q: Query, name: string, dflt: number, max: number, clamp: boolean): number {
  const v = q.int(name);
  if (v === undefined || v === 0) return dflt;
  if (v < 0) throw badRequest(`${name} must not be negative.`, 'page_size');
  if (v > max) {
    if (clamp) return max;
    throw badRequest(`${name} must be between 1 and ${max}, inclusive.`, 'page_size');
  }
  return v;
}

function personMetadata(p: StoredPerson): Person['metadata'] {
  const source: Obj = { type: p.sourceType, id: p.sourceId, etag: p.sourceEtag, updateTime: p.updateTime };
  if (p.userTypes) source['profileMetadata'] = { objectType: 'PERSON', userTypes: [...p.userTypes] };
  const md: Obj = { sources: [source] };
  if (p.sourceType === 'PROFILE' || p.sourceType === 'DOMAIN_PROFILE') md['objectType'] = 'PERSON';
  return md as Person['metadata'];
}

function project(p: StoredPerson, mask: readonly string[]): Person {
  return projectPerson(p, mask, () => personMetadata(p));
}

function groupMetadata(g: StoredGroup): ContactGroup['metadata'] {
  return { updateTime: g.updateTime };
}

export class Handlers {
  constructor(private readonly host: HandlerHost) {}

  dispatch(id: PeopleMethodId, ctx: Ctx): unknown {
    switch (id) {
      case 'people.get':
        return this.peopleGet(ctx);
      case 'people.getBatchGet':
        return this.peopleBatchGet(ctx);
      case 'people.searchContacts':
        return this.searchContacts(ctx);
      case 'people.connections.list':
        return this.listConnections(ctx);
      case 'people.createContact':
        return this.createContact(ctx);
      case 'people.updateContact':
        return this.updateContact(ctx);
      case 'people.deleteContact':
        return this.deleteContact(ctx);
      case 'people.batchCreateContacts':
        return this.batchCreateContacts(ctx);
      case 'people.batchDeleteContacts':
        return this.batchDeleteContacts(ctx);
      case 'people.searchDirectoryPeople':
        return this.searchDirectory(ctx);
      case 'people.listDirectoryPeople':
        return this.listDirectory(ctx);
      case 'contactGroups.list':
        return this.listGroups(ctx);
      case 'contactGroups.get':
        return this.getGroup(ctx);
      case 'contactGroups.batchGet':
        return this.batchGetGroups(ctx);
      case 'contactGroups.create':
        return this.createGroup(ctx);
      case 'contactGroups.update':
        return this.updateGroup(ctx);
      case 'contactGroups.delete':
        return this.deleteGroup(ctx);
      case 'contactGroups.members.modify':
        return this.modifyMembers(ctx);
      case 'otherContacts.list':
        return this.listOtherContacts(ctx);
      case 'otherContacts.search':
        return this.searchOtherContacts(ctx);
      case 'otherContacts.copyOtherContactToMyContactsGroup':
        return this.copyOtherContact(ctx);
    }
  }

  snapshot(u: UserData): PeopleStandinSnapshot {
    const all = [...READ_PERSON_FIELDS];
    return {
      profile: project(u.profile, all),
      contacts: [...u.contacts.values()].sort((a, b) => a.created - b.created).map((p) => project(p, all)),
      contactGroups: [...u.groups.values()]
        .sort((a, b) => a.created - b.created)
        .map((g) => this.projectGroup(u, g, [...GROUP_FIELDS], Number.MAX_SAFE_INTEGER)),
      otherContacts: [...u.otherContacts.values()].sort((a, b) => a.created - b.created).map((p) => project(p, all)),
    };
  }

  // ------------------------------------------------------------------------------------------ people

  private personFieldsOf(q: Query, required: boolean, docUrl: string): string[] {
    const raw = q.str('personFields') ?? legacyRequestMask(q.str('requestMask.includeField'));
    if (required) return requireMask(raw, 'personFields', READ_PERSON_FIELDS, docUrl);
    return parseMask(raw, 'personFields', READ_PERSON_FIELDS, docUrl) ?? [...READ_PERSON_FIELDS];
  }

  private directoryOf(u: UserData): StoredPerson[] {
    const hd = u.user.hd;
    if (!hd) return [];
    const people: StoredPerson[] = [];
    for (const other of this.host.allUsers()) {
      if (other.user.hd !== hd) continue;
      const name = splitName(other.user);
      people.push(
        directoryPerson(
          other.email,
          hd,
          'DOMAIN_PROFILE',
          {
            names: [name],
            emailAddresses: [{ value: other.user.email, type: 'work' }],
            organizations: [{ name: orgNameOf(hd), type: 'work', current: true }],
          },
          other.accountId,
        ),
      );
    }
    for (const extra of extraDirectoryPeople(hd))
      people.push(directoryPerson(extra.key, hd, extra.sourceType, extra.person));
    return people;
  }

  /** Resolves a person resource name for people.get/getBatchGet; throws Google's errors. */
  private resolvePerson(ctx: Ctx, rn: string): StoredPerson {
    const u = ctx.user;
    if (rn === 'people/me' || rn === `people/${u.accountId}`) return u.profile;
    if (!/^people\/[A-Za-z0-9_-]+$/.test(rn)) {
      throw badRequest(`Resource name "${rn}" is not a valid person resource name.`, 'resource_name');
    }
    if (/^people\/c\d+$/.test(rn)) {
      if (!CONTACT_SCOPES.some((s) => ctx.scopes.has(s))) throw insufficientScopes(ctx.rpc, CONTACT_SCOPES);
      const p = u.contacts.get(rn);
      if (!p) throw notFound();
      return p;
    }
    const dir = this.directoryOf(u).find((p) => p.resourceName === rn);
    if (dir) return dir;
    throw notFound();
  }

  private validateSources(q: Query): void {
    q.enumList('sources', READ_SOURCE_TYPES, 'ReadSourceType');
  }

  private peopleGet(ctx: Ctx): Person {
    const mask = this.personFieldsOf(ctx.query, true, DOC_GET);
    this.validateSources(ctx.query);
    return project(this.resolvePerson(ctx, ctx.resourceName), mask);
  }

  private peopleBatchGet(ctx: Ctx): unknown {
    const names = ctx.query.list('resourceNames');
    if (names.length === 0) throw badRequest('At least one resource name must be specified.', 'resource_names');
    if (names.length > 200)
      throw badRequest(`Too many resource names: ${names.length}. The maximum is 200.`, 'resource_names');
    const mask = this.personFieldsOf(ctx.query, true, DOC_GET);
    this.validateSources(ctx.query);
    const responses = names.map((rn) => {
      try {
        return {
          httpStatusCode: 200,
          person: project(this.resolvePerson(ctx, rn), mask),
          requestedResourceName: rn,
          status: {},
        };
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        return {
          httpStatusCode: err.code,
          requestedResourceName: rn,
          status: { code: GRPC_CODE[err.status] ?? 2, message: err.message },
        };
      }
    });
    return { responses };
  }

  private searchContacts(ctx: Ctx): unknown {
    const q = ctx.query;
    const mask = requireMask(q.str('readMask'), 'readMask', READ_PERSON_FIELDS, DOC_SEARCH);
    const pageSize = pageSizeOf(q, 'pageSize', 10, 30, true);
    q.enumList('sources', ['READ_SOURCE_TYPE_CONTACT', 'READ_SOURCE_TYPE_PROFILE'], 'ReadSourceType');
    const query = (q.str('query') ?? '').trim();
    const u = ctx.user;
    if (query === '') {
      this.host.warmups.set(u.email, (this.host.warmups.get(u.email) ?? 0) + 1);
      return {};
    }
    if (!this.host.warmups.get(u.email)) return {}; // cache not warmed up: Google answers with stale/no results
    const results = [...u.contacts.values()]
      .sort((a, b) => a.created - b.created)
      .filter((p) => personMatches(p.data, query, CONTACT_SEARCH_FIELDS))
      .slice(0, pageSize)
      .map((p) => ({ person: project(p, mask) }));
    return results.length > 0 ? { results } : {};
  }

  private sortContacts(list: StoredPerson[], order: string): StoredPerson[] {
    const nameKey = (p: StoredPerson, k: 'givenName' | 'familyName'): string => {
      const n = obj((p.data.names ?? [])[0]);
      return (strOrUndef(n[k]) ?? strOrUndef(n['displayName']) ?? '').toLocaleLowerCase();
    };
    const byName =
      (k: 'givenName' | 'familyName') =>
      (a: StoredPerson, b: StoredPerson): number => {
        const ka = nameKey(a, k);
        const kb = nameKey(b, k);
        if (ka === kb) return a.created - b.created;
        if (!ka) return 1;
        if (!kb) return -1;
        return ka < kb ? -1 : 1;
      };
    switch (order) {
      case 'LAST_MODIFIED_DESCENDING':
        return list.sort((a, b) => b.seq - a.seq);
      case 'FIRST_NAME_ASCENDING':
        return list.sort(byName('givenName'));
      case 'LAST_NAME_ASCENDING':
        return list.sort(byName('familyName'));
      default:
        return list.sort((a, b) => a.seq - b.seq);
    }
  }

  private listConnections(ctx: Ctx): unknown {
    const q = ctx.query;
    const u = ctx.user;
    if (ctx.resourceName !== 'people/me') {
      throw badRequest(`Invalid resource name "${ctx.resourceName}": only people/me is supported.`, 'resource_name');
    }
    const mask = this.personFieldsOf(q, true, DOC_GET);
    const pageSize = pageSizeOf(q, 'pageSize', 100, 1000, false);
    const sortOrder = q.str('sortOrder') ?? 'LAST_MODIFIED_ASCENDING';
    if (!SORT_ORDERS.includes(sortOrder)) {
      throw badRequest(
        `Invalid value at 'sort_order' (type.googleapis.com/google.people.v1.ListConnectionsRequest.SortOrder), "${sortOrder}"`,
        'sort_order',
      );
    }
    this.validateSources(q);
    const requestSync = q.bool('requestSyncToken');
    const syncToken = q.str('syncToken');
    const key = JSON.stringify([mask, sortOrder, requestSync, syncToken ?? '', q.list('sources')]);
    const offset = readPageToken(q.str('pageToken'), 'people.connections.list', u.email, key, this.host.generation);

    let items: Person[];
    let total: number | undefined;
    if (syncToken) {
      const since = readSyncToken(syncToken, 'connections', u.email, this.host.generation, ctx.rpc);
      const changed = [...u.contacts.values()].filter((p) => p.seq > since).sort((a, b) => a.seq - b.seq);
      const changes: Array<{ seq: number; person: Person }> = changed.map((p) => ({
        seq: p.seq,
        person: project(p, mask),
      }));
      for (const t of u.contactTombstones) {
        if (t.seq > since) {
          changes.push({
            seq: t.seq,
            person: {
              resourceName: t.resourceName,
              metadata: { deleted: true, sources: [{ type: 'CONTACT', id: t.sourceId }] },
            },
          });
        }
      }
      items = changes.sort((a, b) => a.seq - b.seq).map((c) => c.person);
    } else {
      const sorted = this.sortContacts([...u.contacts.values()], sortOrder);
      items = sorted.map((p) => project(p, mask));
      total = sorted.length;
    }
    const page = items.slice(offset, offset + pageSize);
    const out: Obj = {};
    if (page.length > 0) out['connections'] = page;
    const next = offset + pageSize;
    if (next < items.length)
      out['nextPageToken'] = makePageToken('people.connections.list', u.email, key, next, this.host.generation);
    else if (requestSync || syncToken)
      out['nextSyncToken'] = makeSyncToken('connections', u.email, u.seq, this.host.generation);
    if (total) {
      out['totalPeople'] = total;
      out['totalItems'] = total;
    }
    return out;
  }

  /** Validates contact input beyond the schema: singletons and group memberships. */
  private checkContactInput(
    u: UserData,
    person: Obj,
    fields: readonly string[],
    existing?: StoredPerson,
  ): string[] | undefined {
    for (const f of SINGLETON_FIELDS) {
      if (!fields.includes(f)) continue;
      const v = person[f];
      if (Array.isArray(v) && v.length > 1) {
        throw badRequest(
          `Only one value may be set for person.${f}: it is a singleton field for contact sources.`,
          `person.${f}`,
        );
      }
    }
    if (!fields.includes('memberships')) return undefined;
    const groups: string[] = [];
    const current = existing ? u.membershipsOf(existing) : [];
    for (const m of (Array.isArray(person['memberships']) ? person['memberships'] : []) as unknown[]) {
      const cgm = obj(obj(m)['contactGroupMembership']);
      const rn =
        strOrUndef(cgm['contactGroupResourceName']) ??
        (strOrUndef(cgm['contactGroupId']) ? `contactGroups/${cgm['contactGroupId'] as string}` : undefined);
      if (!rn) continue; // domainMembership etc. are output only
      const g = u.groups.get(rn);
      if (!g) throw badRequest(`Contact group "${rn}" was not found.`, 'person.memberships');
      if (g.groupType === 'SYSTEM_CONTACT_GROUP' && !ADDABLE_SYSTEM_GROUPS.includes(g.id) && !current.includes(rn)) {
        throw badRequest(
          `Cannot add a membership to system contact group "${rn}": only user groups, contactGroups/myContacts and contactGroups/starred can be added.`,
          'person.memberships',
        );
      }
      groups.push(rn);
    }
    return groups;
  }

  private createContact(ctx: Ctx): Person {
    const q = ctx.query;
    const mask = this.personFieldsOf(q, false, DOC_CREATE);
    this.validateSources(q);
    const body = ctx.body;
    const person = obj(body);
    const u = ctx.user;
    const groups = this.checkContactInput(u, person, UPDATE_PERSON_FIELDS) ?? [];
    // New contacts always land in "myContacts" (plus any requested user group / starred).
    return project(this.storeNewContact(u, person, groups), mask);
  }

  private contactFor(u: UserData, rn: string): StoredPerson {
    if (!/^people\/c\d+$/.test(rn)) {
      if (/^people\/[A-Za-z0-9_-]+$/.test(rn))
        throw badRequest(`Resource name "${rn}" is not a contact.`, 'resource_name');
      throw badRequest(`Resource name "${rn}" is not a valid person resource name.`, 'resource_name');
    }
    const p = u.contacts.get(rn);
    if (!p) throw notFound();
    return p;
  }

  private updateContact(ctx: Ctx): Person {
    const q = ctx.query;
    const u = ctx.user;
    const updateMask = requireMask(q.str('updatePersonFields'), 'updatePersonFields', UPDATE_PERSON_FIELDS, DOC_UPDATE);
    const mask = this.personFieldsOf(q, false, DOC_UPDATE);
    this.validateSources(q);
    const person = obj(ctx.body);
    const stored = this.contactFor(u, ctx.resourceName);

    const sourceEtags = (
      Array.isArray(obj(person['metadata'])['sources']) ? (obj(person['metadata'])['sources'] as unknown[]) : []
    )
      .map(obj)
      .filter((s) => s['type'] === 'CONTACT' && typeof s['etag'] === 'string')
      .map((s) => s['etag'] as string);
    const etag = strOrUndef(person['etag']);
    if (!etag && sourceEtags.length === 0) {
      throw badRequest(
        'Request must set person.etag or person.metadata.sources.etag for the source that is being updated.',
        'person.etag',
      );
    }
    const fresh = etag !== undefined ? etag === stored.etag : sourceEtags.includes(stored.sourceEtag);
    if (!fresh) {
      throw failedPrecondition(
        'Request person.etag is different than the current person.etag. Clear local cache and get the latest person.',
      );
    }
    const groups = this.checkContactInput(u, person, updateMask, stored);
    if (groups && groups.length === 0) {
      throw badRequest('A contact must always have at least one contact group membership.', 'person.memberships');
    }
    const before = u.membershipsOf(stored);
    const source = { type: 'CONTACT', id: stored.sourceId };
    const data = stored.data as Obj;
    for (const f of updateMask) {
      if (f === 'memberships') continue;
      const items = normalizeItems(f, person[f], source);
      if (items.length > 0) data[f] = items;
      else delete data[f]; // a field named in updatePersonFields but absent from the body is cleared
    }
    if (groups) {
      u.setMemberships(stored, groups);
      const after = u.membershipsOf(stored);
      for (const rn of new Set([...before, ...after])) {
        if (before.includes(rn) !== after.includes(rn)) {
          const g = u.groups.get(rn);
          if (g) u.touchGroup(g);
        }
      }
    }
    u.touchPerson(stored);
    return project(stored, mask);
  }

  private deleteContact(ctx: Ctx): unknown {
    const u = ctx.user;
    const stored = this.contactFor(u, ctx.resourceName);
    const groups = u.membershipsOf(stored);
    u.deleteContact(stored.resourceName);
    for (const rn of groups) {
      const g = u.groups.get(rn);
      if (g) u.touchGroup(g);
    }
    return {};
  }

  /** A new contact from validated input: always in myContacts, plus the groups it asked for. */
  private storeNewContact(u: UserData, person: Obj, groups: string[]): StoredPerson {
    const stored = u.addContact(person as Person);
    u.setMemberships(stored, ['contactGroups/myContacts', ...groups]);
    for (const rn of u.membershipsOf(stored)) {
      const g = u.groups.get(rn);
      if (g) u.touchGroup(g);
    }
    return stored;
  }

  /**
   * people:batchCreateContacts: up to 200 contacts, all validated before any is created (one invalid
   * contact fails the whole request). No readMask: nothing is read back.
   */
  private batchCreateContacts(ctx: Ctx): unknown {
    const u = ctx.user;
    const body = obj(ctx.body);
    const contacts = Array.isArray(body['contacts']) ? (body['contacts'] as unknown[]) : [];
    if (contacts.length === 0) throw badRequest('contacts must not be empty.', 'contacts');
    if (contacts.length > 200)
      throw badRequest(`Too many contacts: ${contacts.length}. The maximum is 200.`, 'contacts');
    const mask = parseMask(strOrUndef(body['readMask']), 'readMask', READ_PERSON_FIELDS, DOC_BATCH_CREATE);
    const sources = Array.isArray(body['sources']) ? (body['sources'] as unknown[]) : [];
    sources.forEach((src, i) => {
      if (typeof src !== 'string' || !READ_SOURCE_TYPES.includes(src)) {
        throw badRequest(
          `Invalid value at 'sources[${i}]' (type.googleapis.com/google.people.v1.ReadSourceType), ${JSON.stringify(src)}`,
          `sources[${i}]`,
        );
      }
    });
    const checked = contacts.map((c, i) => {
      const person = obj(obj(c)['contactPerson']);
      if (!('contactPerson' in obj(c)))
        throw badRequest(`contacts[${i}].contact_person is required.`, `contacts[${i}].contact_person`);
      return { person, groups: this.checkContactInput(u, person, UPDATE_PERSON_FIELDS) ?? [] };
    });
    // Quirk: Google's documentation does not say batch creation honours memberships; a test can make it not.
    const ignore = this.host.quirks.batchCreateIgnoresMemberships;
    const created = checked.map(({ person, groups }) => this.storeNewContact(u, person, ignore ? [] : groups));
    if (!mask) return {};
    return {
      createdPeople: created.map((p) => ({
        httpStatusCode: 200,
        person: project(p, mask),
        requestedResourceName: p.resourceName,
        status: {},
      })),
    };
  }

  /** people:batchDeleteContacts: up to 500 contacts, all or nothing (an unknown one fails the request). */
  private batchDeleteContacts(ctx: Ctx): unknown {
    const u = ctx.user;
    const names = obj(ctx.body)['resourceNames'];
    const list = Array.isArray(names) ? (names as unknown[]).filter((n): n is string => typeof n === 'string') : [];
    if (list.length === 0) throw badRequest('resource_names must not be empty.', 'resource_names');
    if (list.length > 500)
      throw badRequest(`Too many resource names: ${list.length}. The maximum is 500.`, 'resource_names');
    const people = [...new Set(list)].map((rn) => this.contactFor(u, rn));
    const touched = new Set<string>();
    for (const p of people) {
      for (const rn of u.membershipsOf(p)) touched.add(rn);
      u.deleteContact(p.resourceName);
    }
    for (const rn of touched) {
      const g = u.groups.get(rn);
      if (g) u.touchGroup(g);
    }
    return {};
  }

  // --------------------------------------------------------------------------------------- directory

  private directoryRequest(ctx: Ctx, docUrl: string): { mask: string[]; people: StoredPerson[] } {
    const q = ctx.query;
    const mask = requireMask(q.str('readMask'), 'readMask', READ_PERSON_FIELDS, docUrl);
    const sources = q.enumList('sources', DIRECTORY_SOURCE_TYPES, 'DirectorySourceType');
    if (sources.length === 0) throw badRequest('Directory sources must be specified.', 'sources');
    q.enumList('mergeSources', DIRECTORY_MERGE_SOURCE_TYPES, 'DirectoryMergeSourceType');
    if (!ctx.user.isWorkspace) throw failedPrecondition('Must be a G Suite domain user.');
    const wanted = new Set(sources.map((s) => s.replace('DIRECTORY_SOURCE_TYPE_', '')));
    return { mask, people: this.directoryOf(ctx.user).filter((p) => wanted.has(p.sourceType)) };
  }

  private paginate<T>(
    ctx: Ctx,
    method: string,
    key: string,
    items: T[],
    pageSize: number,
  ): { page: T[]; nextPageToken?: string } {
    const offset = readPageToken(ctx.query.str('pageToken'), method, ctx.user.email, key, this.host.generation);
    const page = items.slice(offset, offset + pageSize);
    const next = offset + pageSize;
    return next < items.length
      ? { page, nextPageToken: makePageToken(method, ctx.user.email, key, next, this.host.generation) }
      : { page };
  }

  private searchDirectory(ctx: Ctx): unknown {
    const q = ctx.query;
    const { mask, people } = this.directoryRequest(ctx, DOC_DIR_SEARCH);
    const pageSize = pageSizeOf(q, 'pageSize', 100, 500, false);
    const query = (q.str('query') ?? '').trim();
    if (query === '') return {};
    const matches = people.filter((p) => personMatches(p.data, query, CONTACT_SEARCH_FIELDS));
    const key = JSON.stringify([mask, query, q.list('sources'), q.list('mergeSources')]);
    const { page, nextPageToken } = this.paginate(ctx, 'people.searchDirectoryPeople', key, matches, pageSize);
    const out: Obj = {};
    if (page.length > 0) out['people'] = page.map((p) => project(p, mask));
    if (nextPageToken) out['nextPageToken'] = nextPageToken;
    if (matches.length > 0) out['totalSize'] = matches.length;
    return out;
  }

  private listDirectory(ctx: Ctx): unknown {
    const q = ctx.query;
    const { mask, people } = this.directoryRequest(ctx, DOC_DIR_LIST);
    const pageSize = pageSizeOf(q, 'pageSize', 100, 1000, false);
    const requestSync = q.bool('requestSyncToken');
    const syncToken = q.str('syncToken');
    if (syncToken) readSyncToken(syncToken, 'directory', ctx.user.email, this.host.generation, ctx.rpc);
    const key = JSON.stringify([mask, q.list('sources'), q.list('mergeSources'), requestSync, syncToken ?? '']);
    // Directory entries are static in the stand-in: an incremental sync has no changes.
    const items = syncToken ? [] : people;
    const { page, nextPageToken } = this.paginate(ctx, 'people.listDirectoryPeople', key, items, pageSize);
    const out: Obj = {};
    if (page.length > 0) out['people'] = page.map((p) => project(p, mask));
    if (nextPageToken) out['nextPageToken'] = nextPageToken;
    else if (requestSync || syncToken)
      out['nextSyncToken'] = makeSyncToken('directory', ctx.user.email, 0, this.host.generation);
    return out;
  }

  // ------------------------------------------------------------------------------------------ groups

  private projectGroup(u: UserData, g: StoredGroup, fields: readonly string[], maxMembers: number): ContactGroup {
    const out: Obj = { resourceName: g.resourceName, etag: g.etag };
    for (const f of fields) {
      switch (f) {
        case 'metadata':
          out['metadata'] = groupMetadata(g);
          break;
        case 'groupType':
          out['groupType'] = g.groupType;
          break;
        case 'name':
          out['name'] = g.name;
          out['formattedName'] = g.formattedName;
          break;
        case 'memberCount': {
          const n = u.membersOf(g.resourceName).length;
          if (n > 0) out['memberCount'] = n;
          break;
        }
        case 'clientData':
          if (g.clientData.length > 0) out['clientData'] = structuredClone(g.clientData);
          break;
      }
    }
    if (maxMembers > 0) {
      const members = u
        .membersOf(g.resourceName)
        .slice(0, maxMembers)
        .map((p) => p.resourceName);
      if (members.length > 0) out['memberResourceNames'] = members;
    }
    return out as ContactGroup;
  }

  private groupFieldsOf(q: Query, dflt: readonly string[]): string[] {
    return parseMask(q.str('groupFields'), 'groupFields', GROUP_FIELDS, DOC_GROUPS) ?? [...dflt];
  }

  private maxMembersOf(q: Query): number {
    const n = q.int('maxMembers') ?? 0;
    if (n < 0) throw badRequest('maxMembers must not be negative.', 'max_members');
    return n;
  }

  private groupFor(u: UserData, rn: string): StoredGroup {
    if (!/^contactGroups\/[A-Za-z0-9_-]+$/.test(rn)) {
      throw badRequest(`Resource name "${rn}" is not a valid contact group resource name.`, 'resource_name');
    }
    const g = u.groups.get(rn);
    if (!g) throw notFound();
    return g;
  }

  private listGroups(ctx: Ctx): unknown {
    const q = ctx.query;
    const u = ctx.user;
    const fields = this.groupFieldsOf(q, DEFAULT_GROUP_READ);
    const pageSize = pageSizeOf(q, 'pageSize', 30, 1000, false);
    const syncToken = q.str('syncToken');
    const key = JSON.stringify([fields, syncToken ?? '']);
    let groups: ContactGroup[];
    if (syncToken) {
      const since = readSyncToken(syncToken, 'groups', u.email, this.host.generation, ctx.rpc);
      const changes: Array<{ seq: number; group: ContactGroup }> = [...u.groups.values()]
        .filter((g) => g.seq > since)
        .map((g) => ({ seq: g.seq, group: this.projectGroup(u, g, fields, 0) }));
      for (const t of u.groupTombstones) {
        if (t.seq > since)
          changes.push({ seq: t.seq, group: { resourceName: t.resourceName, metadata: { deleted: true } } });
      }
      groups = changes.sort((a, b) => a.seq - b.seq).map((c) => c.group);
    } else {
      groups = [...u.groups.values()]
        .sort((a, b) => a.created - b.created)
        .map((g) => this.projectGroup(u, g, fields, 0));
    }
    const { page, nextPageToken } = this.paginate(ctx, 'contactGroups.list', key, groups, pageSize);
    const out: Obj = {};
    if (page.length > 0) out['contactGroups'] = page;
    if (groups.length > 0) out['totalItems'] = groups.length;
    if (nextPageToken) out['nextPageToken'] = nextPageToken;
    else out['nextSyncToken'] = makeSyncToken('groups', u.email, u.seq, this.host.generation);
    return out;
  }

  private getGroup(ctx: Ctx): ContactGroup {
    const fields = this.groupFieldsOf(ctx.query, DEFAULT_GROUP_READ);
    const maxMembers = this.maxMembersOf(ctx.query);
    return this.projectGroup(ctx.user, this.groupFor(ctx.user, ctx.resourceName), fields, maxMembers);
  }

  private batchGetGroups(ctx: Ctx): unknown {
    const q = ctx.query;
    const names = q.list('resourceNames');
    if (names.length === 0) throw badRequest('At least one resource name must be specified.', 'resource_names');
    if (names.length > 200)
      throw badRequest(`Too many resource names: ${names.length}. The maximum is 200.`, 'resource_names');
    const fields = this.groupFieldsOf(q, DEFAULT_GROUP_READ);
    const maxMembers = this.maxMembersOf(q);
    const responses = names.map((rn) => {
      try {
        return {
          contactGroup: this.projectGroup(ctx.user, this.groupFor(ctx.user, rn), fields, maxMembers),
          requestedResourceName: rn,
          status: {},
        };
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        return { requestedResourceName: rn, status: { code: GRPC_CODE[err.status] ?? 2, message: err.message } };
      }
    });
    return { responses };
  }

  private checkGroupName(u: UserData, name: string, except?: StoredGroup): string {
    const trimmed = name.trim();
    if (!trimmed) throw badRequest('Contact group name must not be empty.', 'contact_group.name');
    for (const g of u.groups.values()) {
      if (g === except) continue;
      if (g.groupType === 'USER_CONTACT_GROUP' && g.name === trimmed) {
        throw new ApiError(409, 'ALREADY_EXISTS', 'Contact group name already exists.');
      }
    }
    return trimmed;
  }

  private readGroupFieldsOf(body: Obj, allowed: readonly string[]): string[] {
    return (
      parseMask(strOrUndef(body['readGroupFields']), 'readGroupFields', allowed, DOC_GROUPS) ?? [
        ...DEFAULT_GROUP_WRITE_READ,
      ]
    );
  }

  private createGroup(ctx: Ctx): ContactGroup {
    const u = ctx.user;
    const body = obj(ctx.body);
    const readFields = this.readGroupFieldsOf(body, ['clientData', 'groupType', 'metadata', 'name']);
    const cg = obj(body['contactGroup']);
    if (!('contactGroup' in body)) throw badRequest('contact_group is required.', 'contact_group');
    const name = this.checkGroupName(u, strOrUndef(cg['name']) ?? '');
    const g = u.addGroup(u.newGroupId(), name, 'USER_CONTACT_GROUP');
    if (Array.isArray(cg['clientData'])) g.clientData = structuredClone(cg['clientData'] as StoredGroup['clientData']);
    return this.projectGroup(u, g, readFields, 0);
  }

  private updateGroup(ctx: Ctx): ContactGroup {
    const u = ctx.user;
    const body = obj(ctx.body);
    const g = this.groupFor(u, ctx.resourceName);
    const updateFields = parseMask(
      strOrUndef(body['updateGroupFields']),
      'updateGroupFields',
      ['clientData', 'name'],
      DOC_GROUPS,
    ) ?? ['name'];
    const readFields = this.readGroupFieldsOf(body, GROUP_FIELDS);
    if (!('contactGroup' in body)) throw badRequest('contact_group is required.', 'contact_group');
    const cg = obj(body['contactGroup']);
    if (g.groupType === 'SYSTEM_CONTACT_GROUP') throw failedPrecondition('Cannot update a system contact group.');
    const etag = strOrUndef(cg['etag']);
    if (etag !== undefined && etag !== g.etag) {
      throw failedPrecondition(
        'Request contactGroup.etag is different than the current contactGroup.etag. Clear local cache and get the latest contact group.',
      );
    }
    if (updateFields.includes('name'))
      g.name = g.formattedName = this.checkGroupName(u, strOrUndef(cg['name']) ?? '', g);
    if (updateFields.includes('clientData')) {
      g.clientData = Array.isArray(cg['clientData'])
        ? structuredClone(cg['clientData'] as StoredGroup['clientData'])
        : [];
    }
    u.touchGroup(g);
    return this.projectGroup(u, g, readFields, 0);
  }

  private deleteGroup(ctx: Ctx): unknown {
    const u = ctx.user;
    const g = this.groupFor(u, ctx.resourceName);
    const deleteContacts = ctx.query.bool('deleteContacts');
    if (g.groupType === 'SYSTEM_CONTACT_GROUP') throw failedPrecondition('Cannot delete a system contact group.');
    for (const p of u.membersOf(g.resourceName)) {
      if (deleteContacts) {
        u.deleteContact(p.resourceName);
      } else {
        u.setMemberships(
          p,
          u.membershipsOf(p).filter((rn) => rn !== g.resourceName),
        );
        u.touchPerson(p);
      }
    }
    u.groups.delete(g.resourceName);
    u.groupTombstones.push({ resourceName: g.resourceName, seq: u.nextSeq(), sourceId: g.id });
    return {};
  }

  private modifyMembers(ctx: Ctx): unknown {
    const u = ctx.user;
    const body = obj(ctx.body);
    const g = this.groupFor(u, ctx.resourceName);
    const toAdd = (Array.isArray(body['resourceNamesToAdd']) ? body['resourceNamesToAdd'] : []) as string[];
    const toRemove = (Array.isArray(body['resourceNamesToRemove']) ? body['resourceNamesToRemove'] : []) as string[];
    if (toAdd.length + toRemove.length > 1000) {
      throw badRequest('The total number of resource names to add and remove must be less than or equal to 1000.');
    }
    if (toAdd.length > 0 && g.groupType === 'SYSTEM_CONTACT_GROUP' && !ADDABLE_SYSTEM_GROUPS.includes(g.id)) {
      throw failedPrecondition(`Cannot add contacts to system contact group "${g.resourceName}".`);
    }
    const notFoundNames: string[] = [];
    const lastGroup: string[] = [];
    let changed = false;
    for (const rn of toAdd) {
      const p = u.contacts.get(rn);
      if (!p) {
        if (!notFoundNames.includes(rn)) notFoundNames.push(rn);
        continue;
      }
      const current = u.membershipsOf(p);
      if (current.includes(g.resourceName)) continue;
      u.setMemberships(p, [...current, g.resourceName]);
      u.touchPerson(p);
      changed = true;
    }
    for (const rn of toRemove) {
      const p = u.contacts.get(rn);
      if (!p) {
        if (!notFoundNames.includes(rn)) notFoundNames.push(rn);
        continue;
      }
      const current = u.membershipsOf(p);
      if (!current.includes(g.resourceName)) continue;
      if (current.length === 1) {
        lastGroup.push(rn);
        continue;
      }
      u.setMemberships(
        p,
        current.filter((x) => x !== g.resourceName),
      );
      u.touchPerson(p);
      changed = true;
    }
    if (changed) u.touchGroup(g);
    const out: Obj = {};
    if (notFoundNames.length > 0) out['notFoundResourceNames'] = notFoundNames;
    if (lastGroup.length > 0) out['canNotRemoveLastContactGroupResourceNames'] = lastGroup;
    return out;
  }

  // ---------------------------------------------------------------------------------- other contacts

  private listOtherContacts(ctx: Ctx): unknown {
    const q = ctx.query;
    const u = ctx.user;
    const sources = q.enumList('sources', ['READ_SOURCE_TYPE_CONTACT', 'READ_SOURCE_TYPE_PROFILE'], 'ReadSourceType');
    if (sources.includes('READ_SOURCE_TYPE_PROFILE') && !sources.includes('READ_SOURCE_TYPE_CONTACT')) {
      throw badRequest('READ_SOURCE_TYPE_PROFILE requires READ_SOURCE_TYPE_CONTACT.', 'sources');
    }
    const valid = sources.includes('READ_SOURCE_TYPE_PROFILE') ? READ_PERSON_FIELDS : OTHER_LIST_FIELDS;
    const mask = requireMask(q.str('readMask'), 'readMask', valid, DOC_OTHER_LIST);
    const pageSize = pageSizeOf(q, 'pageSize', 100, 1000, false);
    const requestSync = q.bool('requestSyncToken');
    const syncToken = q.str('syncToken');
    const key = JSON.stringify([mask, sources, requestSync, syncToken ?? '']);
    let items: Person[];
    let total: number | undefined;
    if (syncToken) {
      const since = readSyncToken(syncToken, 'otherContacts', u.email, this.host.generation, ctx.rpc);
      const changes: Array<{ seq: number; person: Person }> = [...u.otherContacts.values()]
        .filter((p) => p.seq > since)
        .map((p) => ({ seq: p.seq, person: project(p, mask) }));
      for (const t of u.otherTombstones) {
        if (t.seq > since) {
          changes.push({
            seq: t.seq,
            person: {
              resourceName: t.resourceName,
              metadata: { deleted: true, sources: [{ type: 'OTHER_CONTACT', id: t.sourceId }] },
            },
          });
        }
      }
      items = changes.sort((a, b) => a.seq - b.seq).map((c) => c.person);
    } else {
      const all = [...u.otherContacts.values()].sort((a, b) => a.created - b.created);
      items = all.map((p) => project(p, mask));
      total = all.length;
    }
    const { page, nextPageToken } = this.paginate(ctx, 'otherContacts.list', key, items, pageSize);
    const out: Obj = {};
    if (page.length > 0) out['otherContacts'] = page;
    if (nextPageToken) out['nextPageToken'] = nextPageToken;
    else if (requestSync || syncToken)
      out['nextSyncToken'] = makeSyncToken('otherContacts', u.email, u.seq, this.host.generation);
    if (total) out['totalSize'] = total;
    return out;
  }

  private searchOtherContacts(ctx: Ctx): unknown {
    const q = ctx.query;
    const u = ctx.user;
    const mask = requireMask(q.str('readMask'), 'readMask', OTHER_SEARCH_FIELDS, DOC_OTHER_SEARCH);
    const pageSize = pageSizeOf(q, 'pageSize', 10, 30, true);
    const query = (q.str('query') ?? '').trim();
    if (query === '') {
      this.host.otherContactsWarmups.set(u.email, (this.host.otherContactsWarmups.get(u.email) ?? 0) + 1);
      return {};
    }
    if (!this.host.otherContactsWarmups.get(u.email)) return {};
    const results = [...u.otherContacts.values()]
      .sort((a, b) => a.created - b.created)
      .filter((p) => personMatches(p.data, query, OTHER_CONTACT_SEARCH_FIELDS))
      .slice(0, pageSize)
      .map((p) => ({ person: project(p, mask) }));
    return results.length > 0 ? { results } : {};
  }

  private copyOtherContact(ctx: Ctx): Person {
    const u = ctx.user;
    const body = obj(ctx.body);
    const copyMask = requireMask(strOrUndef(body['copyMask']), 'copyMask', COPY_MASK_FIELDS, DOC_COPY);
    const readMask = parseMask(strOrUndef(body['readMask']), 'readMask', READ_PERSON_FIELDS, DOC_COPY) ?? [
      ...copyMask,
      'metadata',
      'memberships',
    ];
    const sources = Array.isArray(body['sources']) ? (body['sources'] as unknown[]) : [];
    sources.forEach((s, i) => {
      if (typeof s !== 'string' || !READ_SOURCE_TYPES.includes(s)) {
        throw badRequest(
          `Invalid value at 'sources[${i}]' (type.googleapis.com/google.people.v1.ReadSourceType), ${JSON.stringify(s)}`,
          `sources[${i}]`,
        );
      }
    });
    if (!/^otherContacts\/c\d+$/.test(ctx.resourceName)) {
      throw badRequest(
        `Resource name "${ctx.resourceName}" is not a valid other contact resource name.`,
        'resource_name',
      );
    }
    const other = u.otherContacts.get(ctx.resourceName);
    if (!other) throw notFound();
    const input: Obj = {};
    for (const f of copyMask) {
      const v = (other.data as Obj)[f];
      if (v !== undefined) input[f] = structuredClone(v);
    }
    const stored = u.addContact(input as Person);
    u.setMemberships(stored, ['contactGroups/myContacts']);
    const my = u.groups.get('contactGroups/myContacts');
    if (my) u.touchGroup(my);
    return project(stored, readMask);
  }
}
