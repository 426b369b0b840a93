import { z } from 'zod';
import { displayNameOf } from './person.js';
import { contactRefInput, contactResourceName, orNotFound } from './refs.js';
import { defineTool } from './types.js';

export const deleteContact = defineTool({
  name: 'delete_contact',
  title: 'Delete contact',
  description:
    'Deletes one contact from the user’s Google Contacts. ' +
    'Destructive: before calling it, show the user which contact will be deleted (name and email) and get their explicit confirmation. ' +
    'Never delete several contacts, or a contact you found by a vague search, without the user confirming each one.',
  inputSchema: z.object({ resourceName: contactRefInput.describe('Resource name of the contact to delete, e.g. people/c1234567890') }),
  outputSchema: z.object({
    deleted: z.string().describe('Resource name of the deleted contact'),
    name: z.string().optional().describe('Name of the deleted contact'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  readOnly: false,
  async run(args, ctx) {
    const rn = contactResourceName(args.resourceName);
    const name = await ctx.people.serialize(ctx.accountId, async () => {
      const person = await orNotFound(`contact ${rn}`, () => ctx.people.call(ctx.accountId, (api, options) => api.people.get({ resourceName: rn, personFields: 'names' }, options)));
      await orNotFound(`contact ${rn}`, () => ctx.people.call(ctx.accountId, (api, options) => api.people.deleteContact({ resourceName: rn }, options)));
      return displayNameOf(person);
    });
    return { structured: name ? { deleted: rn, name } : { deleted: rn }, text: `Deleted contact ${name ?? ''} [${rn}].`.replace('  ', ' ') };
  },
});
