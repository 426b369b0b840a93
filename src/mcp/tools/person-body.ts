/**
 * A contact as Google reads it → a contact as Google accepts it in createContact/updateContact: only
 * writable fields, no metadata, no output-only values (Google computes them again), and one item in the
 * fields that are singletons for contacts. Used to recreate a contact from the trash and to copy items
 * from one contact into another when merging.
 */
import type { people_v1 } from '@googleapis/people';

type GPerson = people_v1.Schema$Person;
type Item = Record<string, unknown>;

/** Person fields createContact stores and updatePersonFields accepts (memberships handled by callers). */
export const WRITABLE_FIELDS = [
  'names',
  'nicknames',
  'emailAddresses',
  'phoneNumbers',
  'organizations',
  'addresses',
  'birthdays',
  'biographies',
  'urls',
  'relations',
  'events',
  'imClients',
  'userDefined',
  'calendarUrls',
  'clientData',
  'externalIds',
  'genders',
  'interests',
  'locales',
  'locations',
  'miscKeywords',
  'occupations',
  'sipAddresses',
  'memberships',
] as const;
export type WritableField = (typeof WRITABLE_FIELDS)[number];

/** Fields a contact source holds at most one of. */
export const SINGLETON_FIELDS: readonly WritableField[] = ['names', 'biographies', 'birthdays', 'genders'];

/** Everything a deleted contact is saved with: every writable field, its photos (URLs) and its sources. */
export const FULL_CONTACT_FIELDS = [...WRITABLE_FIELDS, 'photos', 'metadata'].join(',');

/** Values Google computes and reports but refuses or ignores on writes. */
const OUTPUT_ONLY: Partial<Record<WritableField, readonly string[]>> = {
  names: ['displayName', 'displayNameLastFirst'],
  imClients: ['formattedType', 'formattedProtocol'],
  genders: ['formattedValue'],
  phoneNumbers: ['formattedType', 'canonicalForm'],
};
const ALWAYS_OUTPUT_ONLY = ['metadata', 'formattedType'];

/** Items of the contact itself (CONTACT source, or unattributed) — the only ones updateContact takes back. */
export function isOwn(item: { metadata?: people_v1.Schema$FieldMetadata }): boolean {
  const t = item.metadata?.source?.type;
  return t === undefined || t === null || t === 'CONTACT';
}

function blank(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Item).every(blank);
  return false;
}

/** One item without metadata and output-only values; undefined when nothing writable is left. */
export function writableItem(field: WritableField, item: unknown): Item | undefined {
  if (!item || typeof item !== 'object') return undefined;
  if (field === 'memberships') {
    const rn = membershipGroup(item as people_v1.Schema$Membership);
    return rn ? { contactGroupMembership: { contactGroupResourceName: rn } } : undefined;
  }
  const drop = new Set([...ALWAYS_OUTPUT_ONLY, ...(OUTPUT_ONLY[field] ?? [])]);
  const out: Item = {};
  for (const [k, v] of Object.entries(item as Item)) {
    if (drop.has(k) || blank(v)) continue;
    out[k] = structuredClone(v);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The group resource name of a membership (domain memberships have none). */
export function membershipGroup(m: people_v1.Schema$Membership): string | undefined {
  const c = m.contactGroupMembership;
  return c?.contactGroupResourceName ?? (c?.contactGroupId ? `contactGroups/${c.contactGroupId}` : undefined);
}

/** The contact's group resource names, in order, without repeats. */
export function groupsOf(p: GPerson): string[] {
  return [...new Set((p.memberships ?? []).map(membershipGroup).filter((g): g is string => g !== undefined))];
}

/** Own items first, the primary one leading (so a singleton keeps the value Google shows). */
function ownItems(items: unknown[] | undefined): Item[] {
  const own = (items ?? []).filter((i): i is Item => Boolean(i) && typeof i === 'object' && isOwn(i as Item));
  const primary = own.findIndex((i) => (i.metadata as people_v1.Schema$FieldMetadata | undefined)?.primary);
  if (primary > 0) own.unshift(...own.splice(primary, 1));
  return own;
}

/**
 * The request body that recreates `p`'s own data (items of other sources, such as the person's Google
 * profile, come back by themselves once Google links the new contact). `groups` replaces its memberships.
 */
export function contactBody(p: GPerson, groups: string[]): GPerson {
  const body: Record<string, unknown> = {};
  for (const field of WRITABLE_FIELDS) {
    if (field === 'memberships') continue;
    let items = ownItems((p as Record<string, unknown[] | undefined>)[field])
      .map((i) => writableItem(field, i))
      .filter((i): i is Item => i !== undefined);
    if (SINGLETON_FIELDS.includes(field)) items = items.slice(0, 1);
    if (items.length > 0) body[field] = items;
  }
  if (groups.length > 0)
    body.memberships = groups.map((g) => ({ contactGroupMembership: { contactGroupResourceName: g } }));
  return body as GPerson;
}

/** The custom photo of a contact (Google's generated letter avatar is not one). */
export function customPhotoUrl(p: GPerson): string | undefined {
  const photo = (p.photos ?? []).find((ph) => !ph.default && typeof ph.url === 'string' && ph.url !== '');
  return photo?.url ?? undefined;
}
