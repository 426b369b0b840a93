import { z } from 'zod';
import { cursorInput, decodeCursor, encodeCursor, nextCursorOut } from './cursor.js';
import { GROUP_FIELDS, groupOut, groupText, renderGroup } from './groups.js';
import { defineTool } from './types.js';

const cursorState = z.object({ pageSize: z.number().int().min(1).max(200), pageToken: z.string().min(1) });

const output = z.object({
  groups: z.array(groupOut).describe('This page of contact groups'),
  nextCursor: nextCursorOut,
});

export const listContactGroups = defineTool({
  name: 'list_contact_groups',
  title: 'List contact groups',
  description:
    'Lists the user’s contact groups (Google Contacts "labels") with their resource names and member counts: the user’s own groups and Google’s built-in ones (My Contacts, Starred, …). ' +
    'To see who is in a group, call list_contacts with group.',
  inputSchema: z.object({
    pageSize: z.number().int().min(1).max(200).default(100).describe('Groups per page, 1-200 (default 100)'),
    cursor: cursorInput,
  }),
  outputSchema: output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const state = args.cursor
      ? decodeCursor('list_contact_groups', args.cursor, cursorState)
      : { pageSize: args.pageSize, pageToken: undefined };
    const res = await ctx.google.call((api, options) =>
      api.contactGroups.list(
        {
          pageSize: state.pageSize,
          groupFields: GROUP_FIELDS,
          ...(state.pageToken ? { pageToken: state.pageToken } : {}),
        },
        options,
      ),
    );
    const groups = (res.contactGroups ?? []).map(renderGroup);
    // The user's own groups first, then the built-in ones, each alphabetically.
    groups.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'user' ? -1 : 1));
    const structured: z.infer<typeof output> = { groups };
    if (res.nextPageToken)
      structured.nextCursor = encodeCursor('list_contact_groups', {
        pageSize: state.pageSize,
        pageToken: res.nextPageToken,
      });
    const lines = [
      groups.length ? `${groups.length} contact group${groups.length === 1 ? '' : 's'}:` : 'No contact groups.',
      ...groups.map((g) => `- ${groupText(g)}`),
    ];
    if (structured.nextCursor) lines.push('More groups follow: call list_contact_groups again with the nextCursor.');
    return { structured, text: lines.join('\n') };
  },
});
