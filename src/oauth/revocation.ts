/** Ending a user's access: all their grants (and the tokens of each), optionally their Google token. */
import type { Store } from '../storage/port.js';
import type { GoogleTokenStore } from '../upstream/google/token-store.js';

/** Revokes every grant of the account; returns the revoked grant ids. */
export async function revokeAccount(store: Store, googleTokens: GoogleTokenStore, accountId: string, opts: { revokeAtGoogle: boolean }): Promise<string[]> {
  const grants = await store.list('Grant', { field: 'accountId', value: accountId });
  await Promise.all(grants.map(async ({ key }) => Promise.all([store.deleteByGrantId(key), store.delete('Grant', key)])));
  const consents = await store.list('Consent', { field: 'accountId', value: accountId });
  await Promise.all(consents.map(({ key }) => store.delete('Consent', key)));
  if (opts.revokeAtGoogle) await googleTokens.revokeAndDelete(accountId);
  else {
    googleTokens.invalidate(accountId);
    await store.delete('GoogleToken', accountId);
  }
  return grants.map((g) => g.key);
}
