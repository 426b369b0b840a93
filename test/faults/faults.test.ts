/**
 * Faults: the store failing mid-sign-in and mid-refresh, Google's token endpoint failing, the People API
 * timing out. Always a clear 4xx/503 with Retry-After, never a 500, no half-written grant, and full
 * recovery without a restart.
 */
import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory.js';
import { flaky } from '../support/flaky-store.js';
import { startHarness, type Harness } from '../support/harness.js';
import {
  authorize,
  authorizeUrl,
  claudeRegistration,
  clientAuth,
  mcpPost,
  pkce,
  register,
  signIn,
  tokenRequest,
} from '../../standins/oauth-client.js';
import { UserAgent } from '../../standins/user-agent.js';

const whoami = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } };

describe('faults', function () {
  this.timeout(60_000);

  describe('storage outage', () => {
    const store = flaky(new MemoryStore());
    let h: Harness;
    before(async () => {
      h = await startHarness({ store });
    });
    after(async () => {
      store.down = false;
      await h?.close();
    });
    afterEach(() => {
      store.down = false;
    });

    it('registration during an outage: 503 + Retry-After, then works', async () => {
      store.down = true;
      const res = await fetch(`${h.baseUrl}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(claudeRegistration()),
      });
      expect(res.status).to.equal(503);
      expect(res.headers.get('retry-after')).to.be.a('string');
      expect(((await res.json()) as { error: string }).error).to.equal('temporarily_unavailable');
      store.down = false;
      expect((await register(h.baseUrl, claudeRegistration())).status).to.equal(201);
    });

    it('code exchange during an outage: 503; the same code works after recovery (nothing half-written)', async () => {
      const c = (await register(h.baseUrl, claudeRegistration())).body;
      const { verifier, challenge } = pkce();
      const { params } = await authorize(
        h.baseUrl,
        { client_id: c.client_id, redirect_uri: c.redirect_uris[0]! },
        { challenge },
      );
      const req = {
        grant_type: 'authorization_code',
        code: params.get('code')!,
        code_verifier: verifier,
        redirect_uri: c.redirect_uris[0],
        ...clientAuth(c),
      };
      store.down = true;
      const failed = await tokenRequest(h.baseUrl, req);
      expect(failed.status).to.equal(503);
      store.down = false;
      const ok = await tokenRequest(h.baseUrl, req);
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    });

    it('refresh during an outage: 503; the same refresh token works after recovery (no logout)', async () => {
      const { client, tokens } = await signIn(h.baseUrl);
      store.down = true;
      const failed = await tokenRequest(h.baseUrl, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        ...clientAuth(client),
      });
      expect(failed.status).to.equal(503);
      store.down = false;
      const ok = await tokenRequest(h.baseUrl, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        ...clientAuth(client),
      });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    });

    it('Google callback during an outage: 503; retrying the same callback succeeds', async () => {
      const c = (await register(h.baseUrl, claudeRegistration())).body;
      const ua = new UserAgent();
      let callback = '';
      const { challenge } = pkce();
      await ua.run(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: c.client_id,
          redirect_uri: c.redirect_uris[0],
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
        (u) => {
          if (u.startsWith(`${h.baseUrl}/oauth/google/callback`)) {
            callback = u;
            return true;
          }
          return false;
        },
      );
      store.down = true;
      const failed = await ua.request(callback);
      expect(failed.status).to.equal(503);
      expect(failed.headers.get('retry-after')).to.be.a('string');
      store.down = false;
      const done = await ua.run(callback, c.redirect_uris[0]!);
      expect(new URL(done.finalUrl!).searchParams.get('code')).to.be.a('string');
    });

    it('/mcp keeps serving from cache during a short outage, and answers 503 (not 500) when it must read', async () => {
      const { tokens } = await signIn(h.baseUrl, { loginHint: 'bob@acme.test' });
      expect((await mcpPost(h.mcpUrl, tokens.access_token, whoami)).status).to.equal(200);
      store.down = true;
      expect((await mcpPost(h.mcpUrl, tokens.access_token, whoami)).status).to.equal(200);
      // A token this instance has not seen needs a grant lookup.
      const other = await (async () => {
        store.down = false;
        const s = await signIn(h.baseUrl, { loginHint: 'carol@acme.test' });
        h.app.verifier.forgetGrant('nothing'); // no-op; keeps the API honest
        return s;
      })();
      const fresh = new (await import('../../src/oauth/access-tokens.js')).AccessTokenVerifier(
        h.config,
        h.app.keys,
        store,
      );
      store.down = true;
      let err: Error | undefined;
      try {
        await fresh.verify(other.tokens.access_token!);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.name).to.equal('StoreUnavailableError');
      store.down = false;
    });

    it('storage failing during a tool call (the trash): a tool error saying to try again in a moment, not "failed unexpectedly"', async () => {
      const { tokens } = await signIn(h.baseUrl);
      const listTrash = {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'list_deleted_contacts', arguments: {} },
      };
      // A first call caches the grant check and the Google access token: the outage then first reaches the tool itself.
      const first = await mcpPost(h.mcpUrl, tokens.access_token, listTrash);
      expect(first.status).to.equal(200);
      expect(await first.text()).to.contain('The trash is empty');
      store.down = true;
      const res = await mcpPost(h.mcpUrl, tokens.access_token, listTrash);
      const text = await res.text();
      expect(res.status).to.equal(200);
      expect(text).to.contain('"isError":true');
      expect(text).to.contain('This server’s storage is temporarily unavailable. Try again in a moment.');
      expect(h.logs.filter((l) => l.includes('tool failed unexpectedly'))).to.deep.equal([]);
      expect(
        h.logs.some((l) => l.includes('"event":"store.unavailable"') && l.includes('list_deleted_contacts')),
      ).to.equal(true);
      store.down = false;
      const again = await mcpPost(h.mcpUrl, tokens.access_token, listTrash);
      expect(await again.text()).to.contain('The trash is empty');
    });
  });

  describe('Google failing', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ env: { GOOGLE_TIMEOUT_MS: '500' }, googleAccessTokenTtlSeconds: 1 });
    });
    after(async () => h?.close());

    it('token endpoint 500 during sign-in: a 503 page with Retry-After, never a 500; the next attempt works', async () => {
      const c = (await register(h.baseUrl, claudeRegistration())).body;
      // google-auth-library retries 5xx a few times itself; fail more often than that.
      h.google.failNextToken({ status: 500, count: 6 });
      const ua = new UserAgent();
      const r = await ua.run(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: c.client_id,
          redirect_uri: c.redirect_uris[0],
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        }),
        c.redirect_uris[0]!,
      );
      expect(r.stoppedAt?.status).to.equal(503);
      expect(r.stoppedAt?.html).to.contain('Google is not answering');
      h.google.clearTokenFaults();
      const ok = await signIn(h.baseUrl);
      expect(ok.tokens.access_token).to.be.a('string');
    });

    it('token endpoint timeout during sign-in: bounded by GOOGLE_TIMEOUT_MS, answered 503', async () => {
      const c = (await register(h.baseUrl, claudeRegistration())).body;
      h.google.failNextToken({ status: 200, delayMs: 1500, count: 6 });
      const t0 = Date.now();
      const r = await new UserAgent().run(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: c.client_id,
          redirect_uri: c.redirect_uris[0],
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        }),
        c.redirect_uris[0]!,
      );
      expect(r.stoppedAt?.status).to.equal(503);
      expect(Date.now() - t0).to.be.lessThan(8000);
      h.google.clearTokenFaults();
    });

    it('invalid_grant on the sign-in code: access_denied back to the client', async () => {
      const c = (await register(h.baseUrl, claudeRegistration())).body;
      h.google.failNextToken({ status: 400, body: { error: 'invalid_grant', error_description: 'Bad Request' } });
      const { params } = await authorize(
        h.baseUrl,
        { client_id: c.client_id, redirect_uri: c.redirect_uris[0]! },
        { challenge: pkce().challenge, state: 's9' },
      );
      expect(params.get('error')).to.equal('access_denied');
      expect(params.get('state')).to.equal('s9');
    });

    it('Google refresh failing (500) during a tool call: 503 + Retry-After, not 500; then it recovers', async () => {
      const { tokens } = await signIn(h.baseUrl, { loginHint: 'bob@acme.test' });
      await new Promise((r) => setTimeout(r, 1100)); // the 1 s Google access token expires
      h.google.failNextToken({ status: 500, count: 6 });
      const res = await mcpPost(h.mcpUrl, tokens.access_token, whoami);
      expect(res.status).to.equal(503);
      expect(res.headers.get('retry-after')).to.be.a('string');
      h.google.clearTokenFaults();
      const ok = await mcpPost(h.mcpUrl, tokens.access_token, whoami);
      expect(ok.status).to.equal(200);
      expect(await ok.text()).to.contain('bob@acme.test');
    });

    it('Google refresh answering invalid_grant during a tool call: 401 with the challenge', async () => {
      const { tokens } = await signIn(h.baseUrl, { loginHint: 'carol@acme.test' });
      await new Promise((r) => setTimeout(r, 1100));
      h.google.failNextToken({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
      });
      const res = await mcpPost(h.mcpUrl, tokens.access_token, whoami);
      expect(res.status).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.contain('error="invalid_token"');
    });

    it('a People API timeout is bounded and reported as a tool error', async () => {
      const slow = await startHarness({ env: { PEOPLE_TIMEOUT_MS: '300' } });
      try {
        const { tokens } = await signIn(slow.baseUrl);
        slow.people.failNext({ delayMs: 2000, count: 10 });
        const t0 = Date.now();
        const res = await mcpPost(slow.mcpUrl, tokens.access_token, whoami);
        const text = await res.text();
        expect(res.status).to.equal(200);
        expect(text).to.contain('isError');
        expect(text).to.match(/did not answer in time|temporarily unavailable/);
        expect(Date.now() - t0).to.be.lessThan(6000);
      } finally {
        await slow.close();
      }
    });
  });
});
