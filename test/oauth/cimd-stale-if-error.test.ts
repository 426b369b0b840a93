/**
 * Client ID Metadata Documents kept in the store: a fetched document is stored; when a refetch fails for
 * a network reason (refused, 503, timeout, DNS) the last good copy signs the app in for up to 7 days; after
 * that, or without a copy, the page and the single log line say that THIS SERVER could not reach the
 * document and what the administrator can do. The clock is faked (Date only) to move past freshness and
 * past 7 days; the server, oidc-provider's cache and the store all read the same clock.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { startHarness, type Harness } from '../support/harness.js';
import {
  cimdEvents,
  cimdLines,
  cimdSignIn,
  startDocumentServer,
  type DocumentServer,
  type DocumentServerMode,
} from '../support/cimd.js';
import { authorizeUrl, mcpPost, pkce } from '../../standins/oauth-client.js';
import { UserAgent } from '../../standins/user-agent.js';
import { startFirestoreEmulator, type FirestoreEmulator } from '../../standins/firestore-emulator.js';
import { CIMD_STALE_IF_ERROR_MS, CimdDocuments, cimdDocumentKey } from '../../src/oauth/cimd-documents.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { FirestoreStore } from '../../src/storage/firestore.js';
import type { Store } from '../../src/storage/port.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** GET /authorize as a browser would, without following redirects. */
async function authorizePage(h: Harness, clientId: string, redirect: string) {
  const res = await new UserAgent().request(
    authorizeUrl(h.baseUrl, {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirect,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 's',
      resource: h.mcpUrl,
    }),
  );
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

async function whoami(h: Harness, token: string): Promise<string> {
  const res = await mcpPost(h.mcpUrl, token, {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'whoami', arguments: {} },
  });
  return res.text();
}

/** The "could not reach" page: names the URL and the administrator's options, never blames the app. */
function expectCouldNotReachPage(page: { status: number; location: string | null; text: string }, url: string) {
  expect(page.status).to.equal(424);
  expect(page.location, 'never a redirect').to.equal(null);
  expect(page.text).to.contain('This server could not reach the app’s metadata document');
  expect(page.text).to.contain(url);
  expect(page.text).to.contain(new URL(url).host);
  expect(page.text).to.contain('egress');
  expect(page.text).to.contain('CLIENT_ID_METADATA_DOCUMENTS=false');
  expect(page.text).to.contain('Nothing is wrong with the app');
  expect(page.text).to.not.contain('made a request this server cannot accept');
}

describe('CIMD stale-if-error: stored copies of client ID metadata documents', function () {
  this.timeout(90_000);
  let h: Harness;
  let clock: sinon.SinonFakeTimers | undefined;
  const docs: DocumentServer[] = [];

  /** Moves the clock (Date only; it keeps running) to `offsetMs` after the real now. */
  function clockAt(offsetMs: number) {
    clock?.restore();
    clock = sinon.useFakeTimers({ now: Date.now() + offsetMs, toFake: ['Date'], shouldAdvanceTime: true });
  }
  async function documentServer(maxAgeSeconds: number) {
    const doc = await startDocumentServer({ maxAgeSeconds });
    docs.push(doc);
    return doc;
  }

  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());
  afterEach(async function () {
    clock?.restore();
    clock = undefined;
    await Promise.all(docs.splice(0).map((d) => d.close()));
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-30).join('\n'));
  });

  it('CIMD stale-if-error: a fetched document is stored (key = SHA-256 of the URL, kept 7 days) and its Cache-Control max-age decides freshness', async () => {
    const doc = await documentServer(600);
    let mark = h.logs.length;
    const first = await cimdSignIn(h.baseUrl, h.mcpUrl, doc.url, doc.redirect);
    expect(first.tokenStatus, JSON.stringify(first)).to.equal(200);
    expect(doc.hits).to.equal(1);
    expect(cimdEvents(h.logs, mark), 'one cimd line for the whole sign-in').to.deep.equal(['cimd.fetched']);

    const record = await h.store.get('CimdDocument', cimdDocumentKey(doc.url));
    expect(record, 'stored under the hash of the URL').to.not.equal(undefined);
    const data = record!.data as {
      url: string;
      document: Record<string, unknown>;
      fetchedAt: number;
      freshUntil: number;
    };
    expect(data.url).to.equal(doc.url);
    expect(data.document).to.deep.equal(doc.document);
    expect(data.freshUntil - data.fetchedAt).to.equal(600_000);
    expect(record!.expiresAt - data.fetchedAt).to.equal(CIMD_STALE_IF_ERROR_MS);

    // Within max-age: no refetch. After it: refetched.
    clockAt(5 * MINUTE);
    expect((await cimdSignIn(h.baseUrl, h.mcpUrl, doc.url, doc.redirect)).tokenStatus).to.equal(200);
    expect(doc.hits).to.equal(1);
    clockAt(11 * MINUTE);
    mark = h.logs.length;
    expect((await cimdSignIn(h.baseUrl, h.mcpUrl, doc.url, doc.redirect)).tokenStatus).to.equal(200);
    expect(doc.hits).to.equal(2);
    expect(cimdEvents(h.logs, mark)).to.deep.equal(['cimd.fetched']);
  });

  const outages: Array<{ name: string; mode: DocumentServerMode | 'closed'; detail: string }> = [
    { name: 'is down (connection refused)', mode: 'closed', detail: 'econnrefused' },
    { name: 'answers 503', mode: '503', detail: 'http_503' },
    { name: 'does not answer (timeout)', mode: 'hang', detail: 'timeout' },
  ];
  for (const outage of outages) {
    it(`CIMD stale-if-error: when the document's host ${outage.name}, the stored copy signs in for 7 days, then the "could not reach" page`, async () => {
      const doc = await documentServer(60);
      expect((await cimdSignIn(h.baseUrl, h.mcpUrl, doc.url, doc.redirect)).tokenStatus).to.equal(200);
      expect(doc.hits).to.equal(1);
      if (outage.mode === 'closed') await doc.close();
      else doc.mode = outage.mode;

      // Past freshness (60 s, raised to the 5-minute minimum): the refetch fails, the stored copy serves.
      clockAt(10 * MINUTE);
      let mark = h.logs.length;
      const stale = await cimdSignIn(h.baseUrl, h.mcpUrl, doc.url, doc.redirect);
      expect(stale.tokenStatus, JSON.stringify(stale)).to.equal(200);
      expect(await whoami(h, stale.tokens!.access_token!)).to.contain('alice@example.com');
      const lines = cimdLines(h.logs, mark);
      expect(
        lines.map((l) => l.event),
        'one cimd line for the whole sign-in',
      ).to.deep.equal(['cimd.stale_copy_used']);
      expect(lines[0]!.detail).to.equal(outage.detail);
      if (outage.mode !== 'closed') expect(doc.hits, 'one refetch attempt').to.equal(2);

      // Six days later the copy still serves.
      clockAt(6 * DAY);
      expect((await cimdSignIn(h.baseUrl, h.mcpUrl, doc.url, doc.redirect)).tokenStatus).to.equal(200);

      // After 7 days it no longer may: the page says this server could not reach the document.
      clockAt(7 * DAY + MINUTE);
      mark = h.logs.length;
      const page = await authorizePage(h, doc.url, doc.redirect);
      expectCouldNotReachPage(page, doc.url);
      const failed = cimdLines(h.logs, mark);
      expect(
        failed.map((l) => l.event),
        'exactly one cimd line for the attempt',
      ).to.deep.equal(['cimd.fetch_failed']);
      expect(failed[0]!.detail).to.equal(outage.detail);
      expect(failed[0]!.message).to.contain(`could not reach the client metadata document at ${doc.url}`);
      expect(failed[0]!.message).to.contain('CLIENT_ID_METADATA_DOCUMENTS=false');
    });
  }

  it('CIMD stale-if-error: a document that is gone (404) is not replaced by the stored copy (only network failures are)', async () => {
    const doc = await documentServer(60);
    expect((await cimdSignIn(h.baseUrl, h.mcpUrl, doc.url, doc.redirect)).tokenStatus).to.equal(200);
    doc.mode = '404';
    clockAt(10 * MINUTE);
    const mark = h.logs.length;
    const page = await authorizePage(h, doc.url, doc.redirect);
    expect(page.status).to.equal(400);
    expect(page.location).to.equal(null);
    expect(page.text).to.contain('The app’s metadata document is not acceptable');
    expect(page.text).to.contain('404');
    expect(cimdEvents(h.logs, mark)).to.deep.equal(['cimd.document_invalid']);
  });

  it('CIMD stale-if-error on the https path (oidc-provider fetches): Claude Code\'s document host unreachable (DNS) → "could not reach" page; with a stored copy under 7 days old → signs in', async () => {
    // .invalid never resolves (RFC 6761): the offline-laptop case, through oidc-provider's own fetch.
    const url = 'https://claude-code.invalid/oauth/claude-code-client-metadata';
    const redirect = 'http://localhost:53682/callback';
    const document = {
      client_id: url,
      client_name: 'Claude Code',
      redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
    let mark = h.logs.length;
    expectCouldNotReachPage(await authorizePage(h, url, redirect), url);
    const failed = cimdLines(h.logs, mark);
    expect(
      failed.map((l) => l.event),
      'exactly one cimd line for the attempt',
    ).to.deep.equal(['cimd.fetch_failed']);
    expect(failed[0]!.detail).to.equal('dns_failed');

    // A copy fetched two days ago (stale by its max-age) is in the store.
    await new CimdDocuments(h.store, () => Date.now() - 2 * DAY).save(url, document, 300);
    mark = h.logs.length;
    const signedIn = await cimdSignIn(h.baseUrl, h.mcpUrl, url, redirect);
    expect(signedIn.tokenStatus, JSON.stringify(signedIn)).to.equal(200);
    expect(await whoami(h, signedIn.tokens!.access_token!)).to.contain('alice@example.com');
    expect(cimdEvents(h.logs, mark)).to.deep.equal(['cimd.stale_copy_used']);
  });

  describe('survives a restart: the copy is in the store, not in process memory', function () {
    let emu: FirestoreEmulator | undefined;
    after(async () => {
      await emu?.stop();
    });

    for (const kind of ['memory', 'firestore'] as const) {
      it(`CIMD stale-if-error: after a restart (${kind} store) a fresh copy serves without a fetch, and a stale one while the host is down`, async () => {
        let store: Store;
        if (kind === 'memory') store = new MemoryStore();
        else {
          emu = await startFirestoreEmulator();
          store = await FirestoreStore.connect({ firestore: emu.client() });
        }
        const doc = await documentServer(600);
        const before = await startHarness({ store });
        try {
          expect((await cimdSignIn(before.baseUrl, before.mcpUrl, doc.url, doc.redirect)).tokenStatus).to.equal(200);
        } finally {
          await before.close();
        }
        await doc.close();
        expect(doc.hits).to.equal(1);

        const after = await startHarness({ store });
        try {
          let mark = after.logs.length;
          expect(
            (await cimdSignIn(after.baseUrl, after.mcpUrl, doc.url, doc.redirect)).tokenStatus,
            'fresh copy from the store',
          ).to.equal(200);
          expect(cimdEvents(after.logs, mark)).to.deep.equal([]);
          clockAt(30 * MINUTE);
          mark = after.logs.length;
          expect(
            (await cimdSignIn(after.baseUrl, after.mcpUrl, doc.url, doc.redirect)).tokenStatus,
            'stale copy, host down',
          ).to.equal(200);
          expect(cimdEvents(after.logs, mark)).to.deep.equal(['cimd.stale_copy_used']);
          expect(doc.hits).to.equal(1);
        } finally {
          clock?.restore();
          clock = undefined;
          await after.close();
          await store.close();
        }
      });
    }
  });
});
