/** add_contacts_to_group and remove_contacts_from_group: both are contactGroups.members.modify. */
import { z } from 'zod';
import { PeopleApiError } from '../../upstream/google/people.js';
import { groupRefInput, requireJoinable, resolveGroup } from './groups.js';
import { contactRefInput, contactResourceName, orNotFound } from './refs.js';
import { defineTool, ToolError } from './types.js';

const output = z.object({
  group: z
    .object({ resourceName: z.string().describe('Group resource name'), name: z.string().describe('Group name') })
    .describe('The group changed'),
  changed: z
    .array(z.string())
    .describe(
      'Resource names of the contacts added to (or removed from) the group, including ones that already were (or were not) in it',
    ),
  notFound: z.array(z.string()).describe('Resource names that matched no contact (skipped)'),
  keptInGroup: z
    .array(z.string())
    .optional()
    .describe('Contacts not removed because this is their only group (a contact must keep one)'),
});

/** The tool definition for one direction (each tool file instantiates its own). */
export function membersTool(mode: 'add' | 'remove') {
  const adding = mode === 'add';
  return defineTool({
    name: adding ? 'add_contacts_to_group' : 'remove_contacts_from_group',
    title: adding ? 'Add contacts to group' : 'Remove contacts from group',
    description: adding
      ? 'Adds contacts to a contact group (label), e.g. "put Sam and Dana in Hiking". Contacts already in it stay. The group must exist: create it with create_contact_group first. Get contact resource names from search_contacts.'
      : 'Removes contacts from a contact group (label). The contacts themselves are kept; they just lose the label. Get contact resource names from search_contacts or list_contacts with group.',
    inputSchema: z.object({
      group: groupRefInput,
      contacts: z
        .array(contactRefInput)
        .min(1)
        .max(200)
        .describe(`Resource names of the contacts to ${adding ? 'add' : 'remove'} (people/c…), up to 200`),
    }),
    outputSchema: output,
    annotations: { readOnlyHint: false, destructiveHint: !adding, idempotentHint: true, openWorldHint: false },
    async run(args, ctx) {
      const g = await resolveGroup(ctx, args.group);
      if (adding) requireJoinable(g);
      const names = [...new Set(args.contacts.map(contactResourceName))];
      const res = await ctx.google.serialize(async () => {
        try {
          return await orNotFound(`contact group ${g.resourceName}`, () =>
            ctx.google.call((api, options) =>
              api.contactGroups.members.modify(
                {
                  resourceName: g.resourceName,
                  requestBody: adding ? { resourceNamesToAdd: names } : { resourceNamesToRemove: names },
                },
                options,
              ),
            ),
          );
        } catch (err) {
          if (err instanceof PeopleApiError && err.kind === 'precondition')
            throw new ToolError(`Google refused to change the members of "${g.name}": ${err.message}`);
          throw err;
        }
      });
      const notFound = res.notFoundResourceNames ?? [];
      const kept = res.canNotRemoveLastContactGroupResourceNames ?? [];
      const changed = names.filter((n) => !notFound.includes(n) && !kept.includes(n));
      const structured: z.infer<typeof output> = {
        group: { resourceName: g.resourceName, name: g.name },
        changed,
        notFound,
      };
      if (kept.length) structured.keptInGroup = kept;
      const lines = [
        changed.length
          ? `${adding ? 'Added' : 'Removed'} ${changed.length} contact${changed.length === 1 ? '' : 's'} ${adding ? 'to' : 'from'} "${g.name}" [${g.resourceName}]: ${changed.join(', ')}.`
          : `No contact was ${adding ? 'added to' : 'removed from'} "${g.name}".`,
      ];
      if (notFound.length)
        lines.push(`No contact ${notFound.join(', no contact ')} (skipped; search again for current resource names).`);
      if (kept.length) lines.push(`Kept in the group because it is their only group: ${kept.join(', ')}.`);
      return { structured, text: lines.join('\n') };
    },
  });
}
