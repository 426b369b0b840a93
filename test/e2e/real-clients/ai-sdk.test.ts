/**
 * The Vercel AI SDK's MCP client (`@ai-sdk/mcp`), driven for real: its HTTP transport and its own OAuth
 * code (discovery, dynamic registration, PKCE, code exchange, refresh on 401), with the app-side
 * provider an AI SDK application writes (test/support/ai-sdk-oauth-provider.ts). The browser it opens
 * is the headless person; everything it sends goes through a recording proxy.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { auth, createMCPClient, UnauthorizedError, type MCPClient } from '@ai-sdk/mcp';
import { AiSdkOAuthProvider, startCallbackListener } from '../../support/ai-sdk-oauth-provider.js';
import { createHeadlessBrowser, type HeadlessBrowser } from '../../support/headless-browser.js';
import {
  bodyFields,
  mcpRequests,
  registrations,
  rpcMethods,
  startRecordedHarness,
  tokenRequests,
  wireReport,
  wireSummary,
  type RecordedHarness,
  type WireExchange,
} from '../../support/recorded-harness.js';

const HOUR = 3600_000;

/**
 * Registered as `client_secret_post`, @ai-sdk/mcp 2.0.99 still sends HTTP Basic whenever the server also
 * lists `client_secret_basic` (its selectClientAuthMethod prefers Basic); oidc-provider accepts either
 * for a secret-based client. What must hold: the secret is presented, exactly one way.
 */
function authenticatesWithSecret(x: WireExchange): boolean {
  const basic = /^Basic /i.test(x.headers.authorization ?? '');
  const post = typeof bodyFields(x).client_secret === 'string';
  return basic !== post;
}

describe('Vercel AI SDK MCP client (@ai-sdk/mcp), real package, headless', function () {
  this.timeout(90_000);
  let clock: sinon.SinonFakeTimers | undefined;
  let h: RecordedHarness;
  let browser: HeadlessBrowser;
  let callback: Awaited<ReturnType<typeof startCallbackListener>>;
  let provider: AiSdkOAuthProvider;
  let client: MCPClient | undefined;

  before(async () => {
    // Our server's wall clock is faked only so a test can jump an hour ahead; it advances with real time otherwise.
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'], shouldAdvanceTime: true });
    h = await startRecordedHarness();
    browser = createHeadlessBrowser({ webOrigins: [h.baseUrl, h.google.url] });
    callback = await startCallbackListener();
    provider = new AiSdkOAuthProvider(callback.url, browser.command);
  });
  after(async () => {
    if (process.env.REAL_CLIENTS_WIRE && h) console.log(`--- @ai-sdk/mcp on the wire ---\n${wireReport(h.wire)}`);
    await client?.close().catch(() => undefined);
    await callback?.close();
    await h?.close();
    clock?.restore();
    browser?.remove();
  });
  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    console.log(`--- wire ---\n${wireSummary(h.wire)}`);
    console.log(`--- browser visits ---\n${JSON.stringify(browser.visits(), null, 1)}`);
    console.log(h.logs.slice(-20).join('\n'));
  });

  const connect = () => createMCPClient({ transport: { type: 'http', url: h.mcpUrl, authProvider: provider } });

  it('registers as a client_secret_post client (RFC 7591), signs in through the browser (PKCE S256, RFC 8707 resource, RFC 9207 iss checked by the SDK), then lists tools and calls whoami over 2026-07-28', async () => {
    // The app's usual two steps: the first connect starts the sign-in and fails Unauthorized; once the
    // callback has the code, auth() exchanges it and the app connects again.
    let firstAttempt: unknown;
    try {
      await connect();
    } catch (err) {
      firstAttempt = err;
    }
    expect(
      firstAttempt,
      'without tokens, the SDK sends the user to the browser and reports Unauthorized',
    ).to.be.instanceOf(UnauthorizedError);
    const params = await callback.next(45_000);
    expect(params.get('error'), params.toString()).to.equal(null);
    // RFC 9207: the SDK checks `iss` against the issuer it discovered.
    expect(params.get('iss')).to.equal(h.baseUrl);
    const result = await auth(provider, {
      serverUrl: h.mcpUrl,
      authorizationCode: params.get('code')!,
      callbackState: params.get('state') ?? undefined,
      callbackIssuer: params.get('iss') ?? undefined,
    });
    expect(result).to.equal('AUTHORIZED');
    client = await connect();
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).to.include('whoami');
    const res = await client.callTool({ name: 'whoami', arguments: {} });
    expect(res.isError, JSON.stringify(res)).to.not.equal(true);
    expect(JSON.stringify(res.structuredContent)).to.contain('alice@example.com');

    expect(browser.visits(), 'one sign-in in the browser').to.have.length(1);
    const [reg] = registrations(h.wire);
    expect(reg!.status).to.equal(201);
    expect(bodyFields(reg!).token_endpoint_auth_method).to.equal('client_secret_post');
    expect(JSON.parse(reg!.responseBody).client_secret, 'a confidential client gets a secret').to.be.a('string');
    const authorize = provider.openedUrls[0]!;
    expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(authorize.searchParams.get('resource')).to.equal(h.mcpUrl);
    const [exchange] = tokenRequests(h.wire, 'authorization_code');
    expect(exchange!.status).to.equal(200);
    const fields = bodyFields(exchange!);
    expect(authenticatesWithSecret(exchange!), 'the confidential client proves its secret, one way only').to.equal(
      true,
    );
    expect(fields.resource).to.equal(h.mcpUrl);
    // It probes with server/discover and then speaks 2026-07-28 (stateless, no initialize).
    const mcp = mcpRequests(h.wire);
    expect(mcp.flatMap(rpcMethods)).to.include('server/discover');
    const call = mcp.find((x) => rpcMethods(x).includes('tools/call'));
    expect(call?.headers['mcp-protocol-version']).to.equal('2026-07-28');
  });

  it('an hour later, the 401 makes it refresh (no scope, with its secret and resource) and retry, without a browser', async () => {
    const refreshesBefore = tokenRequests(h.wire, 'refresh_token').length;
    const mcpBefore = mcpRequests(h.wire).length;
    const oldTokens = provider.tokens();
    clock!.setSystemTime(Date.now() + 2 * HOUR);
    const res = await client!.callTool({ name: 'whoami', arguments: {} });
    expect(res.isError, JSON.stringify(res)).to.not.equal(true);
    expect(JSON.stringify(res.structuredContent)).to.contain('alice@example.com');
    expect(
      mcpRequests(h.wire)
        .slice(mcpBefore)
        .some((x) => x.status === 401),
      wireSummary(h.wire),
    ).to.equal(true);
    const refreshes = tokenRequests(h.wire, 'refresh_token').slice(refreshesBefore);
    expect(refreshes).to.have.length(1);
    expect(refreshes[0]!.status, refreshes[0]!.responseBody).to.equal(200);
    const fields = bodyFields(refreshes[0]!);
    expect(fields.scope, 'no scope on refresh').to.equal(undefined);
    expect(fields.resource).to.equal(h.mcpUrl);
    expect(authenticatesWithSecret(refreshes[0]!)).to.equal(true);
    expect(provider.tokens()?.refresh_token, 'rotated').to.not.equal(oldTokens?.refresh_token);
    expect(browser.visits()).to.have.length(1);
  });

  it('a person who clicks Deny: its callback gets error=access_denied with state (RFC 6749 §4.1.2.1), and no tokens are issued', async () => {
    const denier = createHeadlessBrowser({ webOrigins: [h.baseUrl, h.google.url], decision: 'deny' });
    const denied = await startCallbackListener();
    try {
      const other = new AiSdkOAuthProvider(denied.url, denier.command);
      const exchangesBefore = tokenRequests(h.wire, 'authorization_code').length;
      let firstAttempt: unknown;
      try {
        await createMCPClient({ transport: { type: 'http', url: h.mcpUrl, authProvider: other } });
      } catch (err) {
        firstAttempt = err;
      }
      expect(firstAttempt).to.be.instanceOf(UnauthorizedError);
      const params = await denied.next(45_000);
      expect(params.get('error')).to.equal('access_denied');
      expect(params.get('state')).to.equal(other.storedState());
      expect(params.get('code')).to.equal(null);
      expect(tokenRequests(h.wire, 'authorization_code').length).to.equal(exchangesBefore);
      expect(other.tokens()).to.equal(undefined);
    } finally {
      await denied.close();
      denier.remove();
    }
  });
});
