import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';
import { PeopleApiError } from '../../upstream/google/people.js';
import { isEditableContact } from './contact-edit.js';
import { groupNameMap } from './groups.js';
import { contactRefInput, contactResourceName, orNotFound } from './refs.js';
import { readContactsInFull, saveAllToTrash, trashedOut, trashNote, type TrashedOut } from './trashing.js';
import { defineTool, ToolError, type ToolContext } from './types.js';

/** people:batchDeleteContacts takes at most 500 resource names. */
const BATCH_DELETE_MAX = 500;

type GPerson = people_v1.Schema$Person;

const output = z.object({
  deleted: z.string().optional().describe('Resource name of the deleted contact (when one resourceName was given)'),
  name: z.string().optional().describe('Name of the deleted contact (when one resourceName was given)'),
  contacts: z
    .array(trashedOut)
    .describe('Every contact deleted, each with the trashId that restore_contacts takes to undo it'),
  notFound: z.array(z.string()).optional().describe('Resource names that matched no contact (skipped)'),
  notDeleted: z
    .array(
      z.object({
        resourceName: z.string().describe('The contact that still exists'),
        reason: z.string().describe('Why it was not deleted'),
      }),
    )
    .optional()
    .describe('Contacts that are still there because Google did not delete them'),
});
type Output = z.infer<typeof output>;

/** Deletes with one batch call per 500; on a failure, finds out which contacts are really gone. */
async function deleteMany(ctx: ToolContext, names: string[]): Promise<{ gone: Set<string>; error?: unknown }> {
  const gone = new Set<string>();
  for (let i = 0; i < names.length; i += BATCH_DELETE_MAX) {
    const chunk = names.slice(i, i + BATCH_DELETE_MAX);
    try {
      await ctx.google.call((api, options) =>
        api.people.batchDeleteContacts({ requestBody: { resourceNames: chunk } }, options),
      );
      chunk.forEach((n) => gone.add(n));
    } catch (err) {
      // The batch may have been applied before the failure reached us: what still exists was not deleted.
      const { notFound } = await readContactsInFull(ctx, names.slice(i)).catch(() => ({ notFound: [] as string[] }));
      notFound.forEach((n) => gone.add(n));
      return { gone, error: err };
    }
  }
  return { gone };
}

function failureText(err: unknown): string {
  if (err instanceof PeopleApiError || err instanceof ToolError) return err.message;
  return 'Google did not confirm the deletion';
}

export const deleteContact = defineTool({
  name: 'delete_contact',
  title: 'Delete contacts',
  description:
    'Deletes one contact (resourceName) or many at once (resourceNames, up to 500) from the user’s Google Contacts. ' +
    'Destructive: before calling it, show the user which contacts will be deleted (names and emails) and get their explicit confirmation. ' +
    'Never delete contacts you found by a vague search without the user confirming them. ' +
    'Every deleted contact is kept in a trash for a while first: restore_contacts with the returned trashId undoes the deletion.',
  inputSchema: z
    .object({
      resourceName: contactRefInput
        .optional()
        .describe('Resource name of the one contact to delete, e.g. people/c1234567890'),
      resourceNames: z
        .array(contactRefInput)
        .min(1)
        .max(BATCH_DELETE_MAX)
        .optional()
        .describe(
          'Resource names of several contacts to delete in one go (up to 500), e.g. everyone in a group from list_contacts',
        ),
    })
    .refine((a) => (a.resourceName === undefined) !== (a.resourceNames === undefined), {
      message: 'give either resourceName (one contact) or resourceNames (several), not both',
    }),
  outputSchema: output,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const single = args.resourceName !== undefined;
    const names = [...new Set((single ? [args.resourceName!] : args.resourceNames!).map(contactResourceName))];
    const groupNames = await groupNameMap(ctx);
    const out = await ctx.google.serialize(async () => {
      const { found, notFound } = await readContactsInFull(ctx, names);
      if (found.length === 0) {
        const what = notFound.map((n) => `contact ${n}`).join(', no ');
        throw new PeopleApiError(
          'not_found',
          `No ${what} (it may have been deleted). Search again to get a current resource name.`,
          404,
        );
      }
      const notContacts = found.filter((p) => !isEditableContact(p));
      if (notContacts.length)
        throw new ToolError(
          `${notContacts.map((p) => p.resourceName).join(', ')} ${notContacts.length === 1 ? 'is' : 'are'} not one of your saved contacts (a profile or directory entry), so nothing was deleted.`,
        );
      // Every contact goes to the trash before anything is deleted; if that fails, nothing is deleted.
      const trashed = await saveAllToTrash(ctx, found, groupNames, 'delete');
      const byName = new Map(trashed.map((t) => [t.resourceName, t]));
      let gone: Set<string>;
      let error: unknown;
      if (single) {
        const rn = found[0]!.resourceName!;
        try {
          await orNotFound(`contact ${rn}`, () =>
            ctx.google.call((api, options) => api.people.deleteContact({ resourceName: rn }, options)),
          );
          gone = new Set([rn]);
        } catch (err) {
          // Gone already (deleted meanwhile): the trash copy is still the last state we saw.
          if (err instanceof PeopleApiError && err.kind === 'not_found') gone = new Set([rn]);
          else {
            await ctx.trash.remove(byName.get(rn)!.trashId);
            throw err;
          }
        }
      } else {
        ({ gone, error } = await deleteMany(
          ctx,
          found.map((p) => p.resourceName!),
        ));
      }
      const stillThere = found.filter((p: GPerson) => !gone.has(p.resourceName!));
      // A trash copy of a contact that still exists would make a later restore create a duplicate.
      await Promise.all(stillThere.map((p) => ctx.trash.remove(byName.get(p.resourceName!)!.trashId)));
      if (gone.size === 0) throw error;
      const contacts: TrashedOut[] = trashed.filter((t) => gone.has(t.resourceName));
      return {
        contacts,
        notFound,
        notDeleted: stillThere.map((p) => ({ resourceName: p.resourceName!, reason: failureText(error) })),
      };
    });

    const structured: Output = { contacts: out.contacts };
    if (single) {
      structured.deleted = out.contacts[0]!.resourceName;
      if (out.contacts[0]!.name) structured.name = out.contacts[0]!.name;
    }
    if (out.notFound.length) structured.notFound = out.notFound;
    if (out.notDeleted.length) structured.notDeleted = out.notDeleted;
    const list = out.contacts.map((c) => `${c.name ?? '(no name)'} [${c.resourceName}] → trashId ${c.trashId}`);
    const lines = [
      single
        ? `Deleted contact ${list[0]}.`
        : `Deleted ${out.contacts.length} contact${out.contacts.length === 1 ? '' : 's'}:\n${list.map((l) => `- ${l}`).join('\n')}`,
    ];
    if (out.notFound.length) lines.push(`No contact ${out.notFound.join(', no contact ')} (skipped).`);
    if (out.notDeleted.length)
      lines.push(
        `NOT deleted (still there): ${out.notDeleted.map((n) => `${n.resourceName} (${n.reason})`).join('; ')}.`,
      );
    lines.push(trashNote(ctx.trash.ttlDays));
    return { structured, text: lines.join('\n') };
  },
});
