/**
 * The account page in headless Chromium, with JavaScript turned off (the page promises to need none):
 * a person signs in with (stand-in) Google, sees two connected apps, disconnects one — whose refresh
 * token then stops working while the other's keeps working — and then everything; the browser session
 * from connecting an app is reused; the page cannot be framed.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { closeServer, listen } from '../../standins/http.js';
import { startHarness, type Harness } from '../support/harness.js';
import { authorizeUrl, clientAuth, pkce, register, signIn, tokenRequest } from '../../standins/oauth-client.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('account page in headless Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let h: Harness;
  let context: BrowserContext;

  before(async () => {
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
  beforeEach(async () => {
    h = await startHarness();
    context = await browser.newContext({ javaScriptEnabled: false });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-30).join('\n'));
    await context?.close();
    await h?.close();
  });

  const refresh = (app: Awaited<ReturnType<typeof signIn>>) =>
    tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: app.tokens.refresh_token!,
      ...clientAuth(app.client),
    });

  it('a person signs in with Google, sees two connected apps, disconnects one (its refresh token stops working, the other keeps working), then everything', async () => {
    const claude = await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
    const cursor = await signIn(h.baseUrl, { registration: { client_name: 'Cursor' } });
    const page = await context.newPage();

    await page.goto(`${h.baseUrl}/`);
    await page.getByRole('link', { name: 'See and disconnect your connected apps' }).click();
    await page.waitForURL(`${h.baseUrl}/account`);
    await page.getByRole('button', { name: 'Sign in with Google' }).click();
    await page.waitForURL(`${h.baseUrl}/account`);
    expect(h.google.authorizeRequests.at(-1)!.scope).to.equal('openid email profile');
    expect(await page.locator('h2.client-name').allInnerTexts()).to.have.members(['Claude', 'Cursor']);
    expect(await page.locator('main').innerText()).to.contain('alice@example.com');
    expect(await page.locator('.app .access').allInnerTexts()).to.deep.equal([
      'Read and change your contacts (read-write)',
      'Read and change your contacts (read-write)',
    ]);
    await page.screenshot({ path: join(tmpdir(), 'account-page.png'), fullPage: true });

    await page.getByRole('button', { name: 'Disconnect Claude' }).click();
    await page.waitForURL(`${h.baseUrl}/account?notice=disconnected`);
    expect(await page.getByRole('status').innerText()).to.contain('The app was disconnected');
    expect(await page.locator('h2.client-name').allInnerTexts()).to.deep.equal(['Cursor']);
    const dead = await refresh(claude);
    expect(dead.status).to.equal(400);
    expect(dead.body.error).to.equal('invalid_grant');
    const alive = await refresh(cursor);
    expect(alive.status, JSON.stringify(alive.body)).to.equal(200);
    cursor.tokens.refresh_token = alive.body.refresh_token;

    await page.getByRole('link', { name: 'Disconnect everything…' }).click();
    await page.waitForURL(`${h.baseUrl}/account/disconnect-all`);
    expect(await page.locator('h1').innerText()).to.equal('Disconnect everything?');
    await page.getByRole('button', { name: 'Disconnect everything' }).click();
    await page.waitForURL(`${h.baseUrl}/account?notice=disconnected-all`);
    expect(await page.locator('main').innerText()).to.contain('No apps are connected');
    expect((await refresh(cursor)).body.error).to.equal('invalid_grant');
    expect(await h.store.get('GoogleToken', '100000000000000000001')).to.equal(undefined);
    await page.close();
  });

  it('after connecting an app in this browser, /account shows it without going to Google; Sign out ends that', async () => {
    // Like Claude Code: a loopback redirect URI served by the "app" itself.
    const app = createServer((_req, res) => res.end('You can close this window.'));
    const port = await listen(app);
    try {
      const reg = await register(h.baseUrl, {
        client_name: 'Claude Code',
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      });
      const redirectUri = `http://127.0.0.1:${port}/callback`;
      const page = await context.newPage();
      await page.goto(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: reg.body.client_id,
          redirect_uri: redirectUri,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
          state: 's',
        }),
      );
      expect(await page.locator('main').innerText()).to.contain(
        `You can disconnect it at any time at ${h.baseUrl}/account`,
      );
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((u) => u.toString().startsWith(redirectUri));
      const googleRequests = h.google.authorizeRequests.length;

      await page.goto(`${h.baseUrl}/account`);
      expect(await page.locator('h2.client-name').allInnerTexts()).to.deep.equal(['Claude Code']);
      expect(await page.locator('.app dd').first().innerText()).to.contain('127.0.0.1');
      expect(h.google.authorizeRequests.length, 'no Google round trip').to.equal(googleRequests);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${h.baseUrl}/account?notice=signed-out`);
      await page.goto(`${h.baseUrl}/account`);
      expect(await page.getByRole('button', { name: 'Sign in with Google' }).count()).to.equal(1);
      expect(h.google.authorizeRequests.length).to.equal(googleRequests);
      await page.close();
    } finally {
      await closeServer(app);
    }
  });

  it('RFC 6749 §10.13 (clickjacking): another site cannot frame the signed-in account page', async () => {
    await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
    const page = await context.newPage();
    await page.goto(`${h.baseUrl}/account`);
    await page.getByRole('button', { name: 'Sign in with Google' }).click();
    await page.waitForURL(`${h.baseUrl}/account`);
    expect(await page.locator('h2.client-name').allInnerTexts()).to.deep.equal(['Claude']);
    // The attacker's page is served from loopback too (Chromium keeps public pages from framing loopback
    // ones anyway, which would hide a missing header), on "localhost": another site than 127.0.0.1.
    const attacker = createServer((_req, res) =>
      res.setHeader('content-type', 'text/html').end(`<iframe id="f" src="${h.baseUrl}/account"></iframe>`),
    );
    const port = await listen(attacker);
    try {
      await page.goto(`http://localhost:${port}/`);
      await page.waitForTimeout(1500);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      expect(frame, 'the iframe exists').to.not.equal(undefined);
      const content = await frame!.content().catch(() => '');
      expect(content).not.to.contain('Your connected apps');
      expect(content).not.to.contain('/assets/style.css');
    } finally {
      await closeServer(attacker);
    }
    await page.close();
  });
});
