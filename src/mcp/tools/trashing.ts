/**
 * What the deleting tools share: reading contacts in full (everything the trash must keep), saving them
 * to the trash before any delete, and the output shape of a trashed contact.
 */
import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';
import { PeopleApiError } from '../../upstream/google/people.js';
import { displayNameOf } from './person.js';
import { customPhotoUrl, FULL_CONTACT_FIELDS, groupsOf } from './person-body.js';
import { isStoreUnavailable } from '../../storage/port.js';
import { ToolError, type ToolContext } from './types.js';
import type { TrashReason } from '../../contacts/trash.js';

type GPerson = people_v1.Schema$Person;

/** people:batchGet takes at most 200 resource names. */
const BATCH_GET_MAX = 200;

export const trashedOut = z.object({
  resourceName: z.string().describe('Resource name the contact had (it no longer exists)'),
  name: z.string().optional().describe('Name of the deleted contact'),
  trashId: z.string().describe('Pass to restore_contacts to undo the deletion'),
  restorableUntil: z
    .string()
    .describe('When the trash copy expires (ISO 8601); until then restore_contacts can recreate the contact'),
});
export type TrashedOut = z.infer<typeof trashedOut>;

/**
 * Reads contacts with every field (people:batchGet, 200 at a time). `byRequested` maps each requested
 * name to its contact (Google may answer with a newer resource name when a contact was relinked).
 */
export async function readContactsInFull(
  ctx: ToolContext,
  names: string[],
): Promise<{ found: GPerson[]; notFound: string[]; byRequested: Map<string, GPerson> }> {
  const found: GPerson[] = [];
  const notFound: string[] = [];
  const byRequested = new Map<string, GPerson>();
  for (let i = 0; i < names.length; i += BATCH_GET_MAX) {
    const chunk = names.slice(i, i + BATCH_GET_MAX);
    const res = await ctx.google.call((api, options) =>
      api.people.getBatchGet({ resourceNames: chunk, personFields: FULL_CONTACT_FIELDS }, options),
    );
    const byName = new Map<string, people_v1.Schema$PersonResponse>();
    for (const r of res.responses ?? []) if (r.requestedResourceName) byName.set(r.requestedResourceName, r);
    for (const rn of chunk) {
      const r = byName.get(rn);
      if (r?.person) {
        const person = { ...r.person, resourceName: r.person.resourceName ?? rn };
        found.push(person);
        byRequested.set(rn, person);
      } else if (!r || r.httpStatusCode === 404 || r.status?.code === 5) notFound.push(rn);
      else
        throw new PeopleApiError(
          'invalid',
          r.status?.message ?? `Google could not read ${rn}`,
          r.httpStatusCode ?? undefined,
        );
    }
  }
  return { found, notFound, byRequested };
}

/** Saves a contact to the trash; nothing about it is logged. */
export async function saveToTrash(
  ctx: ToolContext,
  person: GPerson,
  groupNames: Map<string, string>,
  reason: TrashReason,
): Promise<TrashedOut> {
  const groups = groupsOf(person).map((rn) =>
    groupNames.has(rn) ? { resourceName: rn, name: groupNames.get(rn)! } : { resourceName: rn },
  );
  const photoUrl = customPhotoUrl(person);
  const { trashId, expiresAt } = await ctx.trash.put({ person, groups, ...(photoUrl ? { photoUrl } : {}) }, reason);
  const name = displayNameOf(person);
  return {
    resourceName: person.resourceName ?? '',
    ...(name ? { name } : {}),
    trashId,
    restorableUntil: new Date(expiresAt).toISOString(),
  };
}

/** Saves every contact, or none: if one save fails, the saved ones are removed again and the error is thrown. */
export async function saveAllToTrash(
  ctx: ToolContext,
  people: GPerson[],
  groupNames: Map<string, string>,
  reason: TrashReason,
): Promise<TrashedOut[]> {
  const results = await Promise.allSettled(people.map((p) => saveToTrash(ctx, p, groupNames, reason)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return results.map((r) => (r as PromiseFulfilledResult<TrashedOut>).value);
  await Promise.allSettled(
    results
      .filter((r): r is PromiseFulfilledResult<TrashedOut> => r.status === 'fulfilled')
      .map((r) => ctx.trash.remove(r.value.trashId)),
  );
  if (isStoreUnavailable(failed.reason)) {
    throw new ToolError(
      'Nothing was deleted: the trash (where deleted contacts are kept for undo) is temporarily unavailable. Try again in a minute.',
    );
  }
  throw failed.reason;
}

export function trashNote(days: number): string {
  return `Deleted contacts stay in the trash for ${days} day${days === 1 ? '' : 's'}: restore_contacts with their trashId recreates them (list_deleted_contacts shows the trash).`;
}
