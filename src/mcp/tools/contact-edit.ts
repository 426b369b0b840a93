/**
 * The pure part of update_contact: which People API fields an edit touches, and how the edit applies to
 * the contact as just read. Nothing the caller did not mention changes: list fields keep the items not
 * named in `remove`, single fields keep the parts not named, and items that belong to another source
 * (e.g. the person's Google profile) are never sent back.
 */
import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';
import {
  addressInput,
  addressKey,
  birthdayInput,
  emailInput,
  emailKey,
  nameInput,
  nicknameInput,
  notesInput,
  organizationInput,
  phoneInput,
  samePhone,
  textKey,
  toAddress,
  toBirthday,
  toEmail,
  toMembership,
  toNotes,
  toPhone,
  toUrl,
  urlInput,
  urlKey,
  type AddressInput,
  type EmailInput,
  type NameInput,
  type OrganizationInput,
  type PhoneInput,
  type UrlInput,
} from './fields.js';
import { groupRefInput, isSystemGroup } from './groups.js';
import { isOwn } from './person-body.js';
import { ToolError } from './types.js';

type GPerson = people_v1.Schema$Person;
const MAX_ITEMS = 20;

function listOps<T extends z.ZodType>(item: T, what: string, removeHow: string) {
  return z
    .object({
      add: z
        .array(item)
        .max(MAX_ITEMS)
        .optional()
        .describe(`${what} to add. Ones the contact already has are kept as they are (a given type relabels them).`),
      remove: z
        .array(z.string().trim().min(1).max(2000))
        .max(MAX_ITEMS)
        .optional()
        .describe(
          `${what} to remove, ${removeHow}. Naming one the contact does not have is an error (nothing is changed).`,
        ),
      replace: z
        .array(item)
        .max(MAX_ITEMS)
        .optional()
        .describe(
          `The complete new list of ${what.toLowerCase()}: every current one is dropped. [] clears the field. Not combinable with add/remove.`,
        ),
    })
    .refine((o) => !(o.replace && (o.add || o.remove)), { message: 'use either replace, or add and/or remove' })
    .refine((o) => o.add !== undefined || o.remove !== undefined || o.replace !== undefined, {
      message: 'give add, remove or replace',
    })
    .describe(
      `Changes to ${what.toLowerCase()}: add/remove items, or replace the whole list. Omit to leave them unchanged.`,
    );
}

export const editInputShape = {
  name: nameInput
    .optional()
    .describe(
      'Name parts to change. Only the parts given change; an empty string "" clears a part. Omit to keep the name.',
    ),
  organization: organizationInput
    .nullable()
    .optional()
    .describe(
      'Primary organization parts to change (name, title, department). Only the parts given change; "" clears a part; null removes every organization. Omit to keep.',
    ),
  birthday: birthdayInput
    .nullable()
    .optional()
    .describe('New birthday (replaces the old one); null removes it. Omit to keep.'),
  notes: notesInput
    .nullable()
    .optional()
    .describe('New notes (replace the old notes entirely); null or "" removes them. Omit to keep.'),
  emails: listOps(emailInput, 'Email addresses', 'by address (case-insensitive)').optional(),
  phones: listOps(
    phoneInput,
    'Phone numbers',
    'by number (formatting and a missing country code are ignored)',
  ).optional(),
  addresses: listOps(
    addressInput,
    'Addresses',
    'by their street line or whole address text (case and punctuation ignored)',
  ).optional(),
  urls: listOps(urlInput, 'Websites', 'by web address').optional(),
  nicknames: listOps(nicknameInput, 'Nicknames', 'by nickname (case-insensitive)').optional(),
  groups: listOps(groupRefInput, 'Contact groups', 'by group name or resource name')
    .optional()
    .describe(
      'Changes to the contact’s groups (labels), by name or resource name. replace sets the user-made groups only: built-in ones such as My Contacts and Starred are kept unless removed explicitly.',
    ),
};

export type ContactEdit = z.infer<z.ZodObject<typeof editInputShape>>;
type Ops<T> = { add?: T[] | undefined; remove?: string[] | undefined; replace?: T[] | undefined };

/** The edit with group names already resolved to resource names. */
export type ResolvedEdit = Omit<ContactEdit, 'groups'> & { groups?: Ops<string> };

const FIELD_OF: Record<keyof ContactEdit, string> = {
  name: 'names',
  organization: 'organizations',
  birthday: 'birthdays',
  notes: 'biographies',
  emails: 'emailAddresses',
  phones: 'phoneNumbers',
  addresses: 'addresses',
  urls: 'urls',
  nicknames: 'nicknames',
  groups: 'memberships',
};

/** People API fields the edit mentions (these, and only these, may go into updatePersonFields). */
export function touchedFields(edit: ContactEdit | ResolvedEdit): string[] {
  return (Object.keys(FIELD_OF) as Array<keyof ContactEdit>)
    .filter((k) => edit[k] !== undefined)
    .map((k) => FIELD_OF[k]);
}

interface Sourced {
  metadata?: people_v1.Schema$FieldMetadata;
}

interface ListSpec<I, G> {
  label: string;
  toItem(input: I): G;
  sameAsInput(item: G, input: I): boolean;
  matchesRemoval(item: G, text: string): boolean;
  describe(item: G): string;
  typeOf?(input: I): string | undefined;
}

function applyList<I, G extends Sourced & { type?: string | null; formattedType?: string | null }>(
  current: G[] | undefined,
  ops: Ops<I>,
  spec: ListSpec<I, G>,
): G[] {
  const all = current ?? [];
  const own = all.filter(isOwn);
  const foreign = all.filter((i) => !isOwn(i));
  if (ops.replace) {
    const out: G[] = [];
    for (const input of ops.replace) {
      if (out.some((g) => spec.sameAsInput(g, input))) continue;
      out.push(spec.toItem(input));
    }
    return out;
  }
  let out = [...own];
  for (const text of ops.remove ?? []) {
    const hits = out.filter((g) => spec.matchesRemoval(g, text));
    if (hits.length === 0) {
      if (foreign.some((g) => spec.matchesRemoval(g, text))) {
        throw new ToolError(
          `Cannot remove "${text}" from ${spec.label}: it comes from the person’s own Google profile, not from your contact entry.`,
        );
      }
      const has = own.map((item) => spec.describe(item)).join(', ') || 'none';
      throw new ToolError(
        `Cannot remove "${text}": it is not one of the contact’s ${spec.label} (current: ${has}). Nothing was changed.`,
      );
    }
    out = out.filter((g) => !hits.includes(g));
  }
  for (const input of ops.add ?? []) {
    const existing = out.find((g) => spec.sameAsInput(g, input));
    if (existing) {
      const type = spec.typeOf?.(input);
      if (type && existing.type !== type) {
        const relabeled = { ...existing, type } as G;
        delete relabeled.formattedType;
        out = out.map((g) => (g === existing ? relabeled : g));
      }
      continue;
    }
    if (foreign.some((g) => spec.sameAsInput(g, input))) continue; // already shown from the profile
    out.push(spec.toItem(input));
  }
  return out;
}

const emailSpec: ListSpec<EmailInput, people_v1.Schema$EmailAddress> = {
  label: 'email addresses',
  toItem: toEmail,
  sameAsInput: (g, i) => emailKey(g.value ?? '') === emailKey(i.value),
  matchesRemoval: (g, t) => emailKey(g.value ?? '') === emailKey(t),
  describe: (g) => g.value ?? '',
  typeOf: (i) => i.type,
};

const phoneSpec: ListSpec<PhoneInput, people_v1.Schema$PhoneNumber> = {
  label: 'phone numbers',
  toItem: toPhone,
  sameAsInput: (g, i) => samePhone(g.value ?? '', i.value) || samePhone(g.canonicalForm ?? '', i.value),
  matchesRemoval: (g, t) => samePhone(g.value ?? '', t) || samePhone(g.canonicalForm ?? '', t),
  describe: (g) => g.value ?? '',
  typeOf: (i) => i.type,
};

function addressMatches(g: people_v1.Schema$Address, text: string): boolean {
  const k = textKey(text);
  return k !== '' && [addressKey(g), textKey(g.formattedValue ?? ''), textKey(g.streetAddress ?? '')].includes(k);
}

const addressSpec: ListSpec<AddressInput, people_v1.Schema$Address> = {
  label: 'addresses',
  toItem: toAddress,
  sameAsInput: (g, i) => addressKey(g) === addressKey(toAddress(i)),
  matchesRemoval: addressMatches,
  describe: (g) => (g.formattedValue ?? [g.streetAddress, g.city].filter(Boolean).join(', ')).replace(/\n/g, ', '),
  typeOf: (i) => i.type,
};

const urlSpec: ListSpec<UrlInput, people_v1.Schema$Url> = {
  label: 'websites',
  toItem: toUrl,
  sameAsInput: (g, i) => urlKey(g.value ?? '') === urlKey(i.value),
  matchesRemoval: (g, t) => urlKey(g.value ?? '') === urlKey(t),
  describe: (g) => g.value ?? '',
  typeOf: (i) => i.type,
};

const nicknameSpec: ListSpec<string, people_v1.Schema$Nickname> = {
  label: 'nicknames',
  toItem: (v) => ({ value: v }),
  sameAsInput: (g, v) => textKey(g.value ?? '') === textKey(v),
  matchesRemoval: (g, t) => textKey(g.value ?? '') === textKey(t),
  describe: (g) => g.value ?? '',
};

function groupOf(m: people_v1.Schema$Membership): string | undefined {
  const c = m.contactGroupMembership;
  return c?.contactGroupResourceName ?? (c?.contactGroupId ? `contactGroups/${c.contactGroupId}` : undefined);
}

function applyGroups(
  current: people_v1.Schema$Membership[] | undefined,
  ops: Ops<string>,
): people_v1.Schema$Membership[] {
  const names = (current ?? []).map(groupOf).filter((g): g is string => g !== undefined);
  let out: string[];
  if (ops.replace) {
    out = [...new Set([...names.filter(isSystemGroup), ...ops.replace])];
  } else {
    out = [...names];
    for (const rn of ops.remove ?? []) {
      if (!out.includes(rn))
        throw new ToolError(`Cannot remove the contact from ${rn}: it is not in that group. Nothing was changed.`);
      out = out.filter((g) => g !== rn);
    }
    for (const rn of ops.add ?? []) if (!out.includes(rn)) out.push(rn);
  }
  if (out.length === 0)
    throw new ToolError(
      'A contact must stay in at least one group; keep My Contacts (contactGroups/myContacts) or another group.',
    );
  return out.map(toMembership);
}

function mergeName(current: people_v1.Schema$Name[] | undefined, change: NameInput): people_v1.Schema$Name[] {
  // A contact has one name of its own (names are a singleton field for contact sources).
  const own = (current ?? []).filter(isOwn);
  const base: people_v1.Schema$Name = { ...(own.find((n) => n.metadata?.primary) ?? own[0] ?? {}) };
  const structured = Boolean(base.givenName || base.familyName || base.middleName);
  // Google derives these from the parts; sending stale ones back could override the new parts.
  delete base.displayName;
  delete base.displayNameLastFirst;
  if (structured) delete base.unstructuredName;
  for (const k of ['givenName', 'middleName', 'familyName', 'honorificPrefix', 'honorificSuffix'] as const) {
    const v = change[k];
    if (v === undefined) continue;
    if (v === '') delete base[k];
    else base[k] = v;
  }
  const hasAny = [
    'givenName',
    'middleName',
    'familyName',
    'honorificPrefix',
    'honorificSuffix',
    'unstructuredName',
    'phoneticGivenName',
    'phoneticFamilyName',
    'phoneticFullName',
  ].some(
    (k) =>
      typeof (base as Record<string, unknown>)[k] === 'string' &&
      ((base as Record<string, unknown>)[k] as string).trim() !== '',
  );
  return hasAny ? [base] : [];
}

const ORG_CONTENT = [
  'name',
  'title',
  'department',
  'jobDescription',
  'symbol',
  'location',
  'domain',
  'costCenter',
  'phoneticName',
] as const;

function mergeOrganization(
  current: people_v1.Schema$Organization[] | undefined,
  change: OrganizationInput | null,
): people_v1.Schema$Organization[] {
  if (change === null) return [];
  const own = (current ?? []).filter(isOwn);
  let idx = own.findIndex((o) => o.metadata?.primary);
  if (idx < 0) idx = 0;
  const base: people_v1.Schema$Organization = { ...(own[idx] ?? {}) };
  delete base.formattedType;
  for (const k of ['name', 'title', 'department'] as const) {
    const v = change[k];
    if (v === undefined) continue;
    if (v === '') delete base[k];
    else base[k] = v;
  }
  const keep = ORG_CONTENT.some((k) => typeof base[k] === 'string' && (base[k] as string).trim() !== '');
  const out = [...own];
  if (own.length === 0) return keep ? [base] : [];
  if (keep) out[idx] = base;
  else out.splice(idx, 1);
  return out;
}

/**
 * Applies the edit to the contact as read (with at least the touched fields). Returns the fields that
 * actually change, in People API form; unchanged fields are left out so they are never written.
 */
export function applyEdit(person: GPerson, edit: ResolvedEdit): Partial<Record<string, unknown[]>> {
  const next: Record<string, unknown[]> = {};
  if (edit.name !== undefined) next.names = mergeName(person.names, edit.name);
  if (edit.organization !== undefined) next.organizations = mergeOrganization(person.organizations, edit.organization);
  if (edit.birthday !== undefined) next.birthdays = edit.birthday === null ? [] : [toBirthday(edit.birthday)];
  if (edit.notes !== undefined) next.biographies = edit.notes === null ? [] : toNotes(edit.notes);
  if (edit.emails) next.emailAddresses = applyList(person.emailAddresses, edit.emails, emailSpec);
  if (edit.phones) next.phoneNumbers = applyList(person.phoneNumbers, edit.phones, phoneSpec);
  if (edit.addresses) next.addresses = applyList(person.addresses, edit.addresses, addressSpec);
  if (edit.urls) next.urls = applyList(person.urls, edit.urls, urlSpec);
  if (edit.nicknames) next.nicknames = applyList(person.nicknames, edit.nicknames, nicknameSpec);
  if (edit.groups) next.memberships = applyGroups(person.memberships, edit.groups);

  const changed: Record<string, unknown[]> = {};
  for (const [field, items] of Object.entries(next)) {
    const before =
      ((person as Record<string, unknown>)[field] as unknown[] | undefined)?.filter((i) => isOwn(i as Sourced)) ?? [];
    if (comparable(field, before) !== comparable(field, items)) changed[field] = items;
  }
  return changed;
}

/** A field's items without metadata and output-only values, for "did anything change?". */
function comparable(field: string, items: unknown[]): string {
  const OUTPUT_ONLY = new Set([
    'metadata',
    'formattedType',
    'formattedProtocol',
    'canonicalForm',
    'displayName',
    'displayNameLastFirst',
    'formattedValue',
  ]);
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v as object).sort()) {
        if (OUTPUT_ONLY.has(k) && !(field === 'addresses' && k === 'formattedValue')) continue;
        if (field === 'names' && k === 'unstructuredName') continue;
        if (field === 'memberships' && k === 'contactGroupId') continue;
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined || x === null || x === '') continue;
        o[k] = strip(x);
      }
      return o;
    }
    return v;
  };
  return JSON.stringify(strip(items));
}

/** The contact's own source (type CONTACT) with its etag, as updateContact wants it. */
export function contactSources(person: GPerson): people_v1.Schema$Source[] {
  return (person.metadata?.sources ?? [])
    .filter((s) => s.type === 'CONTACT')
    .map((s) => ({ type: s.type, id: s.id, etag: s.etag }));
}

export function isEditableContact(person: GPerson): boolean {
  return contactSources(person).length > 0 || /^people\/c\d+$/.test(person.resourceName ?? '');
}
