import { X509Certificate, createHash, createPublicKey } from 'node:crypto';
import { expect } from 'chai';
import sinon from 'sinon';
import { ClientAuthentication, CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import type { GenerateAuthUrlOpts } from 'google-auth-library';
import { startGoogleStandin } from '../../standins/google.js';
import type { GoogleStandin } from '../../standins/google.js';
import { SAMPLE_USERS } from '../../standins/sample-users.js';

const CLIENT_ID = '1234567890-standin.apps.googleusercontent.com';
const CLIENT_SECRET = 'GOCSPX-standin-secret';
// Never contacted: redirects are followed only until they reach this URI.
const REDIRECT_URI = 'http://127.0.0.1:9/oauth2/callback';
const CONTACTS = 'https://www.googleapis.com/auth/contacts';
const OTHER_CONTACTS = 'https://www.googleapis.com/auth/contacts.other.readonly';
const SCOPES = ['openid', 'email', 'profile', CONTACTS, OTHER_CONTACTS];

const alice = SAMPLE_USERS.find((u) => u.email === 'alice@example.com')!;
const bob = SAMPLE_USERS.find((u) => u.email === 'bob@acme.test')!;

function newClient(standin: GoogleStandin, clientAuthentication?: ClientAuthentication): OAuth2Client {
  return new OAuth2Client({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI,
    endpoints: standin.endpoints,
    issuers: [standin.url],
    ...(clientAuthentication ? { clientAuthentication } : {}),
  });
}

/** Follows redirects by hand (no cookies) until one points at REDIRECT_URI. */
async function followToRedirectUri(startUrl: string): Promise<URL> {
  let next = startUrl;
  for (let hop = 0; hop < 5; hop++) {
    const res = await fetch(next, { redirect: 'manual' });
    await res.body?.cancel();
    const location = res.headers.get('location');
    if (!location) throw new Error(`no redirect from ${next}: HTTP ${res.status}`);
    const target = new URL(location, next);
    if (`${target.origin}${target.pathname}` === REDIRECT_URI) return target;
    next = target.href;
  }
  throw new Error('too many redirects');
}

interface Authorized {
  callback: URL;
  codeVerifier: string;
}

async function authorize(client: OAuth2Client, extra: Partial<GenerateAuthUrlOpts> = {}): Promise<Authorized> {
  const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
  const url = client.generateAuthUrl({
    access_type: 'offline',
    prompt: 'consent',
    include_granted_scopes: true,
    scope: SCOPES,
    state: 'state-123',
    code_challenge: codeChallenge,
    code_challenge_method: CodeChallengeMethod.S256,
    ...extra,
  });
  return { callback: await followToRedirectUri(url), codeVerifier };
}

async function signIn(client: OAuth2Client, extra: Partial<GenerateAuthUrlOpts> = {}) {
  const { callback, codeVerifier } = await authorize(client, extra);
  const code = callback.searchParams.get('code');
  expect(code, callback.href).to.be.a('string');
  const { tokens } = await client.getToken({ code: code!, codeVerifier });
  return tokens;
}

async function rawRefresh(
  standin: GoogleStandin,
  refreshToken: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(standin.endpoints.oauth2TokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function gaxiosStatus(err: unknown): number | undefined {
  return (err as { response?: { status?: number } }).response?.status;
}
function gaxiosData(err: unknown): Record<string, unknown> | undefined {
  return (err as { response?: { data?: Record<string, unknown> } }).response?.data;
}

describe('google stand-in', function () {
  this.timeout(10_000);

  it('is quiet: a full sign-in, refresh and revocation print nothing', async () => {
    const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
    const spies = methods.map((m) => sinon.stub(console, m));
    const stderr = sinon.stub(process.stderr, 'write').returns(true);
    let standin: GoogleStandin | undefined;
    try {
      standin = await startGoogleStandin({
        clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI] }],
      });
      const client = newClient(standin);
      const tokens = await signIn(client);
      await client.verifyIdToken({ idToken: tokens.id_token!, audience: CLIENT_ID });
      client.setCredentials(tokens);
      await client.refreshAccessToken();
      await client.revokeToken(tokens.refresh_token!);
      await fetch(`${standin.url}/o/oauth2/v2/auth?client_id=unknown&response_type=code&scope=openid`).then((r) =>
        r.body?.cancel(),
      );
    } finally {
      await standin?.close();
      stderr.restore();
      spies.forEach((s) => s.restore());
    }
    spies.forEach((spy, i) =>
      expect(spy.callCount, `console.${methods[i]}: ${String(spy.firstCall?.args[0])}`).to.equal(0),
    );
    expect(stderr.callCount).to.equal(0);
  });

  describe('non-interactive', () => {
    let standin: GoogleStandin;

    before(async () => {
      standin = await startGoogleStandin({
        clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI] }],
      });
    });
    after(async () => {
      await standin.close();
    });
    afterEach(() => {
      standin.nextUser = alice.email;
      standin.nextDecision = 'allow';
      standin.nextUntickedScopes = [];
    });

    it("serves a discovery document with Google's endpoint paths", async () => {
      expect(standin.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const doc = (await (await fetch(standin.discoveryUrl)).json()) as Record<string, unknown>;
      expect(doc).to.include({
        issuer: standin.url,
        authorization_endpoint: `${standin.url}/o/oauth2/v2/auth`,
        token_endpoint: `${standin.url}/token`,
        revocation_endpoint: `${standin.url}/revoke`,
        jwks_uri: `${standin.url}/oauth2/v3/certs`,
        userinfo_endpoint: `${standin.url}/v1/userinfo`,
      });
      expect(doc.id_token_signing_alg_values_supported).to.deep.equal(['RS256']);
      expect(doc.code_challenge_methods_supported).to.deep.equal(['S256']);
    });

    it('serves PEM X.509 certificates at /oauth2/v1/certs for the JWKS signing key', async () => {
      const pems = (await (await fetch(standin.endpoints.oauth2FederatedSignonPemCertsUrl)).json()) as Record<
        string,
        string
      >;
      const jwks = (await (await fetch(standin.endpoints.oauth2FederatedSignonJwkCertsUrl)).json()) as {
        keys: Array<Record<string, string>>;
      };
      expect(jwks.keys).to.have.length(1);
      const jwk = jwks.keys[0]!;
      expect(jwk).to.include({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(jwk).to.not.have.property('d');
      expect(Object.keys(pems)).to.deep.equal([jwk.kid]);
      const pem = pems[jwk.kid!]!;
      expect(pem).to.match(/^-----BEGIN CERTIFICATE-----\n/);
      const cert = new X509Certificate(pem);
      expect(cert.verify(cert.publicKey)).to.equal(true);
      expect(cert.publicKey.export({ format: 'jwk' }).n).to.equal(jwk.n);
      expect(createPublicKey({ key: jwk as never, format: 'jwk' }).equals(cert.publicKey)).to.equal(true);
    });

    it('runs the code flow with PKCE and access_type=offline through google-auth-library', async () => {
      const client = newClient(standin);
      const before = standin.authorizeRequests.length;
      const { callback, codeVerifier } = await authorize(client, { nonce: 'nonce-1' });

      expect(callback.searchParams.get('state')).to.equal('state-123');
      expect(callback.searchParams.get('scope')).to.equal(SCOPES.join(' '));
      const hit = standin.authorizeRequests[before]!;
      expect(hit).to.include({
        access_type: 'offline',
        client_id: CLIENT_ID,
        code_challenge_method: 'S256',
        prompt: 'consent',
      });
      expect(hit.code_challenge).to.be.a('string');

      const { tokens } = await client.getToken({ code: callback.searchParams.get('code')!, codeVerifier });
      expect(tokens.access_token).to.be.a('string');
      expect(tokens.refresh_token).to.be.a('string');
      expect(tokens.token_type).to.equal('Bearer');
      expect(tokens.scope!.split(' ')).to.have.members(SCOPES);
      expect(standin.issuedRefreshTokens).to.include(tokens.refresh_token);

      const ticket = await client.verifyIdToken({ idToken: tokens.id_token!, audience: CLIENT_ID });
      const payload = ticket.getPayload()!;
      expect(payload).to.include({
        iss: standin.url,
        aud: CLIENT_ID,
        sub: alice.sub,
        email: alice.email,
        email_verified: true,
        name: alice.name,
        given_name: alice.givenName,
        family_name: alice.familyName,
        nonce: 'nonce-1',
      });
      expect(payload.picture).to.be.a('string');
      expect(payload.azp).to.equal(CLIENT_ID);
      expect(payload.at_hash).to.equal(
        createHash('sha256').update(tokens.access_token!).digest().subarray(0, 16).toString('base64url'),
      );
      expect(payload).to.not.have.property('hd');

      expect(await standin.verifyAccessToken(tokens.access_token!)).to.deep.equal({
        sub: alice.sub,
        email: alice.email,
        scopes: SCOPES,
      });

      const info = await client.getTokenInfo(tokens.access_token!);
      expect(info).to.include({ sub: alice.sub, email: alice.email, aud: CLIENT_ID });
      expect(info.scopes).to.have.members(SCOPES);

      const userinfo = await fetch(standin.userinfoUrl, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(userinfo.status).to.equal(200);
      expect(await userinfo.json()).to.include({ sub: alice.sub, email: alice.email, name: alice.name });

      const last = standin.tokenRequests.at(-1)!;
      expect(last).to.include({ grant_type: 'authorization_code', client_id: CLIENT_ID, status: 200, injected: false });
    });

    it('refreshes without rotating the refresh token, as Google does', async () => {
      const client = newClient(standin);
      const tokens = await signIn(client);
      client.setCredentials(tokens);
      const { credentials } = await client.refreshAccessToken();
      expect(credentials.access_token).to.be.a('string').and.not.equal(tokens.access_token);
      expect(credentials.refresh_token).to.equal(tokens.refresh_token);
      expect(await standin.verifyAccessToken(credentials.access_token!)).to.include({ sub: alice.sub });

      const raw = await rawRefresh(standin, tokens.refresh_token!);
      expect(raw.status).to.equal(200);
      expect(raw.body).to.not.have.property('refresh_token');
      expect(raw.body.id_token).to.be.a('string');
      expect(String(raw.body.scope).split(' ')).to.have.members(SCOPES);
      // still the same refresh token afterwards
      expect((await rawRefresh(standin, tokens.refresh_token!)).status).to.equal(200);
      expect(standin.tokenRequests.at(-1)!.grant_type).to.equal('refresh_token');
    });

    it('issues no refresh token without access_type=offline', async () => {
      const client = newClient(standin);
      const tokens = await signIn(client, { access_type: 'online' });
      expect(tokens.access_token).to.be.a('string');
      expect(tokens.refresh_token ?? null).to.equal(null);
      const tokens2 = await signIn(client, { access_type: undefined });
      expect(tokens2.refresh_token ?? null).to.equal(null);
      const tokenInfo = await client.getTokenInfo(tokens.access_token!);
      expect(tokenInfo.access_type).to.equal('online');
    });

    it('signs in the login_hint user, else nextUser; hd only for Workspace users', async () => {
      const client = newClient(standin);
      const hinted = await signIn(client, { login_hint: bob.email });
      const bobIdToken = (await client.verifyIdToken({ idToken: hinted.id_token!, audience: CLIENT_ID })).getPayload()!;
      expect(bobIdToken).to.include({ sub: bob.sub, email: bob.email, hd: 'acme.test' });

      standin.nextUser = 'carol@acme.test';
      const carol = await signIn(client, { login_hint: 'nobody@example.com' });
      const carolIdToken = (
        await client.verifyIdToken({ idToken: carol.id_token!, audience: CLIENT_ID })
      ).getPayload()!;
      expect(carolIdToken).to.include({ email: 'carol@acme.test', hd: 'acme.test' });

      standin.nextUser = 'unverified@example.com';
      const unverified = await signIn(client);
      const unverifiedIdToken = (
        await client.verifyIdToken({ idToken: unverified.id_token!, audience: CLIENT_ID })
      ).getPayload()!;
      expect(unverifiedIdToken).to.include({ email: 'unverified@example.com', email_verified: false });

      expect(() => {
        standin.nextUser = 'stranger@example.com';
      }).to.throw(/no user/);
    });

    it('requires the PKCE verifier when a challenge was sent', async () => {
      const client = newClient(standin);
      const { callback } = await authorize(client);
      const err = await client.getToken({ code: callback.searchParams.get('code')! }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(gaxiosStatus(err)).to.equal(400);
      expect(gaxiosData(err)).to.include({ error: 'invalid_grant' });

      const second = await authorize(client);
      const wrong = await client
        .getToken({
          code: second.callback.searchParams.get('code')!,
          codeVerifier: `${second.codeVerifier.slice(0, -4)}AAAA`,
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(gaxiosData(wrong)).to.include({ error: 'invalid_grant' });
    });

    it("accepts Google's other prompt values and unknown parameters", async () => {
      const client = newClient(standin);
      for (const prompt of ['select_account', 'select_account consent', 'consent']) {
        const tokens = await signIn(client, { prompt, enable_granular_consent: 'true', hd: '*', foo: 'bar' });
        expect(tokens.access_token, prompt).to.be.a('string');
      }
    });

    it('accepts client_secret_basic as well as client_secret_post', async () => {
      const client = newClient(standin, ClientAuthentication.ClientSecretBasic);
      const tokens = await signIn(client);
      expect(tokens.access_token).to.be.a('string');
    });

    it('sends access_denied with the state when the user cancels (one-shot)', async () => {
      const client = newClient(standin);
      standin.nextDecision = 'deny';
      const { callback } = await authorize(client, { state: 'xyz' });
      expect(callback.searchParams.get('error')).to.equal('access_denied');
      expect(callback.searchParams.get('state')).to.equal('xyz');
      expect(callback.searchParams.has('code')).to.equal(false);
      expect(callback.searchParams.has('error_description')).to.equal(false);
      expect(standin.nextDecision).to.equal('allow');
      const again = await authorize(client);
      expect(again.callback.searchParams.get('code')).to.be.a('string');
    });

    it("shows Google's invalid_scope error page for unknown scopes, and accepts extraScopes", async () => {
      const client = newClient(standin);
      for (const scope of [
        ['openid', 'https://evil.test/all'],
        ['openid', 'https://www.googleapis.com/auth/not-a-scope'],
      ]) {
        const res = await fetch(client.generateAuthUrl({ scope, state: 's' }), { redirect: 'manual' });
        expect(res.status).to.equal(400);
        expect(res.headers.get('location')).to.equal(null);
        expect(await res.text()).to.include('invalid_scope');
      }
      const extra = 'https://www.googleapis.com/auth/not-a-scope';
      const other = await startGoogleStandin({
        clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI] }],
        extraScopes: [extra],
      });
      try {
        const tokens = await signIn(newClient(other), { scope: ['openid', extra] });
        expect(tokens.scope).to.equal(`openid ${extra}`);
        expect((await other.verifyAccessToken(tokens.access_token!))!.scopes).to.deep.equal(['openid', extra]);
      } finally {
        await other.close();
      }
    });

    it('failNextToken answers the next N token requests with the given error', async () => {
      const client = newClient(standin);
      const { callback, codeVerifier } = await authorize(client);
      const code = callback.searchParams.get('code')!;
      const body = { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' };
      standin.failNextToken({ status: 400, body, count: 1 });
      const err = await client.getToken({ code, codeVerifier }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(gaxiosStatus(err)).to.equal(400);
      expect(gaxiosData(err)).to.deep.equal(body);
      expect(standin.tokenRequests.at(-1)).to.include({
        grant_type: 'authorization_code',
        status: 400,
        injected: true,
      });
      // The injected answer did not consume the code.
      const { tokens } = await client.getToken({ code, codeVerifier });
      expect(tokens.access_token).to.be.a('string');

      standin.failNextToken({ status: 503, count: 2 });
      const first = await rawRefresh(standin, tokens.refresh_token!);
      const second = await rawRefresh(standin, tokens.refresh_token!);
      const third = await rawRefresh(standin, tokens.refresh_token!);
      expect([first.status, second.status, third.status]).to.deep.equal([503, 503, 200]);
      expect(first.body).to.have.property('error', 'internal_failure');
    });

    it('google-auth-library retries an injected 500 on the token endpoint', async () => {
      const client = newClient(standin);
      const { callback, codeVerifier } = await authorize(client);
      const before = standin.tokenRequests.length;
      standin.failNextToken({ status: 500 });
      const { tokens } = await client.getToken({ code: callback.searchParams.get('code')!, codeVerifier });
      expect(tokens.access_token).to.be.a('string');
      expect(standin.tokenRequests.slice(before).map((r) => r.status)).to.deep.equal([500, 200]);
    });

    it('failNextToken can delay the answer', async () => {
      standin.failNextToken({ status: 503, delayMs: 300 });
      const started = Date.now();
      const res = await rawRefresh(standin, 'whatever');
      expect(res.status).to.equal(503);
      expect(Date.now() - started).to.be.at.least(290);
    });

    it('revokeUser makes every token of that user stop working', async () => {
      const client = newClient(standin);
      const aliceTokens = await signIn(client);
      const bobTokens = await signIn(client, { login_hint: bob.email });
      expect(standin.revokeUser(alice.email)).to.be.at.least(1);

      expect(await standin.verifyAccessToken(aliceTokens.access_token!)).to.equal(null);
      const refreshed = await rawRefresh(standin, aliceTokens.refresh_token!);
      expect(refreshed.status).to.equal(400);
      expect(refreshed.body).to.deep.equal({
        error: 'invalid_grant',
        error_description: 'Token has been expired or revoked.',
      });
      client.setCredentials({ refresh_token: aliceTokens.refresh_token! });
      const err = await client.refreshAccessToken().then(
        () => null,
        (e: unknown) => e,
      );
      expect(gaxiosData(err)).to.include({ error: 'invalid_grant' });
      const info = await fetch(`${standin.endpoints.tokenInfoUrl}?access_token=${aliceTokens.access_token}`);
      expect(info.status).to.equal(400);
      const userinfo = await fetch(standin.userinfoUrl, {
        headers: { authorization: `Bearer ${aliceTokens.access_token}` },
      });
      expect(userinfo.status).to.equal(401);

      // Bob is untouched.
      expect(await standin.verifyAccessToken(bobTokens.access_token!)).to.include({ email: bob.email });
      expect((await rawRefresh(standin, bobTokens.refresh_token!)).status).to.equal(200);
    });

    it('/revoke of a refresh token revokes its access tokens too, and is recorded', async () => {
      const client = newClient(standin);
      const tokens = await signIn(client);
      const res = await client.revokeToken(tokens.refresh_token!);
      expect(res.status).to.equal(200);
      expect(standin.revocations).to.include(tokens.refresh_token);
      expect(await standin.verifyAccessToken(tokens.access_token!)).to.equal(null);
      expect((await rawRefresh(standin, tokens.refresh_token!)).status).to.equal(400);

      const again = await fetch(
        `${standin.endpoints.oauth2RevokeUrl}?token=${encodeURIComponent(tokens.refresh_token!)}`,
        { method: 'POST' },
      );
      expect(again.status).to.equal(400);
      expect(await again.json()).to.include({ error: 'invalid_token' });
    });

    it('/revoke of an access token revokes the whole grant (form body accepted)', async () => {
      const client = newClient(standin);
      const tokens = await signIn(client);
      const res = await fetch(standin.endpoints.oauth2RevokeUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.access_token! }),
      });
      expect(res.status).to.equal(200);
      expect((await rawRefresh(standin, tokens.refresh_token!)).status).to.equal(400);
    });

    describe('granular consent (the user unticks permissions)', () => {
      it('nextUntickedScopes: the token response, the access token and refreshes lack the unticked scope (one-shot)', async () => {
        const client = newClient(standin);
        standin.nextUntickedScopes = [CONTACTS];
        const tokens = await signIn(client);
        const granted = SCOPES.filter((sc) => sc !== CONTACTS);
        expect(tokens.scope!.split(' ')).to.have.members(granted);
        expect((await standin.verifyAccessToken(tokens.access_token!))!.scopes).to.have.members(granted);
        const refreshed = await rawRefresh(standin, tokens.refresh_token!);
        expect(String(refreshed.body.scope).split(' ')).to.have.members(granted);
        expect(standin.nextUntickedScopes).to.deep.equal([]);
        // The next sign-in grants everything again.
        expect((await signIn(client)).scope!.split(' ')).to.have.members(SCOPES);
      });

      it('openid, email and profile have no box at Google: they cannot be unticked', () => {
        expect(() => {
          standin.nextUntickedScopes = ['email'];
        }).to.throw(/no box/);
      });
    });

    it('verifyAccessToken returns null for unknown tokens', async () => {
      expect(await standin.verifyAccessToken('nope')).to.equal(null);
      expect(await standin.verifyAccessToken('')).to.equal(null);
    });
  });

  describe('access token expiry', () => {
    it('expired access tokens are rejected, refresh still works', async () => {
      const standin = await startGoogleStandin({
        clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI] }],
        accessTokenTtlSeconds: 60,
      });
      let clock: sinon.SinonFakeTimers | undefined;
      try {
        const client = newClient(standin);
        const tokens = await signIn(client);
        expect(tokens.expiry_date! - Date.now()).to.be.within(55_000, 60_000);
        expect(await standin.verifyAccessToken(tokens.access_token!)).to.not.equal(null);
        clock = sinon.useFakeTimers({ now: Date.now() + 61_000, toFake: ['Date'] });
        expect(await standin.verifyAccessToken(tokens.access_token!)).to.equal(null);
        const info = await fetch(`${standin.endpoints.tokenInfoUrl}?access_token=${tokens.access_token}`);
        expect(info.status).to.equal(400);
        const refreshed = await rawRefresh(standin, tokens.refresh_token!);
        expect(refreshed.status).to.equal(200);
        expect(refreshed.body.expires_in).to.equal(60);
        expect(await standin.verifyAccessToken(String(refreshed.body.access_token))).to.not.equal(null);
      } finally {
        clock?.restore();
        await standin.close();
      }
    });
  });

  describe('interactive (sandbox)', () => {
    let standin: GoogleStandin;

    before(async () => {
      standin = await startGoogleStandin({
        clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI] }],
        interactive: true,
      });
    });
    after(async () => {
      await standin.close();
    });

    /** A tiny browser: follows redirects with a (path-aware) cookie jar; returns the page or the final redirect. */
    type Jar = Map<string, { value: string; path: string }>;
    async function browse(
      url: string,
      jar: Jar,
      init: RequestInit = {},
    ): Promise<{ page?: string; pageUrl?: string; callback?: URL }> {
      let next = url;
      let req: RequestInit = init;
      for (let hop = 0; hop < 6; hop++) {
        const path = new URL(next).pathname;
        const cookie = [...jar]
          .filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
          .map(([name, c]) => `${name}=${c.value}`)
          .join('; ');
        const res = await fetch(next, {
          ...req,
          redirect: 'manual',
          headers: { ...(req.headers as Record<string, string> | undefined), cookie },
        });
        for (const line of res.headers.getSetCookie()) {
          const [pair = '', ...attrs] = line.split(';').map((p) => p.trim());
          const eq = pair.indexOf('=');
          const cookiePath = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
          jar.set(pair.slice(0, eq), { value: pair.slice(eq + 1), path: cookiePath });
        }
        const location = res.headers.get('location');
        if (!location) return { page: await res.text(), pageUrl: next };
        await res.body?.cancel();
        const target = new URL(location, next);
        if (`${target.origin}${target.pathname}` === REDIRECT_URI) return { callback: target };
        next = target.href;
        req = {};
      }
      throw new Error('too many redirects');
    }

    async function startSignIn(jar: Jar) {
      const client = newClient(standin);
      const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
      const url = client.generateAuthUrl({
        access_type: 'offline',
        scope: SCOPES,
        state: 's-1',
        code_challenge: codeChallenge,
        code_challenge_method: CodeChallengeMethod.S256,
      });
      const first = await browse(url, jar);
      return { client, codeVerifier, first };
    }

    it('renders a sign-in page listing the sample users, and a chosen user signs in', async () => {
      const jar: Jar = new Map();
      const { client, codeVerifier, first } = await startSignIn(jar);
      expect(first.page).to.be.a('string');
      for (const user of SAMPLE_USERS) expect(first.page).to.include(user.email);
      expect(first.page).to.include('Cancel');
      expect(first.page).to.not.include('<script');
      const done = await browse(first.pageUrl!, jar, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: bob.email }).toString(),
      });
      expect(done.callback!.searchParams.get('state')).to.equal('s-1');
      const { tokens } = await client.getToken({ code: done.callback!.searchParams.get('code')!, codeVerifier });
      expect(tokens.refresh_token).to.be.a('string');
      const payload = (await client.verifyIdToken({ idToken: tokens.id_token!, audience: CLIENT_ID })).getPayload()!;
      expect(payload.email).to.equal(bob.email);

      // The same browser can sign in as someone else next time (no single sign-on session).
      const second = await startSignIn(jar);
      expect(second.first.page).to.include('Choose an account');
    });

    it('granular consent: a box unticked on the sign-in page is not granted', async () => {
      const jar: Jar = new Map();
      const { client, codeVerifier, first } = await startSignIn(jar);
      expect(first.page).to.include(`name="grant" value="${OTHER_CONTACTS}" checked`);
      expect(first.page).to.not.match(/name="grant" value="(openid|email|profile)"/);
      const form = new URLSearchParams({ granular: '1', grant: CONTACTS, email: bob.email });
      const done = await browse(first.pageUrl!, jar, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      const { tokens } = await client.getToken({ code: done.callback!.searchParams.get('code')!, codeVerifier });
      expect(tokens.scope!.split(' ')).to.have.members(['openid', 'email', 'profile', CONTACTS]);
    });

    it('Cancel sends access_denied with the state', async () => {
      const jar: Jar = new Map();
      const { first } = await startSignIn(jar);
      const done = await browse(first.pageUrl!, jar, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'cancel=1',
      });
      expect(done.callback!.searchParams.get('error')).to.equal('access_denied');
      expect(done.callback!.searchParams.get('state')).to.equal('s-1');
    });

    it('nextDecision=deny cancels without showing the page', async () => {
      standin.nextDecision = 'deny';
      const { first } = await startSignIn(new Map());
      expect(first.callback!.searchParams.get('error')).to.equal('access_denied');
      expect(standin.nextDecision).to.equal('allow');
    });
  });

  it('close() returns promptly even with a token request hanging', async () => {
    const standin = await startGoogleStandin({
      clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI] }],
    });
    standin.failNextToken({ status: 500, delayMs: 30_000 });
    const hanging = rawRefresh(standin, 'x').then(
      () => 'answered',
      () => 'aborted',
    );
    for (let i = 0; i < 200 && standin.tokenRequests.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(standin.tokenRequests).to.have.length(1);
    const started = Date.now();
    await standin.close();
    expect(Date.now() - started).to.be.below(1000);
    expect(await hanging).to.be.oneOf(['answered', 'aborted']);
  });
});
