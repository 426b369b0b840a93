/**
 * Google's search caches must be warmed up with an empty-query request before the first search for a
 * user ("send a warmup request with an empty query to update the cache"), for people.searchContacts and
 * otherContacts.search alike. We do it once per user, per kind, per running instance: the marker (an
 * account id, nothing about contacts) is the only thing the tools keep between requests.
 */
import type { PeopleGateway } from '../../upstream/google/people.js';
import type { ToolContext } from './types.js';

export type WarmupKind = 'contacts' | 'otherContacts';

/** Bound on remembered accounts per instance; past it the markers start over (costing one extra warm-up each). */
const MAX_MARKERS = 50_000;
const warmed = new WeakMap<PeopleGateway, Set<string>>();

function markers(people: PeopleGateway): Set<string> {
  let set = warmed.get(people);
  if (!set) {
    set = new Set();
    warmed.set(people, set);
  }
  return set;
}

/** Runs `warm` unless this instance already warmed this kind of search up for the account. */
export async function ensureWarm(people: PeopleGateway, accountId: string, kind: WarmupKind, warm: () => Promise<unknown>): Promise<void> {
  const set = markers(people);
  const key = `${kind}:${accountId}`;
  if (set.has(key)) return;
  await warm();
  if (set.size >= MAX_MARKERS) set.clear();
  set.add(key);
}

/** Warms up people.searchContacts for the user (once per instance). */
export function warmContactSearch(ctx: ToolContext): Promise<void> {
  return ensureWarm(ctx.people, ctx.accountId, 'contacts', () =>
    ctx.people.call(ctx.accountId, (api, options) => api.people.searchContacts({ query: '', readMask: 'names', pageSize: 1 }, options)),
  );
}

/** Warms up otherContacts.search for the user (once per instance). */
export function warmOtherContactSearch(ctx: ToolContext): Promise<void> {
  return ensureWarm(ctx.people, ctx.accountId, 'otherContacts', () =>
    ctx.people.call(ctx.accountId, (api, options) => api.otherContacts.search({ query: '', readMask: 'names', pageSize: 1 }, options)),
  );
}
