import { z } from 'zod';
import { groupNameMap } from './groups.js';
import { detailInput, personFields, personOut, personText, renderPerson } from './person.js';
import { orNotFound } from './refs.js';
import { defineTool, ToolError } from './types.js';

export const saveOtherContact = defineTool({
  name: 'save_other_contact',
  title: 'Save other contact',
  description:
    'Saves an "other contact" (found with search_other_contacts) as a real contact in My Contacts, copying its name, email addresses and phone numbers. ' +
    'Returns the new contact and its people/c… resource name; use update_contact to add more details. Check with search_contacts first that the person is not already saved.',
  inputSchema: z.object({
    resourceName: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .describe('Resource name of the other contact, e.g. otherContacts/c1234567890'),
    detail: detailInput,
  }),
  outputSchema: z.object({ contact: personOut.describe('The new contact') }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(args, ctx) {
    const ref = args.resourceName.trim();
    const rn = /^c\d+$/.test(ref) ? `otherContacts/${ref}` : ref;
    if (!/^otherContacts\/[A-Za-z0-9_-]+$/.test(rn)) {
      throw new ToolError(
        `"${ref.slice(0, 100)}" is not an other-contact resource name. They look like otherContacts/c1234567890 and come from search_other_contacts.`,
      );
    }
    // Unticked at Google's consent screen: say so without a Google call that can only fail.
    await ctx.google.requirePermission('otherContacts');
    const created = await ctx.google.serialize(() =>
      orNotFound(`other contact ${rn}`, () =>
        ctx.google.call(
          (api, options) =>
            api.otherContacts.copyOtherContactToMyContactsGroup(
              {
                resourceName: rn,
                requestBody: { copyMask: 'names,emailAddresses,phoneNumbers', readMask: personFields(args.detail) },
              },
              options,
            ),
          { idempotent: false },
        ),
      ),
    );
    const contact = renderPerson(created, args.detail, args.detail === 'full' ? await groupNameMap(ctx) : undefined);
    return { structured: { contact }, text: `Saved as a contact:\n${personText(contact)}` };
  },
});
