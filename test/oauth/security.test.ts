/**
 * Negative tests: each attack is tried and refused, and each names the rule it checks.
 */
import { createServer } from 'node:http';
import { expect } from 'chai';
import { SignJWT, UnsecuredJWT, decodeJwt } from 'jose';
import { startHarness, TEST_SECRET, type Harness } from '../support/harness.js';
import { closeServer, listen } from '../../standins/http.js';
import {
  authorize,
  authorizeUrl,
  claudeRegistration,
  clientAuth,
  CLAUDE_REDIRECT,
  mcpPost,
  pkce,
  register,
  signIn,
  tokenRequest,
  type Registered,
} from '../../standins/oauth-client.js';
import { UserAgent } from '../../standins/user-agent.js';
import { hashValue } from '../../src/security/keys.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { checkCimdUrl, isNonPublicAddress } from '../../src/oauth/cimd.js';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';

async function newClient(h: Harness, overrides: Record<string, unknown> = {}): Promise<Registered> {
  const reg = await register(h.baseUrl, claudeRegistration(overrides));
  expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
  return reg.body;
}

/** GET without following redirects. */
async function get(url: string, ua = new UserAgent()) {
  const res = await ua.request(url);
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

describe('security: refused attacks', function () {
  let h: Harness;
  let client: Registered;
  before(async () => {
    h = await startHarness();
    client = await newClient(h);
  });
  after(async () => h?.close());

  describe('PKCE (OAuth 2.1 §4.1.1, RFC 7636)', () => {
    it('refuses an authorization request without code_challenge', async () => {
      const r = await get(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: CLAUDE_REDIRECT,
          state: 's',
        }),
      );
      expect(r.status).to.equal(303);
      const loc = new URL(r.location!);
      expect(loc.origin + loc.pathname).to.equal(CLAUDE_REDIRECT);
      expect(loc.searchParams.get('error')).to.equal('invalid_request');
      expect(loc.searchParams.get('state')).to.equal('s');
    });

    it('refuses code_challenge_method=plain', async () => {
      const r = await get(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: CLAUDE_REDIRECT,
          code_challenge: 'a'.repeat(43),
          code_challenge_method: 'plain',
        }),
      );
      expect(new URL(r.location!).searchParams.get('error')).to.equal('invalid_request');
    });

    it('refuses a token request with the wrong code_verifier', async () => {
      const { challenge } = pkce();
      const { params } = await authorize(
        h.baseUrl,
        { client_id: client.client_id, redirect_uri: CLAUDE_REDIRECT },
        { challenge },
      );
      const t = await tokenRequest(h.baseUrl, {
        grant_type: 'authorization_code',
        code: params.get('code')!,
        code_verifier: pkce().verifier,
        redirect_uri: CLAUDE_REDIRECT,
        ...clientAuth(client),
      });
      expect(t.status).to.equal(400);
      expect(t.body.error).to.equal('invalid_grant');
    });
  });

  describe('redirect URIs (OAuth 2.1 §2.3.1 exact matching; no open redirects)', () => {
    const attempts = [
      'https://claude.ai/api/mcp/auth_callback/../../evil',
      'https://claude.ai/api/mcp/auth_callback?x=1',
      'https://claude.ai.evil.test/api/mcp/auth_callback',
      'https://evil.test/',
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'https://claude.ai@evil.test/api/mcp/auth_callback',
      'https://claude.ai/api/mcp/auth_callback#frag',
      'https://clаude.ai/api/mcp/auth_callback', // Cyrillic "а"
    ];
    for (const redirect of attempts) {
      it(`shows an error page and never redirects to ${redirect}`, async () => {
        const r = await get(
          authorizeUrl(h.baseUrl, {
            response_type: 'code',
            client_id: client.client_id,
            redirect_uri: redirect,
            code_challenge: pkce().challenge,
            code_challenge_method: 'S256',
          }),
        );
        expect(r.status).to.equal(400);
        expect(r.location).to.equal(null);
        expect(r.text).to.contain('Sign-in could not continue');
      });
    }

    it('refuses javascript: and data: redirect URIs at registration (RFC 7591 invalid_redirect_uri)', async () => {
      for (const uri of ['javascript:alert(1)', 'data:text/html,x']) {
        const reg = await register(h.baseUrl, claudeRegistration({ redirect_uris: [uri] }));
        expect(reg.status).to.equal(400);
        expect(reg.body.error).to.match(/invalid_redirect_uri|invalid_client_metadata/);
      }
    });

    it('RFC 8252 §7.3: a loopback redirect URI matches on any port, but not another path or host', async () => {
      const loop = await newClient(h, {
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'none',
        client_name: 'Claude Code',
      });
      const ok = await get(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: loop.client_id,
          redirect_uri: 'http://127.0.0.1:53682/callback',
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        }),
      );
      expect(ok.status).to.equal(303);
      expect(ok.location).to.match(/\/interaction\//);
      for (const bad of [
        'http://127.0.0.1:53682/other',
        'http://localhost:53682/callback',
        'http://127.0.0.2:53682/callback',
        'https://127.0.0.1:53682/callback',
      ]) {
        const r = await get(
          authorizeUrl(h.baseUrl, {
            response_type: 'code',
            client_id: loop.client_id,
            redirect_uri: bad,
            code_challenge: pkce().challenge,
            code_challenge_method: 'S256',
          }),
        );
        expect(r.status, bad).to.equal(400);
      }
    });

    it('a redirect_uri that differs at the token endpoint is refused', async () => {
      const { verifier, challenge } = pkce();
      const c = await newClient(h, { redirect_uris: [CLAUDE_REDIRECT, 'https://claude.com/api/mcp/auth_callback'] });
      const { params } = await authorize(
        h.baseUrl,
        { client_id: c.client_id, redirect_uri: CLAUDE_REDIRECT },
        { challenge },
      );
      const t = await tokenRequest(h.baseUrl, {
        grant_type: 'authorization_code',
        code: params.get('code')!,
        code_verifier: verifier,
        redirect_uri: 'https://claude.com/api/mcp/auth_callback',
        ...clientAuth(c),
      });
      expect(t.body.error).to.equal('invalid_grant');
    });
  });

  describe('clients', () => {
    it('an unknown client_id gets an error page, not a redirect', async () => {
      const r = await get(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: 'no-such-client',
          redirect_uri: CLAUDE_REDIRECT,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        }),
      );
      expect(r.status).to.equal(400);
      expect(r.location).to.equal(null);
      expect(r.text).to.contain('invalid_client');
    });

    it('a wrong client_secret is refused at the token endpoint (invalid_client)', async () => {
      const t = await tokenRequest(h.baseUrl, {
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: client.client_id,
        client_secret: 'wrong',
      });
      expect(t.status).to.equal(401);
      expect(t.body.error).to.equal('invalid_client');
    });

    it('client secrets are stored only as hashes', async () => {
      const store = h.store as MemoryStore;
      const dump = JSON.stringify(store.dump());
      expect(dump).not.to.contain(client.client_secret!);
      expect(dump).to.contain(`sha256:${hashValue(client.client_secret!)}`);
    });

    it('HTML in client_name is escaped on the consent page', async () => {
      const evil = await newClient(h, { client_name: '<script>alert(1)</script><img src=x onerror=alert(2)>' });
      const ua = new UserAgent();
      const r = await ua.run(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: evil.client_id,
          redirect_uri: CLAUDE_REDIRECT,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        }),
        CLAUDE_REDIRECT,
        () => 'stop',
      );
      const html = r.stoppedAt!.html;
      expect(html).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).not.to.contain('<script>');
      expect(html).not.to.contain('<img src=x');
    });
  });

  describe('resource indicators (RFC 8707) and audience', () => {
    it('refuses a resource that is not our MCP URL (invalid_target)', async () => {
      const r = await get(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: CLAUDE_REDIRECT,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
          resource: 'https://evil.test/mcp',
          state: 's',
        }),
      );
      const loc = new URL(r.location!);
      expect(loc.searchParams.get('error')).to.equal('invalid_target');
    });

    it('accepts the MCP URL with a trailing slash and binds the token to the MCP URL', async () => {
      const { verifier, challenge } = pkce();
      const { params } = await authorize(
        h.baseUrl,
        { client_id: client.client_id, redirect_uri: CLAUDE_REDIRECT },
        { challenge, resource: `${h.mcpUrl}/` },
      );
      const t = await tokenRequest(h.baseUrl, {
        grant_type: 'authorization_code',
        code: params.get('code')!,
        code_verifier: verifier,
        redirect_uri: CLAUDE_REDIRECT,
        ...clientAuth(client),
      });
      expect(t.status, JSON.stringify(t.body)).to.equal(200);
      expect(decodeJwt(t.body.access_token!).aud).to.equal(h.mcpUrl);
    });
  });

  describe('resource at the token endpoint (RFC 8707 §2.2)', () => {
    it('tolerates a trailing-slash difference between authorization and token requests, refuses other resources', async () => {
      for (const [authRes, tokRes] of [
        [undefined, h.mcpUrl],
        [`${h.mcpUrl}/`, h.mcpUrl],
        [h.mcpUrl, `${h.mcpUrl}/`],
      ] as const) {
        const { verifier, challenge } = pkce();
        const { params } = await authorize(
          h.baseUrl,
          { client_id: client.client_id, redirect_uri: CLAUDE_REDIRECT },
          { challenge, resource: authRes },
        );
        const t = await tokenRequest(h.baseUrl, {
          grant_type: 'authorization_code',
          code: params.get('code')!,
          code_verifier: verifier,
          redirect_uri: CLAUDE_REDIRECT,
          resource: tokRes,
          ...clientAuth(client),
        });
        expect(t.status, `${authRes} → ${tokRes}: ${JSON.stringify(t.body)}`).to.equal(200);
        const r1 = await tokenRequest(h.baseUrl, {
          grant_type: 'refresh_token',
          refresh_token: t.body.refresh_token,
          resource: `${h.mcpUrl}/`,
          ...clientAuth(client),
        });
        expect(r1.status).to.equal(200);
        const r2 = await tokenRequest(h.baseUrl, {
          grant_type: 'refresh_token',
          refresh_token: r1.body.refresh_token,
          resource: 'https://other.example/mcp',
          ...clientAuth(client),
        });
        expect(r2.body.error).to.equal('invalid_target');
      }
    });
  });

  describe('/mcp bearer tokens (RFC 6750, RFC 9068)', () => {
    let good: string;
    before(async () => {
      good = (await signIn(h.baseUrl)).tokens.access_token!;
    });
    const call = (token: string) =>
      mcpPost(h.mcpUrl, token, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    const key = async () => {
      const { KeyRing } = await import('../../src/security/keys.js');
      return new KeyRing([TEST_SECRET]).accessTokenKeys[0]!;
    };
    const claims = () => {
      const c = decodeJwt(good);
      return { ...c };
    };

    it('accepts the real token', async () => {
      expect((await call(good)).status).to.equal(200);
    });

    it('refuses a token for another audience', async () => {
      const t = await new SignJWT({ ...claims(), aud: 'https://other.example/mcp' })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .sign(await key());
      const res = await call(t);
      expect(res.status).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.contain('error="invalid_token"');
    });

    it('refuses an expired token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const t = await new SignJWT({ ...claims(), iat: now - 7200, exp: now - 3600 })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .sign(await key());
      expect((await call(t)).status).to.equal(401);
    });

    it('refuses alg "none"', async () => {
      const t = new UnsecuredJWT(claims()).encode();
      expect((await call(t)).status).to.equal(401);
    });

    it('refuses a token signed with another key', async () => {
      const t = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .sign(new TextEncoder().encode('x'.repeat(32)));
      expect((await call(t)).status).to.equal(401);
    });

    it('refuses a tampered payload and garbage', async () => {
      const [hd, , sig] = good.split('.');
      const body = Buffer.from(JSON.stringify({ ...claims(), sub: 'someone-else' })).toString('base64url');
      expect((await call(`${hd}.${body}.${sig}`)).status).to.equal(401);
      expect((await call('not-a-token')).status).to.equal(401);
    });

    it('refuses a token in the query string (RFC 9700 §2.1.2 / MCP: header only)', async () => {
      const res = await fetch(`${h.mcpUrl}?access_token=${good}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: '{}',
      });
      expect(res.status).to.equal(401);
    });

    it('DNS rebinding on a localhost bind: refuses a foreign Host header with 403', async () => {
      const { request } = await import('node:http');
      const u = new URL(h.mcpUrl);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: u.hostname,
            port: u.port,
            path: '/mcp',
            method: 'POST',
            headers: {
              host: 'attacker.example:80',
              authorization: `Bearer ${good}`,
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end('{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
      });
      expect(status).to.equal(403);
    });

    it('DNS rebinding: refuses a foreign Origin with 403, allows none or our own', async () => {
      const foreign = await mcpPost(
        h.mcpUrl,
        good,
        { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
        { origin: 'https://evil.test' },
      );
      expect(foreign.status).to.equal(403);
      const own = await mcpPost(
        h.mcpUrl,
        good,
        { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
        { origin: h.baseUrl },
      );
      expect(own.status).to.equal(200);
    });
  });

  describe('consent (confused deputy)', () => {
    it('the consent page names the client and redirect host, cannot be framed and runs no script', async () => {
      const ua = new UserAgent();
      const r = await ua.run(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: CLAUDE_REDIRECT,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        }),
        CLAUDE_REDIRECT,
        () => 'stop',
      );
      expect(r.stoppedAt!.html).to.contain('claudeai');
      expect(r.stoppedAt!.html).to.contain('claude.ai');
      expect(r.stoppedAt!.html).not.to.match(/<script/i);
      const res = await ua.request(r.stoppedAt!.url);
      expect(res.headers.get('content-security-policy')).to.contain("frame-ancestors 'none'");
      expect(res.headers.get('content-security-policy')).not.to.contain('script-src');
      expect(res.headers.get('x-frame-options')).to.equal('DENY');
    });

    it('no Google redirect happens before the user approves', async () => {
      const before = h.google.authorizeRequests.length;
      const ua = new UserAgent();
      await ua.run(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: CLAUDE_REDIRECT,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        }),
        CLAUDE_REDIRECT,
        () => 'stop',
      );
      expect(h.google.authorizeRequests.length).to.equal(before);
    });

    it('CSRF: a consent POST without or with a wrong token is refused (403)', async () => {
      const ua = new UserAgent();
      const r = await ua.run(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: CLAUDE_REDIRECT,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        }),
        CLAUDE_REDIRECT,
        () => 'stop',
      );
      const action = /action="([^"]+)"/.exec(r.stoppedAt!.html)![1]!;
      for (const body of [
        new URLSearchParams({ decision: 'approve' }),
        new URLSearchParams({ decision: 'approve', csrf: 'forged' }),
      ]) {
        const res = await ua.request(new URL(action, h.baseUrl).toString(), { method: 'POST', body });
        expect(res.status).to.equal(403);
      }
      // A cross-site POST carries none of our cookies: refused too.
      const res = await new UserAgent().request(new URL(action, h.baseUrl).toString(), {
        method: 'POST',
        body: new URLSearchParams({ decision: 'approve', csrf: 'x' }),
      });
      expect(res.status).to.be.within(400, 403);
      expect(h.logs.some((l) => l.includes('"reason":"csrf_failed"'))).to.equal(true);
    });

    it('Deny sends access_denied with state back to the client', async () => {
      const { params } = await authorize(
        h.baseUrl,
        { client_id: client.client_id, redirect_uri: CLAUDE_REDIRECT },
        { challenge: pkce().challenge, state: 'st-1', decision: 'deny' },
      );
      expect(params.get('error')).to.equal('access_denied');
      expect(params.get('state')).to.equal('st-1');
      expect(params.get('code')).to.equal(null);
    });

    it('cancelling at Google sends access_denied with state back to the client', async () => {
      h.google.nextDecision = 'deny';
      const { params } = await authorize(
        h.baseUrl,
        { client_id: client.client_id, redirect_uri: CLAUDE_REDIRECT },
        { challenge: pkce().challenge, state: 'st-2' },
      );
      expect(params.get('error')).to.equal('access_denied');
      expect(params.get('state')).to.equal('st-2');
    });

    it('state replay at the Google callback is refused', async () => {
      const ua = new UserAgent();
      let callbackUrl = '';
      await ua.run(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: CLAUDE_REDIRECT,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        }),
        (u) => {
          if (u.startsWith(`${h.baseUrl}/oauth/google/callback`)) callbackUrl ||= u;
          return u.startsWith(CLAUDE_REDIRECT);
        },
      );
      expect(callbackUrl).to.not.equal('');
      const replay = await ua.request(callbackUrl);
      expect(replay.status).to.equal(400);
      const forged = await ua.request(`${h.baseUrl}/oauth/google/callback?state=forged&code=x`);
      expect(forged.status).to.equal(400);
    });
  });

  describe('client ID metadata documents: SSRF guard', () => {
    it('classifies private, loopback, link-local (metadata server) and CGNAT addresses as non-public', () => {
      for (const a of [
        '127.0.0.1',
        '10.1.2.3',
        '169.254.169.254',
        '172.16.0.1',
        '192.168.1.1',
        '100.64.0.1',
        '::1',
        'fd00::1',
        'fe80::1',
        '::ffff:10.0.0.1',
        '0.0.0.0',
      ])
        expect(isNonPublicAddress(a), a).to.equal(true);
      for (const a of ['8.8.8.8', '142.250.1.1', '2607:f8b0:4004::1']) expect(isNonPublicAddress(a), a).to.equal(false);
    });

    it('refuses URLs that resolve to non-public addresses, http, credentials and odd ports (switch off)', async () => {
      const opts = {
        allowLoopbackHttp: false,
        resolve: async (host: string) => (host === 'internal.example' ? ['10.0.0.7'] : ['93.184.216.34']),
      };
      expect((await checkCimdUrl('https://127.0.0.1/client.json', opts)).allowed).to.equal(false);
      expect((await checkCimdUrl('https://169.254.169.254/computeMetadata/v1/', opts)).allowed).to.equal(false);
      expect((await checkCimdUrl('https://10.0.0.1/c.json', opts)).allowed).to.equal(false);
      expect((await checkCimdUrl('https://internal.example/c.json', opts)).allowed).to.equal(false);
      expect((await checkCimdUrl('http://example.com/c.json', opts)).allowed).to.equal(false);
      expect((await checkCimdUrl('https://u:p@example.com/c.json', opts)).allowed).to.equal(false);
      expect((await checkCimdUrl('https://example.com:8443/c.json', opts)).allowed).to.equal(false);
      expect((await checkCimdUrl('https://example.com/c.json', opts)).allowed).to.equal(true);
    });

    it('with the loopback switch off, a CIMD client_id pointing at 127.0.0.1, 169.254.169.254 or 10.x is refused and nothing is fetched', async () => {
      let hits = 0;
      const doc = createServer((_req, res) => {
        hits++;
        res.end('{}');
      });
      const docPort = await listen(doc);
      // A production-shaped server (https BASE_URL, switch off), reached in-process over loopback.
      const config = loadConfig({
        BASE_URL: 'https://mcp.example.test',
        ACCESS_TOKEN_SECRET: TEST_SECRET,
        GOOGLE_CLIENT_ID: 'x.apps.googleusercontent.com',
        GOOGLE_CLIENT_SECRET: 'y',
        LOG_LEVEL: 'silent',
      });
      const strict = createServer(
        createApp({ config, store: new MemoryStore(), logger: createLogger({ level: 'silent' }) }).app,
      );
      const port = await listen(strict);
      try {
        for (const id of [
          `https://127.0.0.1:${docPort}/client.json`,
          'https://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token',
          'https://10.0.0.1/client.json',
          `http://127.0.0.1:${docPort}/client.json`,
          `https://localhost:${docPort}/client.json`,
        ]) {
          const r = await get(
            authorizeUrl(`http://127.0.0.1:${port}`, {
              response_type: 'code',
              client_id: id,
              redirect_uri: 'https://app.example/cb',
              code_challenge: pkce().challenge,
              code_challenge_method: 'S256',
            }),
          );
          expect(r.status, id).to.equal(400);
          expect(r.location, id).to.equal(null);
          expect(r.text).to.contain('invalid_client');
        }
        expect(hits).to.equal(0);
      } finally {
        await closeServer(doc);
        await closeServer(strict);
      }
    });
  });

  it('email domain not allowed: an error page and access_denied for the client, no tokens', async () => {
    const restricted = await startHarness({ env: { ALLOWED_DOMAINS: 'acme.test' } });
    try {
      const c = (await register(restricted.baseUrl, claudeRegistration())).body;
      const ua = new UserAgent();
      const url = authorizeUrl(restricted.baseUrl, {
        response_type: 'code',
        client_id: c.client_id,
        redirect_uri: CLAUDE_REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        state: 'st',
        login_hint: 'alice@example.com',
      });
      const r = await ua.run(url, CLAUDE_REDIRECT);
      expect(r.stoppedAt?.status).to.equal(403);
      expect(r.stoppedAt?.html).to.contain('alice@example.com');
      const back = /href="([^"]+)"/.exec(
        r.stoppedAt!.html.split('Return to the app')[0]!.split('<a class="button primary"').at(-1)!,
      )![1]!;
      const done = await ua.run(new URL(back.replace(/&amp;/g, '&'), restricted.baseUrl).toString(), CLAUDE_REDIRECT);
      const params = new URL(done.finalUrl!).searchParams;
      expect(params.get('error')).to.equal('access_denied');
      expect(params.get('state')).to.equal('st');
      expect(restricted.logs.some((l) => l.includes('"reason":"domain_not_allowed"'))).to.equal(true);
      // An allowed domain signs in fine.
      const ok = await signIn(restricted.baseUrl, { loginHint: 'bob@acme.test' });
      expect(ok.tokens.access_token).to.be.a('string');
    } finally {
      await restricted.close();
    }
  });
});
