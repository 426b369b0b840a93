/**
 * What the account page shows: the user's grants, each with the app it belongs to. Read from the store
 * only — no client metadata document is fetched while the page renders (an unreachable app host must not
 * slow the page down; the stored copy the sign-in kept is used).
 *
 * "Last used" is when the app last renewed its tokens (sign-in or refresh), to the day: the grant's
 * 90-day expiry is pushed out by refreshes at most once a day (oauth/adapter.ts, to keep refreshes cheap), so
 * expiry − 90 days is the last renewal that moved it, and any later renewal happened less than a day
 * after that. Apps renew hourly while they are in use; calls to /mcp themselves write nothing.
 */
import { cimdDocumentKey } from '../oauth/cimd-documents.js';
import { GRANT_TTL } from '../oauth/constants.js';
import { redirectTargetLabel } from '../oauth/redirect-uris.js';
import type { Store, StoredRecord } from '../storage/port.js';

export interface ConnectedApp {
  grantId: string;
  clientId: string;
  /** The app's own name (self-declared at registration, or in its metadata document). */
  name: string;
  /** Where the app receives sign-ins: hosts of its redirect URIs (or the scheme of an app on the device). */
  destinations: string[];
  /** Every destination is on the user's own device (loopback or a private-use scheme). */
  onDevice: boolean;
  /** Epoch ms. */
  connectedAt?: number;
  /** Epoch ms of the last renewal that moved the grant's expiry (see the file comment). */
  lastRenewedAt: number;
  access: 'read-write' | 'read-only';
}

interface ClientFacts {
  name?: string;
  redirectUris: string[];
}

const isUrlClientId = (clientId: string) => /^https?:\/\//i.test(clientId);

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

async function clientFacts(store: Store, clientId: string): Promise<ClientFacts> {
  if (isUrlClientId(clientId)) {
    const stored = await store.get('CimdDocument', cimdDocumentKey(clientId));
    const doc =
      stored?.data.url === clientId ? (stored.data.document as Record<string, unknown> | undefined) : undefined;
    return {
      name: typeof doc?.client_name === 'string' ? doc.client_name : undefined,
      redirectUris: strings(doc?.redirect_uris),
    };
  }
  const client = await store.get('Client', clientId);
  return {
    name: typeof client?.data.client_name === 'string' ? client.data.client_name : undefined,
    redirectUris: strings(client?.data.redirect_uris),
  };
}

/** The resource scope the grant gave: read-write unless it only holds contacts.readonly. */
function accessOf(record: StoredRecord): ConnectedApp['access'] {
  const resources = (record.data.resources ?? {}) as Record<string, unknown>;
  const scopes = Object.values(resources).flatMap((v) => (typeof v === 'string' ? v.split(' ') : []));
  return scopes.includes('contacts') ? 'read-write' : 'read-only';
}

/** The client a grant belongs to: its index field, or the payload's (oidc-provider's own field). */
function clientIdOf(record: StoredRecord): string {
  const value = record.clientId ?? record.data.clientId;
  return typeof value === 'string' ? value : '';
}

export function describeGrant(grantId: string, record: StoredRecord, facts: ClientFacts): ConnectedApp {
  const clientId = clientIdOf(record);
  const labels = facts.redirectUris.map(redirectTargetLabel);
  const iat = typeof record.data.iat === 'number' ? record.data.iat * 1000 : undefined;
  return {
    grantId,
    clientId,
    name: facts.name?.trim().slice(0, 100) || (isUrlClientId(clientId) ? clientId.slice(0, 200) : 'An unnamed app'),
    destinations: [...new Set(labels.map((l) => l.label))],
    onDevice: labels.length > 0 && labels.every((l) => l.onDevice),
    connectedAt: iat,
    lastRenewedAt: Math.max(record.expiresAt - GRANT_TTL * 1000, iat ?? 0),
    access: accessOf(record),
  };
}

/** The account's grants, most recently used first. */
export async function listConnectedApps(store: Store, accountId: string): Promise<ConnectedApp[]> {
  const grants = await store.list('Grant', { field: 'accountId', value: accountId });
  const facts = new Map<string, Promise<ClientFacts>>();
  const apps = await Promise.all(
    grants.map(async ({ key, record }) => {
      const clientId = clientIdOf(record);
      if (!facts.has(clientId)) facts.set(clientId, clientFacts(store, clientId));
      return describeGrant(key, record, await facts.get(clientId)!);
    }),
  );
  return apps.sort((a, b) => b.lastRenewedAt - a.lastRenewedAt || (b.connectedAt ?? 0) - (a.connectedAt ?? 0));
}

/** The grant, if it exists and belongs to the account (a form names a grant id; the session names the account). */
export async function findOwnGrant(
  store: Store,
  accountId: string,
  grantId: unknown,
): Promise<{ grantId: string; accountId: string; clientId: string } | undefined> {
  if (typeof grantId !== 'string' || grantId.length === 0 || grantId.length > 200) return undefined;
  const record = await store.get('Grant', grantId);
  if (!record || (record.accountId ?? record.data.accountId) !== accountId) return undefined;
  return { grantId, accountId, clientId: clientIdOf(record) };
}
