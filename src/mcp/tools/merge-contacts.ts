import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';
import { PeopleApiError } from '../../upstream/google/people.js';
import { contactSources, isEditableContact } from './contact-edit.js';
import { groupNameMap } from './groups.js';
import { planMerge, previewMerge, type MergePlan } from './merge-plan.js';
import { displayNameOf, personFields, personOut, personText, renderPerson } from './person.js';
import { contactRefInput, contactResourceName, orNotFound } from './refs.js';
import { readContactsInFull, saveToTrash, trashNote, type TrashedOut } from './trashing.js';
import { defineTool, ToolError, type ToolContext } from './types.js';
import { MAX_UPDATE_ATTEMPTS } from './update-contact.js';

type GPerson = people_v1.Schema$Person;

const gainOut = z.object({
  field: z.string().describe('The field, e.g. emails, phones, notes, groups, birthday, name'),
  value: z.string().describe('The value, as text'),
  from: z.string().describe('Resource name of the contact it comes from'),
});

const output = z.object({
  contact: personOut.describe('The kept contact in full detail: after the merge, or (dryRun) as it would be'),
  merged: z
    .array(z.string())
    .describe('Resource names of the contacts merged into it and deleted (dryRun: that would be)'),
  trash: z
    .array(
      z.object({
        trashId: z.string().describe('Pass to restore_contacts to bring the merged contact back'),
        name: z.string().optional().describe('Name of the merged contact'),
        resourceName: z.string().describe('Resource name it had'),
      }),
    )
    .describe('Trash entries of the merged (deleted) contacts; empty on a dry run'),
  plan: z
    .object({
      gains: z.array(gainOut).describe('What the kept contact gains, field by field, and from which contact'),
      notTaken: z
        .array(gainOut.extend({ why: z.string().describe('Why it is not taken') }))
        .describe(
          'Values of the merged contacts the kept contact does not take (a conflicting birthday, a name part it already has, a photo): they stay in the trash copy',
        ),
    })
    .describe('The merge plan'),
  dryRun: z.boolean().describe('True when nothing was changed (the plan only)'),
  notDeleted: z
    .array(
      z.object({
        resourceName: z.string().describe('The contact that still exists'),
        reason: z.string().describe('Why it was not deleted'),
      }),
    )
    .optional()
    .describe(
      'Merged contacts that are still there (their data was merged, but deleting them failed): delete them later with delete_contact',
    ),
});
type Output = z.infer<typeof output>;

function planText(plan: MergePlan, names: Map<string, string>): string[] {
  const who = (rn: string) => names.get(rn) ?? rn;
  const lines = plan.gains.length
    ? plan.gains.map((g) => `  + ${g.field}: ${g.value} (from ${who(g.from)})`)
    : ['  (the kept contact already has everything)'];
  for (const n of plan.notTaken) lines.push(`  – not taken: ${n.field} (${n.value}) from ${who(n.from)}: ${n.why}`);
  return lines;
}

async function updateKept(ctx: ToolContext, keep: GPerson, plan: MergePlan): Promise<GPerson> {
  const rn = keep.resourceName!;
  const fields = Object.keys(plan.changes);
  return orNotFound(`contact ${rn}`, () =>
    ctx.google.call((api, options) =>
      api.people.updateContact(
        {
          resourceName: rn,
          updatePersonFields: fields.join(','),
          personFields: personFields('full'),
          requestBody: {
            resourceName: rn,
            etag: keep.etag,
            metadata: { sources: contactSources(keep) },
            ...plan.changes,
          },
        },
        options,
      ),
    ),
  );
}

export const mergeContacts = defineTool({
  name: 'merge_contacts',
  title: 'Merge duplicate contacts',
  description:
    'Merges duplicate contacts into one: the kept contact gains every email, phone, address, website, nickname, relation, event, chat handle, custom field, organization, note and group of the others; ' +
    'its own name parts and birthday stay (empty ones are filled from the others). Then the others are deleted (kept in the trash, restorable with restore_contacts). ' +
    'Call it with dryRun: true first and show the user the plan; call again with dryRun: false only after they confirm. Use find_duplicate_contacts to find duplicates.',
  inputSchema: z.object({
    keep: contactRefInput.describe(
      'The contact to keep (e.g. the suggestedKeep of find_duplicate_contacts), e.g. people/c123',
    ),
    merge: z
      .array(contactRefInput)
      .min(1)
      .max(9)
      .describe('The duplicates to merge into it and then delete (1-9 resource names)'),
    dryRun: z
      .boolean()
      .describe(
        'true: change nothing, return the plan and how the kept contact would look. false: merge and delete (only after the user confirmed the plan).',
      ),
  }),
  outputSchema: output,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const keepRn = contactResourceName(args.keep);
    const mergeRns = [...new Set(args.merge.map(contactResourceName))];
    if (mergeRns.includes(keepRn))
      throw new ToolError(`${keepRn} is both the contact to keep and one to merge: list it only as keep.`);
    const groupNames = await groupNameMap(ctx);

    const result = await ctx.google.serialize(async () => {
      for (let attempt = 1; ; attempt++) {
        const { found, notFound, byRequested } = await readContactsInFull(ctx, [keepRn, ...mergeRns]);
        if (notFound.length)
          throw new PeopleApiError(
            'not_found',
            `No contact ${notFound.join(', no contact ')} (it may have been deleted). Search again to get current resource names.`,
            404,
          );
        const uneditable = found.filter((p) => !isEditableContact(p));
        if (uneditable.length)
          throw new ToolError(
            `${uneditable.map((p) => p.resourceName).join(', ')} ${uneditable.length === 1 ? 'is' : 'are'} not one of your saved contacts, so nothing was merged.`,
          );
        const keep = byRequested.get(keepRn)!;
        const others = mergeRns.map((rn) => byRequested.get(rn)!);
        const plan = planMerge(keep, others, groupNames);
        if (args.dryRun) return { kept: previewMerge(keep, plan), others, plan, trashed: [], notDeleted: [] };
        let kept = keep;
        if (Object.keys(plan.changes).length > 0) {
          try {
            kept = await updateKept(ctx, keep, plan);
          } catch (err) {
            // Stale etag: the kept contact changed meanwhile; read everything again and re-plan.
            if (err instanceof PeopleApiError && err.kind === 'precondition' && attempt < MAX_UPDATE_ATTEMPTS) continue;
            throw err;
          }
        }
        // The kept contact now holds everything; each merged one goes to the trash, then is deleted.
        const trashed: Array<{ trashId: string; name?: string; resourceName: string }> = [];
        const notDeleted: Array<{ resourceName: string; reason: string }> = [];
        for (const other of others) {
          const rn = other.resourceName!;
          let entry: TrashedOut;
          try {
            entry = await saveToTrash(ctx, other, groupNames, 'merge');
          } catch {
            notDeleted.push({ resourceName: rn, reason: 'it could not be saved to the trash first, so it was kept' });
            continue;
          }
          try {
            await ctx.google.call((api, options) => api.people.deleteContact({ resourceName: rn }, options));
          } catch (err) {
            if (!(err instanceof PeopleApiError && err.kind === 'not_found')) {
              await ctx.trash.remove(entry.trashId).catch(() => undefined);
              notDeleted.push({
                resourceName: rn,
                reason: err instanceof PeopleApiError ? err.message : 'Google did not delete it',
              });
              continue;
            }
          }
          trashed.push({ trashId: entry.trashId, ...(entry.name ? { name: entry.name } : {}), resourceName: rn });
        }
        return { kept, others, plan, trashed, notDeleted };
      }
    });

    const contact = renderPerson(result.kept, 'full', groupNames);
    const names = new Map(
      result.others.map((p) => [p.resourceName!, `${displayNameOf(p) ?? '(no name)'} [${p.resourceName}]`]),
    );
    const merged = args.dryRun ? mergeRns : result.trashed.map((t) => t.resourceName);
    const structured: Output = {
      contact,
      merged,
      trash: result.trashed,
      plan: { gains: result.plan.gains, notTaken: result.plan.notTaken },
      dryRun: args.dryRun,
    };
    if (result.notDeleted.length) structured.notDeleted = result.notDeleted;
    const lines = args.dryRun
      ? [
          `Dry run — nothing changed. Merging ${mergeRns.map((rn) => names.get(rn) ?? rn).join(', ')} into ${contact.name ?? keepRn} [${keepRn}] would add:`,
          ...planText(result.plan, names),
          'Afterwards the merged contacts would be deleted (kept in the trash). The kept contact would look like this:',
          personText(contact),
        ]
      : [
          `Merged ${merged.length} contact${merged.length === 1 ? '' : 's'} into ${contact.name ?? keepRn} [${keepRn}]:`,
          ...planText(result.plan, names),
          ...(result.trashed.length
            ? [
                `In the trash: ${result.trashed.map((t) => `${t.name ?? t.resourceName} → trashId ${t.trashId}`).join('; ')}.`,
              ]
            : []),
          ...result.notDeleted.map(
            (n) =>
              `NOT deleted, still there: ${names.get(n.resourceName) ?? n.resourceName} — ${n.reason}. Its data is already in the kept contact; delete it later with delete_contact.`,
          ),
          'The kept contact now:',
          personText(contact),
          trashNote(ctx.trash.ttlDays),
        ];
    return { structured, text: lines.join('\n') };
  },
});
