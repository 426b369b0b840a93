import { z } from 'zod';
import { PeopleApiError } from '../../upstream/google/people.js';
import { groupNameInput } from './create-contact-group.js';
import {
  GROUP_FIELDS,
  groupOut,
  groupRefInput,
  groupText,
  renderGroup,
  requireUserGroup,
  resolveGroup,
} from './groups.js';
import { orNotFound } from './refs.js';
import { defineTool, ToolError } from './types.js';

const MAX_ATTEMPTS = 3;

export const renameContactGroup = defineTool({
  name: 'rename_contact_group',
  title: 'Rename contact group',
  description:
    'Renames one of the user’s own contact groups (labels). Its members stay in it. Google’s built-in groups (My Contacts, Starred, …) cannot be renamed.',
  inputSchema: z.object({
    group: groupRefInput.describe('The group to rename: its current name or its resource name (contactGroups/…)'),
    newName: groupNameInput.describe('The new name'),
  }),
  outputSchema: z.object({
    group: groupOut.describe('The group after renaming'),
    previousName: z.string().describe('The name before'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { resourceName } = await resolveGroup(ctx, args.group);
    const out = await ctx.google.serialize(async () => {
      for (let attempt = 1; ; attempt++) {
        const current = await orNotFound(`contact group ${resourceName}`, () =>
          ctx.google.call((api, options) =>
            api.contactGroups.get({ resourceName, groupFields: GROUP_FIELDS }, options),
          ),
        );
        const previousName = current.formattedName ?? current.name ?? resourceName;
        requireUserGroup(current, previousName, 'renamed');
        if (current.name === args.newName) return { group: current, previousName };
        try {
          const updated = await ctx.google.call((api, options) =>
            api.contactGroups.update(
              {
                resourceName,
                requestBody: {
                  contactGroup: { resourceName, etag: current.etag, name: args.newName },
                  updateGroupFields: 'name',
                  readGroupFields: GROUP_FIELDS,
                },
              },
              options,
            ),
          );
          return { group: updated, previousName };
        } catch (err) {
          if (err instanceof PeopleApiError && err.kind === 'conflict')
            throw new ToolError(`A contact group named "${args.newName}" already exists; pick another name.`);
          if (err instanceof PeopleApiError && err.kind === 'precondition' && attempt < MAX_ATTEMPTS) continue;
          throw err;
        }
      }
    });
    const group = renderGroup(out.group);
    return {
      structured: { group, previousName: out.previousName },
      text: `Renamed "${out.previousName}" to ${groupText(group)}.`,
    };
  },
});
