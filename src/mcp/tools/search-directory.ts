import { z } from 'zod';
import { PeopleApiError } from '../../upstream/google/people.js';
import { cursorInput, decodeCursor, encodeCursor, nextCursorOut } from './cursor.js';
import { detailInput, fitToBudget, peopleText, personFields, personOut, renderPerson, type Detail } from './person.js';
import { defineTool } from './types.js';

const cursorState = z.object({
  query: z.string(),
  pageSize: z.number().int().min(1).max(50),
  detail: z.enum(['compact', 'full']),
  pageToken: z.string().optional(),
  skip: z.number().int().min(0),
});
type State = z.infer<typeof cursorState>;

const output = z.object({
  available: z
    .boolean()
    .describe('False when the account is not a Google Workspace account (consumer accounts have no directory)'),
  people: z.array(personOut).describe('Matching people in the organization’s directory'),
  nextCursor: nextCursorOut,
  message: z.string().optional().describe('Why nothing could be searched, when available is false'),
});

export const WORKSPACE_ONLY =
  'The directory search is only available for Google Workspace accounts (work or school accounts managed by an organization). This account is a personal Google account, so it has no directory; use search_contacts or search_other_contacts instead.';

/** Google's answer to a directory request from a consumer account ("Must be a G Suite domain user."). */
function isNotWorkspace(err: unknown): boolean {
  if (!(err instanceof PeopleApiError)) return false;
  if (err.kind === 'precondition') return true;
  return (
    (err.kind === 'invalid' || err.kind === 'permission') &&
    /g suite|workspace|domain user/i.test(err.message) &&
    !err.requiredScopes
  );
}

export const searchDirectory = defineTool({
  name: 'search_directory',
  title: 'Search the organization directory',
  description:
    'Searches the user’s Google Workspace directory: colleagues and shared contacts of their organization, by name, email or phone. ' +
    'Only works for Google Workspace (work or school) accounts; for a personal Google account it answers that there is no directory. Paginates with cursor.',
  inputSchema: z
    .object({
      query: z
        .string()
        .trim()
        .min(1)
        .max(200)
        .optional()
        .describe('Part of a colleague’s name, email address or phone number (not needed with a cursor)'),
      pageSize: z.number().int().min(1).max(50).default(20).describe('People per page, 1-50 (default 20)'),
      detail: detailInput,
      cursor: cursorInput,
    })
    .refine((a) => a.query !== undefined || a.cursor !== undefined, {
      message: 'give a query (or the cursor of a previous page)',
      path: ['query'],
    }),
  outputSchema: output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    // Unticked at Google's consent screen: say so without a Google call that can only fail.
    await ctx.google.requirePermission('directory');
    const s: State = args.cursor
      ? decodeCursor('search_directory', args.cursor, cursorState)
      : { query: args.query ?? '', pageSize: args.pageSize, detail: args.detail as Detail, skip: 0 };
    let res;
    try {
      res = await ctx.google.call((api, options) =>
        api.people.searchDirectoryPeople(
          {
            query: s.query,
            readMask: personFields(s.detail),
            sources: ['DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE', 'DIRECTORY_SOURCE_TYPE_DOMAIN_CONTACT'],
            pageSize: s.pageSize,
            ...(s.pageToken ? { pageToken: s.pageToken } : {}),
          },
          options,
        ),
      );
    } catch (err) {
      if (isNotWorkspace(err))
        return { structured: { available: false, people: [], message: WORKSPACE_ONLY }, text: WORKSPACE_ONLY };
      throw err;
    }
    const all = (res.people ?? []).slice(s.skip).map((p) => renderPerson(p, s.detail));
    const { kept, truncated } = fitToBudget(all);
    let next: State | undefined;
    if (truncated) next = { ...s, skip: s.skip + kept.length };
    else if (res.nextPageToken) next = { ...s, pageToken: res.nextPageToken, skip: 0 };
    const structured: z.infer<typeof output> = { available: true, people: kept };
    if (next) structured.nextCursor = encodeCursor('search_directory', next);
    const lines = [
      kept.length
        ? `${kept.length} ${kept.length === 1 ? 'person' : 'people'} in the directory match "${s.query}":`
        : `Nobody in the directory matches "${s.query}".`,
    ];
    if (kept.length) lines.push(peopleText(kept));
    if (next) lines.push('More matches follow: call search_directory again with the nextCursor.');
    return { structured, text: lines.join('\n') };
  },
});
