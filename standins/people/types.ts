import type { people_v1 } from '@googleapis/people';

export type Person = people_v1.Schema$Person;
export type ContactGroup = people_v1.Schema$ContactGroup;

/** A user the stand-in holds a data set for. Users with `hd` are Google Workspace users. */
export interface PeopleStandinUser {
  email: string;
  name: string;
  givenName?: string;
  familyName?: string;
  /** Workspace domain (the id_token `hd` claim). Absent for consumer (gmail-style) accounts. */
  hd?: string;
  /**
   * Google account id (the id_token `sub`). When omitted, a stable numeric id is derived from the
   * email and replaced by the `sub` of the first verified token seen for that email, so that
   * `people/me` comes back as `people/<sub>` like Google's.
   */
  sub?: string;
}

/** What `verifyToken` returns for a valid access token. */
export interface PeopleStandinIdentity {
  sub: string;
  email: string;
  scopes: string[];
}

export interface PeopleStandinOptions {
  /** Port on 127.0.0.1; 0 or omitted picks a free one. */
  port?: number;
  /** Resolves a Bearer token to its identity, or null when the token is unknown/expired/revoked. */
  verifyToken(token: string): Promise<PeopleStandinIdentity | null>;
  /** One seeded data set per user. Tokens for emails not listed get an empty data set on first use. */
  users: PeopleStandinUser[];
  /** Artificial latency (ms) inside every mutating call, so unserialized writes overlap measurably. */
  mutationLatencyMs?: number;
  /** When true, a mutation that starts while another one for the same user is in flight gets 409 ABORTED. */
  rejectConcurrentMutations?: boolean;
}

/** API method ids as @googleapis/people names them. */
export type PeopleMethodId =
  | 'people.get'
  | 'people.getBatchGet'
  | 'people.searchContacts'
  | 'people.connections.list'
  | 'people.createContact'
  | 'people.updateContact'
  | 'people.deleteContact'
  | 'people.batchCreateContacts'
  | 'people.batchDeleteContacts'
  | 'people.searchDirectoryPeople'
  | 'people.listDirectoryPeople'
  | 'contactGroups.list'
  | 'contactGroups.get'
  | 'contactGroups.batchGet'
  | 'contactGroups.create'
  | 'contactGroups.update'
  | 'contactGroups.delete'
  | 'contactGroups.members.modify'
  | 'otherContacts.list'
  | 'otherContacts.search'
  | 'otherContacts.copyOtherContactToMyContactsGroup';

export type FaultStatus = 401 | 403 | 404 | 409 | 412 | 429 | 500 | 503;

export interface FailNextOptions {
  /** Method id (e.g. 'people.searchContacts'); any method when omitted. */
  method?: PeopleMethodId;
  /** Status to answer with. Omit (with delayMs) to only delay the next matching call(s). */
  status?: FaultStatus;
  /** Retry-After seconds on 429/503 answers (429 defaults to 1). */
  retryAfterSeconds?: number;
  /** How many matching calls this applies to (default 1). */
  count?: number;
  /** Delay before answering (ms). */
  delayMs?: number;
}

export interface RecordedRequest {
  /** API method id, or 'unknown' for paths that match no method. */
  method: string;
  /** The caller's email when the token verified. */
  email?: string;
  status: number;
}

export interface PeopleStandinSnapshot {
  profile: Person;
  contacts: Person[];
  contactGroups: ContactGroup[];
  otherContacts: Person[];
}

export interface PeopleStandin {
  /** Root URL without a trailing slash, e.g. http://127.0.0.1:40123 (pass `url + '/'` as rootUrl). */
  readonly url: string;
  readonly port: number;
  /** Every answered request, in order. Cleared by reset(). */
  readonly requests: RecordedRequest[];
  /** Empty-query people.searchContacts calls per user email (the warm-up Google asks for). */
  readonly warmups: Map<string, number>;
  /** Empty-query otherContacts.search calls per user email. */
  readonly otherContactsWarmups: Map<string, number>;
  /** Exceptions thrown inside the stand-in itself (answered as 500 INTERNAL). Should stay empty. */
  readonly internalErrors: Error[];
  /** Highest number of mutating requests for one user seen in flight at once. */
  readonly maxConcurrentMutations: number;
  /** Queue a fault for the next matching call(s). Faults are consumed in the order queued. */
  failNext(opts: FailNextOptions): void;
  /** Re-seed every user's data and clear requests, warm-ups, faults and the concurrency probe. */
  reset(): void;
  /** Make every sync token issued so far expired (next use → 400 EXPIRED_SYNC_TOKEN). */
  expireSyncTokens(): void;
  /**
   * Behaviours of Google's that vary or are not documented, switched on by a test to check the app
   * copes with them. Cleared by reset().
   */
  readonly quirks: { batchCreateIgnoresMemberships: boolean };
  /**
   * Gives a contact a custom photo (Google's updateContactPhoto, which the stand-in does not serve over
   * HTTP): tests of what happens to photos on delete, merge and restore.
   */
  setContactPhoto(email: string, resourceName: string, url: string): void;
  /** Deep copy of a user's stored data (full fields), for assertions. Undefined for unknown users. */
  snapshot(email: string): PeopleStandinSnapshot | undefined;
  close(): Promise<void>;
}
