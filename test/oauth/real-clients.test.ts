/**
 * Real clients against the real flow: the MCP SDK client (dynamic registration, and a client ID
 * metadata document), and oauth4webapi, a strict OAuth client, over every endpoint it can exercise.
 */
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import { startHarness, type Harness } from '../support/harness.js';
import { closeServer, listen } from '../../standins/http.js';
import { connectWithOAuth, HeadlessOAuthProvider } from '../support/mcp-oauth-client.js';
import { CLAUDE_REDIRECT } from '../../standins/oauth-client.js';

describe('real clients', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { REFRESH_REUSE_GRACE_SECONDS: '2' } });
  });
  after(async () => h?.close());
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-30).join('\n'));
  });

  it('MCP SDK client: discovery → dynamic registration → consent → Google → tokens → whoami', async () => {
    const provider = new HeadlessOAuthProvider('http://127.0.0.1:33418/callback', {
      client_name: 'SDK test client',
      redirect_uris: ['http://127.0.0.1:33418/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    const { client } = await connectWithOAuth(h.mcpUrl, provider);
    try {
      expect(provider.authorizationUrls[0]!.searchParams.get('code_challenge_method')).to.equal('S256');
      expect(provider.authorizationUrls[0]!.searchParams.get('resource')).to.equal(h.mcpUrl);
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).to.include('whoami');
      const res = await client.callTool({ name: 'whoami', arguments: {} });
      expect(JSON.stringify(res.structuredContent)).to.contain('alice@example.com');
      expect(provider.tokens()?.refresh_token).to.be.a('string');
    } finally {
      await client.close();
    }
  });

  describe('client ID metadata document client (served on loopback; allowed by the loopback switch)', () => {
    let docServer: Server;
    let docUrl = '';
    const redirect = 'http://127.0.0.1:33419/callback';
    let fetches = 0;
    before(async () => {
      docServer = createServer((_req, res) => {
        fetches++;
        res.setHeader('content-type', 'application/json');
        res.setHeader('cache-control', 'max-age=600');
        res.end(
          JSON.stringify({
            client_id: docUrl,
            client_name: 'CIMD Test Client',
            redirect_uris: [redirect],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none',
          }),
        );
      });
      const port = await listen(docServer);
      docUrl = `http://127.0.0.1:${port}/oauth/client-metadata.json`;
    });
    after(async () => closeServer(docServer));

    it("signs in with the URL as client_id, shows the document's name on consent, and calls whoami", async () => {
      const provider = new HeadlessOAuthProvider(
        redirect,
        {
          client_name: 'CIMD Test Client',
          redirect_uris: [redirect],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
        docUrl,
      );
      // The SDK only uses CIMD for https URLs; drive it with the document URL as a pre-known client id.
      provider.saveClientInformation({ client_id: docUrl } as never);
      const { client } = await connectWithOAuth(h.mcpUrl, provider);
      try {
        expect(provider.authorizationUrls[0]!.searchParams.get('client_id')).to.equal(docUrl);
        expect(provider.ua.hops.some((hop) => hop.url.includes('/interaction/'))).to.equal(true);
        const res = await client.callTool({ name: 'whoami', arguments: {} });
        expect(JSON.stringify(res.structuredContent)).to.contain('alice@example.com');
        expect(fetches).to.be.greaterThan(0);
      } finally {
        await client.close();
      }
    });

    it('refuses a document whose client_id does not match its URL', async () => {
      const liar = createServer((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            client_id: 'https://claude.ai/oauth/mcp-oauth-client-metadata',
            redirect_uris: [redirect],
            token_endpoint_auth_method: 'none',
          }),
        );
      });
      const port = await listen(liar);
      try {
        const url = new URL(`${h.baseUrl}/authorize`);
        Object.entries({
          response_type: 'code',
          client_id: `http://127.0.0.1:${port}/c.json`,
          redirect_uri: redirect,
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        }).forEach(([k, v]) => url.searchParams.set(k, v));
        const res = await fetch(url, { redirect: 'manual' });
        expect(res.status).to.equal(400);
        expect(res.headers.get('location')).to.equal(null);
      } finally {
        await closeServer(liar);
      }
    });
  });

  it('oauth4webapi (strict client): discovery, registration, code grant with PKCE + iss check, refresh, revocation', async () => {
    const issuer = new URL(h.baseUrl);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
    );
    expect(as.issuer).to.equal(h.baseUrl);
    const regRes = await oauth.dynamicClientRegistrationRequest(
      as,
      {
        redirect_uris: [CLAUDE_REDIRECT],
        token_endpoint_auth_method: 'client_secret_post',
        client_name: 'oauth4webapi',
        scope: 'claudeai',
      },
      { [oauth.allowInsecureRequests]: true },
    );
    const registered = await oauth.processDynamicClientRegistrationResponse(regRes);
    const client: oauth.Client = { client_id: registered.client_id };
    const auth = oauth.ClientSecretPost(registered.client_secret as string);
    const verifier = oauth.generateRandomCodeVerifier();
    const challenge = await oauth.calculatePKCECodeChallenge(verifier);
    const state = oauth.generateRandomState();
    const authUrl = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries({
      client_id: client.client_id,
      redirect_uri: CLAUDE_REDIRECT,
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      resource: h.mcpUrl,
    }))
      authUrl.searchParams.set(k, v);
    const provider = new HeadlessOAuthProvider(CLAUDE_REDIRECT, { redirect_uris: [CLAUDE_REDIRECT] });
    await provider.redirectToAuthorization(authUrl);
    const callback = new URL(`${CLAUDE_REDIRECT}?${provider.lastCallback!.toString()}`);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokenRes = await oauth.authorizationCodeGrantRequest(as, client, auth, params, CLAUDE_REDIRECT, verifier, {
      [oauth.allowInsecureRequests]: true,
      additionalParameters: { resource: h.mcpUrl },
    });
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenRes);
    expect(tokens.access_token).to.be.a('string');
    expect(tokens.refresh_token).to.be.a('string');
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, {
        [oauth.allowInsecureRequests]: true,
      }),
    );
    expect(refreshed.refresh_token).to.not.equal(tokens.refresh_token);
    const introspection = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, refreshed.refresh_token!, {
        [oauth.allowInsecureRequests]: true,
      }),
    );
    expect(introspection.active).to.equal(true);
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, refreshed.refresh_token!, {
        [oauth.allowInsecureRequests]: true,
      }),
    );
    const after = await oauth.refreshTokenGrantRequest(as, client, auth, refreshed.refresh_token!, {
      [oauth.allowInsecureRequests]: true,
    });
    let error: unknown;
    try {
      await oauth.processRefreshTokenResponse(as, client, after);
    } catch (err) {
      error = err;
    }
    expect((error as { error?: string }).error).to.equal('invalid_grant');
  });
});
