/**
 * The merge of duplicate contacts into one (pure: no I/O). The kept contact ends with the union of the
 * others: list fields gain the items it lacks (compared as everywhere else: emails case-insensitively,
 * phones by number, text ignoring case and accents); single-valued fields (name parts, birthday, gender)
 * keep the kept contact's value and take another's only where it is empty; organizations and notes are
 * appended when different; group memberships are unioned. What cannot be taken (a conflicting birthday,
 * a built-in group Google refuses, a photo) is reported, never silently dropped.
 */
import type { people_v1 } from '@googleapis/people';
import { addressKey, emailKey, samePhone, textKey, urlKey } from './fields.js';
import { isJoinableByName } from './groups.js';
import { dateText } from './person.js';
import { customPhotoUrl, groupsOf, isOwn, writableItem, type WritableField } from './person-body.js';

type GPerson = people_v1.Schema$Person;
type Item = Record<string, unknown>;

export interface MergeGain {
  /** The field, as the tools name it (emails, phones, notes, groups, …). */
  field: string;
  /** The value gained, as text. */
  value: string;
  /** Resource name of the contact it comes from. */
  from: string;
}

export interface MergeNotTaken extends MergeGain {
  why: string;
}

export interface MergePlan {
  /** People API fields that change, each with its complete new list of the kept contact's own items. */
  changes: Partial<Record<WritableField, Item[]>>;
  gains: MergeGain[];
  notTaken: MergeNotTaken[];
}

const s = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

interface ListRule {
  field: WritableField;
  label: string;
  /** Items with equal non-empty keys are the same; `same` overrides for phones (no single key). */
  key?(i: Item): string;
  same?(a: Item, b: Item): boolean;
  describe(i: Item): string;
}

const valueText = (i: Item) => s(i.value) || s(i.url) || [s(i.key), s(i.value)].filter(Boolean).join(': ');
const typed = (text: string, i: Item) => (s(i.type) ? `${text} (${s(i.type)})` : text);

const LIST_RULES: ListRule[] = [
  { field: 'emailAddresses', label: 'emails', key: (i) => emailKey(s(i.value)), describe: (i) => s(i.value) },
  {
    field: 'phoneNumbers',
    label: 'phones',
    same: (a, b) => samePhone(s(a.value) || s(a.canonicalForm), s(b.value) || s(b.canonicalForm)),
    describe: (i) => s(i.value),
  },
  {
    field: 'addresses',
    label: 'addresses',
    key: (i) => addressKey(i as people_v1.Schema$Address),
    describe: (i) =>
      (
        s(i.formattedValue) ||
        [i.streetAddress, i.city, i.region, i.postalCode, i.country].map(s).filter(Boolean).join(', ')
      ).replace(/\n/g, ', '),
  },
  { field: 'urls', label: 'urls', key: (i) => urlKey(s(i.value)), describe: (i) => s(i.value) },
  { field: 'nicknames', label: 'nicknames', key: (i) => textKey(s(i.value)), describe: (i) => s(i.value) },
  {
    field: 'organizations',
    label: 'organizations',
    key: (i) =>
      [i.name, i.title, i.department]
        .map((v) => textKey(s(v)))
        .join('|')
        .replace(/^\|+$/, ''),
    describe: (i) => [s(i.title), [s(i.name), s(i.department)].filter(Boolean).join(', ')].filter(Boolean).join(' at '),
  },
  {
    field: 'relations',
    label: 'relations',
    key: (i) => (s(i.person) ? `${textKey(s(i.person))}|${textKey(s(i.type))}` : ''),
    describe: (i) => typed(s(i.person), i),
  },
  {
    field: 'events',
    label: 'events',
    key: (i) => {
      const d = dateText((i.date ?? undefined) as people_v1.Schema$Date | undefined);
      return d ? `${d}|${textKey(s(i.type))}` : '';
    },
    describe: (i) => typed(dateText((i.date ?? undefined) as people_v1.Schema$Date | undefined) ?? '', i),
  },
  {
    field: 'imClients',
    label: 'imClients',
    key: (i) => (s(i.username) ? `${s(i.username).toLowerCase()}|${s(i.protocol).toLowerCase()}` : ''),
    describe: (i) => (s(i.protocol) ? `${s(i.username)} (${s(i.protocol)})` : s(i.username)),
  },
  {
    field: 'userDefined',
    label: 'customFields',
    key: (i) => (s(i.key) || s(i.value) ? `${textKey(s(i.key))}=${textKey(s(i.value))}` : ''),
    describe: (i) => `${s(i.key)}: ${s(i.value)}`,
  },
  // Rarer fields Google keeps on contacts: unioned by their value so a merge never loses them.
  ...(
    [
      'calendarUrls',
      'externalIds',
      'sipAddresses',
      'miscKeywords',
      'locations',
      'interests',
      'occupations',
      'clientData',
      'locales',
    ] as const
  ).map((field): ListRule => ({ field, label: field, key: (i) => textKey(valueText(i)), describe: valueText })),
];

function sameItem(rule: ListRule, a: Item, b: Item): boolean {
  if (rule.same) return rule.same(a, b);
  const ka = rule.key!(a);
  return ka !== '' && ka === rule.key!(b);
}

function itemsOf(p: GPerson, field: WritableField): Item[] {
  return ((p as Record<string, unknown>)[field] as Item[] | undefined) ?? [];
}

function primaryFirst(items: Item[]): Item[] {
  const list = [...items];
  const i = list.findIndex((x) => (x.metadata as people_v1.Schema$FieldMetadata | undefined)?.primary);
  if (i > 0) list.unshift(...list.splice(i, 1));
  return list;
}

const NAME_PARTS = [
  'honorificPrefix',
  'givenName',
  'middleName',
  'familyName',
  'honorificSuffix',
  'phoneticGivenName',
  'phoneticMiddleName',
  'phoneticFamilyName',
] as const;
const PART_LABEL: Record<(typeof NAME_PARTS)[number], string> = {
  honorificPrefix: 'prefix',
  givenName: 'given name',
  middleName: 'middle name',
  familyName: 'family name',
  honorificSuffix: 'suffix',
  phoneticGivenName: 'phonetic given name',
  phoneticMiddleName: 'phonetic middle name',
  phoneticFamilyName: 'phonetic family name',
};

function birthdayText(b: Item): string {
  return dateText((b.date ?? undefined) as people_v1.Schema$Date | undefined) ?? s(b.text);
}

/** Plans merging `others` into `keep`. `groupNames` only makes the plan's group entries readable. */
export function planMerge(keep: GPerson, others: GPerson[], groupNames?: Map<string, string>): MergePlan {
  const changes: MergePlan['changes'] = {};
  const gains: MergeGain[] = [];
  const notTaken: MergeNotTaken[] = [];
  const from = (p: GPerson) => p.resourceName ?? '';

  for (const rule of LIST_RULES) {
    const all = itemsOf(keep, rule.field);
    const added: Item[] = [];
    for (const other of others) {
      for (const raw of primaryFirst(itemsOf(other, rule.field))) {
        const item = writableItem(rule.field, raw);
        if (!item || (!rule.same && rule.key!(item) === '')) continue;
        if ([...all, ...added].some((have) => sameItem(rule, have, item))) continue;
        added.push(item);
        gains.push({ field: rule.label, value: rule.describe(item), from: from(other) });
      }
    }
    if (added.length > 0) changes[rule.field] = [...all.filter(isOwn), ...added];
  }

  // Name: the kept contact's parts stay; empty parts are filled from the others.
  const ownName: Item = { ...(primaryFirst(itemsOf(keep, 'names').filter(isOwn))[0] ?? {}) };
  let nameChanged = false;
  for (const other of others) {
    const theirs = primaryFirst(itemsOf(other, 'names'))[0];
    if (!theirs) continue;
    for (const part of NAME_PARTS) {
      const mine = s(ownName[part]);
      const value = s(theirs[part]);
      if (!value) continue;
      if (!mine) {
        ownName[part] = value;
        nameChanged = true;
        gains.push({ field: 'name', value: `${PART_LABEL[part]}: ${value}`, from: from(other) });
      } else if (textKey(mine) !== textKey(value)) {
        notTaken.push({
          field: 'name',
          value: `${PART_LABEL[part]}: ${value}`,
          from: from(other),
          why: `the kept contact's ${PART_LABEL[part]} "${mine}" stays`,
        });
      }
    }
  }
  if (nameChanged) {
    // Google derives the display forms (and the unstructured name) from the parts.
    for (const k of ['displayName', 'displayNameLastFirst', 'unstructuredName']) delete ownName[k];
    const name = writableItem('names', ownName);
    if (name) changes.names = [name];
  }

  // Birthday and gender: the kept contact's value stays; an empty one is filled from the first other that has one.
  for (const [field, label, text] of [
    ['birthdays', 'birthday', birthdayText],
    ['genders', 'gender', (g: Item) => s(g.value)],
  ] as const) {
    let current = primaryFirst(itemsOf(keep, field).filter(isOwn))[0];
    let currentText = current ? text(current) : '';
    for (const other of others) {
      const theirs = primaryFirst(itemsOf(other, field))[0];
      const value = theirs ? text(theirs) : '';
      if (!theirs || !value) continue;
      if (!currentText) {
        const item = writableItem(field, theirs);
        if (!item) continue;
        current = item;
        currentText = value;
        changes[field] = [item];
        gains.push({ field: label, value, from: from(other) });
      } else if (textKey(currentText) !== textKey(value)) {
        notTaken.push({
          field: label,
          value,
          from: from(other),
          why: `the kept contact's ${label} ${currentText} stays`,
        });
      }
    }
  }

  // Notes: appended when different (notes are one text per contact).
  const ownNote = primaryFirst(itemsOf(keep, 'biographies').filter(isOwn))[0];
  let notes = s(ownNote?.value);
  let notesChanged = false;
  for (const other of others) {
    for (const bio of primaryFirst(itemsOf(other, 'biographies'))) {
      const value = s(bio.value);
      if (!value || textKey(notes).includes(textKey(value))) continue;
      notes = notes ? `${notes}\n\n${value}` : value;
      notesChanged = true;
      gains.push({ field: 'notes', value: value.length > 200 ? `${value.slice(0, 200)}…` : value, from: from(other) });
    }
  }
  if (notesChanged) changes.biographies = [{ value: notes, contentType: 'TEXT_PLAIN' }];

  // Groups: the union of the user's own groups, My Contacts and Starred.
  const groups = groupsOf(keep);
  const before = groups.length;
  for (const other of others) {
    for (const g of groupsOf(other)) {
      if (groups.includes(g)) continue;
      const name = groupNames?.get(g) ?? g;
      if (!isJoinableByName(g)) {
        if (!notTaken.some((n) => n.field === 'groups' && n.value === name)) {
          notTaken.push({
            field: 'groups',
            value: name,
            from: from(other),
            why: 'Google does not let contacts be added to that built-in group',
          });
        }
        continue;
      }
      groups.push(g);
      gains.push({ field: 'groups', value: name, from: from(other) });
    }
  }
  if (groups.length > before)
    changes.memberships = groups.map((g) => ({ contactGroupMembership: { contactGroupResourceName: g } }));

  // Photos: the People API cannot copy one contact's photo to another.
  const keptPhoto = customPhotoUrl(keep);
  for (const other of others) {
    const url = customPhotoUrl(other);
    if (url && url !== keptPhoto) {
      notTaken.push({
        field: 'photo',
        value: 'custom photo',
        from: from(other),
        why: 'Google’s API cannot copy a photo to another contact; its address is kept with the deleted contact in the trash',
      });
    }
  }
  return { changes, gains, notTaken };
}

/** The kept contact as it will look after the merge (for a dry run): changed fields replace its own items. */
export function previewMerge(keep: GPerson, plan: MergePlan): GPerson {
  const out = structuredClone(keep) as Record<string, unknown>;
  for (const [field, items] of Object.entries(plan.changes)) {
    const foreign =
      field === 'memberships' ? [] : (itemsOf(keep, field as WritableField).filter((i) => !isOwn(i)) as Item[]);
    out[field] = [...(items ?? []), ...foreign];
  }
  return out as GPerson;
}
