import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';
import { PeopleApiError } from '../../upstream/google/people.js';
import {
  groupsForNewContacts,
  hasIdentity,
  IDENTITY_MESSAGE,
  newContactBody,
  newContactShape,
} from './create-contact.js';
import { toMembership } from './fields.js';
import { groupRefInput } from './groups.js';
import { fitToBudget, peopleText, personFields, personOut, renderPerson, truncationNote } from './person.js';
import { groupsOf } from './person-body.js';
import { defineTool, ToolError } from './types.js';

/** people:batchCreateContacts takes at most 200 contacts: the whole input fits one call. */
export const MAX_BATCH_CREATE = 200;

const output = z.object({
  created: z.array(personOut).describe('The new contacts (compact), in the order given'),
  count: z.number().int().describe('How many contacts were created'),
  truncated: z
    .boolean()
    .optional()
    .describe(
      'True when some created contacts are left out of `created` to keep the answer small (they were all created)',
    ),
});
type Output = z.infer<typeof output>;

export const createContacts = defineTool({
  name: 'create_contacts',
  title: 'Create contacts (bulk)',
  description:
    'Creates many contacts at once (up to 200), e.g. "import these 40 people from this spreadsheet into a new group". Each item takes the same fields as create_contact. ' +
    'groups (optional) adds every new contact to those groups (they must exist: create_contact_group first). Every item is checked before anything is created: one invalid item and nothing is created. ' +
    'Search first if some people may already be contacts. If Google fails mid-way the outcome is unknown: search before trying again (never just retry), so no one is created twice.',
  inputSchema: z.object({
    contacts: z
      .array(z.object(newContactShape).refine(hasIdentity, { message: IDENTITY_MESSAGE }))
      .min(1)
      .max(MAX_BATCH_CREATE)
      .describe(
        'The contacts to create (1-200), each with at least a name, an email address, a phone number or an organization',
      ),
    groups: z
      .array(groupRefInput)
      .max(20)
      .optional()
      .describe(
        'Contact groups (labels) to add every new contact to, by name or resource name (own groups, My Contacts, Starred)',
      ),
  }),
  outputSchema: output,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(args, ctx) {
    // Every group named anywhere is resolved (and refused) before anything is created.
    const refs = [...(args.groups ?? []), ...args.contacts.flatMap((c) => c.groups ?? [])];
    const groups = await groupsForNewContacts(ctx, refs);
    const common = (args.groups ?? []).map((g) => groups.get(g)!);
    const wanted = args.contacts.map((c) => [...new Set([...common, ...(c.groups ?? []).map((g) => groups.get(g)!)])]);
    const bodies = args.contacts.map((c, i) => {
      const body: people_v1.Schema$Person = newContactBody(c);
      if (wanted[i]!.length) body.memberships = wanted[i]!.map(toMembership);
      return { contactPerson: body };
    });

    const created = await ctx.google.serialize(async () => {
      let res: people_v1.Schema$BatchCreateContactsResponse;
      try {
        res = await ctx.google.call(
          (api, options) =>
            api.people.batchCreateContacts(
              { requestBody: { contacts: bodies, readMask: `${personFields('compact')},memberships` } },
              options,
            ),
          { idempotent: false },
        );
      } catch (err) {
        if (err instanceof PeopleApiError && err.kind === 'unavailable') {
          throw new ToolError(
            `Google did not confirm the creation of the ${bodies.length} contacts: some or all may have been created. Search for a few of them (search_contacts) before trying again, and create only the missing ones.`,
          );
        }
        throw err;
      }
      const people = (res.createdPeople ?? [])
        .map((r) => r.person)
        .filter((p): p is people_v1.Schema$Person => Boolean(p?.resourceName));
      // Where Google ignored the memberships of a batch creation, one members.modify per group adds them.
      const missing = new Map<string, string[]>();
      people.forEach((p, i) => {
        const has = groupsOf(p);
        for (const g of wanted[i] ?? [])
          if (!has.includes(g)) missing.set(g, [...(missing.get(g) ?? []), p.resourceName!]);
      });
      for (const [group, members] of missing) {
        await ctx.google.call((api, options) =>
          api.contactGroups.members.modify(
            { resourceName: group, requestBody: { resourceNamesToAdd: members } },
            options,
          ),
        );
      }
      return people;
    });

    const all = created.map((p) => renderPerson(p, 'compact'));
    const { kept, truncated } = fitToBudget(all);
    const structured: Output = { created: kept, count: all.length };
    if (truncated) structured.truncated = true;
    const groupText = args.groups?.length ? ` in ${args.groups.join(', ')}` : '';
    const lines = [`Created ${all.length} contact${all.length === 1 ? '' : 's'}${groupText}:`, peopleText(kept)];
    if (truncated) lines.push(truncationNote(kept.length));
    return { structured, text: lines.join('\n') };
  },
});
