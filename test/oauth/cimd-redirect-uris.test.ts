/**
 * A client ID metadata document's redirect_uris follow the same rule as a registration's (OAuth 2.1
 * §2.3.1, RFC 8252 §7): https, loopback http, private-use schemes. oidc-provider's own client validation
 * refuses these cases already; `allowClient` applies our registration rule as well, so the two paths can
 * never drift apart. Either way the document is refused with a page, never a redirect.
 */
import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { cimdLines, startDocumentServer, type DocumentServer } from '../support/cimd.js';
import { authorizeUrl, pkce } from '../../standins/oauth-client.js';

describe('CIMD documents: redirect URI rules (OAuth 2.1 §2.3.1, RFC 8252 §7)', function () {
  let h: Harness;
  let doc: DocumentServer;
  before(async () => {
    h = await startHarness();
  });
  // A document server per test: fetched documents are cached by URL for at least 5 minutes.
  beforeEach(async () => {
    doc = await startDocumentServer({ maxAgeSeconds: 0 });
  });
  afterEach(async () => doc?.close());
  after(async () => h?.close());

  const authorize = (redirect: string) =>
    fetch(
      authorizeUrl(h.baseUrl, {
        response_type: 'code',
        client_id: doc.url,
        redirect_uri: redirect,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        state: 's',
        scope: 'contacts',
      }),
      { redirect: 'manual' },
    );

  it('refuses a document naming http on a public host: a page, never a redirect, one cimd.document_invalid line', async () => {
    doc.document = { ...doc.document, redirect_uris: ['http://evil.example/callback'] };
    const mark = h.logs.length;
    const res = await authorize('http://evil.example/callback');
    const text = await res.text();
    expect(res.status).to.be.within(400, 499);
    expect(res.headers.get('location'), 'never a redirect').to.equal(null);
    expect(text).to.match(/invalid_redirect_uri|redirect_uris\[0\]/);
    expect(cimdLines(h.logs, mark).map((l) => l.event)).to.deep.equal(['cimd.document_invalid']);
  });

  it('refuses a document whose https redirect hides another host behind user information ', async () => {
    doc.document = { ...doc.document, redirect_uris: ['https://app.example@evil.example/cb'] };
    const mark = h.logs.length;
    const res = await authorize('https://app.example@evil.example/cb');
    const text = await res.text();
    expect(res.headers.get('location'), 'never a redirect').to.equal(null);
    expect(res.status).to.be.within(400, 499);
    expect(text).to.match(/invalid_redirect_uri|redirect_uris\[0\]/);
    expect(cimdLines(h.logs, mark).map((l) => l.event)).to.deep.equal(['cimd.document_invalid']);
  });

  it('refuses a document naming a javascript: redirect', async () => {
    doc.document = { ...doc.document, redirect_uris: ['javascript:alert(1)'] };
    const res = await authorize('javascript:alert(1)');
    expect(res.headers.get('location')).to.equal(null);
    expect(res.status).to.be.within(400, 499);
  });

  it('accepts a document with a loopback http redirect (control: the refusals above come from the rule)', async () => {
    doc.document = { ...doc.document, redirect_uris: [doc.redirect] };
    const res = await authorize(doc.redirect);
    expect(res.status).to.equal(303);
    expect(res.headers.get('location')).to.match(/\/interaction\//);
  });
});
