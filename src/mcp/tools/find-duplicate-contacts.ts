import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';
import { DUPLICATE_REASONS, findDuplicateGroups, MAX_SHARED_VALUE } from './duplicates.js';
import { fitToBudget, personOut, personText, renderPerson } from './person.js';
import { defineTool } from './types.js';

/** The scan reads at most this many contacts (5 pages of 1,000). */
export const MAX_SCANNED = 5000;
const PAGE_SIZE = 1000;
/** What matching and "most complete" look at. */
const SCAN_FIELDS =
  'names,emailAddresses,phoneNumbers,organizations,addresses,birthdays,biographies,urls,nicknames,relations,events,imClients,userDefined,photos';

const output = z.object({
  groups: z
    .array(
      z.object({
        contacts: z
          .array(personOut)
          .describe('The contacts that look like the same person, the suggested one to keep first'),
        reasons: z.array(z.enum(DUPLICATE_REASONS)).describe('Why they look alike'),
        suggestedKeep: z
          .string()
          .describe('Resource name of the most complete contact of the group: a good `keep` for merge_contacts'),
      }),
    )
    .describe('Groups of likely duplicates, strongest evidence first; each contact is in at most one group'),
  scanned: z.number().int().describe('How many contacts were compared'),
  totalGroups: z
    .number()
    .int()
    .describe('How many groups were found in all (more than shown when maxGroups cut the list)'),
  truncated: z
    .boolean()
    .optional()
    .describe('True when not every contact was scanned (over 5,000) or not every group is shown'),
});
type Output = z.infer<typeof output>;

export const findDuplicateContacts = defineTool({
  name: 'find_duplicate_contacts',
  title: 'Find duplicate contacts',
  description:
    'Scans the user’s contacts (up to 5,000) for likely duplicates: contacts sharing an email address, a phone number (formatting and a missing country code ignored) or a name (case, accents and spacing ignored). ' +
    'Returns groups with the reasons and the most complete contact of each as suggestedKeep. Nothing is changed: to merge a group, call merge_contacts (dryRun first) after the user agrees.',
  inputSchema: z.object({
    maxGroups: z.number().int().min(1).max(50).default(20).describe('Most groups to return, 1-50 (default 20)'),
  }),
  outputSchema: output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const all: people_v1.Schema$Person[] = [];
    let pageToken: string | undefined;
    let more = false;
    for (let page = 0; page < MAX_SCANNED / PAGE_SIZE; page++) {
      const res = await ctx.google.call((api, options) =>
        api.people.connections.list(
          {
            resourceName: 'people/me',
            pageSize: PAGE_SIZE,
            personFields: SCAN_FIELDS,
            ...(pageToken ? { pageToken } : {}),
          },
          options,
        ),
      );
      all.push(...(res.connections ?? []));
      pageToken = res.nextPageToken ?? undefined;
      more = pageToken !== undefined;
      if (!more) break;
    }
    const found = findDuplicateGroups(all);
    const rendered = found.slice(0, args.maxGroups).map((g) => ({
      contacts: g.contacts.map((p) => renderPerson(p, 'compact')),
      reasons: g.reasons,
      suggestedKeep: g.suggestedKeep,
    }));
    const { kept, truncated: cut } = fitToBudget(rendered);
    const structured: Output = { groups: kept, scanned: all.length, totalGroups: found.length };
    const truncated = more || cut || found.length > kept.length;
    if (truncated) structured.truncated = true;

    const lines = [
      found.length === 0
        ? `No likely duplicates among ${all.length} contacts.`
        : `${found.length} group${found.length === 1 ? '' : 's'} of likely duplicates among ${all.length} contacts${kept.length < found.length ? ` (showing ${kept.length})` : ''}:`,
    ];
    kept.forEach((g, i) => {
      lines.push(`${i + 1}. ${g.reasons.join(', ')} — suggested keep: ${g.suggestedKeep}`);
      for (const c of g.contacts) lines.push(`   - ${personText(c)}`);
    });
    if (more) lines.push(`Only the first ${all.length} contacts were scanned (the limit is ${MAX_SCANNED}).`);
    if (found.length)
      lines.push(
        `A value shared by more than ${MAX_SHARED_VALUE} contacts (a switchboard number, a team mailbox) is not counted. To merge a group: merge_contacts with keep and merge, dryRun: true first.`,
      );
    return { structured, text: lines.join('\n') };
  },
});
