/** In-memory data model of the People API stand-in: one UserData per account. */
import { createHash, randomBytes } from 'node:crypto';
import { normalizeItems, UPDATE_PERSON_FIELDS, type SourceRef } from './fields.js';
import type { PeopleStandinUser, Person } from './types.js';

export type SourceType = 'CONTACT' | 'OTHER_CONTACT' | 'PROFILE' | 'DOMAIN_PROFILE' | 'DOMAIN_CONTACT';

export interface StoredPerson {
  resourceName: string;
  sourceType: SourceType;
  sourceId: string;
  etag: string;
  sourceEtag: string;
  updateTime: string;
  /** Change sequence number (per user) of the last write. */
  seq: number;
  /** Order of creation (for LAST_MODIFIED tie-breaks and stable listings). */
  created: number;
  /** Normalized field values (names, emailAddresses, ...). Never holds resourceName/etag/metadata. */
  data: Person;
  /** PROFILE/DOMAIN_PROFILE only: profile user types. */
  userTypes?: string[];
}

export interface StoredGroup {
  resourceName: string;
  id: string;
  name: string;
  formattedName: string;
  groupType: 'SYSTEM_CONTACT_GROUP' | 'USER_CONTACT_GROUP';
  clientData: Array<{ key?: string | null; value?: string | null }>;
  etag: string;
  updateTime: string;
  seq: number;
  created: number;
}

export interface Tombstone {
  resourceName: string;
  seq: number;
  sourceId: string;
}

/** System groups Google creates for every account, with the names Google reports. */
export const SYSTEM_GROUPS: ReadonlyArray<{ id: string; formattedName: string }> = [
  { id: 'myContacts', formattedName: 'My Contacts' },
  { id: 'starred', formattedName: 'Starred' },
  { id: 'friends', formattedName: 'Friends' },
  { id: 'family', formattedName: 'Family' },
  { id: 'coworkers', formattedName: 'Coworkers' },
  { id: 'chatBuddies', formattedName: 'Chat contacts' },
  { id: 'all', formattedName: 'All Contacts' },
  { id: 'blocked', formattedName: 'Blocked' },
];
/** System groups that memberships may be added to (Google: only myContacts and starred). */
export const ADDABLE_SYSTEM_GROUPS = ['myContacts', 'starred'];

export function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A 63-bit id: decimal for resource names (people/c<decimal>), hex for source ids, like Google's. */
export function contactIdFrom(seed: string): { decimal: string; hex: string } {
  const n = BigInt('0x' + sha(seed).slice(0, 16)) & 0x7fffffffffffffffn;
  return { decimal: n.toString(10), hex: n.toString(16) };
}

/** A 21-digit Google account id derived from an email. */
export function accountIdFrom(email: string): string {
  const n = BigInt('0x' + sha('account:' + email.toLowerCase()).slice(0, 16)) % 10n ** 20n;
  return '1' + n.toString(10).padStart(20, '0');
}

export function newPersonEtag(): string {
  return '%Eg' + randomBytes(12).toString('base64');
}
export function newSourceEtag(): string {
  return '#' + randomBytes(9).toString('base64');
}
export function newGroupEtag(): string {
  return randomBytes(9).toString('base64');
}
export function nowIso(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

// --------------------------------------------------------------------------------------------------
// Seed templates

interface ContactTemplate {
  key: string;
  person: Person;
  groups: string[];
}

const DEFAULT_PHOTO = 'https://lh3.googleusercontent.com/cm/default-avatar=s100';

const CONTACT_TEMPLATES: ContactTemplate[] = [
  {
    key: 'bob-martinez',
    groups: ['myContacts', 'starred', 'hiking'],
    person: {
      names: [{ givenName: 'Bob', familyName: 'Martinez' }],
      nicknames: [{ value: 'Bobby' }],
      emailAddresses: [
        { value: 'bob.martinez@example.net', type: 'home' },
        { value: 'bob@martinez-bikes.example', type: 'work' },
      ],
      phoneNumbers: [{ value: '+1 415-555-0101', type: 'mobile' }],
      organizations: [{ name: 'Martinez Bikes', title: 'Owner', type: 'work', current: true }],
      addresses: [
        {
          streetAddress: '12 Market St',
          city: 'San Francisco',
          region: 'CA',
          postalCode: '94105',
          country: 'United States',
          countryCode: 'US',
          type: 'home',
        },
      ],
      birthdays: [{ date: { year: 1985, month: 4, day: 12 } }],
      biographies: [{ value: 'Met at the climbing gym. Prefers texts over calls.', contentType: 'TEXT_PLAIN' }],
      urls: [{ value: 'https://martinez-bikes.example', type: 'work' }],
    },
  },
  {
    key: 'carol-nguyen',
    groups: ['myContacts', 'hiking'],
    person: {
      names: [{ givenName: 'Carol', familyName: 'Nguyen' }],
      nicknames: [{ value: 'Caz' }],
      emailAddresses: [{ value: 'carol.nguyen@example.org', type: 'work' }],
      phoneNumbers: [
        { value: '+1 (650) 555-0102', type: 'work' },
        { value: '+1 650-555-0177', type: 'mobile' },
      ],
      organizations: [
        { name: 'Acme Robotics', title: 'Staff Engineer', department: 'Platform', type: 'work', current: true },
      ],
      birthdays: [{ date: { month: 9, day: 3 } }],
      biographies: [{ value: 'Carol from the robotics meetup. Vegetarian.', contentType: 'TEXT_PLAIN' }],
      events: [{ date: { year: 2019, month: 6, day: 1 }, type: 'anniversary' }],
    },
  },
  {
    key: 'david-okafor',
    groups: ['myContacts'],
    person: {
      names: [{ givenName: 'David', familyName: 'Okafor' }],
      emailAddresses: [{ value: 'david.okafor@example.com', type: 'home' }],
      phoneNumbers: [{ value: '+44 20 7946 0958', type: 'mobile' }],
      organizations: [{ name: 'Okafor & Partners', title: 'Solicitor', type: 'work', current: true }],
      addresses: [
        {
          streetAddress: '221B Baker Street',
          city: 'London',
          postalCode: 'NW1 6XE',
          country: 'United Kingdom',
          countryCode: 'GB',
          type: 'work',
        },
      ],
      relations: [{ person: 'Ada Okafor', type: 'spouse' }],
    },
  },
  {
    key: 'eve-schmidt',
    groups: ['myContacts', 'family'],
    person: {
      names: [{ givenName: 'Eve', familyName: 'Schmidt' }],
      emailAddresses: [{ value: 'eve.schmidt@example.de', type: 'home' }],
      phoneNumbers: [{ value: '+49 30 901820', type: 'home' }],
      birthdays: [{ date: { year: 1990, month: 12, day: 24 } }],
      biographies: [{ value: 'Cousin. Lives in Berlin.', contentType: 'TEXT_PLAIN' }],
      userDefined: [{ key: 'Favourite cake', value: 'Bienenstich' }],
    },
  },
  {
    key: 'frank-li',
    groups: ['myContacts', 'bookClub'],
    person: {
      names: [{ givenName: 'Frank', familyName: 'Li' }],
      emailAddresses: [{ value: 'frank.li@example.com', type: 'other' }],
      organizations: [{ name: 'City Library', title: 'Librarian', type: 'work', current: true }],
      urls: [{ value: 'https://frankreads.example/blog', type: 'blog' }],
    },
  },
  {
    key: 'grace-hopper-ruiz',
    groups: ['myContacts', 'bookClub'],
    person: {
      names: [{ givenName: 'Grace', familyName: 'Hopper-Ruiz' }],
      emailAddresses: [{ value: 'grace.ruiz@example.com', type: 'home' }],
      phoneNumbers: [{ value: '+1 212 555 0199', type: 'mobile' }],
      imClients: [{ username: 'grace.ruiz', protocol: 'skype', type: 'home' }],
    },
  },
  {
    key: 'bob-chen',
    groups: ['myContacts'],
    person: {
      names: [{ givenName: 'Bob', familyName: 'Chen' }],
      emailAddresses: [{ value: 'bob.chen@example.com', type: 'work' }],
      phoneNumbers: [{ value: '+1 312 555 0123', type: 'work' }],
      organizations: [{ name: 'Chen Logistics', title: 'Dispatcher', type: 'work', current: true }],
    },
  },
];

const USER_GROUP_TEMPLATES = [
  { key: 'hiking', name: 'Hiking' },
  { key: 'bookClub', name: 'Book Club' },
];

const OTHER_CONTACT_TEMPLATES: Array<{ key: string; person: Person }> = [
  {
    key: 'hannah-kim',
    person: {
      names: [{ givenName: 'Hannah', familyName: 'Kim' }],
      emailAddresses: [{ value: 'hannah.kim@talent.example' }],
    },
  },
  {
    key: 'ivan-petrov',
    person: {
      names: [{ givenName: 'Ivan', familyName: 'Petrov' }],
      emailAddresses: [{ value: 'ivan.petrov@example.net' }],
      phoneNumbers: [{ value: '+7 495 555-0123' }],
    },
  },
  { key: 'orders-shop', person: { emailAddresses: [{ value: 'orders@shop.example' }] } },
];

/** Extra directory entries per Workspace domain (besides the seeded users of that domain). */
/** "acme.test" → "Acme": the organization name directory entries of a domain carry. */
export function orgNameOf(hd: string): string {
  const company = hd.split('.')[0] ?? hd;
  return company.charAt(0).toUpperCase() + company.slice(1);
}

export function extraDirectoryPeople(
  hd: string,
): Array<{ key: string; sourceType: 'DOMAIN_PROFILE' | 'DOMAIN_CONTACT'; person: Person }> {
  const org = orgNameOf(hd);
  return [
    {
      key: 'morgan-lee',
      sourceType: 'DOMAIN_PROFILE',
      person: {
        names: [{ givenName: 'Morgan', familyName: 'Lee' }],
        emailAddresses: [{ value: `morgan.lee@${hd}`, type: 'work' }],
        phoneNumbers: [{ value: '+1 646-555-0140', type: 'work' }],
        organizations: [{ name: org, title: 'Head of Finance', department: 'Finance', type: 'work', current: true }],
        locations: [{ value: 'NYC-9-East', type: 'desk', buildingId: 'NYC-9', current: true }],
      },
    },
    {
      key: 'priya-natarajan',
      sourceType: 'DOMAIN_PROFILE',
      person: {
        names: [{ givenName: 'Priya', familyName: 'Natarajan' }],
        emailAddresses: [{ value: `priya.natarajan@${hd}`, type: 'work' }],
        organizations: [
          { name: org, title: 'Site Reliability Engineer', department: 'Engineering', type: 'work', current: true },
        ],
      },
    },
    {
      key: 'facilities-desk',
      sourceType: 'DOMAIN_CONTACT',
      person: {
        names: [{ givenName: 'Facilities', familyName: 'Desk' }],
        emailAddresses: [{ value: `facilities@${hd}`, type: 'work' }],
        phoneNumbers: [{ value: '+1 646-555-0100', type: 'work' }],
      },
    },
  ];
}

// --------------------------------------------------------------------------------------------------

export function splitName(user: PeopleStandinUser): { givenName?: string; familyName?: string } {
  if (user.givenName || user.familyName) {
    return {
      ...(user.givenName ? { givenName: user.givenName } : {}),
      ...(user.familyName ? { familyName: user.familyName } : {}),
    };
  }
  const words = user.name.trim().split(/\s+/);
  if (words.length <= 1) return { givenName: user.name.trim() };
  return { givenName: words.slice(0, -1).join(' '), familyName: words[words.length - 1] as string };
}

/** Builds normalized field data for a person from a template, tagging each item with `source`. */
export function buildData(
  template: Person,
  source: SourceRef,
  fields: readonly string[] = UPDATE_PERSON_FIELDS,
): Person {
  const data: Record<string, unknown> = {};
  for (const f of fields) {
    const items = (template as Record<string, unknown>)[f];
    const normalized = normalizeItems(f, items, source);
    if (normalized.length > 0) data[f] = normalized;
  }
  return data as Person;
}

export class UserData {
  readonly user: PeopleStandinUser;
  readonly email: string;
  accountId: string;
  readonly accountIdExplicit: boolean;
  readonly contacts = new Map<string, StoredPerson>();
  readonly otherContacts = new Map<string, StoredPerson>();
  readonly groups = new Map<string, StoredGroup>();
  readonly contactTombstones: Tombstone[] = [];
  readonly otherTombstones: Tombstone[] = [];
  readonly groupTombstones: Tombstone[] = [];
  profile!: StoredPerson;
  seq = 0;
  private idCounter = 0;
  private createdCounter = 0;

  constructor(user: PeopleStandinUser) {
    this.user = user;
    this.email = user.email.toLowerCase();
    this.accountIdExplicit = user.sub !== undefined;
    this.accountId = user.sub ?? accountIdFrom(user.email);
  }

  get isWorkspace(): boolean {
    return typeof this.user.hd === 'string' && this.user.hd.length > 0;
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  nextCreated(): number {
    this.createdCounter += 1;
    return this.createdCounter;
  }

  newContactId(kind: 'contact' | 'other'): { decimal: string; hex: string } {
    this.idCounter += 1;
    return contactIdFrom(`${this.email}:${kind}:${this.idCounter}`);
  }

  newGroupId(): string {
    this.idCounter += 1;
    return sha(`${this.email}:group:${this.idCounter}`).slice(0, 16).replace(/^0+/, '');
  }

  /** A new stored person of one source type, with fresh id, etags and ordering. */
  private newPerson(
    kind: 'contact' | 'other',
    input: Person,
    fields?: string[],
  ): { stored: StoredPerson; source: SourceRef } {
    const id = this.newContactId(kind);
    const sourceType = kind === 'contact' ? 'CONTACT' : 'OTHER_CONTACT';
    const source: SourceRef = { type: sourceType, id: id.hex };
    const stored: StoredPerson = {
      resourceName: `${kind === 'contact' ? 'people' : 'otherContacts'}/c${id.decimal}`,
      sourceType,
      sourceId: id.hex,
      etag: newPersonEtag(),
      sourceEtag: newSourceEtag(),
      updateTime: nowIso(),
      seq: this.nextSeq(),
      created: this.nextCreated(),
      data: fields ? buildData(input, source, fields) : buildData(input, source),
    };
    return { stored, source };
  }

  /** Creates a CONTACT-source person from already validated input (fields in UPDATE_PERSON_FIELDS). */
  addContact(input: Person): StoredPerson {
    const { stored } = this.newPerson('contact', input);
    this.contacts.set(stored.resourceName, stored);
    return stored;
  }

  addOtherContact(input: Person): StoredPerson {
    const { stored, source } = this.newPerson('other', input, ['names', 'emailAddresses', 'phoneNumbers']);
    stored.data.photos = [{ metadata: { primary: true, source: { ...source } }, url: DEFAULT_PHOTO, default: true }];
    this.otherContacts.set(stored.resourceName, stored);
    return stored;
  }

  addGroup(id: string, name: string, groupType: StoredGroup['groupType'], formattedName = name): StoredGroup {
    const g: StoredGroup = {
      resourceName: `contactGroups/${id}`,
      id,
      name,
      formattedName,
      groupType,
      clientData: [],
      etag: newGroupEtag(),
      updateTime: nowIso(),
      seq: this.nextSeq(),
      created: this.nextCreated(),
    };
    this.groups.set(g.resourceName, g);
    return g;
  }

  touchPerson(p: StoredPerson): void {
    p.etag = newPersonEtag();
    p.sourceEtag = newSourceEtag();
    p.updateTime = nowIso();
    p.seq = this.nextSeq();
  }

  touchGroup(g: StoredGroup): void {
    g.etag = newGroupEtag();
    g.updateTime = nowIso();
    g.seq = this.nextSeq();
  }

  membershipsOf(p: StoredPerson): string[] {
    const out: string[] = [];
    for (const m of (p.data.memberships ?? []) as Array<Record<string, unknown>>) {
      const cgm = m['contactGroupMembership'] as Record<string, unknown> | undefined;
      if (cgm && typeof cgm['contactGroupResourceName'] === 'string') out.push(cgm['contactGroupResourceName']);
    }
    return out;
  }

  setMemberships(p: StoredPerson, groupResourceNames: string[]): void {
    const unique = [...new Set(groupResourceNames)];
    p.data.memberships = normalizeItems(
      'memberships',
      unique.map((rn) => ({ contactGroupMembership: { contactGroupResourceName: rn } })),
      { type: 'CONTACT', id: p.sourceId },
    );
  }

  /** Contacts in a group, in creation order. `contactGroups/all` holds every contact. */
  membersOf(groupResourceName: string): StoredPerson[] {
    const all = [...this.contacts.values()].sort((a, b) => a.created - b.created);
    if (groupResourceName === 'contactGroups/all') return all;
    return all.filter((p) => this.membershipsOf(p).includes(groupResourceName));
  }

  deleteContact(resourceName: string): boolean {
    const p = this.contacts.get(resourceName);
    if (!p) return false;
    this.contacts.delete(resourceName);
    this.contactTombstones.push({ resourceName, seq: this.nextSeq(), sourceId: p.sourceId });
    return true;
  }
}

/**
 * Seeds one user's data set: profile, system groups, "Hiking" and "Book Club" user groups, seven contacts
 * and three "other contacts". Deterministic resource names for a given email.
 */
export function seedUserData(user: PeopleStandinUser): UserData {
  const u = new UserData(user);
  u.profile = {
    resourceName: `people/${u.accountId}`,
    sourceType: 'PROFILE',
    sourceId: u.accountId,
    etag: newPersonEtag(),
    sourceEtag: newSourceEtag(),
    updateTime: nowIso(),
    seq: 0,
    created: 0,
    userTypes: u.isWorkspace ? ['GOOGLE_APPS_USER'] : ['GOOGLE_USER'],
    data: {},
  };
  refreshProfileData(u);

  for (const g of SYSTEM_GROUPS) u.addGroup(g.id, g.id, 'SYSTEM_CONTACT_GROUP', g.formattedName);
  const groupIds = new Map<string, string>();
  for (const g of SYSTEM_GROUPS) groupIds.set(g.id, `contactGroups/${g.id}`);
  for (const t of USER_GROUP_TEMPLATES) {
    const g = u.addGroup(u.newGroupId(), t.name, 'USER_CONTACT_GROUP');
    groupIds.set(t.key, g.resourceName);
  }
  for (const t of CONTACT_TEMPLATES) {
    const p = u.addContact(t.person);
    u.setMemberships(
      p,
      t.groups.map((k) => groupIds.get(k) as string),
    );
  }
  for (const t of OTHER_CONTACT_TEMPLATES) u.addOtherContact(t.person);
  return u;
}

/** (Re)builds the profile fields from the user record and current account id. */
export function refreshProfileData(u: UserData): void {
  const name = splitName(u.user);
  const profileSource: SourceRef = { type: 'PROFILE', id: u.accountId };
  const accountSource: SourceRef = { type: 'ACCOUNT', id: u.accountId };
  u.profile.resourceName = `people/${u.accountId}`;
  u.profile.sourceId = u.accountId;
  const data: Record<string, unknown> = {
    names: normalizeItems('names', [name], profileSource),
    emailAddresses: normalizeItems('emailAddresses', [{ value: u.user.email }], accountSource, { verified: true }),
    photos: [{ metadata: { primary: true, source: { ...profileSource } }, url: DEFAULT_PHOTO, default: true }],
    locales: normalizeItems('locales', [{ value: 'en' }], profileSource),
  };
  if (u.isWorkspace) {
    data['memberships'] = [
      { metadata: { source: { type: 'DOMAIN_PROFILE', id: u.accountId } }, domainMembership: { inViewerDomain: true } },
    ];
  }
  u.profile.data = data as Person;
}

/** A directory person as Google's people.searchDirectoryPeople returns it. */
export function directoryPerson(
  key: string,
  hd: string,
  sourceType: 'DOMAIN_PROFILE' | 'DOMAIN_CONTACT',
  person: Person,
  accountId?: string,
): StoredPerson {
  const id =
    accountId ?? (sourceType === 'DOMAIN_PROFILE' ? accountIdFrom(`${key}@${hd}`) : contactIdFrom(`${hd}:${key}`).hex);
  const source: SourceRef = { type: sourceType, id };
  const data = buildData(person, source, [
    'names',
    'emailAddresses',
    'phoneNumbers',
    'organizations',
    'locations',
  ]) as Record<string, unknown>;
  data['photos'] = [{ metadata: { primary: true, source: { ...source } }, url: DEFAULT_PHOTO, default: true }];
  return {
    resourceName: sourceType === 'DOMAIN_PROFILE' ? `people/${id}` : `people/c${contactIdFrom(`${hd}:${key}`).decimal}`,
    sourceType,
    sourceId: id,
    etag: '%Eg' + Buffer.from(sha(`etag:${hd}:${key}`).slice(0, 16), 'hex').toString('base64'),
    sourceEtag: '#' + Buffer.from(sha(`setag:${hd}:${key}`).slice(0, 12), 'hex').toString('base64'),
    updateTime: '2024-01-01T00:00:00.000000Z',
    seq: 0,
    created: 0,
    ...(sourceType === 'DOMAIN_PROFILE' ? { userTypes: ['GOOGLE_APPS_USER'] } : {}),
    data: data as Person,
  };
}
