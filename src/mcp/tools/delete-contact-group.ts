import { z } from 'zod';
import { GROUP_FIELDS, groupRefInput, requireUserGroup, resolveGroup } from './groups.js';
import { orNotFound } from './refs.js';
import { defineTool } from './types.js';

export const deleteContactGroup = defineTool({
  name: 'delete_contact_group',
  title: 'Delete contact group',
  description:
    'Deletes one of the user’s own contact groups (labels). The contacts in it are NOT deleted; they just lose that label. ' +
    'Destructive: confirm with the user (name the group and how many contacts are in it) before calling. Google’s built-in groups cannot be deleted.',
  inputSchema: z.object({
    group: groupRefInput.describe('The group to delete: its name or resource name (contactGroups/…)'),
  }),
  outputSchema: z.object({
    deleted: z.string().describe('Resource name of the deleted group'),
    name: z.string().describe('Name of the deleted group'),
    memberCount: z.number().int().describe('How many contacts had the label (they are kept)'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { resourceName } = await resolveGroup(ctx, args.group);
    const out = await ctx.google.serialize(async () => {
      const g = await orNotFound(`contact group ${resourceName}`, () =>
        ctx.google.call((api, options) => api.contactGroups.get({ resourceName, groupFields: GROUP_FIELDS }, options)),
      );
      const name = g.formattedName ?? g.name ?? resourceName;
      requireUserGroup(g, name, 'deleted');
      await orNotFound(`contact group ${resourceName}`, () =>
        ctx.google.call((api, options) => api.contactGroups.delete({ resourceName, deleteContacts: false }, options)),
      );
      return { deleted: resourceName, name, memberCount: g.memberCount ?? 0 };
    });
    const kept = out.memberCount
      ? ` Its ${out.memberCount} contact${out.memberCount === 1 ? ' was' : 's were'} kept.`
      : '';
    return { structured: out, text: `Deleted contact group "${out.name}" [${out.deleted}].${kept}` };
  },
});
