/**
 * Two real outside clients: the MCP Inspector CLI (with a token from the flow) and headless Chromium
 * clicking through our consent page and the stand-in Google's sign-in page, as a person would.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { createServer } from 'node:http';
import { startHarness, type Harness } from '../support/harness.js';
import { closeServer, listen } from '../../standins/http.js';
import { authorizeUrl, claudeRegistration, pkce, register, signIn, tokenRequest } from '../../standins/oauth-client.js';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('outside clients', function () {
  this.timeout(60_000);
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());

  it('MCP Inspector CLI lists the tools and calls whoami with a token from the flow', async () => {
    const { tokens } = await signIn(h.baseUrl);
    const bin = join(process.cwd(), 'node_modules', '.bin', 'mcp-inspector');
    expect(existsSync(bin), 'run npm ci to install @modelcontextprotocol/inspector').to.equal(true);
    const env = { ...process.env, HOME: mkdtempSync(join(tmpdir(), 'inspector-')), NO_COLOR: '1' };
    const list = await run(
      bin,
      [
        '--cli',
        h.mcpUrl,
        '--transport',
        'http',
        '--header',
        `Authorization: Bearer ${tokens.access_token}`,
        '--method',
        'tools/list',
      ],
      { env, timeout: 45_000 },
    );
    expect(list.stdout).to.contain('"whoami"');
    const call = await run(
      bin,
      [
        '--cli',
        h.mcpUrl,
        '--transport',
        'http',
        '--header',
        `Authorization: Bearer ${tokens.access_token}`,
        '--method',
        'tools/call',
        '--tool-name',
        'whoami',
      ],
      { env, timeout: 45_000 },
    );
    expect(call.stdout).to.contain('alice@example.com');
  });

  describe('headless Chromium', () => {
    let browser: Browser;
    before(async function () {
      if (!existsSync(CHROMIUM))
        throw new Error(
          `Chromium not found at ${CHROMIUM}: apt-get install -y --no-install-recommends chromium (or set CHROMIUM_PATH)`,
        );
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          '--disable-quic',
        ],
      });
    });
    after(async () => browser?.close());

    it('a person approves on the consent page (keyboard only) and the client receives a working code', async () => {
      // Like Claude Code: a loopback redirect URI served by the "app" itself.
      let callback: URL | undefined;
      const app = createServer((req, res) => {
        // Chromium also asks for /favicon.ico: keep only the redirect itself.
        if (req.url?.startsWith('/callback')) callback = new URL(req.url, 'http://127.0.0.1');
        res.end('You can close this window.');
      });
      const port = await listen(app);
      try {
        const reg = await register(h.baseUrl, {
          client_name: 'Claude Code',
          redirect_uris: ['http://127.0.0.1/callback'],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
        });
        const redirectUri = `http://127.0.0.1:${port}/callback`;
        const { verifier, challenge } = pkce();
        const page = await browser.newPage();
        await page.goto(
          authorizeUrl(h.baseUrl, {
            response_type: 'code',
            client_id: reg.body.client_id,
            redirect_uri: redirectUri,
            code_challenge: challenge,
            code_challenge_method: 'S256',
            state: 'browser-state',
          }),
        );
        expect(await page.title()).to.contain('Allow Claude Code');
        expect(await page.locator('h1').innerText()).to.contain('Claude Code');
        expect(await page.locator('.warn').innerText()).to.contain('runs on your own computer');
        await page.screenshot({ path: join(tmpdir(), 'consent-page.png'), fullPage: true });
        // Keyboard only: the first focusable control is Allow.
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal('Allow');
        await page.keyboard.press('Enter');
        await page.waitForURL((u) => u.toString().startsWith(redirectUri), { timeout: 15_000 });
        expect(callback?.searchParams.get('state')).to.equal('browser-state');
        const t = await tokenRequest(h.baseUrl, {
          grant_type: 'authorization_code',
          code: callback!.searchParams.get('code')!,
          code_verifier: verifier,
          redirect_uri: redirectUri,
          client_id: reg.body.client_id,
        });
        expect(t.status, JSON.stringify(t.body)).to.equal(200);
        await page.close();
      } finally {
        await closeServer(app);
      }
    });

    it('the consent page cannot be framed by another site', async () => {
      const reg = await register(h.baseUrl, claudeRegistration());
      const page = await browser.newPage();
      const target = authorizeUrl(h.baseUrl, {
        response_type: 'code',
        client_id: reg.body.client_id,
        redirect_uri: reg.body.redirect_uris[0],
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      });
      // The attacker's page is served from loopback too, on "localhost" (another site than 127.0.0.1):
      // Chromium keeps public pages from framing loopback ones anyway, which would hide a missing header.
      const attacker = createServer((_req, res) =>
        res.setHeader('content-type', 'text/html').end(`<iframe id="f" src="${target}"></iframe>`),
      );
      const port = await listen(attacker);
      try {
        await page.goto(`http://localhost:${port}/`);
        await page.waitForTimeout(1500);
        const frame = page.frames().find((f) => f !== page.mainFrame());
        expect(frame, 'the iframe exists').to.not.equal(undefined);
        const content = frame ? await frame.content().catch(() => '') : '';
        expect(content).not.to.contain('/interaction/');
        expect(content).not.to.contain('Google Contacts');
        // None of our pages renders in the frame (not even an error page: the browser refused it).
        expect(content).not.to.contain('/assets/style.css');
      } finally {
        await closeServer(attacker);
      }
      await page.close();
    });
  });
});
