/** Resource-name inputs and the "No contact <x>" mapping of Google's 404s. */
import { z } from 'zod';
import { PeopleApiError } from '../../upstream/google/people.js';
import { ToolError } from './types.js';

export const contactRefInput = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .describe('Contact resource name as returned by the search/list tools, e.g. people/c1234567890');

/** "people/c123" stays; a bare "c123" gets its "people/" prefix; anything else is a ToolError. */
export function contactResourceName(ref: string): string {
  const r = ref.trim();
  if (/^people\/[A-Za-z0-9_-]+$/.test(r)) return r;
  if (/^c\d+$/.test(r)) return `people/${r}`;
  if (/^otherContacts\//.test(r))
    throw new ToolError(
      `${r} is an "other contact" (someone you emailed but never saved). Save it first with save_other_contact, then use the people/… resource name it returns.`,
    );
  if (/^contactGroups\//.test(r))
    throw new ToolError(`${r} is a contact group, not a contact. Use the group tools for groups.`);
  throw new ToolError(
    `"${r.slice(0, 100)}" is not a contact resource name. Resource names look like people/c1234567890; get them from search_contacts or list_contacts.`,
  );
}

/** Turns Google's 404 into "No contact <x>"; every other error passes through unchanged. */
export async function orNotFound<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PeopleApiError && err.kind === 'not_found') {
      throw new PeopleApiError(
        'not_found',
        `No ${what} (it may have been deleted). Search again to get a current resource name.`,
        err.status,
        err.googleStatus,
      );
    }
    throw err;
  }
}
