/** Person field lists, field masks, per-item normalization (output-only values) and search matching. */
import { badRequest } from './errors.js';
import type { Person } from './types.js';

/** Valid `personFields` / `readMask` values for people.get and friends (Google's documented list). */
export const READ_PERSON_FIELDS = [
  'addresses',
  'ageRanges',
  'biographies',
  'birthdays',
  'calendarUrls',
  'clientData',
  'coverPhotos',
  'emailAddresses',
  'events',
  'externalIds',
  'genders',
  'imClients',
  'interests',
  'locales',
  'locations',
  'memberships',
  'metadata',
  'miscKeywords',
  'names',
  'nicknames',
  'occupations',
  'organizations',
  'phoneNumbers',
  'photos',
  'relations',
  'sipAddresses',
  'skills',
  'urls',
  'userDefined',
] as const;

/** Valid `updatePersonFields` values (also the fields createContact stores). */
export const UPDATE_PERSON_FIELDS = [
  'addresses',
  'biographies',
  'birthdays',
  'calendarUrls',
  'clientData',
  'emailAddresses',
  'events',
  'externalIds',
  'genders',
  'imClients',
  'interests',
  'locales',
  'locations',
  'memberships',
  'miscKeywords',
  'names',
  'nicknames',
  'occupations',
  'organizations',
  'phoneNumbers',
  'relations',
  'sipAddresses',
  'urls',
  'userDefined',
] as const;

/** otherContacts.search readMask values. */
export const OTHER_SEARCH_FIELDS = ['emailAddresses', 'metadata', 'names', 'phoneNumbers'] as const;
/** otherContacts.list readMask values with READ_SOURCE_TYPE_CONTACT. */
export const OTHER_LIST_FIELDS = ['emailAddresses', 'metadata', 'names', 'phoneNumbers', 'photos'] as const;
/** copyOtherContactToMyContactsGroup copyMask values. */
export const COPY_MASK_FIELDS = ['emailAddresses', 'names', 'phoneNumbers'] as const;
/** Fields that are singletons for contact sources. */
export const SINGLETON_FIELDS = ['names', 'biographies', 'birthdays', 'genders'] as const;

export const GROUP_FIELDS = ['clientData', 'groupType', 'memberCount', 'metadata', 'name'] as const;

export type PersonFieldName = (typeof READ_PERSON_FIELDS)[number];
type Item = Record<string, unknown>;

function snakeToCamel(s: string): string {
  return s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export function camelToSnake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

/** "personFields" → "personFields mask" (Google's wording); "readMask" stays "readMask". */
function maskLabel(param: string): string {
  return /Mask$/.test(param) ? param : `${param} mask`;
}

/**
 * Parses a FieldMask query/body value. Returns null when the mask is absent or empty.
 * Unknown paths → 400 `Invalid <param> mask path: "x". Valid paths are documented at <doc>.`
 */
export function parseMask(
  raw: string | undefined | null,
  param: string,
  valid: readonly string[],
  docUrl: string,
): string[] | null {
  if (raw === undefined || raw === null) return null;
  const paths = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (paths.length === 0) return null;
  const out: string[] = [];
  for (const p of paths) {
    if (!valid.includes(p)) {
      throw badRequest(
        `Invalid ${maskLabel(param)} path: "${p}". Valid paths are documented at ${docUrl}.`,
        camelToSnake(param),
      );
    }
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

export function requireMask(
  raw: string | undefined | null,
  param: string,
  valid: readonly string[],
  docUrl: string,
): string[] {
  const mask = parseMask(raw, param, valid, docUrl);
  if (!mask) {
    throw badRequest(
      `${maskLabel(param)} is required. Please specify one or more valid paths. Valid paths are documented at ${docUrl}.`,
      camelToSnake(param),
    );
  }
  return mask;
}

/** The deprecated `requestMask.includeField=person.names,person.email_addresses` form. */
export function legacyRequestMask(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  return raw
    .split(',')
    .map((p) => p.trim().replace(/^person\./, ''))
    .map(snakeToCamel)
    .join(',');
}

const TYPE_LABELS: Record<string, string> = {
  home: 'Home',
  work: 'Work',
  other: 'Other',
  mobile: 'Mobile',
  homeFax: 'Home Fax',
  workFax: 'Work Fax',
  otherFax: 'Other Fax',
  pager: 'Pager',
  workMobile: 'Work Mobile',
  workPager: 'Work Pager',
  main: 'Main',
  googleVoice: 'Google Voice',
  school: 'School',
  blog: 'Blog',
  profile: 'Profile',
  homePage: 'Home Page',
  ftp: 'FTP',
  reservations: 'Reservations',
  appInstallPage: 'App Install Page',
  anniversary: 'Anniversary',
  spouse: 'Spouse',
  child: 'Child',
  mother: 'Mother',
  father: 'Father',
  parent: 'Parent',
  brother: 'Brother',
  sister: 'Sister',
  friend: 'Friend',
  relative: 'Relative',
  domesticPartner: 'Domestic Partner',
  manager: 'Manager',
  assistant: 'Assistant',
  referredBy: 'Referred by',
  partner: 'Partner',
  freeBusy: 'Free/Busy',
  account: 'Account',
  customer: 'Customer',
  loginId: 'Login Id',
  network: 'Network',
  organization: 'Organization',
  desk: 'Desk',
  grewUp: 'Grew up',
};
const PROTOCOL_LABELS: Record<string, string> = {
  aim: 'AIM',
  msn: 'MSN',
  yahoo: 'Yahoo',
  skype: 'Skype',
  qq: 'QQ',
  googleTalk: 'Google Talk',
  icq: 'ICQ',
  jabber: 'Jabber',
  netMeeting: 'NetMeeting',
};
const GENDER_LABELS: Record<string, string> = { male: 'Male', female: 'Female', unspecified: 'Unspecified' };

/** Output-only properties per person field; stripped from input and recomputed. */
const OUTPUT_ONLY: Record<string, readonly string[]> = {
  names: ['displayName', 'displayNameLastFirst'],
  emailAddresses: ['formattedType'],
  phoneNumbers: ['canonicalForm', 'formattedType'],
  addresses: ['formattedType'],
  organizations: ['formattedType'],
  urls: ['formattedType'],
  relations: ['formattedType'],
  events: ['formattedType'],
  externalIds: ['formattedType'],
  calendarUrls: ['formattedType'],
  sipAddresses: ['formattedType'],
  miscKeywords: ['formattedType'],
  imClients: ['formattedType', 'formattedProtocol'],
  genders: ['formattedValue'],
  memberships: ['domainMembership'],
};

function isBlank(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (typeof v === 'object' && !Array.isArray(v)) {
    return Object.values(v as Item).every((x) => x === undefined || x === null || x === '' || x === 0);
  }
  return false;
}

function canonicalPhone(value: string): string | undefined {
  const trimmed = value.trim();
  const digits = trimmed.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return undefined;
  if (trimmed.startsWith('+')) return '+' + digits;
  if (trimmed.startsWith('00')) return '+' + digits.slice(2);
  return undefined;
}

function joinNonEmpty(parts: Array<string | null | undefined>, sep: string): string {
  return parts.filter((p): p is string => typeof p === 'string' && p.trim().length > 0).join(sep);
}

function computeName(item: Item): void {
  const s = (k: string): string | undefined => {
    const v = item[k];
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  };
  if (!s('givenName') && !s('familyName') && !s('middleName') && s('unstructuredName')) {
    const words = (s('unstructuredName') as string).split(/\s+/);
    if (words.length === 1) item['givenName'] = words[0];
    else {
      item['familyName'] = words[words.length - 1];
      item['givenName'] = words.slice(0, -1).join(' ');
    }
  }
  const display = joinNonEmpty(
    [s('honorificPrefix'), s('givenName'), s('middleName'), s('familyName'), s('honorificSuffix')],
    ' ',
  );
  if (!display) return;
  item['displayName'] = display;
  const first = joinNonEmpty([s('honorificPrefix'), s('givenName'), s('middleName')], ' ');
  let lastFirst = s('familyName') ? (first ? `${s('familyName')}, ${first}` : (s('familyName') as string)) : first;
  if (s('honorificSuffix')) lastFirst += `, ${s('honorificSuffix')}`;
  item['displayNameLastFirst'] = lastFirst;
  if (!s('unstructuredName')) item['unstructuredName'] = display;
}

function computeAddress(item: Item): void {
  if (typeof item['formattedValue'] === 'string' && item['formattedValue'].trim()) return;
  const str = (k: string): string | undefined => (typeof item[k] === 'string' ? (item[k] as string) : undefined);
  const cityLine = joinNonEmpty([joinNonEmpty([str('city'), str('region')], ', '), str('postalCode')], ' ');
  const formatted = joinNonEmpty(
    [str('streetAddress'), str('extendedAddress'), str('poBox'), cityLine, str('country')],
    '\n',
  );
  if (formatted) item['formattedValue'] = formatted;
}

/** Computes the output-only properties of one item of `field`. Mutates and returns the item. */
function computeOutputOnly(field: string, item: Item): Item {
  if (typeof item['type'] === 'string' && OUTPUT_ONLY[field]?.includes('formattedType')) {
    item['formattedType'] = TYPE_LABELS[item['type']] ?? item['type'];
  }
  switch (field) {
    case 'names':
      computeName(item);
      break;
    case 'phoneNumbers': {
      const canonical = typeof item['value'] === 'string' ? canonicalPhone(item['value']) : undefined;
      if (canonical) item['canonicalForm'] = canonical;
      break;
    }
    case 'addresses':
      computeAddress(item);
      break;
    case 'imClients':
      if (typeof item['protocol'] === 'string')
        item['formattedProtocol'] = PROTOCOL_LABELS[item['protocol']] ?? item['protocol'];
      break;
    case 'genders':
      if (typeof item['value'] === 'string') item['formattedValue'] = GENDER_LABELS[item['value']] ?? item['value'];
      break;
    case 'memberships': {
      const cgm = item['contactGroupMembership'] as Item | undefined;
      if (cgm && typeof cgm['contactGroupResourceName'] === 'string') {
        cgm['contactGroupId'] = cgm['contactGroupResourceName'].replace(/^contactGroups\//, '');
      }
      break;
    }
  }
  return item;
}

export interface SourceRef {
  type: string;
  id: string;
}

/**
 * Normalizes the items of one field as Google stores them: output-only values and client metadata are
 * dropped, empty items removed, output-only values recomputed and `metadata: { primary, sourcePrimary,
 * source }` attached (the first item, or the one the client marked sourcePrimary, is primary).
 */
export function normalizeItems(field: string, items: unknown, source: SourceRef, extraMetadata: Item = {}): Item[] {
  if (!Array.isArray(items)) return [];
  const outputOnly = OUTPUT_ONLY[field] ?? [];
  const kept: Array<{ item: Item; wantsPrimary: boolean }> = [];
  for (const raw of items) {
    if (raw === null || typeof raw !== 'object') continue;
    const src = raw as Item;
    const meta = (src['metadata'] ?? {}) as Item;
    const item: Item = {};
    for (const [k, v] of Object.entries(src)) {
      if (k === 'metadata' || outputOnly.includes(k) || v === null || v === undefined) continue;
      if (field === 'memberships' && k === 'contactGroupMembership') {
        const cgm = v as Item;
        if (typeof cgm['contactGroupResourceName'] === 'string') {
          item[k] = { contactGroupResourceName: cgm['contactGroupResourceName'] };
        } else if (typeof cgm['contactGroupId'] === 'string') {
          item[k] = { contactGroupResourceName: `contactGroups/${cgm['contactGroupId']}` };
        }
        continue;
      }
      item[k] = structuredClone(v);
    }
    if (Object.keys(item).length === 0 || Object.values(item).every(isBlank)) continue;
    kept.push({ item, wantsPrimary: meta['sourcePrimary'] === true || meta['primary'] === true });
  }
  let primaryIndex = kept.findIndex((k) => k.wantsPrimary);
  if (primaryIndex < 0) primaryIndex = 0;
  return kept.map(({ item }, i) => {
    computeOutputOnly(field, item);
    const metadata: Item = { ...extraMetadata, source: { ...source } };
    if (i === primaryIndex) {
      metadata['primary'] = true;
      if (source.type === 'CONTACT') metadata['sourcePrimary'] = true;
    }
    return { metadata, ...item };
  });
}

/** Copies `mask` fields of a stored person into an answer (resourceName and etag always). */
export function projectPerson(
  stored: { resourceName: string; etag: string; data: Person },
  mask: readonly string[],
  metadata: () => Person['metadata'],
): Person {
  const out: Record<string, unknown> = { resourceName: stored.resourceName, etag: stored.etag };
  for (const f of mask) {
    if (f === 'metadata') {
      out['metadata'] = metadata();
      continue;
    }
    const v = (stored.data as Record<string, unknown>)[f];
    if (Array.isArray(v) && v.length > 0) out[f] = structuredClone(v);
  }
  return out as Person;
}

// ---------------------------------------------------------------------------------------------------
// Search: Google matches "prefix phrases": "foo name" matches "f", "foo n", "nam" but not "oo n".

function fold(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

export function prefixPhraseMatch(text: string, query: string): boolean {
  const t = fold(text);
  const q = fold(query);
  if (!q) return false;
  if (t.startsWith(q)) return true;
  for (let i = 1; i < t.length; i++) {
    const prev = t[i - 1] as string;
    const cur = t[i] as string;
    if (!/[\p{L}\p{N}]/u.test(prev) && /[\p{L}\p{N}]/u.test(cur) && t.startsWith(q, i)) return true;
  }
  return false;
}

function phoneMatch(value: string, canonical: string | undefined, query: string): boolean {
  if (!/^[+\d\s().-]+$/.test(query.trim())) return false;
  const qd = query.replace(/\D/g, '');
  if (qd.length === 0) return false;
  const vd = value.replace(/\D/g, '');
  const cd = (canonical ?? '').replace(/\D/g, '');
  return vd.startsWith(qd) || (cd.length > 0 && cd.startsWith(qd));
}

export type SearchField = 'names' | 'nicknames' | 'emailAddresses' | 'phoneNumbers' | 'organizations';

/** Whether `person` matches `query` on the given fields. */
export function personMatches(person: Person, query: string, fields: readonly SearchField[]): boolean {
  const texts: string[] = [];
  for (const f of fields) {
    const items = (person as Record<string, unknown>)[f];
    if (!Array.isArray(items)) continue;
    for (const it of items as Item[]) {
      if (f === 'phoneNumbers') {
        const v = typeof it['value'] === 'string' ? it['value'] : '';
        if (phoneMatch(v, typeof it['canonicalForm'] === 'string' ? it['canonicalForm'] : undefined, query))
          return true;
        texts.push(v);
        continue;
      }
      const keys =
        f === 'names'
          ? ['displayName', 'givenName', 'familyName', 'middleName', 'unstructuredName', 'phoneticFullName']
          : f === 'organizations'
            ? ['name', 'title', 'department']
            : f === 'emailAddresses'
              ? ['value', 'displayName']
              : ['value'];
      for (const k of keys) if (typeof it[k] === 'string') texts.push(it[k] as string);
    }
  }
  return texts.some((t) => prefixPhraseMatch(t, query));
}
