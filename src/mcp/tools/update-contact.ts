import { z } from 'zod';
import { PeopleApiError } from '../../upstream/google/people.js';
import {
  applyEdit,
  contactSources,
  editInputShape,
  isEditableContact,
  touchedFields,
  type ResolvedEdit,
} from './contact-edit.js';
import { groupNameMap, requireJoinable, resolveGroups } from './groups.js';
import { detailInput, personFields, personOut, personText, renderPerson } from './person.js';
import { contactRefInput, contactResourceName, orNotFound } from './refs.js';
import { defineTool, ToolError, type ToolContext } from './types.js';

/** Read-modify-write rounds before giving up on a contact that keeps changing underneath us. */
export const MAX_UPDATE_ATTEMPTS = 4;

const output = z.object({
  contact: personOut.describe('The contact after the update'),
  changedFields: z
    .array(z.string())
    .describe('The fields that were written (none when the contact already looked as asked)'),
});

async function resolveEdit(ctx: ToolContext, edit: z.infer<z.ZodObject<typeof editInputShape>>): Promise<ResolvedEdit> {
  const { groups, ...rest } = edit;
  if (!groups) return rest;
  const refs = [...(groups.add ?? []), ...(groups.remove ?? []), ...(groups.replace ?? [])];
  const resolved = await resolveGroups(ctx, refs);
  const byRef = new Map(resolved.map((g) => [g.ref, g]));
  const rn = (ref: string) => byRef.get(ref)!.resourceName;
  for (const ref of [...(groups.add ?? []), ...(groups.replace ?? [])]) requireJoinable(byRef.get(ref)!);
  return {
    ...rest,
    groups: {
      ...(groups.add ? { add: groups.add.map(rn) } : {}),
      ...(groups.remove ? { remove: groups.remove.map(rn) } : {}),
      ...(groups.replace ? { replace: groups.replace.map(rn) } : {}),
    },
  };
}

export const updateContact = defineTool({
  name: 'update_contact',
  title: 'Update contact',
  description:
    'Changes fields of an existing contact. Send only what should change: every field you leave out stays exactly as it is. ' +
    'For list fields (emails, phones, addresses, urls, nicknames, groups) use add/remove to change single items, or replace to set the whole list. ' +
    'name and organization change only the parts given. Safe against concurrent edits (it re-reads and re-applies the change if the contact changed meanwhile). ' +
    'Get the resource name from search_contacts first.',
  inputSchema: z.object({
    resourceName: contactRefInput,
    ...editInputShape,
    detail: detailInput,
  }),
  outputSchema: output,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { resourceName: ref, detail, ...editArgs } = args;
    const rn = contactResourceName(ref);
    const fields = touchedFields(editArgs);
    if (fields.length === 0)
      throw new ToolError(
        'Nothing to change: give at least one field to update (e.g. emails: { add: [...] } or organization: { title: "…" }).',
      );
    const edit = await resolveEdit(ctx, editArgs);

    const { person, changed } = await ctx.google.serialize(async () => {
      for (let attempt = 1; ; attempt++) {
        const current = await orNotFound(`contact ${rn}`, () =>
          ctx.google.call((api, options) =>
            api.people.get({ resourceName: rn, personFields: [...fields, 'metadata'].join(',') }, options),
          ),
        );
        if (!isEditableContact(current))
          throw new ToolError(
            `${rn} is not one of your saved contacts (it is a profile or directory entry), so it can't be edited.`,
          );
        const changes = applyEdit(current, edit);
        const changedFields = Object.keys(changes);
        if (changedFields.length === 0) {
          const same = await ctx.google.call((api, options) =>
            api.people.get({ resourceName: rn, personFields: personFields(detail) }, options),
          );
          return { person: same, changed: [] as string[] };
        }
        try {
          const updated = await orNotFound(`contact ${rn}`, () =>
            ctx.google.call((api, options) =>
              api.people.updateContact(
                {
                  resourceName: rn,
                  updatePersonFields: changedFields.join(','),
                  personFields: personFields(detail),
                  requestBody: {
                    resourceName: rn,
                    etag: current.etag,
                    metadata: { sources: contactSources(current) },
                    ...changes,
                  },
                },
                options,
              ),
            ),
          );
          return { person: updated, changed: changedFields };
        } catch (err) {
          // Stale etag (Google: 400 FAILED_PRECONDITION, sometimes 412): someone changed the contact; re-read and re-apply.
          if (err instanceof PeopleApiError && err.kind === 'precondition' && attempt < MAX_UPDATE_ATTEMPTS) continue;
          throw err;
        }
      }
    });
    const contact = renderPerson(person, detail, detail === 'full' ? await groupNameMap(ctx) : undefined);
    const text =
      changed.length === 0
        ? `Nothing to change: the contact already looks like that.\n${personText(contact)}`
        : `Updated ${changed.join(', ')}:\n${personText(contact)}`;
    return { structured: { contact, changedFields: changed }, text };
  },
});
