import { z } from 'zod';
import { cursorInput, decodeCursor, encodeCursor, nextCursorOut } from './cursor.js';
import { displayNameOf } from './person.js';
import { defineTool } from './types.js';

const cursorState = z.object({
  pageSize: z.number().int().min(1).max(100),
  /** The last entry shown: the next page starts after it (stable while newer deletions arrive). */
  after: z.object({ deletedAt: z.number(), trashId: z.string() }),
});

const output = z.object({
  contacts: z
    .array(
      z.object({
        trashId: z.string().describe('Pass to restore_contacts to recreate the contact'),
        name: z.string().optional().describe('Name of the deleted contact'),
        emails: z.array(z.string()).describe('Its email addresses'),
        phones: z.array(z.string()).describe('Its phone numbers'),
        deletedAt: z.string().describe('When it was deleted (ISO 8601)'),
        expiresAt: z.string().describe('When it leaves the trash for good (ISO 8601)'),
        reason: z
          .enum(['delete', 'merge'])
          .describe("'delete': deleted with delete_contact; 'merge': merged into another contact by merge_contacts"),
      }),
    )
    .describe('Deleted contacts, newest first'),
  nextCursor: nextCursorOut,
});
type Output = z.infer<typeof output>;

export const listDeletedContacts = defineTool({
  name: 'list_deleted_contacts',
  title: 'List deleted contacts (trash)',
  description:
    'Lists the contacts this connector deleted (delete_contact) or merged away (merge_contacts) that can still be restored, newest first, e.g. for "undo that" or "bring back the contacts I deleted yesterday". ' +
    'Restore them with restore_contacts and their trashId. Only this user’s trash; entries expire after a number of days.',
  inputSchema: z.object({
    pageSize: z.number().int().min(1).max(100).default(25).describe('Entries per page, 1-100 (default 25)'),
    cursor: cursorInput,
  }),
  outputSchema: output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const state = args.cursor ? decodeCursor('list_deleted_contacts', args.cursor, cursorState) : undefined;
    const pageSize = state?.pageSize ?? args.pageSize;
    const all = await ctx.trash.list();
    const after = state?.after;
    const start = after
      ? all.findIndex(
          (t) =>
            t.deletedAt < after.deletedAt ||
            (t.deletedAt === after.deletedAt && t.trashId.localeCompare(after.trashId) > 0),
        )
      : 0;
    const page = start < 0 ? [] : all.slice(start, start + pageSize);
    const contacts: Output['contacts'] = page.map((t) => {
      const name = displayNameOf(t.person);
      return {
        trashId: t.trashId,
        ...(name ? { name } : {}),
        emails: (t.person.emailAddresses ?? []).map((e) => e.value ?? '').filter(Boolean),
        phones: (t.person.phoneNumbers ?? []).map((p) => p.value ?? '').filter(Boolean),
        deletedAt: new Date(t.deletedAt).toISOString(),
        expiresAt: new Date(t.expiresAt).toISOString(),
        reason: t.reason,
      };
    });
    const structured: Output = { contacts };
    const last = page[page.length - 1];
    if (last && start + page.length < all.length)
      structured.nextCursor = encodeCursor('list_deleted_contacts', {
        pageSize,
        after: { deletedAt: last.deletedAt, trashId: last.trashId },
      });
    const lines = [
      contacts.length === 0
        ? args.cursor
          ? 'No more deleted contacts.'
          : 'The trash is empty: no deleted contact can be restored.'
        : `${contacts.length} deleted contact${contacts.length === 1 ? '' : 's'} (newest first):`,
    ];
    for (const c of contacts) {
      const what = [c.name ?? '(no name)', ...c.emails, ...c.phones].join(' — ');
      lines.push(
        `- ${what} — ${c.reason === 'merge' ? 'merged away' : 'deleted'} ${c.deletedAt}, restorable until ${c.expiresAt} [trashId ${c.trashId}]`,
      );
    }
    if (structured.nextCursor) lines.push('More follow: call list_deleted_contacts again with the nextCursor.');
    return { structured, text: lines.join('\n') };
  },
});
