/**
 * CSRF protection of our own forms (the consent page, the missing-permission page): a random cookie
 * scoped to the interaction's path, and a form token that is an HMAC of the interaction id, the form's
 * purpose and that cookie. A token of one form cannot stand in for another's, nor for another
 * interaction's; SameSite=Strict keeps the cookie off cross-site posts as well.
 */
import { createHmac } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '../../config/config.js';
import { log } from '../../logging/logger.js';
import { constantTimeEqual, randomToken, type KeyRing } from '../../security/keys.js';
import { readCookie, setCookie } from '../../web/cookies.js';
import { html, sendPage } from '../../web/html.js';

const CSRF_COOKIE = 'consent_csrf';

/** What the token is bound to: the interaction, and for any form but the consent page, its purpose. */
function binding(uid: string, purpose: string | undefined): string {
  return purpose ? `${uid}.${purpose}` : uid;
}

function tokenFor(keys: KeyRing, bound: string, cookie: string): string {
  return createHmac('sha256', keys.cookieKeys[0]!).update(`${bound}.${cookie}`).digest('base64url');
}

/** Sets a fresh CSRF cookie for the interaction and returns the token its form must carry. */
export function issueCsrfToken(res: Response, config: Config, keys: KeyRing, uid: string, purpose?: string): string {
  const cookie = randomToken(24);
  setCookie(res, CSRF_COOKIE, cookie, {
    path: `/interaction/${uid}`,
    maxAgeSeconds: 3600,
    secure: config.baseUrl.startsWith('https:'),
    sameSite: 'Strict',
  });
  return tokenFor(keys, binding(uid, purpose), cookie);
}

/**
 * Whether the posted form carries the token for this interaction, purpose and cookie. If not, logs the
 * refusal (`logMessage`) and answers the 403 page.
 */
export function acceptCsrfToken(
  req: Request,
  res: Response,
  keys: KeyRing,
  uid: string,
  body: Record<string, unknown>,
  logMessage: string,
  purpose?: string,
): boolean {
  const cookie = readCookie(req, CSRF_COOKIE);
  const presented = typeof body.csrf === 'string' ? body.csrf : '';
  if (cookie && presented && constantTimeEqual(presented, tokenFor(keys, binding(uid, purpose), cookie))) return true;
  log().warn({ event: 'consent.refused', reason: 'csrf_failed', flowId: uid }, logMessage);
  sendPage(
    res,
    403,
    'Please try again',
    html`<div class="card"><h1>Please try again</h1><p>This form was not submitted from the page we showed you. Go back to your app and connect again.</p></div>`,
  );
  return false;
}
