import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';
import { cursorInput, decodeCursor, encodeCursor, nextCursorOut } from './cursor.js';
import { GROUP_FIELDS, groupNameMap, resolveGroup } from './groups.js';
import {
  detailInput,
  fitToBudget,
  peopleText,
  personFields,
  personOut,
  renderPerson,
  type Detail,
  type PersonOut,
} from './person.js';
import { orNotFound } from './refs.js';
import { defineTool, type ToolContext } from './types.js';

const SORT_ORDERS = [
  'FIRST_NAME_ASCENDING',
  'LAST_NAME_ASCENDING',
  'LAST_MODIFIED_DESCENDING',
  'LAST_MODIFIED_ASCENDING',
] as const;
type SortOrder = (typeof SORT_ORDERS)[number];

const cursorState = z.object({
  pageSize: z.number().int().min(1).max(100),
  detail: z.enum(['compact', 'full']),
  sortOrder: z.enum(SORT_ORDERS),
  /** Google's page token of the page to (re)read; absent for the first page. */
  pageToken: z.string().optional(),
  /** Items of that page already shown (a page cut short to stay small). */
  skip: z.number().int().min(0),
  /** When listing one group: its resource name and the offset into its member list. */
  group: z.string().optional(),
});
type State = z.infer<typeof cursorState>;

interface Page {
  contacts: PersonOut[];
  next?: State;
  total?: number;
  groupName?: string;
}

async function connectionsPage(ctx: ToolContext, s: State, groups: Map<string, string> | undefined): Promise<Page> {
  const res = await ctx.google.call((api, options) =>
    api.people.connections.list(
      {
        resourceName: 'people/me',
        pageSize: s.pageSize,
        personFields: personFields(s.detail),
        sortOrder: s.sortOrder,
        ...(s.pageToken ? { pageToken: s.pageToken } : {}),
      },
      options,
    ),
  );
  const all = (res.connections ?? []).slice(s.skip).map((p) => renderPerson(p, s.detail, groups));
  const { kept, truncated } = fitToBudget(all);
  let next: State | undefined;
  if (truncated) next = { ...s, skip: s.skip + kept.length };
  else if (res.nextPageToken) next = { ...s, pageToken: res.nextPageToken, skip: 0 };
  const total = res.totalItems ?? res.totalPeople ?? undefined;
  return { contacts: kept, ...(next ? { next } : {}), ...(typeof total === 'number' ? { total } : {}) };
}

/** Members of one group: contactGroups.get gives the member list, people:batchGet the page of them. */
async function groupPage(
  ctx: ToolContext,
  s: State & { group: string },
  groups: Map<string, string> | undefined,
): Promise<Page> {
  const offset = s.skip;
  const group = await orNotFound(`contact group ${s.group}`, () =>
    ctx.google.call((api, options) =>
      api.contactGroups.get(
        { resourceName: s.group, maxMembers: offset + s.pageSize + 1, groupFields: GROUP_FIELDS },
        options,
      ),
    ),
  );
  const members = group.memberResourceNames ?? [];
  const slice = members.slice(offset, offset + s.pageSize);
  let people: people_v1.Schema$Person[] = [];
  if (slice.length > 0) {
    const res = await ctx.google.call((api, options) =>
      api.people.getBatchGet({ resourceNames: slice, personFields: personFields(s.detail) }, options),
    );
    const byName = new Map(
      (res.responses ?? [])
        .filter((r) => r.person)
        .map((r) => [r.requestedResourceName ?? r.person?.resourceName ?? '', r.person!]),
    );
    people = slice.map((rn) => byName.get(rn)).filter((p): p is people_v1.Schema$Person => p !== undefined);
  }
  const { kept, truncated } = fitToBudget(people.map((p) => renderPerson(p, s.detail, groups)));
  const consumed = truncated ? slice.indexOf(kept[kept.length - 1]!.resourceName) + 1 : slice.length;
  const more = truncated || members.length > offset + slice.length;
  const next = more ? { ...s, skip: offset + Math.max(1, consumed) } : undefined;
  const total = typeof group.memberCount === 'number' ? group.memberCount : members.length;
  return { contacts: kept, ...(next ? { next } : {}), total, groupName: group.formattedName ?? group.name ?? s.group };
}

const output = z.object({
  contacts: z.array(personOut).describe('This page of contacts'),
  nextCursor: nextCursorOut,
  totalContacts: z
    .number()
    .int()
    .optional()
    .describe('Number of contacts in the whole list (or group), when Google reports it'),
  group: z
    .object({ resourceName: z.string().describe('Group resource name'), name: z.string().describe('Group name') })
    .optional()
    .describe('The group listed, when one was asked for'),
});

export const listContacts = defineTool({
  name: 'list_contacts',
  title: 'List contacts',
  description:
    'Lists the user’s contacts page by page (compact by default), sorted as asked, or only the members of one contact group ("who is in Hiking?"). ' +
    'Pass the returned nextCursor as cursor to get the next page. To find particular people, search_contacts is faster.',
  inputSchema: z.object({
    pageSize: z.number().int().min(1).max(100).default(25).describe('Contacts per page, 1-100 (default 25)'),
    sortOrder: z
      .enum(SORT_ORDERS)
      .default('FIRST_NAME_ASCENDING')
      .describe(
        'Order of the contacts (default FIRST_NAME_ASCENDING); ignored when listing a group, which keeps the group’s order',
      ),
    group: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe(
        'Only list the members of this contact group: its name (e.g. "Hiking") or resource name (contactGroups/…)',
      ),
    detail: detailInput,
    cursor: cursorInput,
  }),
  outputSchema: output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    let state: State;
    if (args.cursor) {
      state = decodeCursor('list_contacts', args.cursor, cursorState);
    } else {
      state = {
        pageSize: args.pageSize,
        detail: args.detail as Detail,
        sortOrder: args.sortOrder as SortOrder,
        skip: 0,
      };
      if (args.group) state.group = (await resolveGroup(ctx, args.group)).resourceName;
    }
    const groups = state.detail === 'full' ? await groupNameMap(ctx) : undefined;
    const page = state.group
      ? await groupPage(ctx, { ...state, group: state.group }, groups)
      : await connectionsPage(ctx, state, groups);
    const structured: z.infer<typeof output> = { contacts: page.contacts };
    if (page.next) structured.nextCursor = encodeCursor('list_contacts', page.next);
    if (page.total !== undefined) structured.totalContacts = page.total;
    if (state.group) structured.group = { resourceName: state.group, name: page.groupName ?? state.group };
    const where = state.group ? ` in group ${page.groupName ?? state.group}` : '';
    const lines = [
      page.contacts.length === 0
        ? `No contacts${where}${args.cursor ? ' on this page' : ''}.`
        : `${page.contacts.length} contact${page.contacts.length === 1 ? '' : 's'}${where}${page.total !== undefined ? ` (of ${page.total})` : ''}:`,
    ];
    if (page.contacts.length) lines.push(peopleText(page.contacts));
    if (page.next) lines.push('More contacts follow: call list_contacts again with the nextCursor to see them.');
    return { structured, text: lines.join('\n') };
  },
});
