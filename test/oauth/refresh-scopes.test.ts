/**
 * Scopes on refresh (RFC 6749 §6): a refresh may repeat any scope its authorization request named — as
 * Codex CLI does with `contacts offline_access` on every refresh, without ever sending prompt=consent —
 * and a scope that was never requested is refused with invalid_scope.
 */
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { startHarness, type Harness } from '../support/harness.js';
import { UserAgent } from '../../standins/user-agent.js';
import {
  authorize,
  clientAuth,
  mcpPost,
  pkce,
  register,
  tokenRequest,
  type Registered,
  type TokenResponse,
} from '../../standins/oauth-client.js';

/** A public loopback client registered the way Codex CLI's Rust OAuth client does it. */
async function registerCodexLike(h: Harness, port: number): Promise<Registered> {
  const reg = await register(h.baseUrl, {
    client_name: 'Codex',
    redirect_uris: [`http://127.0.0.1:${port}/callback`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  });
  expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
  return reg.body;
}

/** Authorization (consent page → stand-in Google) and code exchange; returns the first tokens. */
async function signInWith(
  h: Harness,
  client: Registered,
  opts: { scope?: string; prompt?: string; ua?: UserAgent },
): Promise<TokenResponse> {
  const { verifier, challenge } = pkce();
  const redirectUri = client.redirect_uris[0]!;
  const { params } = await authorize(
    h.baseUrl,
    { client_id: client.client_id, redirect_uri: redirectUri },
    {
      challenge,
      scope: opts.scope,
      resource: h.mcpUrl,
      ua: opts.ua,
      extra: opts.prompt ? { prompt: opts.prompt } : undefined,
    },
  );
  const code = params.get('code');
  expect(code, params.toString()).to.be.a('string');
  const t = await tokenRequest(h.baseUrl, {
    grant_type: 'authorization_code',
    code: code!,
    code_verifier: verifier,
    redirect_uri: redirectUri,
    resource: h.mcpUrl,
    ...clientAuth(client),
  });
  expect(t.status, JSON.stringify(t.body)).to.equal(200);
  expect(t.body.refresh_token).to.be.a('string');
  return t.body;
}

describe('refresh scopes (RFC 6749 §6)', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-20).join('\n'));
  });

  it('Codex wire replay: scope=contacts offline_access without prompt=consent, then refresh with the same scope → 200 and rotation, twice', async () => {
    const client = await registerCodexLike(h, 41231);
    const first = await signInWith(h, client, { scope: 'contacts offline_access' });
    let refreshToken = first.refresh_token!;
    for (let round = 1; round <= 2; round++) {
      const r = await tokenRequest(h.baseUrl, {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        scope: 'contacts offline_access',
        resource: h.mcpUrl,
        ...clientAuth(client),
      });
      expect(r.status, `round ${round}: ${JSON.stringify(r.body)}`).to.equal(200);
      expect(r.body.refresh_token, `round ${round}`).to.be.a('string').and.not.equal(refreshToken);
      expect(decodeJwt(r.body.access_token!).scope).to.equal('contacts');
      expect(
        (await mcpPost(h.mcpUrl, r.body.access_token, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }))
          .status,
      ).to.equal(200);
      refreshToken = r.body.refresh_token!;
    }
  });

  it('Codex reconnecting in the same browser: remembered consent finishes without the consent page, and the new refresh token takes the same scope', async () => {
    const client = await registerCodexLike(h, 41230);
    const ua = new UserAgent();
    await signInWith(h, client, { scope: 'contacts offline_access', ua });
    const googleBefore = h.google.authorizeRequests.length;
    const hopsBefore = ua.hops.length;
    const again = await signInWith(h, client, { scope: 'contacts offline_access', ua });
    expect(ua.hops.slice(hopsBefore).filter((hop) => hop.status === 200)).to.deep.equal([]); // no page shown
    expect(h.google.authorizeRequests.length).to.equal(googleBefore);
    const r = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: again.refresh_token,
      scope: 'contacts offline_access',
      ...clientAuth(client),
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
  });

  it('the same refresh works when the authorization did send prompt=consent (Claude Code)', async () => {
    const client = await registerCodexLike(h, 41232);
    const first = await signInWith(h, client, { scope: 'contacts offline_access', prompt: 'consent' });
    const r = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      scope: 'contacts offline_access',
      ...clientAuth(client),
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
  });

  it('offline_access with prompt=login keeps working on refresh too', async () => {
    const client = await registerCodexLike(h, 41233);
    const first = await signInWith(h, client, { scope: 'contacts offline_access', prompt: 'login' });
    const r = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      scope: 'offline_access',
      ...clientAuth(client),
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
  });

  it('Claude: scope=claudeai at authorization and on refresh (unknown scope ignored) → 200', async () => {
    const client = await registerCodexLike(h, 41234);
    const first = await signInWith(h, client, { scope: 'claudeai' });
    const r = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      scope: 'claudeai',
      ...clientAuth(client),
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(decodeJwt(r.body.access_token!).scope).to.equal('contacts');
  });

  it('no scope at authorization; refresh with contacts → 200', async () => {
    const client = await registerCodexLike(h, 41235);
    const first = await signInWith(h, client, {});
    const r = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      scope: 'contacts',
      ...clientAuth(client),
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(decodeJwt(r.body.access_token!).scope).to.equal('contacts');
  });

  it('mcp-remote / Vercel AI SDK style: refresh without a scope parameter → 200 with the granted scope', async () => {
    const client = await registerCodexLike(h, 41236);
    const first = await signInWith(h, client, { scope: 'contacts offline_access' });
    const r = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      ...clientAuth(client),
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(decodeJwt(r.body.access_token!).scope).to.equal('contacts');
  });

  describe('RFC 6749 §6: a scope not originally granted is refused with invalid_scope', () => {
    const cases: Array<{ authorized: string | undefined; asked: string }> = [
      { authorized: 'contacts', asked: 'contacts email' },
      { authorized: 'contacts', asked: 'openid' },
      { authorized: 'contacts', asked: 'contacts offline_access' },
      { authorized: undefined, asked: 'offline_access' },
      { authorized: 'claudeai', asked: 'profile' },
    ];
    let port = 41240;
    for (const { authorized, asked } of cases) {
      it(`authorized "${authorized ?? '(none)'}", refresh asks "${asked}" → 400 invalid_scope; the refresh token stays usable`, async () => {
        const client = await registerCodexLike(h, port++);
        const first = await signInWith(h, client, { scope: authorized });
        const refused = await tokenRequest(h.baseUrl, {
          grant_type: 'refresh_token',
          refresh_token: first.refresh_token,
          scope: asked,
          ...clientAuth(client),
        });
        expect(refused.status, JSON.stringify(refused.body)).to.equal(400);
        expect(refused.body.error).to.equal('invalid_scope');
        const ok = await tokenRequest(h.baseUrl, {
          grant_type: 'refresh_token',
          refresh_token: first.refresh_token,
          ...clientAuth(client),
        });
        expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      });
    }
  });
});
