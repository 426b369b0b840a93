/**
 * The login interaction: our consent page (per MCP client, before any Google redirect — the
 * confused-deputy rule), the redirect to Google, and Google's callback. oidc-provider owns the
 * authorization request; we only finish its interaction with a login + grant, or an access_denied.
 */
import { createHash, createHmac } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type Provider from 'oidc-provider';
import type { Config } from '../config/config.js';
import { log } from '../logging/logger.js';
import { constantTimeEqual, hashValue, randomToken, type KeyRing } from '../security/keys.js';
import { isStoreUnavailable, type Store } from '../storage/port.js';
import { GOOGLE_BASE_SCOPES, GOOGLE_SCOPES_READ_ONLY, GOOGLE_SCOPES_READ_WRITE, GoogleReauthRequired, type GoogleIdentity, type GoogleOAuth, type GoogleTokens } from '../upstream/google/oauth.js';
import { grantedScopes, missingScopes, peopleScopesFor, requiredContactsScope } from '../upstream/google/scopes.js';
import type { GoogleTokenStore } from '../upstream/google/token-store.js';
import { readCookie, setCookie } from '../web/cookies.js';
import { html, raw, sendPage, type Raw } from '../web/html.js';
import { handleAccountCallback, isAccountLoginState } from '../account/sign-in.js';
import { MISSING_PERMISSION_PURPOSE, discardTokens, renderMissingPermission } from './missing-permission.js';
import { checkSignIn } from './policy.js';
import { redirectTargetLabel } from './redirect-uris.js';
import { GRANT_TTL, OIDC_SCOPES, resourceScope } from './constants.js';

const LOGIN_STATE_TTL_MS = 10 * 60_000;
const CSRF_COOKIE = 'consent_csrf';

export interface InteractionDeps {
  config: Config;
  /** The authorization server, created on first use (see app.ts). */
  provider: () => Promise<Provider>;
  store: Store;
  keys: KeyRing;
  google: GoogleOAuth;
  googleTokens: GoogleTokenStore;
}

interface LoginState {
  uid: string;
  clientId: string;
  codeVerifier: string;
  nonce: string;
  /** 1 on the first Google round trip; 2 when we came back for prompt=consent to get a refresh token. */
  attempt: number;
}

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

function consentKey(accountId: string, clientId: string): string {
  return hashValue(`${accountId}\n${clientId}`);
}

export function abilities(config: Config): string[] {
  return config.readOnly
    ? ['See your Google Contacts and contact groups', 'Search people you have emailed ("Other contacts")', 'Search your organisation’s directory (Google Workspace accounts)']
    : [
        'See, create, change and delete your Google Contacts',
        'Create, rename and delete contact groups and change who is in them',
        'Search people you have emailed ("Other contacts") and save them as contacts',
        'Search your organisation’s directory (Google Workspace accounts)',
      ];
}

export function createInteractionRouter(deps: InteractionDeps): Router {
  const { config, store, keys, google, googleTokens } = deps;
  const router = express.Router();
  let provider!: Provider;
  router.use(['/interaction', '/oauth/google'], async (_req, _res, next) => {
    provider = await deps.provider();
    next();
  });
  const secureCookies = config.baseUrl.startsWith('https:');
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });

  const csrfToken = (uid: string, cookie: string) =>
    createHmac('sha256', keys.cookieKeys[0]!).update(`${uid}.${cookie}`).digest('base64url');

  /** Creates (or extends) the grant for this authorization and remembers consent for (user, client). */
  async function grantFor(accountId: string, clientId: string, params: Record<string, unknown>, existingGrantId?: string): Promise<string> {
    const existing = existingGrantId ? await provider.Grant.find(existingGrantId) : undefined;
    const grant = existing ?? new provider.Grant({ accountId, clientId });
    const requested = String(params.scope ?? '').split(' ').filter((s) => OIDC_SCOPES.includes(s));
    if (requested.length) grant.addOIDCScope(requested.join(' '));
    grant.addResourceScope(typeof params.resource === 'string' ? params.resource : config.mcpUrl, resourceScope(config));
    const grantId = await grant.save();
    const now = Date.now();
    await store.put('Consent', consentKey(accountId, clientId), { data: { accountId, clientId, at: now }, accountId, clientId, expiresAt: now + GRANT_TTL * 1000 });
    return grantId;
  }

  async function finishWithGrant(req: Request, res: Response, details: InteractionDetails, accountId: string): Promise<void> {
    const clientId = String(details.params.client_id);
    const grantId = await grantFor(accountId, clientId, details.params, details.grantId);
    log().info({ event: 'consent.granted', accountId, clientId, flowId: details.uid }, 'consent recorded');
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  async function renderConsent(res: Response, details: InteractionDetails): Promise<void> {
    const clientId = String(details.params.client_id);
    const client = await provider.Client.find(clientId);
    if (!client) {
      sendPage(res, 400, 'Unknown app', html`<div class="card"><h1>Unknown app</h1><p>The app that sent you here is not registered. Start again from your app.</p></div>`);
      return;
    }
    const redirectUri = String(details.params.redirect_uri ?? client.redirectUris?.[0] ?? '');
    // Private-use schemes (cursor://…, com.example.app:/cb) have no meaningful host: name the scheme.
    const { label: redirectHost, onDevice: loopbackOnly } = redirectTargetLabel(redirectUri);
    const isCimd = (client as unknown as { clientIdMetadataDocument?: boolean }).clientIdMetadataDocument === true;
    const name = client.clientName || (isCimd ? clientId : 'An unnamed app');
    const cookie = randomToken(24);
    setCookie(res, CSRF_COOKIE, cookie, { path: `/interaction/${details.uid}`, maxAgeSeconds: 3600, secure: secureCookies, sameSite: 'Strict' });
    const sessionEmail = details.session?.accountId ? (await googleTokens.profile(details.session.accountId))?.email : undefined;
    const warning: Raw = loopbackOnly
      ? html`<div class="warn" role="alert"><strong>This app runs on your own computer.</strong> It sends the sign-in result to <code>${redirectHost}</code>, on this device. Only continue if you just started connecting a program such as Claude Code on this device.</div>`
      : raw('');
    log().info({ event: 'consent.shown', clientId, flowId: details.uid }, 'consent page shown');
    sendPage(
      res,
      200,
      `Allow ${name} to use your Google Contacts?`,
      html`<div class="card">
<h1>Allow <span class="client-name">${name}</span> to use your Google Contacts?</h1>
<dl><dt>App</dt><dd>${name}</dd><dt>Sends you back to</dt><dd><code>${redirectHost}</code></dd>${sessionEmail ? html`<dt>Google account</dt><dd>${sessionEmail}</dd>` : raw('')}</dl>
${warning}
<p>If you allow it, this app will be able to:</p>
<ul>${abilities(config).map((a) => html`<li>${a}</li>`)}</ul>
<p class="muted">${sessionEmail ? 'You are already signed in with Google here.' : 'Next, Google will ask you to sign in.'} Your Google password and Google tokens are never shared with the app. You can disconnect it at any time at <code>${config.baseUrl}/account</code>.</p>
<form method="post" action="/interaction/${details.uid}/decision">
<input type="hidden" name="csrf" value="${csrfToken(details.uid, cookie)}">
<div class="actions">
<button class="primary" type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
</div>`,
    );
  }

  async function redirectToGoogle(res: Response, details: InteractionDetails, opts: { attempt: number; loginHint?: string; promptConsent: boolean }): Promise<void> {
    const state = randomToken(32);
    const codeVerifier = randomToken(48);
    const nonce = randomToken(16);
    const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
    const data: LoginState = { uid: details.uid, clientId: String(details.params.client_id), codeVerifier, nonce, attempt: opts.attempt };
    await store.put('GoogleLoginState', hashValue(state), { data: { sealed: keys.encrypt(JSON.stringify(data), 'google_login_states') }, expiresAt: Date.now() + LOGIN_STATE_TTL_MS });
    const scopes = [...GOOGLE_BASE_SCOPES, ...(config.readOnly ? GOOGLE_SCOPES_READ_ONLY : GOOGLE_SCOPES_READ_WRITE)];
    const url = await google.authorizationUrl({ state, codeChallenge, nonce, scopes, promptConsent: opts.promptConsent, loginHint: opts.loginHint });
    log().info({ event: 'google.redirect', clientId: data.clientId, flowId: details.uid, promptConsent: opts.promptConsent }, 'redirecting to Google sign-in');
    res.redirect(303, url);
  }

  async function loadDetails(req: Request, res: Response): Promise<InteractionDetails | undefined> {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== req.params.uid) throw new Error(`uid mismatch ${details.uid} ${String(req.params.uid)}`);
      return details;
    } catch (err) {
      if (isStoreUnavailable(err)) throw err;
      log().info({ event: 'interaction.not_found', reason: 'interaction_expired', detail: (err as Error).message }, 'interaction lookup failed');
      sendPage(
        res,
        400,
        'Sign-in expired',
        html`<div class="card"><h1>This sign-in link has expired</h1><p>Sign-in links work once, in the browser that opened them, for up to an hour. Go back to your app and connect again.</p></div>`,
      );
      return undefined;
    }
  }

  router.get('/interaction/:uid', async (req, res) => {
    const details = await loadDetails(req, res);
    if (!details) return;
    const accountId = details.session?.accountId;
    const clientId = String(details.params.client_id);
    if (details.prompt.name === 'consent' && accountId) {
      const [consent, hasRt] = await Promise.all([store.get('Consent', consentKey(accountId, clientId)), googleTokens.hasRefreshToken(accountId, peopleScopesFor(config.readOnly))]);
      if (consent && hasRt) {
        await finishWithGrant(req, res, details, accountId);
        return;
      }
    }
    await renderConsent(res, details);
  });

  router.post('/interaction/:uid/decision', form, async (req, res) => {
    const details = await loadDetails(req, res);
    if (!details) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const cookie = readCookie(req, CSRF_COOKIE);
    const presented = typeof body.csrf === 'string' ? body.csrf : '';
    if (!cookie || !presented || !constantTimeEqual(presented, csrfToken(details.uid, cookie))) {
      log().warn({ event: 'consent.refused', reason: 'csrf_failed', flowId: details.uid }, 'consent form without a valid CSRF token');
      sendPage(res, 403, 'Please try again', html`<div class="card"><h1>Please try again</h1><p>This form was not submitted from the page we showed you. Go back to your app and connect again.</p></div>`);
      return;
    }
    const clientId = String(details.params.client_id);
    if (body.decision !== 'approve') {
      log().info({ event: 'consent.denied', clientId, flowId: details.uid }, 'user denied consent');
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user denied the request' }, { mergeWithLastSubmission: false });
      return;
    }
    const accountId = details.session?.accountId;
    // Skip Google only when the stored Google grant has every permission we would ask for: a user who
    // unticked one and reconnects to tick it must get Google's consent screen again.
    if (accountId && (await googleTokens.hasRefreshToken(accountId, peopleScopesFor(config.readOnly)))) {
      const profile = await googleTokens.profile(accountId);
      if (profile && !checkSignIn(config, { email: profile.email, emailVerified: true, hd: profile.hd })) {
        await finishWithGrant(req, res, details, accountId);
        return;
      }
    }
    // Prefer the signed-in account; else pass on the client's login_hint (an email) to Google.
    const hintParam = typeof details.params.login_hint === 'string' && /^[^@\s]{1,64}@[^@\s]{1,255}$/.test(details.params.login_hint) ? details.params.login_hint : undefined;
    const loginHint = (accountId ? (await googleTokens.profile(accountId))?.email : undefined) ?? hintParam;
    await redirectToGoogle(res, details, { attempt: 1, loginHint, promptConsent: false });
  });

  /**
   * Google did not grant the contacts permission the mode needs: no authorization code. The tokens are
   * discarded (see discardTokens) and the person chooses between asking Google again and cancelling.
   */
  async function refuseMissingPermission(res: Response, ls: LoginState, identity: GoogleIdentity, tokens: GoogleTokens, missingScope: string): Promise<void> {
    const tokensOutcome = await discardTokens(google, googleTokens, identity.sub, tokens);
    log().warn(
      { event: 'google.scope_missing', reason: 'required_scope_missing', required: true, scopes: [missingScope], tokens: tokensOutcome, email: identity.email, accountId: identity.sub, clientId: ls.clientId, flowId: ls.uid },
      'Google did not grant the contacts permission; authorization not completed',
    );
    const client = await provider.Client.find(ls.clientId).catch(() => undefined);
    const cookie = randomToken(24);
    setCookie(res, CSRF_COOKIE, cookie, { path: `/interaction/${ls.uid}`, maxAgeSeconds: 3600, secure: secureCookies, sameSite: 'Strict' });
    renderMissingPermission(res, {
      uid: ls.uid,
      appName: client?.clientName || 'The app',
      email: identity.email,
      missingScope,
      csrf: csrfToken(`${ls.uid}.${MISSING_PERMISSION_PURPOSE}`, cookie),
      loginHint: identity.email,
    });
  }

  // The missing-permission page's form: "Try again" (Google, asking again) or "Cancel" (access_denied).
  router.post('/interaction/:uid/google-permission', form, async (req, res) => {
    const details = await loadDetails(req, res);
    if (!details) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const cookie = readCookie(req, CSRF_COOKIE);
    const presented = typeof body.csrf === 'string' ? body.csrf : '';
    if (!cookie || !presented || !constantTimeEqual(presented, csrfToken(`${details.uid}.${MISSING_PERMISSION_PURPOSE}`, cookie))) {
      log().warn({ event: 'consent.refused', reason: 'csrf_failed', flowId: details.uid }, 'missing-permission form without a valid CSRF token');
      sendPage(res, 403, 'Please try again', html`<div class="card"><h1>Please try again</h1><p>This form was not submitted from the page we showed you. Go back to your app and connect again.</p></div>`);
      return;
    }
    const clientId = String(details.params.client_id);
    if (body.decision === 'retry') {
      const loginHint = typeof body.login_hint === 'string' && /^[^@\s]{1,64}@[^@\s]{1,255}$/.test(body.login_hint) ? body.login_hint : undefined;
      log().info({ event: 'google.scope_retry', clientId, flowId: details.uid }, 'asking Google again for the missing permission');
      // prompt=consent: Google shows every box again (and sends a refresh token with the new grant).
      await redirectToGoogle(res, details, { attempt: 2, loginHint, promptConsent: true });
      return;
    }
    if (body.decision === 'cancel') {
      log().info({ event: 'consent.denied', reason: 'google_scope_missing', clientId, flowId: details.uid }, 'user cancelled after Google did not grant the contacts permission');
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The Google contacts permission was not granted' }, { mergeWithLastSubmission: false });
      return;
    }
    sendPage(res, 400, 'Please choose again', html`<div class="card"><h1>Please choose again</h1><p>Go back and choose Try again or Cancel.</p></div>`);
  });

  router.get('/oauth/google/callback', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const state = typeof q.state === 'string' ? q.state : '';
    const fail = (status: number, title: string, body: Raw, reason: string) => {
      log().warn({ event: 'google.callback_refused', reason }, title);
      sendPage(res, status, title, html`<div class="card"><h1>${title}</h1>${body}</div>`);
    };
    if (!state || state.length > 200) {
      fail(400, 'Sign-in could not continue', html`<p>Google sent you back without the information we need. Go back to your app and connect again.</p>`, 'state_missing');
      return;
    }
    const consumed = await store.consume('GoogleLoginState', hashValue(state), Date.now());
    if (!consumed.record || !consumed.consumedNow) {
      fail(400, 'This sign-in link was already used', html`<p>Each sign-in link works once. Go back to your app and connect again.</p>`, consumed.record ? 'state_replayed' : 'state_unknown');
      return;
    }
    let ls: LoginState;
    try {
      ls = JSON.parse(keys.decrypt(String(consumed.record.data.sealed), 'google_login_states')) as LoginState;
    } catch {
      fail(400, 'Sign-in could not continue', html`<p>Go back to your app and connect again.</p>`, 'state_undecryptable');
      return;
    }
    if (isAccountLoginState(ls)) return handleAccountCallback({ config, store, keys, google, googleTokens }, req, res, ls);
    const interaction = await provider.Interaction.find(ls.uid);
    if (!interaction) {
      fail(400, 'Sign-in took too long', html`<p>The sign-in expired before Google sent you back. Go back to your app and connect again.</p>`, 'interaction_expired');
      return;
    }
    const finish = async (result: Record<string, unknown>) => {
      interaction.result = result as typeof interaction.result;
      await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
      res.redirect(303, interaction.returnTo);
    };
    if (typeof q.error === 'string' || typeof q.code !== 'string') {
      log().info({ event: 'consent.denied', reason: 'google_cancelled', clientId: ls.clientId, flowId: ls.uid, googleError: typeof q.error === 'string' ? q.error.slice(0, 64) : 'no_code' }, 'Google sign-in cancelled or failed');
      await finish({ error: 'access_denied', error_description: 'Google sign-in was cancelled' });
      return;
    }
    let exchanged;
    try {
      exchanged = await google.exchangeCode(q.code, ls.codeVerifier, ls.nonce);
    } catch (err) {
      const reauth = err instanceof GoogleReauthRequired;
      log().warn({ event: 'google.callback_refused', reason: reauth ? 'google_code_rejected' : 'google_unavailable', clientId: ls.clientId, flowId: ls.uid }, 'Google code exchange failed');
      if (reauth) {
        await finish({ error: 'access_denied', error_description: 'Google did not accept the sign-in' });
      } else {
        res.setHeader('Retry-After', '5');
        sendPage(res, 503, 'Google is not answering', html`<div class="card"><h1>Google is not answering right now</h1><p>Please go back to your app and connect again in a minute.</p></div>`);
      }
      return;
    }
    const { identity, tokens } = exchanged;
    const refusal = checkSignIn(config, identity);
    if (refusal) {
      log().warn({ event: 'signin.refused', reason: refusal, email: identity.email, clientId: ls.clientId, flowId: ls.uid }, 'Google account not allowed');
      interaction.result = { error: 'access_denied', error_description: refusal === 'email_not_verified' ? 'Google account email is not verified' : 'This Google account is not allowed to use this server' } as typeof interaction.result;
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
      await refuseMissingPermission(res, ls, identity, tokens, required);
      return;
    }
    if (unticked.length) {
      log().info({ event: 'google.scope_missing', required: false, scopes: unticked, email: identity.email, accountId: identity.sub, clientId: ls.clientId, flowId: ls.uid }, 'optional Google permissions not granted; sign-in continues');
    }
    // A refresh token we already hold only stands in for a new one if Google granted it what was just granted.
    const justGranted = peopleScopesFor(config.readOnly).filter((s) => !unticked.includes(s));
    if (!tokens.refreshToken && ls.attempt === 1 && !(await googleTokens.hasRefreshToken(identity.sub, justGranted))) {
      // Google only sends a refresh token on consent; ask once more, this time with prompt=consent.
      const details = { uid: ls.uid, params: { client_id: ls.clientId } } as unknown as InteractionDetails;
      await redirectToGoogle(res, details, { attempt: 2, loginHint: identity.email, promptConsent: true });
      return;
    }
    await googleTokens.saveFromSignIn(identity.sub, { email: identity.email, name: identity.name, hd: identity.hd }, tokens);
    log().info({ event: 'user.signed_in', email: identity.email, accountId: identity.sub, clientId: ls.clientId, flowId: ls.uid }, 'signed in with Google');

    const grantId = await grantFor(identity.sub, ls.clientId, interaction.params as Record<string, unknown>);
    log().info({ event: 'consent.granted', email: identity.email, clientId: ls.clientId, flowId: ls.uid }, 'consent recorded');
    await finish({ login: { accountId: identity.sub }, consent: { grantId } });
  });

  return router;
}
