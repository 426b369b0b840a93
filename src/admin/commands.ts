/**
 * Admin operations over the configured store (used by `npm run admin`). Pure data in, data out, so the
 * CLI stays a thin shell and the operations are testable against both stores.
 */
import type { Store } from '../storage/port.js';
import type { GoogleTokenStore } from '../upstream/google/token-store.js';
import { CLIENT_IDLE_TTL } from '../oauth/constants.js';
import { revokeAccount } from '../oauth/revocation.js';
import { deleteTrashOf } from '../contacts/trash.js';

export interface UserRow {
  email: string;
  accountId: string;
  grants: number;
  lastUsed?: string;
}

export interface GrantRow {
  grantId: string;
  clientId: string;
  clientName?: string;
  created?: string;
  lastRefreshed?: string;
  expires: string;
}

export interface ClientRow {
  clientId: string;
  clientName?: string;
  redirectUris: string[];
  authMethod?: string;
  lastUsed?: string;
  expires: string;
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

async function accountIdFor(store: Store, email: string): Promise<string | undefined> {
  const all = await store.list('GoogleToken');
  return all.find((r) => String(r.record.data.email).toLowerCase() === email.toLowerCase())?.key;
}

/** Last refresh per grant: the newest refresh token's write time. */
async function lastRefreshByGrant(store: Store): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const { record } of await store.list('RefreshToken')) {
    if (!record.grantId) continue;
    out.set(record.grantId, Math.max(out.get(record.grantId) ?? 0, record.updatedAt ?? 0));
  }
  return out;
}

export async function listUsers(store: Store): Promise<UserRow[]> {
  const [tokens, grants, lastRefresh] = await Promise.all([
    store.list('GoogleToken'),
    store.list('Grant'),
    lastRefreshByGrant(store),
  ]);
  return tokens
    .map(({ key, record }) => {
      const mine = grants.filter((g) => g.record.accountId === key);
      const last = Math.max(record.updatedAt ?? 0, ...mine.map((g) => lastRefresh.get(g.key) ?? 0));
      return {
        email: String(record.data.email),
        accountId: key,
        grants: mine.length,
        lastUsed: iso(last || undefined),
      };
    })
    .sort((a, b) => a.email.localeCompare(b.email));
}

export async function listGrants(store: Store, email: string): Promise<GrantRow[] | undefined> {
  const accountId = await accountIdFor(store, email);
  if (!accountId) return undefined;
  const [grants, lastRefresh] = await Promise.all([
    store.list('Grant', { field: 'accountId', value: accountId }),
    lastRefreshByGrant(store),
  ]);
  const rows: GrantRow[] = [];
  for (const { key, record } of grants) {
    const clientId = typeof record.data.clientId === 'string' ? record.data.clientId : (record.clientId ?? '');
    const client = clientId ? await store.get('Client', clientId) : undefined;
    rows.push({
      grantId: key,
      clientId,
      clientName: (client?.data.client_name as string | undefined) ?? undefined,
      created: typeof record.data.iat === 'number' ? iso(record.data.iat * 1000) : undefined,
      lastRefreshed: iso(lastRefresh.get(key)),
      expires: new Date(record.expiresAt).toISOString(),
    });
  }
  return rows;
}

export async function listClients(store: Store): Promise<ClientRow[]> {
  const clients = await store.list('Client');
  return clients.map(({ key, record }) => ({
    clientId: key,
    clientName: record.data.client_name as string | undefined,
    redirectUris: (record.data.redirect_uris as string[] | undefined) ?? [],
    authMethod: record.data.token_endpoint_auth_method as string | undefined,
    // A client expires CLIENT_IDLE_TTL after its last use (the expiry slides on use).
    lastUsed: iso(record.expiresAt - CLIENT_IDLE_TTL * 1000),
    expires: new Date(record.expiresAt).toISOString(),
  }));
}

/** Ends every grant of the user, revokes their Google token and empties their trash of deleted contacts. */
export async function revokeUser(
  store: Store,
  googleTokens: GoogleTokenStore,
  email: string,
): Promise<{ accountId: string; grants: number; deletedContactsRemoved: number } | undefined> {
  const accountId = await accountIdFor(store, email);
  if (!accountId) return undefined;
  const grants = await revokeAccount(store, googleTokens, accountId, { revokeAtGoogle: true });
  // Their deleted contacts are their data: access revoked, nothing of it stays behind.
  const deletedContactsRemoved = await deleteTrashOf(store, accountId);
  return { accountId, grants: grants.length, deletedContactsRemoved };
}

export async function purgeExpired(store: Store): Promise<number> {
  return store.purgeExpired(Date.now());
}
