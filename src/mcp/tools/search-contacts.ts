import { z } from 'zod';
import {
  detailInput,
  fitToBudget,
  peopleText,
  personFields,
  personOut,
  renderPerson,
  truncationNote,
} from './person.js';
import { groupNameMap } from './groups.js';
import { defineTool } from './types.js';

export const searchContacts = defineTool({
  name: 'search_contacts',
  title: 'Search contacts',
  description:
    'Searches the user’s Google Contacts by name, nickname, email address, phone number or organization (prefix match: "dan" finds "Dana Smith"). ' +
    'Returns up to maxResults matches (at most 30), compact by default. Use it to find a contact’s resource name before get_contact, update_contact or delete_contact, ' +
    'and before create_contact to avoid duplicates. People the user only emailed are found with search_other_contacts; colleagues with search_directory.',
  inputSchema: z.object({
    query: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .describe(
        'What to look for: part of a name, an email address, a phone number or a company, e.g. "Dana" or "acme.com"',
      ),
    maxResults: z.number().int().min(1).max(30).default(10).describe('Most matches to return, 1-30 (default 10)'),
    detail: detailInput,
  }),
  outputSchema: z.object({
    contacts: z.array(personOut).describe('Matching contacts, best match first'),
    truncated: z.boolean().optional().describe('True when some matches were left out to keep the answer small'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const readMask = personFields(args.detail);
    await ctx.google.warmUpSearch('contacts');
    const res = await ctx.google.call((api, options) =>
      api.people.searchContacts({ query: args.query, readMask, pageSize: args.maxResults }, options),
    );
    const groups = args.detail === 'full' ? await groupNameMap(ctx) : undefined;
    const found = (res.results ?? []).flatMap((r) => (r.person ? [renderPerson(r.person, args.detail, groups)] : []));
    const { kept, truncated } = fitToBudget(found);
    const structured = truncated ? { contacts: kept, truncated } : { contacts: kept };
    if (kept.length === 0) return { structured, text: `No contacts match "${args.query}".` };
    const head = `${kept.length} contact${kept.length === 1 ? '' : 's'} match "${args.query}":`;
    return {
      structured,
      text: [head, peopleText(kept), ...(truncated ? [truncationNote(kept.length)] : [])].join('\n'),
    };
  },
});
