/**
 * MCP Inspector CLI with its OWN OAuth (not a pasted token): it discovers, registers, opens "the
 * browser" (the `open` package → xdg-open → $BROWSER, forced with MCP_AUTO_OPEN_ENABLED=true since there
 * is no TTY), receives the code on its --callback-url listener, and keeps the tokens under $HOME (a temp
 * dir: ~/.mcp-inspector). Later invocations reuse the stored sign-in.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import sinon from 'sinon';
import { createHeadlessBrowser, type HeadlessBrowser } from '../../support/headless-browser.js';
import {
  authorizations,
  bodyFields,
  mcpRequests,
  registrations,
  startRecordedHarness,
  tokenRequests,
  wireReport,
  wireSummary,
  type RecordedHarness,
} from '../../support/recorded-harness.js';
import { freeLoopbackPort } from '../../../standins/http.js';

const run = promisify(execFile);
const INSPECTOR = join(
  process.cwd(),
  'node_modules',
  '@modelcontextprotocol',
  'inspector',
  'clients',
  'launcher',
  'build',
  'index.js',
);
const HOUR = 3600_000;

const onPath = (command: string): boolean =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));

describe('MCP Inspector CLI with its own OAuth, real package, headless', function () {
  this.timeout(120_000);
  let clock: sinon.SinonFakeTimers | undefined;
  let h: RecordedHarness;
  let browser: HeadlessBrowser;
  let callbackUrl = '';
  const outputs: string[] = [];

  before(async () => {
    if (!existsSync(INSPECTOR))
      throw new Error(
        `MCP Inspector is not installed at ${INSPECTOR}: run npm ci (@modelcontextprotocol/inspector is a devDependency)`,
      );
    // The CLI is one bundled file, so the `open` package in it runs the system xdg-open (not its own copy).
    if (!onPath('xdg-open'))
      throw new Error(
        'xdg-open not found: apt-get install -y --no-install-recommends xdg-utils (chromium-common depends on it, so installing chromium brings it)',
      );
    // Our server's wall clock is faked only so a test can jump an hour ahead; it advances with real time otherwise.
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'], shouldAdvanceTime: true });
    h = await startRecordedHarness();
    browser = createHeadlessBrowser({ webOrigins: [h.baseUrl, h.google.url] });
    callbackUrl = `http://127.0.0.1:${await freeLoopbackPort()}/oauth/callback`;
  });
  after(async () => {
    if (process.env.REAL_CLIENTS_WIRE && h) console.log(`--- MCP Inspector CLI on the wire ---\n${wireReport(h.wire)}`);
    await h?.close();
    clock?.restore();
    browser?.remove();
  });
  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    console.log(`--- wire ---\n${wireSummary(h.wire)}`);
    console.log(`--- browser visits ---\n${JSON.stringify(browser.visits(), null, 1)}`);
    console.log(`--- inspector output ---\n${outputs.join('\n').slice(-6000)}`);
  });

  /** One CLI invocation; `execFile` bounds it and kills it on timeout. */
  const inspector = async (args: string[]): Promise<string> => {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        [
          INSPECTOR,
          '--cli',
          h.mcpUrl,
          '--transport',
          'http',
          '--callback-url',
          callbackUrl,
          '--format',
          'json',
          ...args,
        ],
        {
          cwd: browser.dir,
          timeout: 60_000,
          // No TTY here, so MCP_AUTO_OPEN_ENABLED=true is what makes it open the browser at all; with no OS
          // keychain it would keep tokens in memory only, so MCP_INSPECTOR_SECRET_STORE=file lets a later
          // invocation reuse the sign-in (~/.mcp-inspector under the temp HOME).
          env: browser.env({
            HOME: browser.dir,
            MCP_AUTO_OPEN_ENABLED: 'true',
            MCP_INSPECTOR_SECRET_STORE: 'file',
            NO_COLOR: '1',
          }),
        },
      );
      outputs.push(`$ ${args.join(' ')}\n${stderr}\n${stdout}`);
      return stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; code?: unknown; signal?: unknown };
      outputs.push(`$ ${args.join(' ')} (exit ${String(e.code)} ${String(e.signal)})\n${e.stderr}\n${e.stdout}`);
      throw new Error(`inspector ${args.join(' ')} failed (exit ${String(e.code)}): ${(e.stderr ?? '').slice(-1500)}`);
    }
  };

  it('signs in through the browser (RFC 7591 registration, PKCE S256, RFC 8707 resource, RFC 9207 iss, consent, Google) and lists the tools', async () => {
    const out = await inspector(['--method', 'tools/list']);
    expect(out).to.contain('"whoami"');
    const visits = browser.visits();
    expect(visits, JSON.stringify(visits)).to.have.length(1);
    expect(visits[0]!.error, visits[0]!.error).to.equal(undefined);
    expect(
      visits[0]!.hops.some((hop) => hop.url.includes('/interaction/')),
      'our consent page was shown',
    ).to.equal(true);
    expect(visits[0]!.callback?.params.iss).to.equal(h.baseUrl);
    const [reg] = registrations(h.wire);
    expect(reg?.status).to.equal(201);
    expect(bodyFields(reg!).redirect_uris).to.deep.equal([callbackUrl]);
    const [authz] = authorizations(h.wire);
    expect(authz!.query.get('code_challenge_method')).to.equal('S256');
    expect(authz!.query.get('resource')).to.equal(h.mcpUrl);
    expect(tokenRequests(h.wire, 'authorization_code')[0]?.status).to.equal(200);
  });

  it('a second invocation reuses the stored sign-in (no browser) and calls whoami', async () => {
    const out = await inspector(['--method', 'tools/call', '--tool-name', 'whoami']);
    expect(out).to.contain('alice@example.com');
    expect(browser.visits(), 'no new sign-in').to.have.length(1);
  });

  it('an hour later, the 401 makes it refresh with its stored refresh token, without a browser', async () => {
    const refreshesBefore = tokenRequests(h.wire, 'refresh_token').length;
    const mcpBefore = mcpRequests(h.wire).length;
    clock!.setSystemTime(Date.now() + 2 * HOUR);
    const out = await inspector(['--method', 'tools/call', '--tool-name', 'whoami']);
    expect(out).to.contain('alice@example.com');
    expect(
      mcpRequests(h.wire)
        .slice(mcpBefore)
        .some((x) => x.status === 401),
      wireSummary(h.wire),
    ).to.equal(true);
    const refreshes = tokenRequests(h.wire, 'refresh_token').slice(refreshesBefore);
    expect(refreshes.length).to.be.greaterThan(0);
    expect(
      refreshes.every((r) => r.status === 200),
      refreshes.map((r) => `${r.status} ${r.responseBody}`).join('\n'),
    ).to.equal(true);
    expect(bodyFields(refreshes[0]!).resource, 'RFC 8707 §2.2: resource on the refresh').to.equal(h.mcpUrl);
    expect(browser.visits(), 'no new sign-in').to.have.length(1);
  });
});
