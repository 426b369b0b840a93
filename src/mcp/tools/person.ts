/**
 * How a Google person becomes a tool result: the People API field masks for the two detail levels, the
 * compact/full output shape (zod, so it doubles as the tools' outputSchema), a short text rendering, and
 * the size guard that keeps one result well under what Claude accepts (~150k characters).
 */
import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';

export type GPerson = people_v1.Schema$Person;

export type Detail = 'compact' | 'full';

export const detailInput = z
  .enum(['compact', 'full'])
  .default('compact')
  .describe(
    "'compact' (default): name, emails, phones, organization and resource name. 'full': also name parts, nicknames, every organization, addresses, birthday, notes, websites, groups, relations, events, chat handles and custom fields.",
  );

/** People API person fields behind each detail level. */
export const COMPACT_FIELDS = ['names', 'emailAddresses', 'phoneNumbers', 'organizations'] as const;
export const FULL_FIELDS = [
  ...COMPACT_FIELDS,
  'nicknames',
  'addresses',
  'birthdays',
  'biographies',
  'urls',
  'memberships',
  'relations',
  'events',
  'imClients',
  'userDefined',
] as const;

export function personFields(detail: Detail): string {
  return (detail === 'full' ? FULL_FIELDS : COMPACT_FIELDS).join(',');
}

/** Longest single text value returned (notes can be long); longer ones are cut and marked. */
export const MAX_TEXT_VALUE = 4000;
/** Budget for the structured part of one result; the text rendering is smaller still. */
export const RESULT_BUDGET_CHARS = 50_000;

function clip(s: string, max = MAX_TEXT_VALUE): string {
  return s.length > max ? `${s.slice(0, max)}… [cut: ${s.length - max} more characters]` : s;
}

// ------------------------------------------------------------------------------------ output schema

const labeled = z.object({
  value: z.string().describe('The email address, phone number or web address'),
  type: z.string().optional().describe('Label, e.g. home, work, mobile'),
});

export const organizationOut = z.object({
  name: z.string().optional().describe('Company or organization name'),
  title: z.string().optional().describe('Job title'),
  department: z.string().optional().describe('Department'),
});

export const personOut = z.object({
  resourceName: z
    .string()
    .describe(
      'Resource name to pass to other tools: people/c… for a contact, otherContacts/c… for an "other contact", people/… for a directory profile',
    ),
  name: z.string().optional().describe('Display name'),
  emails: z.array(labeled).describe('Email addresses, primary first'),
  phones: z.array(labeled).describe('Phone numbers, primary first'),
  organization: organizationOut.optional().describe('Primary organization'),
  nameParts: z
    .object({
      givenName: z.string().optional().describe('Given (first) name'),
      middleName: z.string().optional().describe('Middle name'),
      familyName: z.string().optional().describe('Family (last) name'),
      honorificPrefix: z.string().optional().describe('Prefix such as Dr.'),
      honorificSuffix: z.string().optional().describe('Suffix such as Jr.'),
    })
    .optional()
    .describe('Structured name (full detail)'),
  nicknames: z.array(z.string()).optional().describe('Nicknames (full detail)'),
  organizations: z.array(organizationOut).optional().describe('Every organization, primary first (full detail)'),
  addresses: z
    .array(
      z.object({
        formatted: z.string().optional().describe('The address as one text'),
        type: z.string().optional().describe('Label, e.g. home, work'),
        streetAddress: z.string().optional().describe('Street address'),
        extendedAddress: z.string().optional().describe('Apartment, suite, etc.'),
        poBox: z.string().optional().describe('Post office box'),
        city: z.string().optional().describe('City or town'),
        region: z.string().optional().describe('Region, state or province'),
        postalCode: z.string().optional().describe('Postal code'),
        country: z.string().optional().describe('Country name'),
        countryCode: z.string().optional().describe('ISO 3166-1 alpha-2 country code'),
      }),
    )
    .optional()
    .describe('Postal addresses (full detail)'),
  birthday: z
    .object({
      year: z.number().int().optional().describe('Year, when known'),
      month: z.number().int().optional().describe('Month 1-12'),
      day: z.number().int().optional().describe('Day of month'),
      text: z.string().optional().describe('Free-text birthday, when Google has no structured date'),
    })
    .optional()
    .describe('Birthday (full detail)'),
  notes: z.string().optional().describe('Notes ("biography") on the contact (full detail)'),
  urls: z.array(labeled).optional().describe('Websites (full detail)'),
  groups: z
    .array(
      z.object({
        resourceName: z.string().describe('Group resource name'),
        name: z.string().optional().describe('Group name'),
      }),
    )
    .optional()
    .describe('Contact groups (labels) the contact belongs to (full detail)'),
  relations: z
    .array(
      z.object({
        person: z.string().describe('Name of the related person'),
        type: z.string().optional().describe('Relation, e.g. spouse'),
      }),
    )
    .optional()
    .describe('Related people (full detail)'),
  events: z
    .array(
      z.object({
        date: z.string().describe('YYYY-MM-DD, or --MM-DD without a year'),
        type: z.string().optional().describe('Kind of event, e.g. anniversary'),
      }),
    )
    .optional()
    .describe('Dates such as anniversaries (full detail)'),
  imClients: z
    .array(
      z.object({
        username: z.string().describe('Chat user name'),
        protocol: z.string().optional().describe('Service, e.g. skype'),
      }),
    )
    .optional()
    .describe('Chat handles (full detail)'),
  customFields: z
    .array(z.object({ key: z.string().describe('Field label'), value: z.string().describe('Field value') }))
    .optional()
    .describe('Custom fields (full detail)'),
});

export type PersonOut = z.infer<typeof personOut>;

// ---------------------------------------------------------------------------------------- rendering

function str(v: string | null | undefined): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** Keeps only the keys whose value is defined (output objects must not carry `undefined` holes). */
function defined<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

function labeledList(
  items: Array<{ value?: string | null; type?: string | null; formattedType?: string | null }> | undefined,
): Array<{ value: string; type?: string }> {
  const out: Array<{ value: string; type?: string }> = [];
  for (const it of items ?? []) {
    const value = str(it.value);
    if (!value) continue;
    out.push(defined({ value: clip(value, 1000), type: str(it.type) ?? str(it.formattedType) }));
  }
  return out;
}

function primaryFirst<T extends { metadata?: people_v1.Schema$FieldMetadata }>(items: T[] | undefined): T[] {
  const list = [...(items ?? [])];
  const i = list.findIndex((x) => x.metadata?.primary);
  if (i > 0) list.unshift(...list.splice(i, 1));
  return list;
}

function org(o: people_v1.Schema$Organization): z.infer<typeof organizationOut> | undefined {
  const out = defined({ name: str(o.name), title: str(o.title), department: str(o.department) });
  return Object.keys(out).length > 0 ? out : undefined;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function dateText(d: people_v1.Schema$Date | undefined): string | undefined {
  if (!d || !d.month || !d.day) return d?.year ? String(d.year) : undefined;
  return d.year ? `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}` : `--${pad(d.month)}-${pad(d.day)}`;
}

export function displayNameOf(p: GPerson): string | undefined {
  const n = primaryFirst(p.names)[0];
  if (!n) return undefined;
  return (
    str(n.displayName) ??
    ([n.givenName, n.middleName, n.familyName].filter((x) => str(x)).join(' ') || str(n.unstructuredName)) ??
    undefined
  );
}

/** Google person → tool output. `groupNames` resolves membership resource names for full detail. */
export function renderPerson(p: GPerson, detail: Detail, groupNames?: Map<string, string>): PersonOut {
  const orgs = primaryFirst(p.organizations)
    .map(org)
    .filter((o): o is NonNullable<typeof o> => o !== undefined);
  const out: PersonOut = defined({
    resourceName: p.resourceName ?? '',
    name: displayNameOf(p),
    emails: labeledList(primaryFirst(p.emailAddresses)),
    phones: labeledList(primaryFirst(p.phoneNumbers)),
    organization: orgs[0],
  });
  if (detail === 'compact') return out;

  const n = primaryFirst(p.names)[0];
  if (n) {
    const parts = defined({
      givenName: str(n.givenName),
      middleName: str(n.middleName),
      familyName: str(n.familyName),
      honorificPrefix: str(n.honorificPrefix),
      honorificSuffix: str(n.honorificSuffix),
    });
    if (Object.keys(parts).length > 0) out.nameParts = parts;
  }
  const nick = (p.nicknames ?? []).map((x) => str(x.value)).filter((x): x is string => x !== undefined);
  if (nick.length) out.nicknames = nick;
  if (orgs.length) out.organizations = orgs;
  const addresses = primaryFirst(p.addresses)
    .map((a) =>
      defined({
        formatted: str(a.formattedValue) ? clip(a.formattedValue as string, 1000) : undefined,
        type: str(a.type) ?? str(a.formattedType),
        streetAddress: str(a.streetAddress),
        extendedAddress: str(a.extendedAddress),
        poBox: str(a.poBox),
        city: str(a.city),
        region: str(a.region),
        postalCode: str(a.postalCode),
        country: str(a.country),
        countryCode: str(a.countryCode),
      }),
    )
    .filter((a) => Object.keys(a).length > 0);
  if (addresses.length) out.addresses = addresses;
  const b = primaryFirst(p.birthdays)[0];
  if (b) {
    const bd = defined({
      year: b.date?.year ?? undefined,
      month: b.date?.month ?? undefined,
      day: b.date?.day ?? undefined,
      text: str(b.text),
    });
    if (Object.keys(bd).length > 0) out.birthday = bd;
  }
  const notes = str(primaryFirst(p.biographies)[0]?.value);
  if (notes) out.notes = clip(notes);
  const urls = labeledList(primaryFirst(p.urls));
  if (urls.length) out.urls = urls;
  const groups = (p.memberships ?? [])
    .map(
      (m) =>
        m.contactGroupMembership?.contactGroupResourceName ??
        (m.contactGroupMembership?.contactGroupId
          ? `contactGroups/${m.contactGroupMembership.contactGroupId}`
          : undefined),
    )
    .filter((rn): rn is string => typeof rn === 'string')
    .map((rn) => defined({ resourceName: rn, name: groupNames?.get(rn) }));
  if (groups.length) out.groups = groups;
  const relations = (p.relations ?? [])
    .filter((r) => str(r.person))
    .map((r) => defined({ person: r.person as string, type: str(r.type) ?? str(r.formattedType) }));
  if (relations.length) out.relations = relations;
  const events = (p.events ?? [])
    .map((e) => ({ date: dateText(e.date ?? undefined), type: str(e.type) ?? str(e.formattedType) }))
    .filter((e): e is { date: string; type: string | undefined } => e.date !== undefined)
    .map((e) => defined(e));
  if (events.length) out.events = events;
  const ims = (p.imClients ?? [])
    .filter((i) => str(i.username))
    .map((i) => defined({ username: i.username as string, protocol: str(i.protocol) ?? str(i.formattedProtocol) }));
  if (ims.length) out.imClients = ims;
  const custom = (p.userDefined ?? [])
    .filter((u) => str(u.key) || str(u.value))
    .map((u) => ({ key: u.key ?? '', value: clip(u.value ?? '', 1000) }));
  if (custom.length) out.customFields = custom;
  return out;
}

function labeledText(items: Array<{ value: string; type?: string }>): string {
  return items.map((i) => (i.type ? `${i.value} (${i.type})` : i.value)).join(', ');
}

function orgText(o: z.infer<typeof organizationOut>): string {
  const where = [o.name, o.department].filter(Boolean).join(', ');
  return o.title ? (where ? `${o.title} at ${where}` : o.title) : where;
}

/** One line per person (compact) or a short block (full). */
export function personText(p: PersonOut): string {
  const head = [p.name ?? '(no name)'];
  if (p.emails.length) head.push(labeledText(p.emails));
  if (p.phones.length) head.push(labeledText(p.phones));
  if (p.organization) head.push(orgText(p.organization));
  const lines = [`${head.join(' — ')} [${p.resourceName}]`];
  const more: string[] = [];
  if (p.nicknames) more.push(`nicknames: ${p.nicknames.join(', ')}`);
  if (p.organizations && p.organizations.length > 1)
    more.push(`organizations: ${p.organizations.map(orgText).join('; ')}`);
  for (const a of p.addresses ?? [])
    more.push(
      `address${a.type ? ` (${a.type})` : ''}: ${(a.formatted ?? [a.streetAddress, a.city, a.region, a.postalCode, a.country].filter(Boolean).join(', ')).replace(/\n/g, ', ')}`,
    );
  if (p.birthday) more.push(`birthday: ${p.birthday.text ?? dateText(p.birthday) ?? ''}`);
  if (p.urls) more.push(`websites: ${labeledText(p.urls)}`);
  if (p.groups) more.push(`groups: ${p.groups.map((g) => g.name ?? g.resourceName).join(', ')}`);
  if (p.relations)
    more.push(`relations: ${p.relations.map((r) => (r.type ? `${r.person} (${r.type})` : r.person)).join(', ')}`);
  if (p.events) more.push(`events: ${p.events.map((e) => (e.type ? `${e.date} (${e.type})` : e.date)).join(', ')}`);
  if (p.imClients)
    more.push(
      `chat: ${p.imClients.map((i) => (i.protocol ? `${i.username} (${i.protocol})` : i.username)).join(', ')}`,
    );
  if (p.customFields) more.push(`custom: ${p.customFields.map((c) => `${c.key}: ${c.value}`).join('; ')}`);
  if (p.notes) more.push(`notes: ${p.notes.replace(/\s*\n\s*/g, ' / ')}`);
  for (const m of more) lines.push(`    ${m}`);
  return lines.join('\n');
}

export function peopleText(people: PersonOut[]): string {
  return people.map((p) => `- ${personText(p)}`).join('\n');
}

/**
 * Keeps the leading items whose JSON fits the budget (at least one). Returns how many were kept, so
 * a list tool can point its cursor at the first item left out.
 */
export function fitToBudget<T>(items: T[], budget = RESULT_BUDGET_CHARS): { kept: T[]; truncated: boolean } {
  let used = 0;
  const kept: T[] = [];
  for (const item of items) {
    const size = JSON.stringify(item).length + 1;
    if (kept.length > 0 && used + size > budget) return { kept, truncated: true };
    used += size;
    kept.push(item);
  }
  return { kept, truncated: false };
}

/** For results from searches: "(showing 12 of 20; the rest would not fit)". */
export function truncationNote(shown: number): string {
  return `Only the first ${shown} results are shown: the rest did not fit in one answer. Ask for compact detail, a smaller page, or a narrower query.`;
}
