/**
 * The login interaction's routes. oidc-provider owns the authorization request and sends the browser
 * here (`/interaction/{uid}`); we only finish its interaction with a login + grant, or an access_denied:
 *
 *   GET  /interaction/:uid                    consent page (consent-page.ts)
 *   POST /interaction/:uid/decision           Allow / Deny → Google or a grant (decision.ts)
 *   GET  /oauth/google/callback               Google's redirect back (google-callback.ts)
 *   POST /interaction/:uid/google-permission  granular consent: Try again / Cancel (permission-retry.ts)
 */
import express, { type Router } from 'express';
import { consentPageRoute } from './consent-page.js';
import type { InteractionDeps } from './context.js';
import { decisionRoute } from './decision.js';
import { googleCallbackRoute } from './google-callback.js';
import { missingPermissionAction } from './missing-permission.js';
import { permissionRetryRoute } from './permission-retry.js';

export function createInteractionRouter(deps: InteractionDeps): Router {
  const router = express.Router();
  // Our forms are tiny (a decision, a CSRF token, a login hint); body-parser drains anything larger.
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });
  router.get('/interaction/:uid', consentPageRoute(deps));
  router.post('/interaction/:uid/decision', form, decisionRoute(deps));
  router.post(missingPermissionAction(':uid'), form, permissionRetryRoute(deps));
  router.get('/oauth/google/callback', googleCallbackRoute(deps));
  return router;
}
