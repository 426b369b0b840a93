/**
 * POST /interaction/:uid/decision — the consent page's Allow / Deny. Deny ends the authorization with
 * access_denied. Allow goes to Google's sign-in, unless the person is signed in here, still allowed to
 * use the server, and we hold their Google grant with every permission we would ask for: then the grant
 * is issued without a Google round trip.
 */
import type { Request, Response } from 'express';
import { log } from '../../logging/logger.js';
import { peopleScopesFor } from '../../upstream/google/scopes.js';
import { checkSignIn } from '../policy.js';
import type { InteractionDeps } from './context.js';
import { acceptCsrfToken } from './csrf.js';
import { loadDetails } from './details.js';
import { finishWithGrant } from './grant.js';
import { redirectToGoogle } from './google-redirect.js';
import { emailHint } from './login-hint.js';

export function decisionRoute(deps: InteractionDeps) {
  const { config, keys, googleTokens } = deps;
  return async (req: Request, res: Response): Promise<void> => {
    const provider = await deps.provider();
    const details = await loadDetails(provider, req, res);
    if (!details) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!acceptCsrfToken(req, res, keys, details.uid, body, 'consent form without a valid CSRF token')) return;
    const clientId = String(details.params.client_id);
    if (body.decision !== 'approve') {
      log().info({ event: 'consent.denied', clientId, flowId: details.uid }, 'user denied consent');
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user denied the request' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const accountId = details.session?.accountId;
    // Skip Google only when the stored Google grant has every permission we would ask for: a user who
    // unticked one and reconnects to tick it must get Google's consent screen again.
    if (accountId && (await googleTokens.hasRefreshToken(accountId, peopleScopesFor(config.readOnly)))) {
      const profile = await googleTokens.profile(accountId);
      if (profile && !checkSignIn(config, { email: profile.email, emailVerified: true, hd: profile.hd })) {
        await finishWithGrant(deps, provider, req, res, details, accountId);
        return;
      }
    }
    // Prefer the signed-in account; else pass on the client's login_hint (an email) to Google.
    const loginHint =
      (accountId ? (await googleTokens.profile(accountId))?.email : undefined) ?? emailHint(details.params.login_hint);
    await redirectToGoogle(deps, res, { uid: details.uid, clientId }, { attempt: 1, loginHint, promptConsent: false });
  };
}
