/**
 * POST /interaction/:uid/google-permission — the missing-permission page's form (granular consent):
 * "Try again" goes back to Google asking again with prompt=consent; "Cancel" ends the authorization with
 * access_denied.
 */
import type { Request, Response } from 'express';
import { log } from '../../logging/logger.js';
import { html, sendPage } from '../../web/html.js';
import type { InteractionDeps } from './context.js';
import { acceptCsrfToken } from './csrf.js';
import { loadDetails } from './details.js';
import { redirectToGoogle } from './google-redirect.js';
import { emailHint } from './login-hint.js';
import { MISSING_PERMISSION_PURPOSE } from './missing-permission.js';

export function permissionRetryRoute(deps: InteractionDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const provider = await deps.provider();
    const details = await loadDetails(provider, req, res);
    if (!details) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (
      !acceptCsrfToken(
        req,
        res,
        deps.keys,
        details.uid,
        body,
        'missing-permission form without a valid CSRF token',
        MISSING_PERMISSION_PURPOSE,
      )
    )
      return;
    const clientId = String(details.params.client_id);
    if (body.decision === 'retry') {
      log().info(
        { event: 'google.scope_retry', clientId, flowId: details.uid },
        'asking Google again for the missing permission',
      );
      // prompt=consent: Google shows every box again (and sends a refresh token with the new grant).
      await redirectToGoogle(
        deps,
        res,
        { uid: details.uid, clientId },
        { attempt: 2, loginHint: emailHint(body.login_hint), promptConsent: true },
      );
      return;
    }
    if (body.decision === 'cancel') {
      log().info(
        { event: 'consent.denied', reason: 'google_scope_missing', clientId, flowId: details.uid },
        'user cancelled after Google did not grant the contacts permission',
      );
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The Google contacts permission was not granted' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    sendPage(
      res,
      400,
      'Please choose again',
      html`<div class="card"><h1>Please choose again</h1><p>Go back and choose Try again or Cancel.</p></div>`,
    );
  };
}
