/**
 * Granular consent at Google: the user may untick permissions on Google's consent screen. When the
 * contacts permission the server needs is missing, the authorization is not completed: the person gets
 * this page, naming the permission in Google's words, with "Try again" (back to Google, asking again) and
 * "Cancel" (access_denied to the app). The Google callback (google-callback.ts) calls refuseMissingPermission;
 * the page's form is answered by permission-retry.ts. This file decides what to do with the tokens Google
 * sent and renders the page.
 */
import type { Response } from 'express';
import type Provider from 'oidc-provider';
import { log } from '../../logging/logger.js';
import type { GoogleIdentity, GoogleOAuth, GoogleTokens } from '../../upstream/google/oauth.js';
import { PERMISSION_LABELS } from '../../upstream/google/scopes.js';
import type { GoogleTokenStore } from '../../upstream/google/token-store.js';
import { html, sendPage } from '../../web/html.js';
import type { InteractionDeps } from './context.js';
import { issueCsrfToken } from './csrf.js';
import type { LoginState } from './login-state.js';

/** Where the page's form posts (under /interaction/{uid}, so oidc-provider's interaction cookie comes along). */
export function missingPermissionAction(uid: string): string {
  return `/interaction/${uid}/google-permission`;
}

/** The CSRF token's purpose, so a token of this page cannot stand in for the consent page's (or back). */
export const MISSING_PERMISSION_PURPOSE = 'google-permission';

/**
 * Tokens that lack the required scope are never stored: storing them would replace a good token of the
 * same user (Google keeps one grant per user and app), and no tool could use them. They are revoked at
 * Google only when we hold nothing else for the user: revoking any token ends the user's whole Google
 * grant to this app, which would also disconnect their other apps that work today. Best effort.
 */
export async function discardTokens(
  google: GoogleOAuth,
  googleTokens: GoogleTokenStore,
  accountId: string,
  tokens: GoogleTokens,
): Promise<'revoked' | 'kept_for_other_grants' | 'revoke_failed'> {
  if (await googleTokens.profile(accountId)) return 'kept_for_other_grants';
  try {
    await google.revoke(tokens.refreshToken ?? tokens.accessToken);
    return 'revoked';
  } catch {
    return 'revoke_failed';
  }
}

export interface MissingPermissionPage {
  uid: string;
  /** The app's name as the consent page showed it. */
  appName: string;
  email: string;
  /** The scope Google did not grant. */
  missingScope: string;
  csrf: string;
  /** The login hint "Try again" passes to Google (the account that just signed in). */
  loginHint: string;
}

export function renderMissingPermission(res: Response, p: MissingPermissionPage): void {
  const label = PERMISSION_LABELS[p.missingScope] ?? 'access to your Google Contacts';
  sendPage(
    res,
    200,
    'Google did not give access to your contacts',
    html`<div class="card">
<h1>Google did not give access to your contacts</h1>
<p>On Google’s screen, the permission <strong>“${label}”</strong> was not ticked. <span class="client-name">${p.appName}</span> needs it to work with your Google Contacts, so the connection was not completed.</p>
<dl><dt>Google account</dt><dd>${p.email}</dd></dl>
<p>Choose <strong>Try again</strong> and tick that box when Google asks, or <strong>Cancel</strong> to stop connecting. The other permissions (your “Other contacts” and your organization’s directory) are optional.</p>
<form method="post" action="${missingPermissionAction(p.uid)}">
<input type="hidden" name="csrf" value="${p.csrf}">
<input type="hidden" name="login_hint" value="${p.loginHint}">
<div class="actions">
<button class="primary" type="submit" name="decision" value="retry">Try again</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</div>
</form>
<p class="muted">Nothing was shared with the app. Your Google password and Google tokens are never shared with it.</p>
</div>`,
  );
}

/**
 * Google did not grant the contacts permission the mode needs: no authorization code. The tokens are
 * discarded (see discardTokens) and the person chooses between asking Google again and cancelling.
 */
export async function refuseMissingPermission(
  { config, keys, google, googleTokens }: Pick<InteractionDeps, 'config' | 'keys' | 'google' | 'googleTokens'>,
  provider: Provider,
  res: Response,
  ls: LoginState,
  identity: GoogleIdentity,
  tokens: GoogleTokens,
  missingScope: string,
): Promise<void> {
  const tokensOutcome = await discardTokens(google, googleTokens, identity.sub, tokens);
  log().warn(
    {
      event: 'google.scope_missing',
      reason: 'required_scope_missing',
      required: true,
      scopes: [missingScope],
      tokens: tokensOutcome,
      email: identity.email,
      accountId: identity.sub,
      clientId: ls.clientId,
      flowId: ls.uid,
    },
    'Google did not grant the contacts permission; authorization not completed',
  );
  const client = await provider.Client.find(ls.clientId).catch(() => undefined);
  const csrf = issueCsrfToken(res, config, keys, ls.uid, MISSING_PERMISSION_PURPOSE);
  renderMissingPermission(res, {
    uid: ls.uid,
    appName: client?.clientName || 'The app',
    email: identity.email,
    missingScope,
    csrf,
    loginHint: identity.email,
  });
}
