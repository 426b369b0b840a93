import { z } from 'zod';
import { fitToBudget, peopleText, personOut, renderPerson, truncationNote } from './person.js';
import { defineTool } from './types.js';

const output = z.object({
  otherContacts: z.array(personOut).describe('Matching "other contacts" (resource names otherContacts/c…)'),
  truncated: z.boolean().optional().describe('True when some matches were left out to keep the answer small'),
});

export const searchOtherContacts = defineTool({
  name: 'search_other_contacts',
  title: 'Search other contacts',
  description:
    'Searches the user’s "Other contacts": people they emailed or who emailed them but who were never saved as contacts (Gmail keeps these automatically). ' +
    'Matches names, email addresses and phone numbers by prefix. Returns up to 30, with name, emails and phones only. Save one as a real contact with save_other_contact.',
  inputSchema: z.object({
    query: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .describe('Part of a name, email address or phone number, e.g. "hannah" or "talent.example"'),
    maxResults: z.number().int().min(1).max(30).default(10).describe('Most matches to return, 1-30 (default 10)'),
  }),
  outputSchema: output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    // Unticked at Google's consent screen: say so without a Google call that can only fail.
    await ctx.google.requirePermission('otherContacts');
    await ctx.google.warmUpSearch('otherContacts');
    const res = await ctx.google.call((api, options) =>
      api.otherContacts.search(
        { query: args.query, readMask: 'names,emailAddresses,phoneNumbers', pageSize: args.maxResults },
        options,
      ),
    );
    const found = (res.results ?? []).flatMap((r) => (r.person ? [renderPerson(r.person, 'compact')] : []));
    const { kept, truncated } = fitToBudget(found);
    const structured: z.infer<typeof output> = truncated ? { otherContacts: kept, truncated } : { otherContacts: kept };
    if (kept.length === 0) return { structured, text: `No other contacts match "${args.query}".` };
    const lines = [
      `${kept.length} other contact${kept.length === 1 ? '' : 's'} match "${args.query}" (not saved in Contacts; save one with save_other_contact):`,
      peopleText(kept),
    ];
    if (truncated) lines.push(truncationNote(kept.length));
    return { structured, text: lines.join('\n') };
  },
});
