/**
 * The whole authorization flow with an explicit client: registration → authorize (consent + Google) →
 * code exchange → whoami → refresh rotation → concurrent refresh → reuse after grace → revocation.
 */
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { startHarness, type Harness } from '../support/harness.js';
import {
  authorize,
  claudeRegistration,
  clientAuth,
  mcpPost,
  pkce,
  register,
  signIn,
  tokenRequest,
  type Registered,
} from '../../standins/oauth-client.js';

async function whoami(h: Harness, token: string): Promise<Response> {
  return mcpPost(h.mcpUrl, token, {
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: { name: 'whoami', arguments: {} },
  });
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('OAuth flow end to end (explicit client)', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { REFRESH_REUSE_GRACE_SECONDS: '1' } });
  });
  after(async () => h?.close());
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-40).join('\n'));
  });

  let client: Registered;
  let refreshToken: string;
  let accessToken: string;

  it('registers Claude\'s real registration (scope "claudeai" ignored, client_secret_post)', async () => {
    const reg = await register(h.baseUrl, claudeRegistration());
    expect(reg.status).to.equal(201);
    expect(reg.body.client_id).to.be.a('string');
    expect(reg.body.client_secret).to.be.a('string');
    expect(reg.body.token_endpoint_auth_method).to.equal('client_secret_post');
    expect(reg.body.grant_types).to.include('refresh_token');
    expect(reg.body.scope ?? '').not.to.contain('claudeai');
    client = reg.body;
  });

  it('authorizes through our consent page and Google (RFC 9207 iss in the response, state echoed)', async () => {
    const { verifier, challenge } = pkce();
    const { params, ua } = await authorize(
      h.baseUrl,
      { client_id: client.client_id, redirect_uri: client.redirect_uris[0]! },
      { challenge, state: 'xyz-state', scope: 'claudeai' },
    );
    expect(params.get('state')).to.equal('xyz-state');
    expect(params.get('iss')).to.equal(h.baseUrl);
    expect(ua.hops.some((hop) => hop.url.includes('/interaction/'))).to.equal(true);
    // Google was asked for offline access with PKCE, our scopes, and state.
    const g = h.google.authorizeRequests.at(-1)!;
    expect(g.access_type).to.equal('offline');
    expect(g.code_challenge_method).to.equal('S256');
    expect(g.scope).to.contain('https://www.googleapis.com/auth/contacts');
    expect(g.redirect_uri).to.equal(`${h.baseUrl}/oauth/google/callback`);
    const tokens = await tokenRequest(h.baseUrl, {
      grant_type: 'authorization_code',
      code: params.get('code')!,
      code_verifier: verifier,
      redirect_uri: client.redirect_uris[0],
      ...clientAuth(client),
    });
    expect(tokens.status).to.equal(200);
    expect(tokens.body.token_type).to.equal('Bearer');
    expect(tokens.body.expires_in).to.be.within(3590, 3600);
    expect(tokens.body.refresh_token).to.be.a('string');
    accessToken = tokens.body.access_token!;
    refreshToken = tokens.body.refresh_token!;
    const claims = decodeJwt(accessToken);
    expect(claims.aud).to.equal(h.mcpUrl);
    expect(claims.iss).to.equal(h.baseUrl);
    expect(claims.client_id).to.equal(client.client_id);
    // No Google token ever reaches the client.
    expect(JSON.stringify(tokens.body)).not.to.match(/ya29|google/i);
  });

  it("calls whoami with the access token: the user's Google token reaches the People API", async () => {
    const res = await whoami(h, accessToken);
    const text = await res.text();
    expect(res.status).to.equal(200);
    expect(text).to.contain('alice@example.com');
  });

  it('rotates the refresh token on use (RFC 9700 §4.14.2) and the new pair works', async () => {
    const r = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...clientAuth(client),
    });
    expect(r.status).to.equal(200);
    expect(r.body.refresh_token).to.be.a('string').and.not.equal(refreshToken);
    refreshToken = r.body.refresh_token!;
    accessToken = r.body.access_token!;
    expect((await whoami(h, accessToken)).status).to.equal(200);
  });

  it('a refresh naming an unknown scope ("claudeai") is served with the granted scopes', async () => {
    const r = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      scope: 'claudeai',
      ...clientAuth(client),
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    refreshToken = r.body.refresh_token!;
    accessToken = r.body.access_token!;
  });

  it('a concurrent double refresh with the same token succeeds twice (reuse grace window)', async () => {
    const [a, b] = await Promise.all([
      tokenRequest(h.baseUrl, { grant_type: 'refresh_token', refresh_token: refreshToken, ...clientAuth(client) }),
      tokenRequest(h.baseUrl, { grant_type: 'refresh_token', refresh_token: refreshToken, ...clientAuth(client) }),
    ]);
    expect(a.status, JSON.stringify(a.body)).to.equal(200);
    expect(b.status, JSON.stringify(b.body)).to.equal(200);
    const old = refreshToken;
    refreshToken = a.body.refresh_token!;
    accessToken = a.body.access_token!;
    // After the grace window, reusing the rotated-out token revokes the whole grant.
    await new Promise((r) => setTimeout(r, 1200));
    const reuse = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: old,
      ...clientAuth(client),
    });
    expect(reuse.status).to.equal(400);
    expect(reuse.body.error).to.equal('invalid_grant');
    const after = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...clientAuth(client),
    });
    expect(after.status).to.equal(400);
    expect(after.body.error).to.equal('invalid_grant');
    // Its access tokens stop working too.
    expect((await whoami(h, accessToken)).status).to.equal(401);
    expect(h.logs.some((l) => l.includes('"event":"grant.revoked"'))).to.equal(true);
  });

  it('revocation (RFC 7009) ends the grant, its access tokens, and the Google token of the last grant', async () => {
    const { client: c2, tokens } = await signIn(h.baseUrl);
    const revokedBefore = h.google.revocations.length;
    const res = await fetch(`${h.baseUrl}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: tokens.refresh_token!,
        token_type_hint: 'refresh_token',
        client_id: c2.client_id,
        client_secret: c2.client_secret!,
      }),
    });
    expect(res.status).to.equal(200);
    const refresh = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      ...clientAuth(c2),
    });
    expect(refresh.body.error).to.equal('invalid_grant');
    expect((await whoami(h, tokens.access_token!)).status).to.equal(401);
    await waitFor(() => h.google.revocations.length > revokedBefore);
  });

  it('a second client of the same user skips Google (consent page only) and shares the Google sign-in', async () => {
    const first = await signIn(h.baseUrl, { loginHint: 'bob@acme.test' });
    const googleHits = h.google.authorizeRequests.length;
    const second = await signIn(h.baseUrl, { ua: first.ua });
    expect(h.google.authorizeRequests.length).to.equal(googleHits);
    expect(second.ua.lastHtml).to.contain('Allow');
    const res = await whoami(h, second.tokens.access_token!);
    expect(await res.text()).to.contain('bob@acme.test');
  });

  it('authorization codes are single-use and expire (10 minutes)', async () => {
    const reg = await register(h.baseUrl, claudeRegistration());
    const { verifier, challenge } = pkce();
    const { params } = await authorize(
      h.baseUrl,
      { client_id: reg.body.client_id, redirect_uri: reg.body.redirect_uris[0]! },
      { challenge },
    );
    const code = params.get('code')!;
    const first = await tokenRequest(h.baseUrl, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: reg.body.redirect_uris[0],
      ...clientAuth(reg.body),
    });
    expect(first.status).to.equal(200);
    const second = await tokenRequest(h.baseUrl, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: reg.body.redirect_uris[0],
      ...clientAuth(reg.body),
    });
    expect(second.status).to.equal(400);
    expect(second.body.error).to.equal('invalid_grant');
    // RFC 6749 §4.1.2: the grant the replayed code issued is revoked.
    const refresh = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token,
      ...clientAuth(reg.body),
    });
    expect(refresh.body.error).to.equal('invalid_grant');
  });
});
