import { z } from 'zod';
import { PeopleApiError } from '../../upstream/google/people.js';
import { GROUP_FIELDS, groupOut, groupText, renderGroup } from './groups.js';
import { defineTool, ToolError } from './types.js';

export const groupNameInput = z.string().trim().min(1).max(100).describe('Group name, e.g. "Hiking"');

export const createContactGroup = defineTool({
  name: 'create_contact_group',
  title: 'Create contact group',
  description:
    'Creates a new contact group (a Google Contacts "label"). Group names are unique: check list_contact_groups first. Add people to it with add_contacts_to_group.',
  inputSchema: z.object({ name: groupNameInput }),
  outputSchema: z.object({ group: groupOut.describe('The new group') }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(args, ctx) {
    const created = await ctx.google.serialize(async () => {
      try {
        return await ctx.google.call((api, options) =>
          api.contactGroups.create(
            {
              requestBody: {
                contactGroup: { name: args.name },
                readGroupFields: GROUP_FIELDS.replace(',memberCount', ''),
              },
            },
            options,
          ),
        );
      } catch (err) {
        if (err instanceof PeopleApiError && err.kind === 'conflict')
          throw new ToolError(
            `A contact group named "${args.name}" already exists. Use it (see list_contact_groups) or pick another name.`,
          );
        throw err;
      }
    });
    const group = renderGroup(created);
    return { structured: { group }, text: `Created contact group ${groupText(group)}.` };
  },
});
