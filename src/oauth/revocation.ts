/** Ending a user's access: one grant, all their grants (and the tokens of each), their Google token. */
import { deleteTrashOf } from '../contacts/trash.js';
import { log } from '../logging/logger.js';
import { isStoreUnavailable, type Store } from '../storage/port.js';
import type { GoogleTokenStore } from '../upstream/google/token-store.js';

/** Deletes every grant of the account (with their codes and refresh tokens) and its remembered consents. */
async function endGrants(store: Store, accountId: string): Promise<string[]> {
  const grants = await store.list('Grant', { field: 'accountId', value: accountId });
  await Promise.all(
    grants.map(async ({ key }) => Promise.all([store.deleteByGrantId(key), store.delete('Grant', key)])),
  );
  const consents = await store.list('Consent', { field: 'accountId', value: accountId });
  await Promise.all(consents.map(({ key }) => store.delete('Consent', key)));
  return grants.map((g) => g.key);
}

/** Revokes every grant of the account; returns the revoked grant ids. */
export async function revokeAccount(
  store: Store,
  googleTokens: GoogleTokenStore,
  accountId: string,
  opts: { revokeAtGoogle: boolean },
): Promise<string[]> {
  const grantIds = await endGrants(store, accountId);
  if (opts.revokeAtGoogle) await googleTokens.revokeAndDelete(accountId);
  else {
    googleTokens.invalidate(accountId);
    await store.delete('GoogleToken', accountId);
  }
  return grantIds;
}

/** What happened to the user's Google token: revoked at Google, kept for their other grants, none held, or Google did not answer. */
export type GoogleRevocation = 'revoked' | 'kept_for_other_grants' | 'none' | 'failed';

/**
 * The Google token is shared by all of a user's grants (Google keeps one grant per user and app), so it
 * is revoked at Google with the user's last grant and not before: disconnecting one app must not log the
 * same person out of the others.
 */
export async function revokeGoogleWithLastGrant(
  store: Store,
  googleTokens: GoogleTokenStore,
  accountId: string,
): Promise<GoogleRevocation> {
  const remaining = await store.list('Grant', { field: 'accountId', value: accountId });
  if (remaining.length > 0) return 'kept_for_other_grants';
  try {
    if (!(await googleTokens.revokeAndDelete(accountId))) return 'none';
  } catch (err) {
    // revokeAndDelete deletes our copy even when Google does not answer: nothing here can use it any more.
    if (isStoreUnavailable(err)) throw err;
    log().warn(
      { event: 'google.token_revoke_failed', accountId, email: googleTokens.knownEmail(accountId) },
      'Google did not answer the revocation; our copy of the token is deleted',
    );
    return 'failed';
  }
  log().info(
    { event: 'google.token_revoked', accountId, email: googleTokens.knownEmail(accountId) },
    'revoked the Google token of the last grant',
  );
  return 'revoked';
}

/**
 * Ends one grant as the revocation endpoint does (the grant, its codes and refresh tokens; the Google
 * token with the user's last grant), on the user's own request: the remembered consent for that app is
 * forgotten too when no other grant of the app remains, so reconnecting it shows the consent page again.
 */
export async function revokeGrant(
  store: Store,
  googleTokens: GoogleTokenStore,
  grant: { grantId: string; accountId: string; clientId: string },
): Promise<GoogleRevocation> {
  await Promise.all([store.deleteByGrantId(grant.grantId), store.delete('Grant', grant.grantId)]);
  const others = await store.list('Grant', { field: 'accountId', value: grant.accountId });
  if (!others.some(({ record }) => (record.clientId ?? record.data.clientId) === grant.clientId)) {
    const consents = await store.list('Consent', { field: 'accountId', value: grant.accountId });
    await Promise.all(
      consents
        .filter(({ record }) => record.clientId === grant.clientId)
        .map(({ key }) => store.delete('Consent', key)),
    );
  }
  return revokeGoogleWithLastGrant(store, googleTokens, grant.accountId);
}

export interface AccountDisconnected {
  grantIds: string[];
  deletedContactsRemoved: number;
  google: GoogleRevocation;
}

/**
 * Everything the user connected ends, as with the admin's `revoke`: every grant, the Google token (at
 * Google too) and the trash of deleted contacts — their data, which no app can restore any more.
 */
export async function disconnectAccount(
  store: Store,
  googleTokens: GoogleTokenStore,
  accountId: string,
): Promise<AccountDisconnected> {
  // Grants first, Google last: a Google outage cannot leave a grant alive.
  const grantIds = await endGrants(store, accountId);
  const deletedContactsRemoved = await deleteTrashOf(store, accountId);
  const google = await revokeGoogleWithLastGrant(store, googleTokens, accountId);
  return { grantIds, deletedContactsRemoved, google };
}
