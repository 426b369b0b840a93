/**
 * /account: the people who use the server see each app connected to their Google Contacts and
 * disconnect it, or everything. Sign-in (sign-in.ts) gives a one-hour account session; every form is a
 * plain POST carrying a CSRF token bound to that session; ALLOWED_DOMAINS / ALLOWED_EMAILS are checked
 * at sign-in and again on every request (an administrator's change applies at once).
 */
import express, { type Request, type Response, type Router } from 'express';
import type Provider from 'oidc-provider';
import { log } from '../logging/logger.js';
import { checkSignIn } from '../oauth/policy.js';
import { disconnectAccount, revokeGrant } from '../oauth/revocation.js';
import { findOwnGrant, listConnectedApps } from './connected-apps.js';
import {
  ACCOUNT_ROUTES,
  noticeFrom,
  renderAccount,
  renderConfirmDisconnectAll,
  renderProblem,
  renderRefused,
  renderSignedOut,
  type Notice,
} from './pages.js';
import type { AccountSession } from './session.js';
import {
  accountSessions,
  endProviderSession,
  signInFromProviderSession,
  startAccountSignIn,
  type AccountSignInDeps,
} from './sign-in.js';

export interface AccountRouterDeps extends AccountSignInDeps {
  /** The authorization server, created on first use (see app.ts). */
  provider: () => Promise<Provider>;
  /** A grant ended here: /mcp must stop accepting its access tokens at once on this instance. */
  onGrantRevoked: (grantId: string) => void;
}

export function createAccountRouter(deps: AccountRouterDeps): Router {
  const { config, store, googleTokens } = deps;
  const router = express.Router();
  const sessions = accountSessions(deps);
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });

  /** The signed-in account if the allow-list still admits it; a refused one gets the refusal page. */
  function currentSession(req: Request, res: Response): AccountSession | 'refused' | undefined {
    const session = sessions.read(req);
    if (!session) return undefined;
    const refusal = checkSignIn(config, { email: session.email, emailVerified: true, hd: session.hd });
    if (!refusal) return session;
    sessions.clear(res);
    log().warn(
      { event: 'account.refused', reason: refusal, accountId: session.accountId, email: session.email },
      'account page session of an account no longer allowed',
    );
    renderRefused(res, session.email, refusal);
    return 'refused';
  }

  /** For the forms: a live session and its CSRF token, else a 403 page and nothing done. */
  function authorizeForm(req: Request, res: Response, action: string): AccountSession | undefined {
    const session = currentSession(req, res);
    if (session === 'refused') return undefined;
    if (!session) {
      log().warn({ event: 'account.refused', reason: 'not_signed_in', action }, 'account form without a session');
      renderProblem(
        res,
        403,
        'Please sign in again',
        'Your sign-in on this page has ended (it lasts an hour), so nothing was changed. Sign in again to continue.',
      );
      return undefined;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!sessions.checkCsrf(session, body.csrf)) {
      log().warn(
        { event: 'account.refused', reason: 'csrf_failed', action, accountId: session.accountId },
        'account form without a valid CSRF token',
      );
      renderProblem(
        res,
        403,
        'Please try again',
        'This form was not submitted from the page we showed you, so nothing was changed.',
      );
      return undefined;
    }
    return session;
  }

  const redirectWith = (res: Response, notice: Notice) => res.redirect(303, `${ACCOUNT_ROUTES.page}?notice=${notice}`);

  router.get(ACCOUNT_ROUTES.page, async (req, res) => {
    const notice = noticeFrom((req.query as Record<string, unknown>).notice);
    let session = currentSession(req, res);
    if (session === 'refused') return;
    if (!session) session = await signInFromProviderSession(deps, await deps.provider(), req, res);
    if (session === 'refused') return;
    if (!session) {
      renderSignedOut(res, notice);
      return;
    }
    renderAccount(res, {
      email: session.email,
      apps: await listConnectedApps(store, session.accountId),
      csrf: sessions.csrfToken(session),
      notice,
      now: Date.now(),
    });
  });

  router.post(ACCOUNT_ROUTES.signIn, form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    await startAccountSignIn(deps, res, { chooseAccount: body.choose === '1' });
  });

  router.post(ACCOUNT_ROUTES.disconnect, form, async (req, res) => {
    const session = authorizeForm(req, res, 'disconnect');
    if (!session) return;
    const grant = await findOwnGrant(store, session.accountId, (req.body as Record<string, unknown>).grant);
    if (!grant) {
      // Another account's grant, or one already gone: the same answer, so grant ids reveal nothing.
      log().warn(
        { event: 'account.refused', reason: 'grant_not_found', accountId: session.accountId },
        'disconnect of a grant this account does not have',
      );
      renderProblem(
        res,
        404,
        'That app is not connected',
        'It may have been disconnected already. Nothing was changed.',
      );
      return;
    }
    const google = await revokeGrant(store, googleTokens, grant);
    deps.onGrantRevoked(grant.grantId);
    // grant.revoked too, so the query for "why did my app lose access" finds it with the other reasons.
    log().info(
      {
        event: 'grant.revoked',
        reason: 'user_disconnected',
        accountId: session.accountId,
        email: session.email,
        clientId: grant.clientId,
      },
      'grant revoked',
    );
    log().info(
      {
        event: 'account.disconnected',
        scope: 'one',
        clientId: grant.clientId,
        accountId: session.accountId,
        email: session.email,
        google,
      },
      'app disconnected on the account page',
    );
    redirectWith(res, google === 'failed' ? 'google-unreachable' : 'disconnected');
  });

  router.get(ACCOUNT_ROUTES.disconnectAll, async (req, res) => {
    const session = currentSession(req, res);
    if (session === 'refused') return;
    if (!session) {
      res.redirect(303, ACCOUNT_ROUTES.page);
      return;
    }
    const apps = await listConnectedApps(store, session.accountId);
    renderConfirmDisconnectAll(res, {
      email: session.email,
      apps: apps.length,
      csrf: sessions.csrfToken(session),
      trashDays: config.trashDays,
    });
  });

  router.post(ACCOUNT_ROUTES.disconnectAll, form, async (req, res) => {
    const session = authorizeForm(req, res, 'disconnect_all');
    if (!session) return;
    const result = await disconnectAccount(store, googleTokens, session.accountId);
    result.grantIds.forEach((g) => deps.onGrantRevoked(g));
    if (result.grantIds.length)
      log().info(
        {
          event: 'grant.revoked',
          reason: 'user_disconnected_all',
          accountId: session.accountId,
          email: session.email,
          grants: result.grantIds.length,
        },
        'grants revoked',
      );
    log().info(
      {
        event: 'account.disconnected',
        scope: 'all',
        accountId: session.accountId,
        email: session.email,
        grants: result.grantIds.length,
        deletedContactsRemoved: result.deletedContactsRemoved,
        google: result.google,
      },
      'everything disconnected on the account page',
    );
    redirectWith(res, result.google === 'failed' ? 'google-unreachable' : 'disconnected-all');
  });

  router.post(ACCOUNT_ROUTES.signOut, form, async (req, res) => {
    const session = authorizeForm(req, res, 'sign_out');
    if (!session) return;
    sessions.clear(res);
    await endProviderSession(await deps.provider(), req, res, config);
    log().info(
      { event: 'account.signed_out', accountId: session.accountId, email: session.email },
      'signed out of the account page',
    );
    redirectWith(res, 'signed-out');
  });

  return router;
}
