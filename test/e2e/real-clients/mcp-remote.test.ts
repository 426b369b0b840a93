/**
 * mcp-remote, the stdio bridge that Claude Desktop, Cursor, Windsurf and others run for remote servers,
 * driven for real: the published package as a child process speaking stdio JSON-RPC, opening "the
 * browser" through the `open` package → xdg-open → $BROWSER (a headless person who approves our consent
 * page and signs in at the stand-in Google), with its token store in a temp MCP_REMOTE_CONFIG_DIR.
 * Everything it sends goes through a recording proxy, so the assertions are about the real wire.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import sinon from 'sinon';
import { createHeadlessBrowser, type HeadlessBrowser } from '../../support/headless-browser.js';
import {
  authorizations,
  bodyFields,
  mcpRequests,
  registrations,
  rpcMethods,
  startRecordedHarness,
  tokenRequests,
  wireReport,
  wireSummary,
  type RecordedHarness,
} from '../../support/recorded-harness.js';
import { freeLoopbackPort } from '../../../standins/http.js';
import { StdioJsonRpcChild } from '../../support/stdio-jsonrpc.js';

const MCP_REMOTE = join(process.cwd(), 'node_modules', 'mcp-remote', 'dist', 'proxy.js');
const HOUR = 3600_000;

interface ToolResult {
  content?: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

describe('mcp-remote (the stdio bridge of Claude Desktop / Cursor), real package, headless', function () {
  this.timeout(120_000);
  let clock: sinon.SinonFakeTimers | undefined;
  let h: RecordedHarness;
  let browser: HeadlessBrowser;
  let bridge: StdioJsonRpcChild | undefined;
  let configDir = '';
  let callbackPort = 0;

  before(async () => {
    if (!existsSync(MCP_REMOTE))
      throw new Error(`mcp-remote is not installed at ${MCP_REMOTE}: run npm ci (it is a devDependency)`);
    // The wall clock of this process (our server and its stand-ins) is faked only so a test can jump
    // an hour ahead; it advances with real time otherwise. mcp-remote runs in its own process, on the real clock.
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'], shouldAdvanceTime: true });
    h = await startRecordedHarness();
    browser = createHeadlessBrowser({ webOrigins: [h.baseUrl, h.google.url] });
    configDir = join(browser.dir, 'mcp-auth');
    callbackPort = await freeLoopbackPort();
  });
  after(async () => {
    if (process.env.REAL_CLIENTS_WIRE && h) console.log(`--- mcp-remote on the wire ---\n${wireReport(h.wire)}`);
    await bridge?.stop();
    await h?.close();
    clock?.restore();
    browser?.remove();
  });
  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    console.log(`--- wire ---\n${wireSummary(h.wire)}`);
    console.log(`--- browser visits ---\n${JSON.stringify(browser.visits(), null, 1)}`);
    console.log(`--- mcp-remote stderr ---\n${bridge?.stderrTail(60)}`);
  });

  const startBridge = (extraArgs: string[] = []) =>
    new StdioJsonRpcChild(
      process.execPath,
      [MCP_REMOTE, h.mcpUrl, String(callbackPort), '--auth-timeout', '45', ...extraArgs],
      {
        cwd: process.cwd(),
        env: browser.env({ MCP_REMOTE_CONFIG_DIR: configDir }),
      },
    );

  const initialize = async (b: StdioJsonRpcChild) => {
    const init = await b.request<{ protocolVersion: string; serverInfo: { name: string } }>(
      'initialize',
      {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'claude-desktop-stand-in', version: '1.0.0' },
      },
      90_000,
    );
    b.notify('notifications/initialized');
    return init;
  };

  const whoami = async (b: StdioJsonRpcChild) => {
    const res = await b.request<ToolResult>('tools/call', { name: 'whoami', arguments: {} }, 45_000);
    expect(res.isError, JSON.stringify(res)).to.not.equal(true);
    expect(JSON.stringify(res.structuredContent)).to.contain('alice@example.com');
    return res;
  };

  const storedTokensFile = (): string => {
    const dir = join(configDir, 'mcp-remote-v1');
    const name = readdirSync(dir).find((f) => f.endsWith('_tokens.json'));
    if (!name) throw new Error(`mcp-remote stored no tokens in ${dir}`);
    return join(dir, name);
  };
  const storedTokens = () =>
    JSON.parse(readFileSync(storedTokensFile(), 'utf8')) as {
      access_token: string;
      refresh_token?: string;
      expires_at?: number;
      scope?: string;
    };

  it('signs in through the browser (RFC 7591 registration, PKCE S256, RFC 8707 resource, RFC 9207 iss, consent, Google), then initialize, tools/list and whoami over stdio', async () => {
    bridge = startBridge();
    const init = await initialize(bridge);
    expect(init.protocolVersion).to.equal('2025-11-25');
    const list = await bridge.request<{ tools: Array<{ name: string }> }>('tools/list', {}, 30_000);
    expect(list.tools.map((t) => t.name)).to.include('whoami');
    await whoami(bridge);

    // One browser visit: consent approved, Google signed in, the code handed to its loopback listener.
    const visits = browser.visits();
    expect(visits, JSON.stringify(visits)).to.have.length(1);
    const visit = visits[0]!;
    expect(visit.error, visit.error).to.equal(undefined);
    expect(
      visit.hops.some((hop) => hop.url.includes('/interaction/')),
      'our consent page was shown',
    ).to.equal(true);
    expect(visit.callback?.path).to.equal('/oauth/callback');
    expect(visit.callback?.params.code).to.equal('<code>');
    // RFC 9207: the authorization response names the issuer.
    expect(visit.callback?.params.iss).to.equal(h.baseUrl);
    expect(visit.callbackStatus).to.equal(200);

    // What it sent: a public client registered by DCR with a loopback redirect on the chosen port.
    const [reg] = registrations(h.wire);
    expect(reg, 'mcp-remote registered a client (RFC 7591)').to.not.equal(undefined);
    const meta = bodyFields(reg!);
    expect(reg!.status).to.equal(201);
    expect(meta.token_endpoint_auth_method).to.equal('none');
    expect(meta.redirect_uris).to.deep.equal([`http://localhost:${callbackPort}/oauth/callback`]);
    expect(meta.grant_types).to.include('refresh_token');
    const [authz] = authorizations(h.wire);
    expect(authz!.query.get('code_challenge_method')).to.equal('S256');
    expect(authz!.query.get('resource')).to.equal(h.mcpUrl);
    expect(authz!.query.get('scope')?.split(' ')).to.include('contacts');
    const [exchange] = tokenRequests(h.wire, 'authorization_code');
    expect(exchange!.status).to.equal(200);
    expect(bodyFields(exchange!).resource).to.equal(h.mcpUrl);
    expect(storedTokens().refresh_token, 'a refresh token was issued').to.be.a('string');
  });

  it('refreshes before the access token expires (its own expiry clock), and the next call succeeds without a browser', async () => {
    const before = storedTokens();
    const refreshesBefore = tokenRequests(h.wire, 'refresh_token').length;
    // mcp-remote re-reads tokens.json on every request and refreshes within 60 s of `expires_at`.
    writeFileSync(storedTokensFile(), JSON.stringify({ ...before, expires_at: 1 }));
    await whoami(bridge!);
    const refreshes = tokenRequests(h.wire, 'refresh_token').slice(refreshesBefore);
    expect(refreshes.length, wireSummary(h.wire)).to.be.greaterThan(0);
    expect(
      refreshes.every((r) => r.status === 200),
      refreshes.map((r) => `${r.status} ${r.responseBody}`).join('\n'),
    ).to.equal(true);
    // RFC 8707 §2.2: the same resource on the refresh; the scope it repeats is the one the server granted.
    expect(bodyFields(refreshes[0]!).resource).to.equal(h.mcpUrl);
    expect(bodyFields(refreshes[0]!).scope).to.equal(before.scope);
    const after = storedTokens();
    expect(after.access_token).to.not.equal(before.access_token);
    expect(after.refresh_token, 'refresh tokens rotate').to.not.equal(before.refresh_token);
    expect(browser.visits()).to.have.length(1);
  });

  it('an hour later, the server answers 401 (RFC 6750) to the old token; it refreshes (rotated, RFC 9700) and retries, without a browser', async () => {
    const before = storedTokens();
    const refreshesBefore = tokenRequests(h.wire, 'refresh_token').length;
    const mcpBefore = mcpRequests(h.wire).length;
    clock!.setSystemTime(Date.now() + 2 * HOUR); // our server's clock only: mcp-remote still thinks its token is fresh
    await whoami(bridge!);
    const mcp = mcpRequests(h.wire).slice(mcpBefore);
    expect(
      mcp.some((x) => x.status === 401),
      wireSummary(h.wire),
    ).to.equal(true);
    const refreshes = tokenRequests(h.wire, 'refresh_token').slice(refreshesBefore);
    expect(refreshes.length).to.be.greaterThan(0);
    expect(
      refreshes.every((r) => r.status === 200),
      refreshes.map((r) => `${r.status} ${r.responseBody}`).join('\n'),
    ).to.equal(true);
    expect(storedTokens().refresh_token).to.not.equal(before.refresh_token);
    expect(browser.visits()).to.have.length(1);
  });

  it('a restarted bridge reuses its stored sign-in, and with --protocol auto speaks 2026-07-28 (server/discover)', async () => {
    await bridge!.stop();
    const mcpBefore = mcpRequests(h.wire).length;
    bridge = startBridge(['--protocol', 'auto']);
    await initialize(bridge);
    await whoami(bridge);
    const mcp = mcpRequests(h.wire).slice(mcpBefore);
    expect(mcp.flatMap(rpcMethods)).to.include('server/discover');
    const call = mcp.find((x) => rpcMethods(x).includes('tools/call'));
    expect(call?.headers['mcp-protocol-version']).to.equal('2026-07-28');
    expect(browser.visits(), 'no new sign-in').to.have.length(1);
  });
});
