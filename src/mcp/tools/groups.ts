/** Contact groups ("labels"): listing, lookup by name or resource name, and their output shape. */
import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';
import { ToolError, type ToolContext } from './types.js';

export const groupRefInput = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .describe('The group’s name (e.g. "Hiking", case-insensitive) or its resource name (e.g. contactGroups/abc123)');

export const groupOut = z.object({
  resourceName: z.string().describe('Group resource name, e.g. contactGroups/abc123'),
  name: z.string().describe('Group name as Google Contacts shows it'),
  kind: z
    .enum(['user', 'system'])
    .describe("'user' for groups the user made; 'system' for Google's built-in ones (My Contacts, Starred, …)"),
  memberCount: z.number().int().optional().describe('Number of contacts in the group'),
});
export type GroupOut = z.infer<typeof groupOut>;

/** The group fields every group read asks for (what renderGroup and the guards below look at). */
export const GROUP_FIELDS = 'name,groupType,memberCount';
/** The system groups contacts can be added to (Google refuses the others). */
export const ADDABLE_SYSTEM_GROUPS = ['contactGroups/myContacts', 'contactGroups/starred'];
const MAX_GROUP_PAGES = 5;

/** A group reference as resolveGroups answers it. */
export interface ResolvedGroup {
  ref: string;
  resourceName: string;
  name: string;
  /** One of Google's built-in groups (My Contacts, Starred, …). */
  system: boolean;
}

/** Built-in groups by resource name (Google's fixed ids); user groups have generated hex ids. */
const SYSTEM_GROUP_IDS = new Set([
  'myContacts',
  'starred',
  'friends',
  'family',
  'coworkers',
  'chatBuddies',
  'all',
  'blocked',
]);
export function isSystemGroup(rn: string): boolean {
  return SYSTEM_GROUP_IDS.has(rn.replace(/^contactGroups\//, ''));
}

/** Whether contacts may be added to the group: the user's own groups, My Contacts and Starred. */
export function isJoinable(g: { resourceName: string; system: boolean }): boolean {
  return !g.system || ADDABLE_SYSTEM_GROUPS.includes(g.resourceName);
}

/** The same rule for a group known only by its resource name (a contact's memberships, a trash copy's groups). */
export function isJoinableByName(rn: string): boolean {
  return isJoinable({ resourceName: rn, system: isSystemGroup(rn) });
}

/** Refuses, before anything is written, to add contacts to a built-in group Google would refuse. */
export function requireJoinable(g: ResolvedGroup): void {
  if (!isJoinable(g))
    throw new ToolError(
      `Contacts can't be added to the built-in group "${g.name}"; only to your own groups, My Contacts and Starred.`,
    );
}

/** Refuses to rename or delete one of Google's built-in groups (`g` read with GROUP_FIELDS; `name` as shown). */
export function requireUserGroup(g: people_v1.Schema$ContactGroup, name: string, action: 'renamed' | 'deleted'): void {
  if (g.groupType === 'SYSTEM_CONTACT_GROUP')
    throw new ToolError(`"${name}" is one of Google’s built-in groups and can’t be ${action}.`);
}

export function renderGroup(g: people_v1.Schema$ContactGroup): GroupOut {
  const out: GroupOut = {
    resourceName: g.resourceName ?? '',
    name: g.formattedName ?? g.name ?? '',
    kind: g.groupType === 'SYSTEM_CONTACT_GROUP' ? 'system' : 'user',
  };
  if (typeof g.memberCount === 'number') out.memberCount = g.memberCount;
  return out;
}

export function groupText(g: GroupOut): string {
  const count = g.memberCount === undefined ? '' : `, ${g.memberCount} contact${g.memberCount === 1 ? '' : 's'}`;
  return `${g.name} [${g.resourceName}] (${g.kind === 'system' ? 'built-in' : 'user group'}${count})`;
}

/** Every group of the user (bounded number of pages). */
export async function listAllGroups(ctx: ToolContext): Promise<people_v1.Schema$ContactGroup[]> {
  const all: people_v1.Schema$ContactGroup[] = [];
  let pageToken: string | undefined;
  for (let i = 0; i < MAX_GROUP_PAGES; i++) {
    const page = await ctx.google.call((api, options) =>
      api.contactGroups.list(
        { pageSize: 1000, groupFields: GROUP_FIELDS, ...(pageToken ? { pageToken } : {}) },
        options,
      ),
    );
    all.push(...(page.contactGroups ?? []));
    pageToken = page.nextPageToken ?? undefined;
    if (!pageToken) break;
  }
  return all;
}

/** resource name → display name, for rendering memberships. */
export async function groupNameMap(ctx: ToolContext): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const g of await listAllGroups(ctx))
    if (g.resourceName) map.set(g.resourceName, g.formattedName ?? g.name ?? g.resourceName);
  return map;
}

function norm(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLocaleLowerCase();
}

/**
 * Resolves group references (names or resource names) to resource names with one listing at most.
 * An unknown name is a ToolError that tells the model how to proceed.
 */
export async function resolveGroups(
  ctx: ToolContext,
  refs: string[],
  cached?: people_v1.Schema$ContactGroup[],
): Promise<ResolvedGroup[]> {
  const needLookup = refs.some((r) => !r.trim().startsWith('contactGroups/'));
  const groups = cached ?? (needLookup ? await listAllGroups(ctx) : []);
  return refs.map((ref) => {
    const r = ref.trim();
    if (r.startsWith('contactGroups/')) {
      if (!/^contactGroups\/[A-Za-z0-9_-]+$/.test(r))
        throw new ToolError(`"${r.slice(0, 100)}" is not a valid contact group resource name.`);
      const known = groups.find((g) => g.resourceName === r);
      return {
        ref,
        resourceName: r,
        name: known?.formattedName ?? known?.name ?? r,
        system: known ? known.groupType === 'SYSTEM_CONTACT_GROUP' : false,
      };
    }
    const wanted = norm(r);
    const matches = groups.filter((g) => norm(g.name ?? '') === wanted || norm(g.formattedName ?? '') === wanted);
    // A user group wins over a built-in group of the same name.
    const g = matches.find((m) => m.groupType !== 'SYSTEM_CONTACT_GROUP') ?? matches[0];
    if (!g?.resourceName) {
      throw new ToolError(
        `No contact group named "${r.slice(0, 100)}". Call list_contact_groups to see the existing groups, or create_contact_group to make it.`,
      );
    }
    return {
      ref,
      resourceName: g.resourceName,
      name: g.formattedName ?? g.name ?? g.resourceName,
      system: g.groupType === 'SYSTEM_CONTACT_GROUP',
    };
  });
}

export async function resolveGroup(ctx: ToolContext, ref: string): Promise<ResolvedGroup> {
  const [g] = await resolveGroups(ctx, [ref]);
  return g!;
}
