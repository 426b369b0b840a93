/**
 * Dynamic Client Registration (RFC 7591): which redirect URIs a client may register (OAuth 2.1 §2.3.1,
 * RFC 8252 §7.1/§7.3), in the sandbox's loopback mode and in a production-shaped server, a full sign-in
 * through a private-use scheme, and a registration response without dangling management fields.
 */
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { startHarness, TEST_SECRET, type Harness } from '../support/harness.js';
import { closeServer, listen } from '../../standins/http.js';
import { authorizeUrl, clientAuth, pkce, register, tokenRequest } from '../../standins/oauth-client.js';
import { UserAgent } from '../../standins/user-agent.js';

const ACCEPTED: Array<[string, string]> = [
  ['https', 'https://app.example/oauth/callback'],
  ['loopback http with a port', 'http://localhost:1234/cb'],
  ['loopback http without a port', 'http://127.0.0.1/cb'],
  ['IPv6 loopback http', 'http://[::1]:5/cb'],
  ["Cursor's private-use scheme", 'cursor://anysphere.cursor-retrieval/oauth/callback'],
  ['RFC 8252 §7.1 reverse-domain scheme', 'com.example.app:/cb'],
];

const REFUSED: Array<[string, string]> = [
  ['http on a public host', 'http://evil.example/callback'],
  ['http on a look-alike loopback name', 'http://localhost.evil.example/cb'],
  ['javascript:', 'javascript:alert(1)'],
  ['data:', 'data:text/html,<script>alert(1)</script>'],
  ['file:', 'file:///etc/passwd'],
  ['blob:', 'blob:https://app.example/0b6c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d'],
  ['about:', 'about:blank'],
  ['vbscript:', 'vbscript:msgbox(1)'],
  ['a fragment', 'https://x.example/cb#frag'],
  ['user information', 'https://app.example@evil.example/cb'],
  ['a private-use scheme without a path', 'com.example.app:'],
  ['not a URI', 'not a uri'],
];

function registration(redirectUri: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_name: 'Redirect test',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...extra,
  };
}

/** A production-shaped server (https BASE_URL, loopback switch off) reached in-process over loopback. */
async function startStrictServer(): Promise<{ baseUrl: string; server: Server }> {
  const config = loadConfig({
    BASE_URL: 'https://mcp.example.test',
    ACCESS_TOKEN_SECRET: TEST_SECRET,
    GOOGLE_CLIENT_ID: 'x.apps.googleusercontent.com',
    GOOGLE_CLIENT_SECRET: 'y',
    LOG_LEVEL: 'silent',
  });
  const server = createServer(
    createApp({ config, store: new MemoryStore(), logger: createLogger({ level: 'silent' }) }).app,
  );
  const port = await listen(server);
  return { baseUrl: `http://127.0.0.1:${port}`, server };
}

describe('registration: redirect URIs (OAuth 2.1 §2.3.1, RFC 8252 §7)', function () {
  let h: Harness;
  let strict: { baseUrl: string; server: Server };
  before(async () => {
    h = await startHarness();
    strict = await startStrictServer();
  });
  after(async () => {
    await h?.close();
    if (strict) await closeServer(strict.server);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-20).join('\n'));
  });

  for (const [mode, base] of [
    ['loopback switch on (sandbox)', () => h.baseUrl],
    ['loopback switch off (production)', () => strict.baseUrl],
  ] as const) {
    describe(mode, () => {
      for (const [what, uri] of ACCEPTED) {
        it(`accepts ${what}: ${uri}`, async () => {
          const reg = await register(base(), registration(uri));
          expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
          expect(reg.body.redirect_uris).to.deep.equal([uri]);
        });
      }
      for (const [what, uri] of REFUSED) {
        it(`refuses ${what} with 400 invalid_redirect_uri: ${uri}`, async () => {
          const reg = await register(base(), registration(uri));
          expect(reg.status, JSON.stringify(reg.body)).to.equal(400);
          expect(reg.body.error).to.equal('invalid_redirect_uri');
          expect(reg.body.error_description).to.match(/^redirect_uris\[0\] /);
          // RFC 6749 §5.2: error_description is printable ASCII without '"' or '\'.
          expect(reg.body.error_description).to.match(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
        });
      }
      it('refuses the whole registration when one of several redirect URIs is bad, naming which', async () => {
        const reg = await register(base(), {
          ...registration('https://app.example/cb'),
          redirect_uris: ['https://app.example/cb', 'http://evil.example/callback'],
        });
        expect(reg.status).to.equal(400);
        expect(reg.body.error).to.equal('invalid_redirect_uri');
        expect(reg.body.error_description).to.match(/^redirect_uris\[1\] /);
      });
    });
  }

  it('a client with only on-device redirects (Cursor sends no application_type) is registered as a native app', async () => {
    for (const uri of ['cursor://anysphere.cursor-retrieval/oauth/callback', 'http://127.0.0.1:8976/callback']) {
      const reg = await register(h.baseUrl, registration(uri));
      expect(reg.body.application_type, uri).to.equal('native');
    }
    const web = await register(h.baseUrl, registration('https://app.example/cb'));
    expect(web.body.application_type).to.equal('web');
  });

  it("Claude Code's registration (application_type native, http://localhost) is accepted unchanged", async () => {
    const reg = await register(
      h.baseUrl,
      registration('http://localhost:54545/callback', {
        application_type: 'native',
        client_name: 'Claude Code (contacts)',
      }),
    );
    expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
    expect(reg.body.application_type).to.equal('native');
  });

  it('a private-use scheme is accepted even next to a stated application_type web (only native apps have one)', async () => {
    const reg = await register(h.baseUrl, {
      ...registration('com.example.app:/cb', { application_type: 'web' }),
      redirect_uris: ['com.example.app:/cb', 'https://app.example/cb'],
    });
    expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
    expect(reg.body.application_type).to.equal('native');
  });

  it("https on a loopback host cannot be combined with a native app's redirects: 400 invalid_redirect_uri, not a metadata error", async () => {
    const reg = await register(h.baseUrl, {
      ...registration('com.example.app:/cb'),
      redirect_uris: ['com.example.app:/cb', 'https://localhost:8443/cb'],
    });
    expect(reg.status).to.equal(400);
    expect(reg.body.error).to.equal('invalid_redirect_uri');
    expect(reg.body.error_description).to.match(/^redirect_uris\[1\] /);
  });

  for (const redirectUri of ['cursor://anysphere.cursor-retrieval/oauth/callback', 'com.example.app:/cb']) {
    it(`RFC 8252 §7.1: a full sign-in with the private-use redirect ${redirectUri}: the code arrives there, exactly, and is exchanged`, async () => {
      const reg = await register(h.baseUrl, registration(redirectUri, { client_name: 'Cursor' }));
      expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
      const { verifier, challenge } = pkce();
      const ua = new UserAgent();
      const url = authorizeUrl(h.baseUrl, {
        response_type: 'code',
        client_id: reg.body.client_id,
        redirect_uri: redirectUri,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'st-private',
        scope: 'contacts offline_access',
      });
      let consentHtml = '';
      const { finalUrl } = await ua.run(
        url,
        (u) => !u.startsWith('http'),
        (html) => {
          if (html.includes('Sends you back to')) consentHtml = html;
          return 'approve';
        },
      );
      expect(finalUrl?.startsWith(`${redirectUri}?`), finalUrl).to.equal(true);
      // The consent page names where the result goes: the app's scheme, on this device (it has no host).
      const scheme = new URL(redirectUri).protocol;
      expect(consentHtml).to.include(
        `<dt>Sends you back to</dt><dd><code>${scheme} (an app on this device)</code></dd>`,
      );
      expect(consentHtml).to.include('This app runs on your own computer');
      const params = new URL(finalUrl!).searchParams;
      expect(params.get('state')).to.equal('st-private');
      expect(params.get('iss')).to.equal(h.baseUrl);
      const t = await tokenRequest(h.baseUrl, {
        grant_type: 'authorization_code',
        code: params.get('code')!,
        code_verifier: verifier,
        redirect_uri: redirectUri,
        ...clientAuth(reg.body),
      });
      expect(t.status, JSON.stringify(t.body)).to.equal(200);
      expect(t.body.refresh_token).to.be.a('string');
    });
  }

  it('a private-use redirect matches exactly at /authorize: another path or scheme gets an error page, not a redirect', async () => {
    const reg = await register(h.baseUrl, registration('cursor://anysphere.cursor-retrieval/oauth/callback'));
    for (const other of [
      'cursor://anysphere.cursor-retrieval/oauth/other',
      'cursor://evil/oauth/callback',
      'cursorx://anysphere.cursor-retrieval/oauth/callback',
    ]) {
      const url = new URL(`${h.baseUrl}/authorize`);
      for (const [k, v] of Object.entries({
        response_type: 'code',
        client_id: reg.body.client_id,
        redirect_uri: other,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      }))
        url.searchParams.set(k, v);
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status, other).to.equal(400);
      expect(res.headers.get('location'), other).to.equal(null);
    }
  });
});

describe('registration response: no dangling client management (RFC 7591 §3.2.1, RFC 7592 not offered)', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());

  for (const method of ['none', 'client_secret_post']) {
    it(`a ${method} registration returns neither registration_client_uri nor registration_access_token`, async () => {
      const reg = await register(
        h.baseUrl,
        registration('https://app.example/cb', { token_endpoint_auth_method: method }),
      );
      expect(reg.status).to.equal(201);
      expect(reg.body).not.to.have.property('registration_client_uri');
      expect(reg.body).not.to.have.property('registration_access_token');
      expect(reg.body.client_id).to.be.a('string');
      if (method === 'client_secret_post') expect(reg.body.client_secret).to.be.a('string');
    });
  }

  it('the management endpoint a client might guess answers a JSON 4xx, never the client or its secret', async () => {
    const reg = await register(
      h.baseUrl,
      registration('https://app.example/cb', { token_endpoint_auth_method: 'client_secret_post' }),
    );
    const res = await fetch(`${h.baseUrl}/register/${encodeURIComponent(reg.body.client_id)}`, {
      headers: { authorization: `Bearer ${reg.body.client_secret}` },
    });
    expect(res.status).to.be.within(400, 499);
    const text = await res.text();
    expect(text).not.to.contain(reg.body.client_secret!);
    expect(JSON.parse(text)).to.have.property('error');
  });
});
