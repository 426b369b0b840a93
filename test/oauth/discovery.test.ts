/** Discovery: RFC 8414 / OIDC metadata, RFC 9728 protected resource metadata, the 401 challenge. */
import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';

describe('discovery', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());

  const asPaths = [
    '/.well-known/oauth-authorization-server',
    '/.well-known/openid-configuration',
    '/.well-known/oauth-authorization-server/mcp',
    '/.well-known/openid-configuration/mcp',
    '/mcp/.well-known/openid-configuration',
  ];
  for (const path of asPaths) {
    it(`RFC 8414: authorization server metadata at ${path} names our issuer exactly`, async () => {
      const res = await fetch(`${h.baseUrl}${path}`);
      expect(res.status).to.equal(200);
      const md = (await res.json()) as Record<string, unknown>;
      expect(md.issuer).to.equal(h.baseUrl);
    });
  }

  it('advertises S256 only, none/client_secret_post/client_secret_basic, CIMD and RFC 9207 iss, endpoints on our origin', async () => {
    const md = (await (await fetch(`${h.baseUrl}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    expect(md.code_challenge_methods_supported).to.deep.equal(['S256']);
    expect(md.token_endpoint_auth_methods_supported).to.include.members([
      'none',
      'client_secret_post',
      'client_secret_basic',
    ]);
    expect(md.client_id_metadata_document_supported).to.equal(true);
    expect(md.authorization_response_iss_parameter_supported).to.equal(true);
    expect(md.authorization_endpoint).to.equal(`${h.baseUrl}/authorize`);
    expect(md.token_endpoint).to.equal(`${h.baseUrl}/token`);
    expect(md.registration_endpoint).to.equal(`${h.baseUrl}/register`);
    expect(md.revocation_endpoint).to.equal(`${h.baseUrl}/revoke`);
    expect(md.introspection_endpoint).to.equal(`${h.baseUrl}/introspect`);
    expect(md.grant_types_supported).to.include.members(['authorization_code', 'refresh_token']);
    expect(md.response_types_supported).to.deep.equal(['code']);
  });

  for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
    it(`RFC 9728: protected resource metadata at ${path}`, async () => {
      const res = await fetch(`${h.baseUrl}${path}`);
      expect(res.status).to.equal(200);
      const md = (await res.json()) as Record<string, unknown>;
      expect(md.resource).to.equal(h.mcpUrl);
      expect(md.authorization_servers).to.deep.equal([h.baseUrl]);
      expect(md.scopes_supported).not.to.include('offline_access');
      expect(md.bearer_methods_supported).to.deep.equal(['header']);
    });
  }

  it('MCP authorization: an unauthenticated /mcp request gets 401 with resource_metadata and scope', async () => {
    for (const method of ['POST', 'GET']) {
      const res = await fetch(h.mcpUrl, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(res.status).to.equal(401);
      const www = res.headers.get('www-authenticate')!;
      expect(www).to.match(/^Bearer /);
      expect(www).to.contain(`resource_metadata="${h.baseUrl}/.well-known/oauth-protected-resource/mcp"`);
      expect(www).to.contain('scope="contacts"');
    }
  });

  it('/ says what this is and the URL to paste; /healthz answers 200', async () => {
    const home = await fetch(`${h.baseUrl}/`);
    const text = await home.text();
    expect(home.status).to.equal(200);
    expect(text).to.contain(h.mcpUrl);
    expect(home.headers.get('content-security-policy')).to.contain("frame-ancestors 'none'");
    const hz = await fetch(`${h.baseUrl}/healthz`);
    expect(hz.status).to.equal(200);
  });

  it('/health (reachable on *.run.app, where Cloud Run reserves /healthz) answers 200, no-store, nothing secret', async () => {
    const res = await fetch(`${h.baseUrl}/health`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(await res.json()).to.deep.equal({ status: 'ok' });
  });

  it('an unknown route answers a JSON 4xx, not a stack trace', async () => {
    const res = await fetch(`${h.baseUrl}/nope/../etc`);
    expect(res.status).to.be.within(400, 499);
    expect(await res.text()).not.to.match(/at \w+ \(|node_modules/);
  });
});

describe('browser-based clients (CORS)', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { ALLOWED_ORIGINS: 'https://inspector.example' } });
  });
  after(async () => h?.close());

  it('answers the CORS preflight for /mcp without a token, for allowed origins only', async () => {
    const ok = await fetch(h.mcpUrl, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://inspector.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(ok.status).to.equal(204);
    expect(ok.headers.get('access-control-allow-origin')).to.equal('https://inspector.example');
    expect(ok.headers.get('access-control-allow-headers')).to.match(/Authorization/i);
    const bad = await fetch(h.mcpUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(bad.status).to.equal(403);
  });

  it('exposes WWW-Authenticate to an allowed browser origin on the 401', async () => {
    const res = await fetch(h.mcpUrl, {
      method: 'POST',
      headers: { origin: 'http://localhost:6274', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).to.equal(401);
    expect(res.headers.get('access-control-allow-origin')).to.equal('http://localhost:6274');
    expect(res.headers.get('access-control-expose-headers')).to.contain('WWW-Authenticate');
  });

  it('discovery and the token endpoint answer CORS for browser clients', async () => {
    const md = await fetch(`${h.baseUrl}/.well-known/oauth-authorization-server`, {
      headers: { origin: 'http://localhost:6274' },
    });
    expect(md.headers.get('access-control-allow-origin')).to.be.a('string');
    const prm = await fetch(`${h.baseUrl}/.well-known/oauth-protected-resource/mcp`, {
      headers: { origin: 'http://localhost:6274' },
    });
    expect(prm.headers.get('access-control-allow-origin')).to.be.a('string');
  });
});

describe('metadata derives from BASE_URL, not from the request', () => {
  it('endpoints use BASE_URL even when the request arrives under another Host (e.g. a second run.app URL)', async () => {
    const { createServer } = await import('node:http');
    const { createApp } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config/config.js');
    const { createLogger } = await import('../../src/logging/logger.js');
    const { MemoryStore } = await import('../../src/storage/memory.js');
    const { listen, closeServer } = await import('../../standins/http.js');
    const { TEST_SECRET } = await import('../support/harness.js');
    const config = loadConfig({
      BASE_URL: 'https://contacts.example.com',
      ACCESS_TOKEN_SECRET: TEST_SECRET,
      GOOGLE_CLIENT_ID: 'a',
      GOOGLE_CLIENT_SECRET: 'b',
      LOG_LEVEL: 'silent',
    });
    const server = createServer(
      createApp({ config, store: new MemoryStore(), logger: createLogger({ level: 'silent' }) }).app,
    );
    const port = await listen(server);
    try {
      const md = (await (
        await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`)
      ).json()) as Record<string, string>;
      expect(md.issuer).to.equal('https://contacts.example.com');
      for (const k of [
        'authorization_endpoint',
        'token_endpoint',
        'registration_endpoint',
        'revocation_endpoint',
        'jwks_uri',
      ])
        expect(md[k], k).to.match(/^https:\/\/contacts\.example\.com\//);
    } finally {
      await closeServer(server);
    }
  });
});

describe('one resource scope everywhere (RFC 8414 scopes_supported, RFC 9728, RFC 6750 §3 scope)', () => {
  for (const [mode, env, expected] of [
    ['read-write', {}, 'contacts'],
    ['READ_ONLY', { READ_ONLY: 'true' }, 'contacts.readonly'],
  ] as const) {
    it(`${mode}: the authorization server metadata, the protected-resource metadata and the 401 challenge all name "${expected}"`, async () => {
      const h = await startHarness({ env });
      try {
        const prm = (await (await fetch(`${h.baseUrl}/.well-known/oauth-protected-resource/mcp`)).json()) as {
          scopes_supported: string[];
        };
        const challenge = (
          await fetch(h.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
        ).headers.get('www-authenticate')!;
        const challenged = /scope="([^"]*)"/.exec(challenge)![1]!.split(' ');
        expect(prm.scopes_supported).to.deep.equal([expected]);
        expect(challenged).to.deep.equal([expected]);
        for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
          const as = (await (await fetch(`${h.baseUrl}${path}`)).json()) as { scopes_supported: string[] };
          expect(as.scopes_supported, path).to.include.members([
            ...prm.scopes_supported,
            ...challenged,
            'offline_access',
          ]);
          const other = expected === 'contacts' ? 'contacts.readonly' : 'contacts';
          expect(as.scopes_supported, path).not.to.include(other);
        }
      } finally {
        await h.close();
      }
    });
  }
});
