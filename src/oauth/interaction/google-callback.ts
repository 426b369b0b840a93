/**
 * GET /oauth/google/callback — Google's redirect back. Takes the single-use login state, exchanges the
 * code (PKCE, nonce), applies the sign-in policy and granular consent, stores the user's Google tokens
 * and finishes the interaction with a grant — or with access_denied, a page saying what happened, or one
 * more round trip to Google when it sent no refresh token.
 *
 * The `_interaction` cookie is scoped to `/interaction/{uid}`, so this route loads the interaction by the
 * uid kept in the login state, sets its result and redirects to `returnTo`: what interactionFinished does,
 * minus the cookie lookup.
 */
import type { Request, Response } from 'express';
import { handleAccountCallback, isAccountLoginState } from '../../account/sign-in.js';
import { log } from '../../logging/logger.js';
import { GoogleReauthRequired } from '../../upstream/google/oauth.js';
import { grantedScopes, missingScopes, peopleScopesFor, requiredContactsScope } from '../../upstream/google/scopes.js';
import { html, sendPage, type Raw } from '../../web/html.js';
import { checkSignIn } from '../policy.js';
import type { InteractionDeps } from './context.js';
import { grantFor } from './grant.js';
import { redirectToGoogle } from './google-redirect.js';
import { takeLoginState } from './login-state.js';
import { refuseMissingPermission } from './missing-permission.js';

export function googleCallbackRoute(deps: InteractionDeps) {
  const { config, store, keys, google, googleTokens } = deps;
  return async (req: Request, res: Response): Promise<void> => {
    const provider = await deps.provider();
    const q = req.query as Record<string, unknown>;
    const state = typeof q.state === 'string' ? q.state : '';
    const fail = (status: number, title: string, body: Raw, reason: string) => {
      log().warn({ event: 'google.callback_refused', reason }, title);
      sendPage(res, status, title, html`<div class="card"><h1>${title}</h1>${body}</div>`);
    };
    if (!state || state.length > 200) {
      fail(
        400,
        'Sign-in could not continue',
        html`<p>Google sent you back without the information we need. Go back to your app and connect again.</p>`,
        'state_missing',
      );
      return;
    }
    const taken = await takeLoginState(store, keys, state);
    if (!taken.ok) {
      if (taken.reason === 'state_undecryptable')
        fail(400, 'Sign-in could not continue', html`<p>Go back to your app and connect again.</p>`, taken.reason);
      else
        fail(
          400,
          'This sign-in link was already used',
          html`<p>Each sign-in link works once. Go back to your app and connect again.</p>`,
          taken.reason,
        );
      return;
    }
    const ls = taken.loginState;
    // The account page signs in through the same registered callback; its state says so.
    if (isAccountLoginState(ls))
      return handleAccountCallback({ config, store, keys, google, googleTokens }, req, res, ls);
    const interaction = await provider.Interaction.find(ls.uid);
    if (!interaction) {
      fail(
        400,
        'Sign-in took too long',
        html`<p>The sign-in expired before Google sent you back. Go back to your app and connect again.</p>`,
        'interaction_expired',
      );
      return;
    }
    const finish = async (result: Record<string, unknown>) => {
      interaction.result = result as typeof interaction.result;
      await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
      res.redirect(303, interaction.returnTo);
    };
    if (typeof q.error === 'string' || typeof q.code !== 'string') {
      log().info(
        {
          event: 'consent.denied',
          reason: 'google_cancelled',
          clientId: ls.clientId,
          flowId: ls.uid,
          googleError: typeof q.error === 'string' ? q.error.slice(0, 64) : 'no_code',
        },
        'Google sign-in cancelled or failed',
      );
      await finish({ error: 'access_denied', error_description: 'Google sign-in was cancelled' });
      return;
    }
    let exchanged;
    try {
      exchanged = await google.exchangeCode(q.code, ls.codeVerifier, ls.nonce);
    } catch (err) {
      const reauth = err instanceof GoogleReauthRequired;
      log().warn(
        {
          event: 'google.callback_refused',
          reason: reauth ? 'google_code_rejected' : 'google_unavailable',
          clientId: ls.clientId,
          flowId: ls.uid,
        },
        'Google code exchange failed',
      );
      if (reauth) {
        await finish({ error: 'access_denied', error_description: 'Google did not accept the sign-in' });
      } else {
        res.setHeader('Retry-After', '5');
        sendPage(
          res,
          503,
          'Google is not answering',
          html`<div class="card"><h1>Google is not answering right now</h1><p>Please go back to your app and connect again in a minute.</p></div>`,
        );
      }
      return;
    }
    const { identity, tokens } = exchanged;
    const refusal = checkSignIn(config, identity);
    if (refusal) {
      log().warn(
        { event: 'signin.refused', reason: refusal, email: identity.email, clientId: ls.clientId, flowId: ls.uid },
        'Google account not allowed',
      );
      interaction.result = {
        error: 'access_denied',
        error_description:
          refusal === 'email_not_verified'
            ? 'Google account email is not verified'
            : 'This Google account is not allowed to use this server',
      } as typeof interaction.result;
      await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
      sendPage(
        res,
        403,
        'This account is not allowed',
        html`<div class="card"><h1>${identity.email} can’t use this server</h1><p>${refusal === 'email_not_verified' ? 'Google has not verified this account’s email address.' : 'Your administrator only allows certain Google accounts or domains.'} Sign in with a different Google account, or ask your administrator for access.</p><div class="actions"><a class="button primary" href="${interaction.returnTo}">Return to the app</a></div></div>`,
      );
      return;
    }
    // Granular consent: Google grants what the user left ticked, which may be less than we asked for.
    const unticked = missingScopes(grantedScopes(tokens.scope), peopleScopesFor(config.readOnly));
    const required = requiredContactsScope(config.readOnly);
    if (unticked.includes(required)) {
      await refuseMissingPermission(deps, provider, res, ls, identity, tokens, required);
      return;
    }
    if (unticked.length) {
      log().info(
        {
          event: 'google.scope_missing',
          required: false,
          scopes: unticked,
          email: identity.email,
          accountId: identity.sub,
          clientId: ls.clientId,
          flowId: ls.uid,
        },
        'optional Google permissions not granted; sign-in continues',
      );
    }
    // A refresh token we already hold only stands in for a new one if Google granted it what was just granted.
    const justGranted = peopleScopesFor(config.readOnly).filter((s) => !unticked.includes(s));
    if (!tokens.refreshToken && ls.attempt === 1 && !(await googleTokens.hasRefreshToken(identity.sub, justGranted))) {
      // Google only sends a refresh token on consent; ask once more, this time with prompt=consent.
      await redirectToGoogle(
        deps,
        res,
        { uid: ls.uid, clientId: ls.clientId },
        { attempt: 2, loginHint: identity.email, promptConsent: true },
      );
      return;
    }
    await googleTokens.saveFromSignIn(
      identity.sub,
      { email: identity.email, name: identity.name, hd: identity.hd },
      tokens,
    );
    log().info(
      {
        event: 'user.signed_in',
        email: identity.email,
        accountId: identity.sub,
        clientId: ls.clientId,
        flowId: ls.uid,
      },
      'signed in with Google',
    );

    const grantId = await grantFor(
      deps,
      provider,
      identity.sub,
      ls.clientId,
      interaction.params as Record<string, unknown>,
    );
    log().info(
      { event: 'consent.granted', email: identity.email, clientId: ls.clientId, flowId: ls.uid },
      'consent recorded',
    );
    await finish({ login: { accountId: identity.sub }, consent: { grantId } });
  };
}
