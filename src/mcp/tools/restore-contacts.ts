import { z } from 'zod';
import { GoogleReauthRequired, PeopleApiError } from '../../upstream/google/people.js';
import { isStoreUnavailable } from '../../storage/port.js';
import { isJoinableByName, listAllGroups } from './groups.js';
import { displayNameOf, personFields, personOut, personText, renderPerson } from './person.js';
import { contactBody } from './person-body.js';
import { defineTool } from './types.js';

const output = z.object({
  restored: z
    .array(
      z.object({
        trashId: z.string().describe('The trash entry restored (it is no longer in the trash)'),
        contact: personOut.describe('The recreated contact (full detail; it has a new resource name)'),
        groupsGone: z
          .array(z.string())
          .optional()
          .describe('Groups the contact was in that no longer exist (not restored)'),
        photoUrl: z
          .string()
          .optional()
          .describe('Its custom photo, which Google’s API cannot put back: open it and add it by hand if wanted'),
      }),
    )
    .describe('Contacts recreated'),
  failed: z
    .array(
      z.object({
        trashId: z.string().describe('The trash entry'),
        reason: z.string().describe('What went wrong and what to do'),
      }),
    )
    .describe('Entries not restored'),
});
type Output = z.infer<typeof output>;

function failure(err: unknown): string {
  if (err instanceof PeopleApiError && err.kind === 'unavailable') {
    return 'Google did not confirm the creation: the contact may or may not exist now. Search for it before trying again (it stays in the trash until then).';
  }
  if (err instanceof PeopleApiError) return `Google refused to recreate it: ${err.message}. It stays in the trash.`;
  if (isStoreUnavailable(err)) return 'The trash is temporarily unavailable. Try again in a minute.';
  return 'It could not be restored; it stays in the trash. Try again later.';
}

export const restoreContacts = defineTool({
  name: 'restore_contacts',
  title: 'Restore deleted contacts',
  description:
    'Undoes deletions: recreates contacts from the trash (see list_deleted_contacts, or the trashIds that delete_contact and merge_contacts returned) with all their fields and the groups that still exist. ' +
    'Google gives a restored contact a new resource name. Photos cannot be put back by the API: their address is returned.',
  inputSchema: z.object({
    trashIds: z
      .array(z.string().trim().min(1).max(100).describe('A trashId'))
      .min(1)
      .max(50)
      .describe('The trash entries to restore (1-50)'),
  }),
  outputSchema: output,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(args, ctx) {
    const ids = [...new Set(args.trashIds.map((t) => t.trim()))];
    const structured: Output = { restored: [], failed: [] };
    await ctx.google.serialize(async () => {
      const groups = await listAllGroups(ctx);
      const existing = new Set(groups.map((g) => g.resourceName).filter((g): g is string => Boolean(g)));
      for (const trashId of ids) {
        const entry = await ctx.trash.claim(trashId);
        if (!entry) {
          structured.failed.push({
            trashId,
            reason:
              'Not in the trash: already restored, expired, being restored right now, or not a trashId of this account. See list_deleted_contacts.',
          });
          continue;
        }
        const groupNames = new Map(entry.groups.map((g) => [g.resourceName, g.name ?? g.resourceName]));
        const keep = entry.groups.map((g) => g.resourceName).filter((g) => existing.has(g) && isJoinableByName(g));
        const gone = entry.groups.map((g) => g.resourceName).filter((g) => !existing.has(g));
        try {
          const created = await ctx.google.call(
            (api, options) =>
              api.people.createContact(
                { personFields: personFields('full'), requestBody: contactBody(entry.person, keep) },
                options,
              ),
            { idempotent: false },
          );
          await ctx.trash.remove(trashId);
          const names = new Map(
            groups
              .filter((g) => g.resourceName)
              .map((g) => [g.resourceName!, g.formattedName ?? g.name ?? g.resourceName!]),
          );
          const item: Output['restored'][number] = { trashId, contact: renderPerson(created, 'full', names) };
          if (gone.length) item.groupsGone = gone.map((g) => groupNames.get(g) ?? g);
          if (entry.photoUrl) item.photoUrl = entry.photoUrl;
          structured.restored.push(item);
        } catch (err) {
          await ctx.trash.release(trashId).catch(() => undefined);
          if (err instanceof GoogleReauthRequired) throw err;
          structured.failed.push({ trashId, reason: `${displayNameOf(entry.person) ?? 'Contact'}: ${failure(err)}` });
        }
      }
    });
    const lines: string[] = [];
    if (structured.restored.length)
      lines.push(`Restored ${structured.restored.length} contact${structured.restored.length === 1 ? '' : 's'}:`);
    for (const r of structured.restored) {
      lines.push(`- ${personText(r.contact)} (from trashId ${r.trashId})`);
      if (r.groupsGone) lines.push(`    not put back in groups that no longer exist: ${r.groupsGone.join(', ')}`);
      if (r.photoUrl)
        lines.push(`    it had a custom photo, which Google's API cannot restore; it is at ${r.photoUrl}`);
    }
    for (const f of structured.failed) lines.push(`Not restored [trashId ${f.trashId}]: ${f.reason}`);
    return { structured, text: lines.join('\n') };
  },
});
