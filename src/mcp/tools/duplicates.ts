/**
 * Duplicate detection (pure: no I/O). Two contacts are likely the same person when they share an email
 * address (case-insensitive), a phone number (phones.ts: formatting and a missing country code ignored)
 * or a name (case, accents, punctuation and spacing ignored). Matches chain: A~B and B~C put A, B and C
 * in one group, so every contact is in at most one group. The suggested contact to keep is the most
 * complete one.
 */
import type { people_v1 } from '@googleapis/people';
import { emailKey, textKey } from './fields.js';
import { displayNameOf } from './person.js';
import { phoneKey, samePhoneKey, type PhoneKey } from './phones.js';

type GPerson = people_v1.Schema$Person;

export const DUPLICATE_REASONS = ['same email', 'same phone', 'same name'] as const;
export type DuplicateReason = (typeof DUPLICATE_REASONS)[number];

export interface DuplicateGroup {
  /** The suggested contact to keep first, then the others, most complete first. */
  contacts: GPerson[];
  reasons: DuplicateReason[];
  /** Resource name of the most complete contact of the group. */
  suggestedKeep: string;
}

/**
 * A value shared by more contacts than this (a switchboard number, a team mailbox, "Reception") says
 * nothing about duplicates: it is ignored rather than chaining a crowd into one group.
 */
export const MAX_SHARED_VALUE = 10;

/** "José  Ramírez-Ortiz" and "jose ramirez ortiz" give the same key; no name gives undefined. */
export function nameKey(p: GPerson): string | undefined {
  const name = displayNameOf(p);
  const key = name ? textKey(name).replace(/\s+/g, '') : '';
  return key.length > 0 ? key : undefined;
}

const SCORED_FIELDS = [
  'emailAddresses',
  'phoneNumbers',
  'organizations',
  'addresses',
  'birthdays',
  'biographies',
  'urls',
  'nicknames',
  'relations',
  'events',
  'imClients',
  'userDefined',
  'photos',
] as const;
const NAME_PARTS = ['givenName', 'middleName', 'familyName', 'honorificPrefix', 'honorificSuffix'] as const;

/** How much a contact holds: one point per filled name part and per item of every other field. */
export function completeness(p: GPerson): number {
  let score = 0;
  const n = p.names?.[0];
  if (n) for (const k of NAME_PARTS) if (typeof n[k] === 'string' && n[k].trim()) score++;
  for (const f of SCORED_FIELDS) {
    const items = (p[f] ?? []) as Array<{ default?: boolean | null }>;
    // Google's generated letter avatar is not information.
    score += f === 'photos' ? items.filter((i) => !i.default).length : items.length;
  }
  return score;
}

/** Union-find over contact indexes, remembering why each pair was joined. */
class Components {
  private readonly parent: number[];
  private readonly why = new Map<number, Set<DuplicateReason>>();

  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }

  find(i: number): number {
    let r = i;
    while (this.parent[r] !== r) r = this.parent[r]!;
    // Path compression keeps the later finds short.
    for (let c = i; this.parent[c] !== r;) {
      const next = this.parent[c]!;
      this.parent[c] = r;
      c = next;
    }
    return r;
  }

  join(a: number, b: number, reason: DuplicateReason): void {
    const ra = this.find(a);
    const rb = this.find(b);
    const reasons = new Set([...(this.why.get(ra) ?? []), ...(this.why.get(rb) ?? []), reason]);
    if (ra !== rb) this.parent[rb] = ra;
    this.why.delete(rb);
    this.why.set(ra, reasons);
  }

  reasonsOf(root: number): DuplicateReason[] {
    const set = this.why.get(root) ?? new Set();
    return DUPLICATE_REASONS.filter((r) => set.has(r));
  }
}

function bucket<K>(map: Map<string, Array<{ index: number; key: K }>>, key: string, index: number, value: K): void {
  const list = map.get(key);
  if (list) {
    if (!list.some((x) => x.index === index)) list.push({ index, key: value });
  } else map.set(key, [{ index, key: value }]);
}

/** Groups of likely duplicates among `people` (contacts without a resource name are ignored). */
export function findDuplicateGroups(people: GPerson[]): DuplicateGroup[] {
  const contacts = people.filter((p) => typeof p.resourceName === 'string' && p.resourceName !== '');
  const uf = new Components(contacts.length);
  const emails = new Map<string, Array<{ index: number; key: null }>>();
  const phones = new Map<string, Array<{ index: number; key: PhoneKey }>>();
  const names = new Map<string, Array<{ index: number; key: null }>>();

  contacts.forEach((p, i) => {
    for (const e of p.emailAddresses ?? []) {
      const k = e.value ? emailKey(e.value) : '';
      if (k) bucket(emails, k, i, null);
    }
    for (const ph of p.phoneNumbers ?? []) {
      const k = phoneKey(ph.value ?? ph.canonicalForm ?? '');
      // Bucketed by each national number it may stand for; pairs are then checked with the full rule.
      if (k) for (const n of k.nationals) bucket(phones, n, i, k);
    }
    const n = nameKey(p);
    if (n) bucket(names, n, i, null);
  });

  for (const list of emails.values()) {
    if (list.length < 2 || list.length > MAX_SHARED_VALUE) continue;
    for (const x of list.slice(1)) uf.join(list[0]!.index, x.index, 'same email');
  }
  for (const list of phones.values()) {
    if (list.length < 2 || list.length > MAX_SHARED_VALUE) continue;
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        if (samePhoneKey(list[a]!.key, list[b]!.key)) uf.join(list[a]!.index, list[b]!.index, 'same phone');
      }
    }
  }
  for (const list of names.values()) {
    if (list.length < 2 || list.length > MAX_SHARED_VALUE) continue;
    for (const x of list.slice(1)) uf.join(list[0]!.index, x.index, 'same name');
  }

  const members = new Map<number, number[]>();
  contacts.forEach((_, i) => {
    const r = uf.find(i);
    members.set(r, [...(members.get(r) ?? []), i]);
  });
  const groups: DuplicateGroup[] = [];
  for (const [root, idx] of members) {
    if (idx.length < 2) continue;
    // Most complete first; on a tie, the one listed first stays first (sort is stable).
    const ordered = idx.map((i) => contacts[i]!).sort((a, b) => completeness(b) - completeness(a));
    groups.push({ contacts: ordered, reasons: uf.reasonsOf(root), suggestedKeep: ordered[0]!.resourceName! });
  }
  // Strongest evidence first (more kinds of match), then bigger groups, then by name for a stable order.
  return groups.sort(
    (a, b) =>
      b.reasons.length - a.reasons.length ||
      b.contacts.length - a.contacts.length ||
      (displayNameOf(a.contacts[0]!) ?? '').localeCompare(displayNameOf(b.contacts[0]!) ?? ''),
  );
}
