/**
 * The account page (/account) over HTTP with a cookie-jar browser: identity-only Google sign-in through
 * the shared callback, reuse of the browser's session, the list of connected apps, Disconnect and
 * Disconnect everything with the revocation rules of /revoke, CSRF and ownership checks (attacks tried
 * and refused), the allow-list, and what is logged.
 */
import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import {
  authorizeUrl,
  CLAUDE_REDIRECT,
  clientAuth,
  mcpPost,
  pkce,
  signIn,
  tokenRequest,
} from '../../standins/oauth-client.js';
import { UserAgent } from '../../standins/user-agent.js';
import { accountSignIn, follow, formFields, grantIdOf, postForm } from './helpers.js';

const ALICE_SUB = '100000000000000000001';
const BOB_SUB = '100000000000000000002';

async function whoami(h: Harness, accessToken: string): Promise<Response> {
  return mcpPost(h.mcpUrl, accessToken, {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'whoami', arguments: {} },
  });
}

async function refresh(h: Harness, app: Awaited<ReturnType<typeof signIn>>, refreshToken = app.tokens.refresh_token!) {
  return tokenRequest(h.baseUrl, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    ...clientAuth(app.client),
  });
}

function events(h: Harness, name: string): Array<Record<string, unknown>> {
  return h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === name);
}

describe('account page (/account)', function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-30).join('\n'));
    await h?.close();
  });

  describe('signing in', () => {
    it('OpenID Connect Core §3.1.2.1: Google is asked for identity only (openid email profile, access_type=online, PKCE S256, nonce) and comes back through the registered callback', async () => {
      const start = await new UserAgent().request(`${h.baseUrl}/account`);
      expect(start.status).to.equal(200);
      const signedOut = await start.text();
      expect(signedOut).to.contain('Sign in with Google');
      expect(signedOut).to.contain('action="/account/sign-in"');

      const { page } = await accountSignIn(h);
      const g = h.google.authorizeRequests.at(-1)!;
      expect(g.scope).to.equal('openid email profile');
      expect(g.access_type).to.equal('online');
      expect(g.code_challenge_method).to.equal('S256');
      expect(g.nonce).to.be.a('string').and.not.equal('');
      expect(g.redirect_uri).to.equal(`${h.baseUrl}/oauth/google/callback`);
      expect(page.status).to.equal(200);
      expect(page.url).to.equal(`${h.baseUrl}/account`);
      expect(page.html).to.contain('alice@example.com');
      expect(page.html).to.contain('No apps are connected');
      expect(events(h, 'account.signed_in').at(-1)).to.include({
        via: 'google',
        accountId: ALICE_SUB,
        email: 'alice@example.com',
      });
    });

    it('the identity sign-in neither stores nor replaces the user’s Google tokens, and revokes nothing at Google: the contacts tools keep working', async () => {
      const app = await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
      const before = await h.store.get('GoogleToken', ALICE_SUB);
      const revocations = h.google.revocations.length;
      const issuedRefreshTokens = h.google.issuedRefreshTokens.length;
      const { page } = await accountSignIn(h);
      expect(page.html).to.contain('Claude');
      const after = await h.store.get('GoogleToken', ALICE_SUB);
      expect(after?.data.sealed, 'stored Google tokens unchanged').to.equal(before?.data.sealed);
      expect(
        h.google.revocations.length,
        'revoking any token would end the user’s whole Google grant to this app',
      ).to.equal(revocations);
      expect(h.google.issuedRefreshTokens.length, 'no Google refresh token for an identity sign-in').to.equal(
        issuedRefreshTokens,
      );
      expect(events(h, 'account.signed_in').at(-1)).to.include({ tokens: 'kept_for_other_grants' });
      const res = await whoami(h, app.tokens.access_token!);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.contain('alice@example.com');
    });

    it('a user we hold no Google tokens for: the identity-only token is revoked at Google straight away', async () => {
      const revocations = h.google.revocations.length;
      const { page } = await accountSignIn(h, { as: 'carol@acme.test' });
      expect(page.html).to.contain('carol@acme.test');
      expect(h.google.revocations.length).to.equal(revocations + 1);
      expect(await h.store.get('GoogleToken', '100000000000000000003')).to.equal(undefined);
      h.google.nextUser = 'alice@example.com';
    });

    it('reuses the browser’s session from connecting an app: no Google round trip', async () => {
      const app = await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
      const googleRequests = h.google.authorizeRequests.length;
      const page = await follow(app.ua, `${h.baseUrl}/account`);
      expect(page.status).to.equal(200);
      expect(page.html).to.contain('alice@example.com');
      expect(page.html).to.contain('<h2 class="client-name">Claude</h2>');
      expect(h.google.authorizeRequests.length).to.equal(googleRequests);
      expect(events(h, 'account.signed_in').at(-1)).to.include({ via: 'session', accountId: ALICE_SUB });
    });

    it('RFC 9700 §4.7 (CSRF): the login state is bound to the browser that started it; another browser finishing it is refused and not signed in', async () => {
      const starter = new UserAgent();
      const start = await starter.request(`${h.baseUrl}/account/sign-in`, {
        method: 'POST',
        body: new URLSearchParams(),
      });
      expect(start.status).to.equal(303);
      const victim = new UserAgent();
      const page = await follow(victim, start.headers.get('location')!);
      expect(page.status).to.equal(400);
      expect(page.html).to.contain('started in another browser');
      const after = await follow(victim, `${h.baseUrl}/account`);
      expect(after.html).to.contain('Sign in with Google');
      expect(events(h, 'account.refused').at(-1)).to.include({ reason: 'browser_mismatch' });
    });

    it('a login state works once: replaying Google’s redirect back is refused', async () => {
      const ua = new UserAgent();
      const start = await ua.request(`${h.baseUrl}/account/sign-in`, { method: 'POST', body: new URLSearchParams() });
      const atGoogle = await ua.request(start.headers.get('location')!);
      const callback = atGoogle.headers.get('location')!;
      expect(callback).to.contain('/oauth/google/callback');
      expect((await ua.request(callback)).status).to.equal(303);
      const replay = await ua.request(callback);
      expect(replay.status).to.equal(400);
    });

    it('cancelling at Google shows what happened and signs nobody in', async () => {
      h.google.nextDecision = 'deny';
      const { ua, page } = await accountSignIn(h);
      expect(page.status).to.equal(400);
      expect(page.html).to.contain('Sign-in cancelled');
      expect(page.html).to.contain('href="/account"');
      expect((await follow(ua, `${h.baseUrl}/account`)).html).to.contain('Sign in with Google');
    });

    it('a forged or tampered account cookie is ignored (signed-out page, not an error)', async () => {
      const { page } = await accountSignIn(h);
      expect(page.html).to.contain('alice@example.com');
      const forged = Buffer.from(
        JSON.stringify({ a: BOB_SUB, e: 'bob@acme.test', s: 'x', x: Math.floor(Date.now() / 1000) + 3600 }),
      ).toString('base64url');
      for (const cookie of [
        `account_session=${forged}.AAAA`,
        `account_session=${forged}`,
        'account_session=garbage',
        'account_session=%E0%A4%A',
      ]) {
        const res = await fetch(`${h.baseUrl}/account`, { headers: { cookie } });
        expect(res.status).to.equal(200);
        const html = await res.text();
        expect(html).to.contain('Sign in with Google');
        expect(html).not.to.contain('bob@acme.test');
      }
    });

    it('signing out ends the page session and the browser session: the next visit asks for Google again', async () => {
      const app = await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
      const page = await follow(app.ua, `${h.baseUrl}/account`);
      const out = await postForm(app.ua, h, '/account/sign-out', formFields(page.html, '/account/sign-out'));
      expect(out.status).to.equal(200);
      expect(out.html).to.contain('You are signed out');
      expect(out.html).to.contain('Sign in with Google');
      const googleRequests = h.google.authorizeRequests.length;
      const again = await follow(app.ua, `${h.baseUrl}/account`);
      expect(again.html).to.contain('Sign in with Google');
      expect(h.google.authorizeRequests.length).to.equal(googleRequests);
      // The app itself stays connected.
      expect((await refresh(h, app)).status).to.equal(200);
    });
  });

  describe('connected apps', () => {
    it('lists each connected app: name, where it sends you back to, connected since, last used, read-write', async () => {
      await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
      await signIn(h.baseUrl, {
        registration: {
          client_name: 'Laptop tool',
          redirect_uris: ['http://127.0.0.1/callback'],
          token_endpoint_auth_method: 'none',
        },
      });
      const { page } = await accountSignIn(h);
      expect(page.html).to.contain('These 2 apps can use your Google Contacts');
      expect(page.html).to.contain('<h2 class="client-name">Claude</h2>');
      expect(page.html).to.contain('<code>claude.ai</code>');
      expect(page.html).to.contain('<h2 class="client-name">Laptop tool</h2>');
      expect(page.html).to.contain('<code>127.0.0.1</code> (an app on your own computer)');
      const today = new Date().toLocaleDateString('en-GB', {
        day: 'numeric',
        month: 'long',
        year: 'numeric',
        timeZone: 'UTC',
      });
      expect(page.html).to.contain(`>${today}</time>`);
      expect(page.html).to.contain('within the last day');
      expect(page.html.match(/Read and change your contacts \(read-write\)/g)).to.have.length(2);
    });

    it('a read-only server’s grants are shown read-only', async () => {
      const ro = await startHarness({ env: { READ_ONLY: 'true' } });
      try {
        await signIn(ro.baseUrl, { registration: { client_name: 'Claude' } });
        const { page } = await accountSignIn(ro);
        expect(page.html).to.contain('Read your contacts (read-only)');
        expect(page.html).not.to.contain('read-write');
      } finally {
        await ro.close();
      }
    });

    it('app names are escaped (a registration cannot inject markup)', async () => {
      await signIn(h.baseUrl, { registration: { client_name: '<img src=x onerror=alert(1)>Evil' } });
      const { page } = await accountSignIn(h);
      expect(page.html).not.to.contain('<img src=x');
      expect(page.html).to.contain('&lt;img src=x onerror=alert(1)&gt;Evil');
    });

    it('shows only the signed-in user’s apps', async () => {
      await signIn(h.baseUrl, { registration: { client_name: 'Bob app' }, loginHint: 'bob@acme.test' });
      await signIn(h.baseUrl, { registration: { client_name: 'Alice app' } });
      const { page } = await accountSignIn(h);
      expect(page.html).to.contain('Alice app');
      expect(page.html).not.to.contain('Bob app');
    });
  });

  describe('Disconnect', () => {
    it('RFC 7009 §2.2: disconnecting one app ends its refresh token (invalid_grant) and access token at once; the other app keeps working and the shared Google token stays', async () => {
      const claude = await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
      const cursor = await signIn(h.baseUrl, { registration: { client_name: 'Cursor' } });
      const { ua, page } = await accountSignIn(h);
      const grantId = grantIdOf(page.html, 'Claude');
      const body = formFields(
        page.html,
        '/account/disconnect',
        page.html.indexOf('Claude') < page.html.indexOf('Cursor') ? 0 : 1,
      );
      expect(body.get('grant')).to.equal(grantId);
      const revocations = h.google.revocations.length;
      const after = await postForm(ua, h, '/account/disconnect', body);
      expect(after.status).to.equal(200);
      expect(after.url).to.equal(`${h.baseUrl}/account?notice=disconnected`);
      expect(after.html).to.contain('The app was disconnected');
      expect(after.html).not.to.contain('<h2 class="client-name">Claude</h2>');
      expect(after.html).to.contain('<h2 class="client-name">Cursor</h2>');

      const dead = await refresh(h, claude);
      expect(dead.status).to.equal(400);
      expect(dead.body.error).to.equal('invalid_grant');
      expect((await whoami(h, claude.tokens.access_token!)).status).to.equal(401);
      expect((await refresh(h, cursor)).status).to.equal(200);
      expect((await whoami(h, cursor.tokens.access_token!)).status).to.equal(200);
      expect(h.google.revocations.length, 'the Google token is shared with Cursor').to.equal(revocations);
      expect(await h.store.get('GoogleToken', ALICE_SUB)).to.not.equal(undefined);
      expect(events(h, 'account.disconnected').at(-1)).to.include({
        scope: 'one',
        clientId: claude.client.client_id,
        accountId: ALICE_SUB,
        email: 'alice@example.com',
        google: 'kept_for_other_grants',
      });
    });

    it('the remembered consent goes with the app: reconnecting it shows the consent page again', async () => {
      const claude = await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
      await signIn(h.baseUrl, { registration: { client_name: 'Cursor' }, ua: claude.ua });
      /** Authorizes Claude again in the same browser; returns whether our consent page was shown. */
      const reconnect = async (): Promise<boolean> => {
        let consentShown = false;
        const url = authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: claude.client.client_id,
          redirect_uri: CLAUDE_REDIRECT,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
          state: 's',
        });
        const result = await claude.ua.run(url, CLAUDE_REDIRECT, (html) => {
          consentShown ||= html.includes('Allow <span class="client-name">Claude</span>');
          return 'approve';
        });
        expect(result.finalUrl, 'the authorization completes').to.be.a('string');
        return consentShown;
      };
      expect(await reconnect(), 'remembered consent: no consent page').to.equal(false);
      const page = await follow(claude.ua, `${h.baseUrl}/account`);
      const claudeGrants = await h.store.list('Grant', { field: 'clientId', value: claude.client.client_id });
      expect(claudeGrants).to.have.length(1);
      const body = formFields(page.html, '/account/sign-out');
      body.set('grant', claudeGrants[0]!.key);
      expect((await postForm(claude.ua, h, '/account/disconnect', body)).status).to.equal(200);
      const consents = (await h.store.list('Consent', { field: 'accountId', value: ALICE_SUB })).map(
        (c) => c.record.clientId,
      );
      expect(consents).not.to.include(claude.client.client_id);
      expect(consents).to.have.length(1);
      expect(await reconnect(), 'after Disconnect: the consent page again').to.equal(true);
    });

    it('disconnecting the user’s last app also revokes their Google token at Google (the rule of /revoke)', async () => {
      await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
      const { ua, page } = await accountSignIn(h);
      const revocations = h.google.revocations.length;
      const after = await postForm(ua, h, '/account/disconnect', formFields(page.html, '/account/disconnect'));
      expect(after.html).to.contain('No apps are connected');
      expect(h.google.revocations.length).to.equal(revocations + 1);
      expect(await h.store.get('GoogleToken', ALICE_SUB)).to.equal(undefined);
      expect(events(h, 'google.token_revoked').at(-1)).to.include({ accountId: ALICE_SUB });
      expect(events(h, 'account.disconnected').at(-1)).to.include({ google: 'revoked' });
    });

    it('Disconnect everything (after a confirmation page): every grant ends, the Google token is revoked at Google, and the trash of deleted contacts is emptied', async () => {
      const claude = await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
      const cursor = await signIn(h.baseUrl, { registration: { client_name: 'Cursor' } });
      await h.app.trash.put(
        ALICE_SUB,
        { person: { resourceName: 'people/c1', names: [{ displayName: 'Deleted Person' }] }, groups: [] },
        'delete',
      );
      expect(await h.store.list('Trash', { field: 'accountId', value: ALICE_SUB })).to.have.length(1);
      const { ua, page } = await accountSignIn(h);
      expect(page.html).to.contain('href="/account/disconnect-all"');
      const confirm = await follow(ua, `${h.baseUrl}/account/disconnect-all`);
      expect(confirm.status).to.equal(200);
      expect(confirm.html).to.contain('Disconnect everything?');
      expect(confirm.html).to.contain('all 2 apps');
      expect(confirm.html).to.contain(`last ${h.config.trashDays} days`);
      const revocations = h.google.revocations.length;
      const done = await postForm(
        ua,
        h,
        '/account/disconnect-all',
        formFields(confirm.html, '/account/disconnect-all'),
      );
      expect(done.url).to.equal(`${h.baseUrl}/account?notice=disconnected-all`);
      expect(done.html).to.contain('Everything was disconnected');
      expect(done.html).to.contain('No apps are connected');
      for (const app of [claude, cursor]) {
        expect((await refresh(h, app)).body.error).to.equal('invalid_grant');
        expect((await whoami(h, app.tokens.access_token!)).status).to.equal(401);
      }
      expect(h.google.revocations.length).to.equal(revocations + 1);
      expect(await h.store.get('GoogleToken', ALICE_SUB)).to.equal(undefined);
      expect(await h.store.list('Trash', { field: 'accountId', value: ALICE_SUB })).to.have.length(0);
      expect(await h.store.list('Consent', { field: 'accountId', value: ALICE_SUB })).to.have.length(0);
      expect(events(h, 'account.disconnected').at(-1)).to.include({
        scope: 'all',
        accountId: ALICE_SUB,
        grants: 2,
        google: 'revoked',
      });
    });
  });

  describe('attacks (tried and refused)', () => {
    async function twoApps() {
      const claude = await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
      const { ua, page } = await accountSignIn(h);
      return { claude, ua, page, grantId: grantIdOf(page.html, 'Claude') };
    }

    it('CSRF: a Disconnect without the token, or with a wrong one, is refused with 403 and nothing is revoked', async () => {
      const { claude, ua, grantId } = await twoApps();
      for (const csrf of [undefined, '', 'wrong', 'A'.repeat(43)]) {
        const body = new URLSearchParams({ grant: grantId });
        if (csrf !== undefined) body.set('csrf', csrf);
        const res = await postForm(ua, h, '/account/disconnect', body);
        expect(res.status, `csrf=${csrf}`).to.equal(403);
        expect(res.html).to.contain('nothing was changed');
      }
      const all = await postForm(ua, h, '/account/disconnect-all', new URLSearchParams({ csrf: 'wrong' }));
      expect(all.status).to.equal(403);
      expect(await h.store.get('Grant', grantId)).to.not.equal(undefined);
      expect((await refresh(h, claude)).status).to.equal(200);
      expect(events(h, 'account.refused').some((e) => e.reason === 'csrf_failed')).to.equal(true);
    });

    it('CSRF: a token from another sign-in (even of the same user) does not work with this session', async () => {
      const { claude, page, grantId } = await twoApps();
      const stolen = formFields(page.html, '/account/disconnect');
      const { ua: other } = await accountSignIn(h);
      const res = await postForm(other, h, '/account/disconnect', stolen);
      expect(res.status).to.equal(403);
      expect(await h.store.get('Grant', grantId)).to.not.equal(undefined);
      expect((await refresh(h, claude)).status).to.equal(200);
    });

    it('a form posted without an account session (a cross-site POST carries no SameSite=Lax cookie) is refused with 403', async () => {
      const { claude, page, grantId } = await twoApps();
      const res = await fetch(`${h.baseUrl}/account/disconnect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: formFields(page.html, '/account/disconnect'),
      });
      expect(res.status).to.equal(403);
      expect(await res.text()).to.contain('Please sign in again');
      expect(await h.store.get('Grant', grantId)).to.not.equal(undefined);
      expect((await refresh(h, claude)).status).to.equal(200);
    });

    it('another user’s grant id, with a valid session and token, is not disconnected (404, no difference from an unknown id)', async () => {
      const bob = await signIn(h.baseUrl, { registration: { client_name: 'Bob app' }, loginHint: 'bob@acme.test' });
      const bobGrant = (await h.store.list('Grant', { field: 'accountId', value: BOB_SUB }))[0]!.key;
      const { ua, page } = await accountSignIn(h);
      const body = formFields(page.html, '/account/sign-out');
      body.set('grant', bobGrant);
      const res = await postForm(ua, h, '/account/disconnect', body);
      expect(res.status).to.equal(404);
      body.set('grant', 'no-such-grant');
      const unknown = await postForm(ua, h, '/account/disconnect', body);
      expect(unknown.status).to.equal(404);
      expect(unknown.html).to.equal(res.html);
      expect(await h.store.get('Grant', bobGrant)).to.not.equal(undefined);
      expect((await refresh(h, bob)).status).to.equal(200);
    });

    it('RFC 6749 §10.13 (clickjacking): every account page forbids framing and caching', async () => {
      const { ua } = await twoApps();
      for (const path of ['/account', '/account/disconnect-all']) {
        for (const agent of [ua, new UserAgent()]) {
          const res = await agent.request(`${h.baseUrl}${path}`);
          await res.arrayBuffer();
          if (res.status >= 300 && res.status < 400) continue;
          expect(res.headers.get('content-security-policy')).to.contain("frame-ancestors 'none'");
          expect(res.headers.get('content-security-policy')).to.contain("default-src 'none'");
          expect(res.headers.get('x-frame-options')).to.equal('DENY');
          expect(res.headers.get('cache-control')).to.equal('no-store');
        }
      }
    });

    it('the notice is chosen from a fixed list: the query cannot put text on the page', async () => {
      const res = await fetch(
        `${h.baseUrl}/account?notice=${encodeURIComponent('<b>Your account is locked, call 555</b>')}`,
      );
      const html = await res.text();
      expect(html).not.to.contain('555');
      expect(html).not.to.contain('class="notice"');
    });

    it('the account cookie is HttpOnly, SameSite=Lax, scoped to /account and lasts an hour; the login binding cookie is sent only to the callback', async () => {
      const ua = new UserAgent();
      const start = await ua.request(`${h.baseUrl}/account/sign-in`, { method: 'POST', body: new URLSearchParams() });
      const binding = start.headers.getSetCookie().find((c) => c.startsWith('account_login='))!;
      expect(binding).to.match(/Path=\/oauth\/google\/callback/);
      expect(binding).to.match(/HttpOnly/);
      expect(binding).to.match(/SameSite=Lax/);
      const atGoogle = await ua.request(start.headers.get('location')!);
      const back = await ua.request(atGoogle.headers.get('location')!);
      const session = back.headers
        .getSetCookie()
        .find((c) => c.startsWith('account_session=') && !/Max-Age=0/.test(c))!;
      expect(session).to.match(/Path=\/account;/);
      expect(session).to.match(/Max-Age=3600/);
      expect(session).to.match(/HttpOnly/);
      expect(session).to.match(/SameSite=Lax/);
      expect(session, 'http://127.0.0.1 base URL: no Secure flag').not.to.match(/Secure/);
    });
  });

  describe('logs', () => {
    it('account events carry clientId, accountId and email, never a token, code or CSRF value', async () => {
      const claude = await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
      const { ua, page } = await accountSignIn(h);
      const body = formFields(page.html, '/account/disconnect');
      await postForm(ua, h, '/account/disconnect', body);
      const all = h.logs.join('\n');
      for (const secret of [claude.tokens.refresh_token!, claude.tokens.access_token!, body.get('csrf')!])
        expect(all).not.to.contain(secret);
      expect(all).not.to.match(/account_session=/);
      expect(events(h, 'account.signed_in')).to.have.length(1);
      expect(events(h, 'account.disconnected')).to.have.length(1);
    });
  });

  describe('links', () => {
    it('the landing page links to /account, and the consent page says where to disconnect', async () => {
      const landing = await (await fetch(`${h.baseUrl}/`)).text();
      expect(landing).to.contain('<a href="/account">');
      const { ua } = await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
      expect(ua.lastHtml).to.contain(`You can disconnect it at any time at <code>${h.baseUrl}/account</code>`);
    });
  });
});

describe('account page with ALLOWED_EMAILS', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { ALLOWED_EMAILS: 'bob@acme.test' } });
  });
  after(async () => h?.close());

  it('a Google account outside the allow-list is refused with a page that says so, and gets no session', async () => {
    const { ua, page } = await accountSignIn(h, { as: 'alice@example.com' });
    expect(page.status).to.equal(403);
    expect(page.html).to.contain('alice@example.com can’t use this server');
    expect(page.html).to.contain('Your administrator only allows certain Google accounts');
    expect((await follow(ua, `${h.baseUrl}/account`)).html).to.contain('Sign in with Google');
    expect(events(h, 'signin.refused').at(-1)).to.include({
      reason: 'domain_not_allowed',
      purpose: 'account',
      email: 'alice@example.com',
    });
  });

  it('"Sign in with a different account" asks Google for its account chooser', async () => {
    const { ua, page } = await accountSignIn(h, { as: 'alice@example.com' });
    h.google.nextUser = 'bob@acme.test';
    const next = await postForm(ua, h, '/account/sign-in', formFields(page.html, '/account/sign-in'));
    expect(h.google.authorizeRequests.at(-1)!.prompt).to.equal('select_account');
    expect(next.status).to.equal(200);
    expect(next.html).to.contain('bob@acme.test');
  });

  it('an allowed account signs in; removing it from the allow-list ends its page session at the next request', async () => {
    const { ua, page } = await accountSignIn(h, { as: 'bob@acme.test' });
    expect(page.status).to.equal(200);
    expect(page.html).to.contain('bob@acme.test');
    h.config.allowedEmails.splice(0, h.config.allowedEmails.length, 'carol@acme.test');
    try {
      const refused = await follow(ua, `${h.baseUrl}/account`);
      expect(refused.status).to.equal(403);
      expect(refused.html).to.contain('bob@acme.test can’t use this server');
    } finally {
      h.config.allowedEmails.splice(0, h.config.allowedEmails.length, 'bob@acme.test');
    }
  });
});
