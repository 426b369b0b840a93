import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';
import {
  addressInput,
  birthdayInput,
  emailInput,
  nameInput,
  nicknameInput,
  notesInput,
  organizationInput,
  phoneInput,
  toAddress,
  toBirthday,
  toEmail,
  toMembership,
  toName,
  toNotes,
  toOrganization,
  toPhone,
  toUrl,
  urlInput,
} from './fields.js';
import { groupNameMap, groupRefInput, requireJoinable, resolveGroups } from './groups.js';
import { detailInput, personFields, personOut, personText, renderPerson } from './person.js';
import { defineTool, type ToolContext } from './types.js';

/** The fields of a new contact (create_contact, and each item of create_contacts). */
export const newContactShape = {
  name: nameInput.optional().describe('The person’s name'),
  emails: z.array(emailInput).max(20).optional().describe('Email addresses, the primary one first'),
  phones: z.array(phoneInput).max(20).optional().describe('Phone numbers, the primary one first'),
  organization: organizationInput.optional().describe('Where the person works and their job title'),
  addresses: z.array(addressInput).max(10).optional().describe('Postal addresses'),
  birthday: birthdayInput.optional().describe('Birthday (year optional)'),
  notes: notesInput.optional(),
  urls: z.array(urlInput).max(20).optional().describe('Websites (homepage, blog, profiles)'),
  nicknames: z.array(nicknameInput).max(10).optional().describe('Nicknames the person goes by'),
  groups: z
    .array(groupRefInput)
    .max(20)
    .optional()
    .describe(
      'Contact groups (labels) to add the contact to, by name or resource name; they must exist (see list_contact_groups)',
    ),
};
export type NewContact = z.infer<z.ZodObject<typeof newContactShape>>;

/** A new contact needs something to call it by. */
export function hasIdentity(a: NewContact): boolean {
  return Boolean(
    (a.name && toName(a.name)) ||
    a.emails?.length ||
    a.phones?.length ||
    (a.organization && toOrganization(a.organization)),
  );
}
export const IDENTITY_MESSAGE = 'give at least a name, an email address, a phone number or an organization';

/** The People API body of a new contact (memberships are added by the caller). */
export function newContactBody(args: NewContact): people_v1.Schema$Person {
  const person: people_v1.Schema$Person = {};
  const name = args.name ? toName(args.name) : undefined;
  if (name) person.names = [name];
  if (args.emails?.length) person.emailAddresses = args.emails.map(toEmail);
  if (args.phones?.length) person.phoneNumbers = args.phones.map(toPhone);
  const org = args.organization ? toOrganization(args.organization) : undefined;
  if (org) person.organizations = [org];
  if (args.addresses?.length) person.addresses = args.addresses.map(toAddress);
  if (args.birthday) person.birthdays = [toBirthday(args.birthday)];
  if (args.notes?.trim()) person.biographies = toNotes(args.notes);
  if (args.urls?.length) person.urls = args.urls.map(toUrl);
  if (args.nicknames?.length) person.nicknames = args.nicknames.map((value) => ({ value }));
  return person;
}

/** Resolves group references to resource names new contacts may join (own groups, My Contacts, Starred). */
export async function groupsForNewContacts(ctx: ToolContext, refs: string[]): Promise<Map<string, string>> {
  const groups = refs.length ? await resolveGroups(ctx, [...new Set(refs)]) : [];
  groups.forEach(requireJoinable);
  return new Map(groups.map((g) => [g.ref, g.resourceName]));
}

export const createContact = defineTool({
  name: 'create_contact',
  title: 'Create contact',
  description:
    'Creates a new contact in the user’s Google Contacts. Search first (search_contacts) so you don’t create a duplicate; to change an existing contact use update_contact. ' +
    'Give at least a name, an email address or a phone number. New contacts are always in My Contacts; groups adds them to more groups. To create many at once, use create_contacts.',
  inputSchema: z.object({ ...newContactShape, detail: detailInput }).refine(hasIdentity, { message: IDENTITY_MESSAGE }),
  outputSchema: z.object({ contact: personOut.describe('The new contact') }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(args, ctx) {
    const person = newContactBody(args);
    if (args.groups?.length) {
      const groups = await groupsForNewContacts(ctx, args.groups);
      person.memberships = [...new Set(args.groups.map((g) => groups.get(g)!))].map(toMembership);
    }
    const created = await ctx.google.serialize(() =>
      ctx.google.call(
        (api, options) =>
          api.people.createContact({ personFields: personFields(args.detail), requestBody: person }, options),
        { idempotent: false },
      ),
    );
    const contact = renderPerson(created, args.detail, args.detail === 'full' ? await groupNameMap(ctx) : undefined);
    return { structured: { contact }, text: `Created contact:\n${personText(contact)}` };
  },
});
