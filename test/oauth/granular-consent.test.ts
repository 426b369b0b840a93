/**
 * Granular consent at Google (issue 10): the user may untick permissions on Google's consent screen.
 * Without the contacts permission the mode needs, no authorization code is issued and the person chooses
 * between "Try again" and "Cancel"; optional permissions (other contacts, directory) may be unticked.
 */
import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { PEOPLE_SCOPES } from '../../standins/people.js';
import {
  authorizeUrl,
  CLAUDE_REDIRECT,
  claudeRegistration,
  clientAuth,
  mcpPost,
  pkce,
  register,
  signIn,
  tokenRequest,
  type Registered,
} from '../../standins/oauth-client.js';
import { decodeEntities, UserAgent } from '../../standins/user-agent.js';

const SUB = {
  alice: '100000000000000000001',
  bob: '100000000000000000002',
  carol: '100000000000000000003',
  mallory: '100000000000000000004',
};

const isPermissionPage = (html: string) => html.includes('/google-permission"');

async function whoami(h: Harness, token: string): Promise<Response> {
  return mcpPost(h.mcpUrl, token, {
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: { name: 'whoami', arguments: {} },
  });
}

/** Starts an authorization for `email` and stops on the missing-permission page. */
async function untilPermissionPage(h: Harness, client: Registered, email: string, state: string, ua = new UserAgent()) {
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(h.baseUrl, {
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: CLAUDE_REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    login_hint: email,
  });
  const r = await ua.run(url, CLAUDE_REDIRECT, (html) => (isPermissionPage(html) ? 'stop' : 'approve'));
  expect(r.finalUrl, 'the client must not get an answer yet').to.equal(undefined);
  expect(r.stoppedAt, 'stopped on the missing-permission page').to.not.equal(undefined);
  expect(isPermissionPage(r.stoppedAt!.html), r.stoppedAt!.html.slice(0, 400)).to.equal(true);
  const action = decodeEntities(/<form[^>]*action="([^"]+)"/.exec(r.stoppedAt!.html)![1]!);
  const hidden = (name: string) =>
    decodeEntities(new RegExp(`name="${name}" value="([^"]*)"`).exec(r.stoppedAt!.html)?.[1] ?? '');
  return {
    ua,
    verifier,
    page: r.stoppedAt!,
    action: new URL(action, h.baseUrl).toString(),
    csrf: hidden('csrf'),
    loginHint: hidden('login_hint'),
  };
}

function eventLines(h: Harness, event: string): Array<Record<string, unknown>> {
  return h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === event);
}

describe('granular consent at Google', function () {
  let h: Harness;
  let client: Registered;
  before(async () => {
    h = await startHarness();
    client = (await register(h.baseUrl, claudeRegistration())).body;
  });
  after(async () => h?.close());
  afterEach(function () {
    h.google.nextUntickedScopes = [];
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-30).join('\n'));
  });

  describe('the contacts permission unticked (required)', () => {
    it("no authorization code is issued: a page names the missing permission in Google's words, runs no script and cannot be framed", async () => {
      const codesBefore = (await h.store.list('AuthorizationCode')).length;
      h.google.nextUntickedScopes = [PEOPLE_SCOPES.contacts];
      const { page, ua } = await untilPermissionPage(h, client, 'mallory@evil.test', 'st-page');
      expect(page.status).to.equal(200);
      expect(page.html).to.contain('“See, edit, download, and permanently delete your contacts”');
      expect(page.html).to.contain('mallory@evil.test');
      expect(page.html).to.contain('claudeai');
      expect(page.html).to.match(/<button[^>]*value="retry"[^>]*>Try again<\/button>/);
      expect(page.html).to.match(/<button[^>]*value="cancel"[^>]*>Cancel<\/button>/);
      expect(page.html).not.to.match(/<script/i);
      const res = await ua.request(page.url);
      expect(res.headers.get('content-security-policy'))
        .to.contain("frame-ancestors 'none'")
        .and.not.contain('script-src');
      expect(res.headers.get('x-frame-options')).to.equal('DENY');
      expect(ua.hops.some((hop) => hop.url.startsWith(CLAUDE_REDIRECT))).to.equal(false);
      expect((await h.store.list('AuthorizationCode')).length).to.equal(codesBefore);
      const [line] = eventLines(h, 'google.scope_missing').filter((l) => l.email === 'mallory@evil.test');
      expect(line).to.include({ required: true, reason: 'required_scope_missing' });
      expect(line!.scopes).to.deep.equal([PEOPLE_SCOPES.contacts]);
    });

    it('the Google tokens that lack it are not stored, and are revoked at Google when the user holds no other connection', async () => {
      const revokedBefore = h.google.revocations.length;
      h.google.nextUntickedScopes = [PEOPLE_SCOPES.contacts];
      await untilPermissionPage(h, client, 'mallory@evil.test', 'st-discard');
      expect(await h.store.get('GoogleToken', SUB.mallory)).to.equal(undefined);
      expect(h.google.revocations.length).to.equal(revokedBefore + 1);
      expect(eventLines(h, 'google.scope_missing').at(-1)).to.include({ tokens: 'revoked' });
    });

    it('"Try again" goes back to Google with prompt=consent for the same account; granting everything completes the authorization with a code', async () => {
      h.google.nextUntickedScopes = [PEOPLE_SCOPES.contacts];
      const { ua, verifier, action, csrf, loginHint } = await untilPermissionPage(
        h,
        client,
        'alice@example.com',
        'st-retry',
      );
      expect(loginHint).to.equal('alice@example.com');
      const googleBefore = h.google.authorizeRequests.length;
      // The second time at Google the user leaves every box ticked.
      const res = await ua.request(action, {
        method: 'POST',
        body: new URLSearchParams({ csrf, login_hint: loginHint, decision: 'retry' }),
      });
      expect(res.status).to.equal(303);
      const done = await ua.run(res.headers.get('location')!, CLAUDE_REDIRECT, () => 'stop');
      const asked = h.google.authorizeRequests.slice(googleBefore);
      expect(asked).to.have.length(1);
      expect(asked[0]!.prompt).to.equal('consent');
      expect(asked[0]!.login_hint).to.equal('alice@example.com');
      expect(asked[0]!.scope).to.contain(PEOPLE_SCOPES.contacts);
      const params = new URL(done.finalUrl!).searchParams;
      expect(params.get('state')).to.equal('st-retry');
      expect(params.get('iss')).to.equal(h.baseUrl);
      const tokens = await tokenRequest(h.baseUrl, {
        grant_type: 'authorization_code',
        code: params.get('code')!,
        code_verifier: verifier,
        redirect_uri: CLAUDE_REDIRECT,
        ...clientAuth(client),
      });
      expect(tokens.status, JSON.stringify(tokens.body)).to.equal(200);
      expect(await (await whoami(h, tokens.body.access_token!)).text()).to.contain('alice@example.com');
    });

    it('unticking it again on the second try shows the page again (no code)', async () => {
      h.google.nextUntickedScopes = [PEOPLE_SCOPES.contacts];
      const first = await untilPermissionPage(h, client, 'carol@acme.test', 'st-twice');
      h.google.nextUntickedScopes = [PEOPLE_SCOPES.contacts];
      const res = await first.ua.request(first.action, {
        method: 'POST',
        body: new URLSearchParams({ csrf: first.csrf, login_hint: first.loginHint, decision: 'retry' }),
      });
      const again = await first.ua.run(res.headers.get('location')!, CLAUDE_REDIRECT, (html) =>
        isPermissionPage(html) ? 'stop' : 'approve',
      );
      expect(again.finalUrl).to.equal(undefined);
      expect(isPermissionPage(again.stoppedAt!.html)).to.equal(true);
    });

    it('"Cancel" sends error=access_denied with the state and iss to the client (RFC 6749 §4.1.2.1, RFC 9207); no code', async () => {
      h.google.nextUntickedScopes = [PEOPLE_SCOPES.contacts];
      const { ua, action, csrf, loginHint } = await untilPermissionPage(h, client, 'mallory@evil.test', 'st-cancel');
      const res = await ua.request(action, {
        method: 'POST',
        body: new URLSearchParams({ csrf, login_hint: loginHint, decision: 'cancel' }),
      });
      expect(res.status).to.equal(303);
      const done = await ua.run(res.headers.get('location')!, CLAUDE_REDIRECT, () => 'stop');
      const params = new URL(done.finalUrl!).searchParams;
      expect(params.get('error')).to.equal('access_denied');
      expect(params.get('state')).to.equal('st-cancel');
      expect(params.get('iss')).to.equal(h.baseUrl);
      expect(params.get('code')).to.equal(null);
      expect(eventLines(h, 'consent.denied').at(-1)).to.include({ reason: 'google_scope_missing' });
    });

    it("CSRF: the page's form refuses a POST without its token, with a forged one, or from another browser; its token cannot approve the consent form", async () => {
      h.google.nextUntickedScopes = [PEOPLE_SCOPES.contacts];
      const googleBefore = h.google.authorizeRequests.length;
      const { ua, action, csrf } = await untilPermissionPage(h, client, 'mallory@evil.test', 'st-csrf');
      const googleAfterPage = h.google.authorizeRequests.length;
      for (const body of [
        new URLSearchParams({ decision: 'retry' }),
        new URLSearchParams({ decision: 'retry', csrf: 'forged' }),
      ]) {
        const res = await ua.request(action, { method: 'POST', body });
        expect(res.status).to.equal(403);
      }
      // Another browser has neither the interaction cookie nor the CSRF cookie.
      const foreign = await new UserAgent().request(action, {
        method: 'POST',
        body: new URLSearchParams({ decision: 'cancel', csrf }),
      });
      expect(foreign.status).to.be.within(400, 403);
      // The token is bound to this page: it does not pass for the consent page's Allow.
      const consent = await ua.request(action.replace(/\/google-permission$/, '/decision'), {
        method: 'POST',
        body: new URLSearchParams({ decision: 'approve', csrf }),
      });
      expect(consent.status).to.equal(403);
      expect(h.google.authorizeRequests.length).to.equal(googleAfterPage);
      expect(googleAfterPage).to.equal(googleBefore + 1);
      // Anything but Try again / Cancel does nothing.
      const odd = await ua.request(action, {
        method: 'POST',
        body: new URLSearchParams({ decision: 'approve', csrf }),
      });
      expect(odd.status).to.equal(400);
    });

    it('a user already connected elsewhere who unticks it keeps the working Google tokens: nothing stored, nothing revoked', async () => {
      const connected = await signIn(h.baseUrl, { loginHint: 'bob@acme.test' });
      const stored = await h.store.get('GoogleToken', SUB.bob);
      const revokedBefore = h.google.revocations.length;
      h.google.nextUntickedScopes = [PEOPLE_SCOPES.contacts];
      await untilPermissionPage(h, client, 'bob@acme.test', 'st-other');
      expect((await h.store.get('GoogleToken', SUB.bob))!.data.sealed).to.equal(stored!.data.sealed);
      expect(h.google.revocations.length).to.equal(revokedBefore);
      expect(eventLines(h, 'google.scope_missing').at(-1)).to.include({ tokens: 'kept_for_other_grants' });
      h.app.googleTokens.invalidate(SUB.bob);
      expect(await (await whoami(h, connected.tokens.access_token!)).text()).to.contain('bob@acme.test');
    });
  });

  describe('optional permissions unticked', () => {
    it('sign-in completes without "Other contacts" and the directory (google.scope_missing logged, required: false)', async () => {
      h.google.nextUntickedScopes = [PEOPLE_SCOPES.otherReadonly, PEOPLE_SCOPES.directoryReadonly];
      const { tokens } = await signIn(h.baseUrl, { loginHint: 'carol@acme.test' });
      expect(await (await whoami(h, tokens.access_token!)).text()).to.contain('carol@acme.test');
      const line = eventLines(h, 'google.scope_missing').at(-1)!;
      expect(line).to.include({ required: false, email: 'carol@acme.test' });
      expect(line.scopes).to.have.members([PEOPLE_SCOPES.otherReadonly, PEOPLE_SCOPES.directoryReadonly]);
    });

    it("skipping Google needs a stored grant with every permission: reconnecting after unticking one reaches Google's consent screen again", async () => {
      // carol unticked both optional permissions above; her session cookie lives in this browser.
      h.google.nextUntickedScopes = [PEOPLE_SCOPES.directoryReadonly];
      const first = await signIn(h.baseUrl, { loginHint: 'carol@acme.test' });
      const googleBefore = h.google.authorizeRequests.length;
      const second = await signIn(h.baseUrl, { ua: first.ua });
      expect(h.google.authorizeRequests.length, 'went to Google').to.equal(googleBefore + 1);
      // This time every box stayed ticked: the next connection skips Google (the existing rule).
      const third = await signIn(h.baseUrl, { ua: second.ua });
      expect(h.google.authorizeRequests.length, 'skipped Google').to.equal(googleBefore + 1);
      expect(await (await whoami(h, third.tokens.access_token!)).text()).to.contain('carol@acme.test');
    });

    it('the same client re-authorizing with prompt=consent (Claude Code) is not finished silently while a permission is missing', async () => {
      h.google.nextUntickedScopes = [PEOPLE_SCOPES.otherReadonly];
      const first = await signIn(h.baseUrl, { loginHint: 'alice@example.com', registration: { client_name: 'Again' } });
      let consentShown = false;
      const googleBefore = h.google.authorizeRequests.length;
      const { challenge } = pkce();
      const url = authorizeUrl(h.baseUrl, {
        response_type: 'code',
        client_id: first.client.client_id,
        redirect_uri: CLAUDE_REDIRECT,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 's',
        prompt: 'consent',
      });
      const r = await first.ua.run(url, CLAUDE_REDIRECT, () => {
        consentShown = true;
        return 'approve';
      });
      expect(new URL(r.finalUrl!).searchParams.get('code')).to.be.a('string');
      expect(consentShown).to.equal(true);
      expect(h.google.authorizeRequests.length).to.equal(googleBefore + 1);
    });
  });
});

describe('granular consent at Google, READ_ONLY=true', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { READ_ONLY: 'true' } });
  });
  after(async () => h?.close());

  it('contacts.readonly is enough: sign-in completes with the optional permissions unticked', async () => {
    h.google.nextUntickedScopes = [PEOPLE_SCOPES.otherReadonly, PEOPLE_SCOPES.directoryReadonly];
    const { tokens } = await signIn(h.baseUrl, { loginHint: 'alice@example.com' });
    expect(h.google.authorizeRequests.at(-1)!.scope)
      .to.contain(PEOPLE_SCOPES.contactsReadonly)
      .and.not.contain(`${PEOPLE_SCOPES.contacts} `);
    expect(await (await whoami(h, tokens.access_token!)).text()).to.contain('alice@example.com');
  });

  it('without contacts.readonly no code is issued and the page names "See and download your contacts"', async () => {
    const client = (await register(h.baseUrl, claudeRegistration())).body;
    h.google.nextUntickedScopes = [PEOPLE_SCOPES.contactsReadonly];
    const { page } = await untilPermissionPage(h, client, 'bob@acme.test', 'st-ro');
    expect(page.html).to.contain('“See and download your contacts”');
    expect(await h.store.get('GoogleToken', SUB.bob)).to.equal(undefined);
  });
});
