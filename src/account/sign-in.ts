/**
 * Signing in to the account page. Two ways, both ending in an account session cookie (session.ts):
 *
 * - the browser already has oidc-provider's session (it connected an app in the last 14 days): that
 *   session names the account, and we know its email from the stored Google profile — no Google round trip;
 * - otherwise Google, asking for identity only (`openid email profile`, access_type=online). Google's
 *   redirect URI registered by the administrator is the one the contacts sign-in uses,
 *   `/oauth/google/callback`, so the login state carries `purpose: 'account'` and that callback hands
 *   it to handleAccountCallback. The state is bound to the browser that started (a cookie), so nobody can
 *   sign someone else's browser in to their own account page.
 *
 * The identity sign-in never stores or replaces the user's Google tokens: the tokens it gets can only
 * say who the user is, and the contacts tools need the ones the contacts sign-in stored. They are
 * discarded like the tokens of a refused contacts permission (discardTokens): revoked at Google only when
 * we hold nothing else for the user, because revoking any token ends the user's whole Google grant to
 * this app, which would disconnect every app they use.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { Config } from '../config/config.js';
import { log } from '../logging/logger.js';
import { discardTokens } from '../oauth/interaction/missing-permission.js';
import { checkSignIn } from '../oauth/policy.js';
import { constantTimeEqual, hashValue, randomToken, type KeyRing } from '../security/keys.js';
import { KINDS, type Store } from '../storage/port.js';
import { GOOGLE_BASE_SCOPES, GoogleReauthRequired, type GoogleOAuth } from '../upstream/google/oauth.js';
import type { GoogleTokenStore } from '../upstream/google/token-store.js';
import { readCookie, setCookie } from '../web/cookies.js';
import { ACCOUNT_ROUTES, renderProblem, renderRefused } from './pages.js';
import { AccountSessions, type AccountSession } from './session.js';

export const ACCOUNT_LOGIN_PURPOSE = 'account';
const LOGIN_STATE_TTL_MS = 10 * 60_000;
/** Binds a login state to the browser that started it; sent only to Google's redirect back. */
const LOGIN_BINDING_COOKIE = 'account_login';
const CALLBACK_PATH = '/oauth/google/callback';

/** Sealed in `google_login_states` like the contacts sign-in's state, told apart by `purpose`. */
export interface AccountLoginState {
  purpose: typeof ACCOUNT_LOGIN_PURPOSE;
  codeVerifier: string;
  nonce: string;
  /** SHA-256 of the binding cookie's value. */
  browser: string;
}

export function isAccountLoginState(value: unknown): value is AccountLoginState {
  return (
    typeof value === 'object' && value !== null && (value as { purpose?: unknown }).purpose === ACCOUNT_LOGIN_PURPOSE
  );
}

export interface AccountSignInDeps {
  config: Config;
  store: Store;
  keys: KeyRing;
  google: GoogleOAuth;
  googleTokens: GoogleTokenStore;
}

const secureCookies = (config: Config) => config.baseUrl.startsWith('https:');

export function accountSessions(deps: Pick<AccountSignInDeps, 'config' | 'keys'>): AccountSessions {
  return new AccountSessions(deps.keys, secureCookies(deps.config));
}

/** Redirects to Google for an identity-only sign-in. `chooseAccount`: show Google's account chooser. */
export async function startAccountSignIn(
  deps: AccountSignInDeps,
  res: Response,
  opts: { chooseAccount: boolean },
): Promise<void> {
  const { config, store, keys, google } = deps;
  const state = randomToken(32);
  const binding = randomToken(24);
  const codeVerifier = randomToken(48);
  const nonce = randomToken(16);
  const data: AccountLoginState = { purpose: ACCOUNT_LOGIN_PURPOSE, codeVerifier, nonce, browser: hashValue(binding) };
  // The callback opens every login state with the collection name as associated data.
  await store.put('GoogleLoginState', hashValue(state), {
    data: { sealed: keys.encrypt(JSON.stringify(data), KINDS.GoogleLoginState) },
    expiresAt: Date.now() + LOGIN_STATE_TTL_MS,
  });
  // Lax: Google's redirect back is a cross-site top-level navigation, which Lax cookies accompany.
  setCookie(res, LOGIN_BINDING_COOKIE, binding, {
    path: CALLBACK_PATH,
    maxAgeSeconds: LOGIN_STATE_TTL_MS / 1000,
    secure: secureCookies(config),
    sameSite: 'Lax',
  });
  const url = await google.authorizationUrl({
    state,
    codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    nonce,
    scopes: GOOGLE_BASE_SCOPES,
    accessType: 'online',
    promptConsent: false,
    selectAccount: opts.chooseAccount,
  });
  log().info(
    { event: 'google.redirect', purpose: ACCOUNT_LOGIN_PURPOSE },
    'redirecting to Google sign-in for the account page',
  );
  res.redirect(303, url);
}

/** Google's redirect back for an account-page sign-in (dispatched by the shared callback route). */
export async function handleAccountCallback(
  deps: AccountSignInDeps,
  req: Request,
  res: Response,
  state: AccountLoginState,
): Promise<void> {
  const { config, google, googleTokens } = deps;
  const q = req.query as Record<string, unknown>;
  const binding = readCookie(req, LOGIN_BINDING_COOKIE);
  setCookie(res, LOGIN_BINDING_COOKIE, '', {
    path: CALLBACK_PATH,
    maxAgeSeconds: 0,
    secure: secureCookies(config),
    sameSite: 'Lax',
  });
  if (!binding || !constantTimeEqual(hashValue(binding), state.browser)) {
    log().warn(
      { event: 'account.refused', reason: 'browser_mismatch' },
      'account sign-in finished in another browser than it started in',
    );
    renderProblem(
      res,
      400,
      'Sign-in could not continue',
      'This sign-in was started in another browser or window, or took longer than 10 minutes. Start again from the account page.',
    );
    return;
  }
  if (typeof q.error === 'string' || typeof q.code !== 'string') {
    log().info(
      {
        event: 'account.refused',
        reason: 'google_cancelled',
        googleError: typeof q.error === 'string' ? q.error.slice(0, 64) : 'no_code',
      },
      'Google sign-in for the account page cancelled',
    );
    renderProblem(
      res,
      400,
      'Sign-in cancelled',
      'Google did not sign you in, so your connected apps cannot be shown. Nothing was changed.',
    );
    return;
  }
  let exchanged;
  try {
    exchanged = await google.exchangeCode(q.code, state.codeVerifier, state.nonce);
  } catch (err) {
    const reauth = err instanceof GoogleReauthRequired;
    log().warn(
      { event: 'account.refused', reason: reauth ? 'google_code_rejected' : 'google_unavailable' },
      'Google code exchange for the account page failed',
    );
    if (!reauth) res.setHeader('Retry-After', '5');
    renderProblem(
      res,
      reauth ? 400 : 503,
      reauth ? 'Google did not accept the sign-in' : 'Google is not answering right now',
      reauth ? 'Please sign in again.' : 'Please try again in a minute.',
    );
    return;
  }
  const { identity, tokens } = exchanged;
  const tokensOutcome = await discardTokens(google, googleTokens, identity.sub, tokens);
  const refusal = checkSignIn(config, identity);
  if (refusal) {
    log().warn(
      {
        event: 'signin.refused',
        reason: refusal,
        purpose: ACCOUNT_LOGIN_PURPOSE,
        email: identity.email,
        tokens: tokensOutcome,
      },
      'Google account not allowed',
    );
    renderRefused(res, identity.email, refusal);
    return;
  }
  accountSessions(deps).issue(res, { accountId: identity.sub, email: identity.email, hd: identity.hd });
  log().info(
    {
      event: 'account.signed_in',
      via: 'google',
      accountId: identity.sub,
      email: identity.email,
      tokens: tokensOutcome,
    },
    'signed in to the account page',
  );
  res.redirect(303, ACCOUNT_ROUTES.page);
}

/**
 * The browser's oidc-provider session (from connecting an app) stands in for a Google sign-in when it
 * names an account whose Google profile we hold and the allow-list still admits. Returns the new account
 * session, a refusal (the page was answered), or undefined (sign in with Google instead).
 */
export async function signInFromProviderSession(
  deps: AccountSignInDeps,
  provider: Provider,
  req: Request,
  res: Response,
): Promise<AccountSession | 'refused' | undefined> {
  const session = await provider.Session.get(
    provider.createContext(req, res) as unknown as Parameters<Provider['Session']['get']>[0],
  );
  const accountId = session.accountId;
  if (!accountId) return undefined;
  const profile = await deps.googleTokens.profile(accountId);
  if (!profile) return undefined;
  const refusal = checkSignIn(deps.config, { email: profile.email, emailVerified: true, hd: profile.hd });
  if (refusal) {
    log().warn(
      { event: 'signin.refused', reason: refusal, purpose: ACCOUNT_LOGIN_PURPOSE, email: profile.email, accountId },
      'Google account not allowed',
    );
    renderRefused(res, profile.email, refusal);
    return 'refused';
  }
  const issued = accountSessions(deps).issue(res, { accountId, email: profile.email, hd: profile.hd });
  log().info(
    { event: 'account.signed_in', via: 'session', accountId, email: profile.email },
    'signed in to the account page with the browser session',
  );
  return issued;
}

/** Ends oidc-provider's session in this browser too, so signing out of the page is not undone by it. */
export async function endProviderSession(
  provider: Provider,
  req: Request,
  res: Response,
  config: Config,
): Promise<void> {
  const session = await provider.Session.get(
    provider.createContext(req, res) as unknown as Parameters<Provider['Session']['get']>[0],
  );
  if (session.accountId) await session.destroy();
  const name = provider.cookieName('session');
  for (const cookie of [name, `${name}.sig`])
    setCookie(res, cookie, '', { path: '/', maxAgeSeconds: 0, secure: secureCookies(config), sameSite: 'Lax' });
}
