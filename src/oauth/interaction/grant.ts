/**
 * The end of a successful interaction: the grant oidc-provider issues tokens under, and the consent we
 * remember for (user, client) so that a returning client skips the consent page.
 */
import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import { log } from '../../logging/logger.js';
import { hashValue } from '../../security/keys.js';
import type { Store } from '../../storage/port.js';
import { GRANT_TTL, OIDC_SCOPES, resourceScope } from '../constants.js';
import type { InteractionDeps, InteractionDetails } from './context.js';

function consentKey(accountId: string, clientId: string): string {
  return hashValue(`${accountId}\n${clientId}`);
}

/** Whether this user already allowed this client (a consent record that has not expired). */
export async function hasConsent(store: Store, accountId: string, clientId: string): Promise<boolean> {
  return Boolean(await store.get('Consent', consentKey(accountId, clientId)));
}

/** Creates (or extends) the grant for this authorization and remembers consent for (user, client). */
export async function grantFor(
  { config, store }: Pick<InteractionDeps, 'config' | 'store'>,
  provider: Provider,
  accountId: string,
  clientId: string,
  params: Record<string, unknown>,
  existingGrantId?: string,
): Promise<string> {
  const existing = existingGrantId ? await provider.Grant.find(existingGrantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const requested = (typeof params.scope === 'string' ? params.scope : '')
    .split(' ')
    .filter((s) => OIDC_SCOPES.includes(s));
  if (requested.length) grant.addOIDCScope(requested.join(' '));
  grant.addResourceScope(typeof params.resource === 'string' ? params.resource : config.mcpUrl, resourceScope(config));
  const grantId = await grant.save();
  const now = Date.now();
  await store.put('Consent', consentKey(accountId, clientId), {
    data: { accountId, clientId, at: now },
    accountId,
    clientId,
    expiresAt: now + GRANT_TTL * 1000,
  });
  return grantId;
}

/** Finishes an interaction from one of its own pages (the `_interaction` cookie is in scope there). */
export async function finishWithGrant(
  deps: Pick<InteractionDeps, 'config' | 'store'>,
  provider: Provider,
  req: Request,
  res: Response,
  details: InteractionDetails,
  accountId: string,
): Promise<void> {
  const clientId = String(details.params.client_id);
  const grantId = await grantFor(deps, provider, accountId, clientId, details.params, details.grantId);
  log().info({ event: 'consent.granted', accountId, clientId, flowId: details.uid }, 'consent recorded');
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}
