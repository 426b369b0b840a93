/** Lifetimes and upstream loss: registration cap, idle client expiry, sliding grants, Google revocation. */
import { expect } from 'chai';
import { createAdapterFactory } from '../../src/oauth/adapter.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { startHarness, type Harness } from '../support/harness.js';
import {
  claudeRegistration,
  clientAuth,
  mcpPost,
  register,
  signIn,
  tokenRequest,
} from '../../standins/oauth-client.js';

const DAY = 24 * 3600 * 1000;

describe('lifecycle', function () {
  describe('registration cap (global, not per IP)', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ env: { REGISTRATIONS_PER_HOUR: '3' } });
    });
    after(async () => h?.close());

    it('answers 429 with Retry-After once the hourly cap is reached', async () => {
      for (let i = 0; i < 3; i++) expect((await register(h.baseUrl, claudeRegistration())).status).to.equal(201);
      const res = await fetch(`${h.baseUrl}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(claudeRegistration()),
      });
      expect(res.status).to.equal(429);
      expect(Number(res.headers.get('retry-after'))).to.be.greaterThan(0);
      expect(((await res.json()) as { error: string }).error).to.equal('temporarily_unavailable');
    });
  });

  describe('token endpoint caps (per client and global)', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ env: { TOKEN_REQUESTS_PER_CLIENT_PER_MINUTE: '3', TOKEN_REQUESTS_PER_MINUTE: '7' } });
    });
    after(async () => h?.close());

    it('a client over its cap gets 429 + Retry-After; other clients are unaffected until the global cap', async () => {
      const a = (await register(h.baseUrl, claudeRegistration())).body;
      const b = (await register(h.baseUrl, claudeRegistration())).body;
      for (let i = 0; i < 3; i++)
        expect(
          (await tokenRequest(h.baseUrl, { grant_type: 'refresh_token', refresh_token: 'x', ...clientAuth(a) })).status,
        ).to.equal(400);
      const limited = await fetch(`${h.baseUrl}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: 'x',
          client_id: a.client_id,
          client_secret: a.client_secret!,
        }),
      });
      expect(limited.status).to.equal(429);
      expect(Number(limited.headers.get('retry-after'))).to.be.greaterThan(0);
      // Basic auth is counted for the same client.
      const basic = await fetch(`${h.baseUrl}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${a.client_id}:${a.client_secret}`).toString('base64')}`,
        },
        body: 'grant_type=refresh_token&refresh_token=x',
      });
      expect(basic.status).to.equal(429);
      expect(
        (await tokenRequest(h.baseUrl, { grant_type: 'refresh_token', refresh_token: 'x', ...clientAuth(b) })).status,
      ).to.equal(400);
      // Global cap (7 per minute): b's second request is the 7th, its third is refused.
      expect(
        (await tokenRequest(h.baseUrl, { grant_type: 'refresh_token', refresh_token: 'x', ...clientAuth(b) })).status,
      ).to.equal(400);
      expect(
        (await tokenRequest(h.baseUrl, { grant_type: 'refresh_token', refresh_token: 'x', ...clientAuth(b) })).status,
      ).to.equal(429);
    });
  });

  describe('expiry (adapter over the store, with a controlled clock)', () => {
    let now = Date.UTC(2026, 0, 1);
    const store = new MemoryStore(() => now);
    const Adapter = createAdapterFactory(store, {
      refreshGraceSeconds: 60,
      grantTtlSeconds: 90 * 86400,
      clientIdleTtlSeconds: 30 * 86400,
      now: () => now,
    });

    it('an unused registered client expires after 30 days; use slides it', async () => {
      const clients = new Adapter('Client');
      await clients.upsert('c1', { client_id: 'c1', client_secret: 's', redirect_uris: ['https://x/cb'] });
      await clients.upsert('c2', { client_id: 'c2', redirect_uris: ['https://x/cb'] });
      const grants = new Adapter('Grant');
      await grants.upsert('g1', { accountId: 'a', clientId: 'c1', exp: 0 }, 90 * 86400);
      // Day 20: a refresh for c1 slides c1 (and its grant).
      now += 20 * DAY;
      const rts = new Adapter('RefreshToken');
      await rts.upsert('rt-1', { grantId: 'g1', clientId: 'c1', accountId: 'a' }, 90 * 86400);
      // Day 31: c2 (never used) is gone; c1 lives.
      now += 11 * DAY;
      expect(await clients.find('c2')).to.equal(undefined);
      expect(await clients.find('c1')).to.not.equal(undefined);
      // Day 100: the grant slid with the refresh at day 20 (expires day 110), the refresh token too.
      now += 69 * DAY;
      expect(await grants.find('g1')).to.not.equal(undefined);
      expect(await rts.find('rt-1')).to.not.equal(undefined);
      now += 11 * DAY;
      expect(await grants.find('g1')).to.equal(undefined);
    });

    it('stores bearer values only as hashes, and a client secret as "sha256:…"', async () => {
      const rts = new Adapter('RefreshToken');
      await rts.upsert('super-secret-refresh-token', { grantId: 'g2', jti: 'super-secret-refresh-token' }, 60);
      const clients = new Adapter('Client');
      await clients.upsert('c3', { client_id: 'c3', client_secret: 'very-secret-client-secret' });
      const dump = JSON.stringify(store.dump());
      expect(dump).not.to.contain('super-secret-refresh-token');
      expect(dump).not.to.contain('very-secret-client-secret');
      expect((await rts.find('super-secret-refresh-token'))?.jti).to.equal('super-secret-refresh-token');
    });

    it('a refresh token consumed within the grace window still reads as unconsumed; after it, consumed', async () => {
      const rts = new Adapter('RefreshToken');
      await rts.upsert('rt-g', { grantId: 'g3' }, 3600);
      await rts.consume('rt-g');
      expect((await rts.find('rt-g'))?.consumed).to.equal(undefined);
      now += 61_000;
      expect((await rts.find('rt-g'))?.consumed).to.be.a('number');
    });
  });

  describe('Google sends a refresh token only on consent', () => {
    it('when Google returns none and we hold none, we go back once with prompt=consent and get one', async () => {
      const h = await startHarness({ googleRefreshTokenOnlyOnConsent: true });
      try {
        const first = await signIn(h.baseUrl, { loginHint: 'alice@example.com' });
        expect(h.google.authorizeRequests.at(-1)!.prompt).to.equal(undefined);
        // We lose our copy (e.g. an admin cleared it) while Google still remembers the consent.
        const { revokeAccount } = await import('../../src/oauth/revocation.js');
        await revokeAccount(h.store, h.app.googleTokens, '100000000000000000001', { revokeAtGoogle: false });
        void first;
        const before = h.google.authorizeRequests.length;
        const again = await signIn(h.baseUrl, { loginHint: 'alice@example.com' });
        const asked = h.google.authorizeRequests.slice(before);
        expect(asked.map((a) => a.prompt ?? '')).to.deep.equal(['', 'consent']);
        expect(asked[1]!.login_hint).to.equal('alice@example.com');
        // The stored Google refresh token works: an expired Google access token is refreshed server-side.
        expect(await h.app.googleTokens.hasRefreshToken('100000000000000000001')).to.equal(true);
        const res = await mcpPost(h.mcpUrl, again.tokens.access_token, {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'whoami', arguments: {} },
        });
        expect(await res.text()).to.contain('alice@example.com');
      } finally {
        await h.close();
      }
    });
  });

  describe('the user revokes our app at Google', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness();
    });
    after(async () => h?.close());

    it('the next tool call ends the grant: /mcp answers 401 with the challenge and refresh fails (client signs in again)', async () => {
      const { client, tokens } = await signIn(h.baseUrl, { loginHint: 'carol@acme.test' });
      const call = () =>
        mcpPost(h.mcpUrl, tokens.access_token, {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'whoami', arguments: {} },
        });
      expect((await call()).status).to.equal(200);
      h.google.revokeUser('carol@acme.test');
      const first = await call();
      await first.text();
      const second = await call();
      expect(second.status).to.equal(401);
      expect(second.headers.get('www-authenticate')).to.contain('resource_metadata=');
      const refresh = await tokenRequest(h.baseUrl, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        ...clientAuth(client),
      });
      expect(refresh.body.error).to.equal('invalid_grant');
      expect(h.logs.some((l) => l.includes('"reason":"google_invalid_grant"'))).to.equal(true);
      // Signing in again works.
      const again = await signIn(h.baseUrl, { loginHint: 'carol@acme.test' });
      const res = await mcpPost(h.mcpUrl, again.tokens.access_token, {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'whoami', arguments: {} },
      });
      expect(await res.text()).to.contain('carol@acme.test');
    });

    it('Google token expiry is handled server-side: the client never sees it', async () => {
      const short = await startHarness({ googleAccessTokenTtlSeconds: 1 });
      try {
        const { tokens } = await signIn(short.baseUrl);
        const refreshesBefore = short.google.tokenRequests.filter((t) => t.grant_type === 'refresh_token').length;
        const res = await mcpPost(short.mcpUrl, tokens.access_token, {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'whoami', arguments: {} },
        });
        expect(await res.text()).to.contain('alice@example.com');
        expect(short.google.tokenRequests.filter((t) => t.grant_type === 'refresh_token').length).to.be.greaterThan(
          refreshesBefore,
        );
      } finally {
        await short.close();
      }
    });
  });
});
