/**
 * CLIENT_ID_METADATA_DOCUMENTS=false: the authorization server metadata no longer advertises
 * `client_id_metadata_document_supported` (so Claude Code and other clients register with DCR instead),
 * a URL client_id is refused with a page that says so — never a redirect, nothing fetched — and dynamic
 * client registration keeps working.
 */
import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { cimdLines, startDocumentServer, type DocumentServer } from '../support/cimd.js';
import { authorizeUrl, pkce, signIn, tokenRequest } from '../../standins/oauth-client.js';

const CLAUDE_CODE_CLIENT_ID = 'https://claude.ai/oauth/claude-code-client-metadata';

describe('CLIENT_ID_METADATA_DOCUMENTS=false', function () {
  let h: Harness;
  let doc: DocumentServer;
  before(async () => {
    h = await startHarness({ env: { CLIENT_ID_METADATA_DOCUMENTS: 'false' } });
    doc = await startDocumentServer({ maxAgeSeconds: 600 });
  });
  after(async () => {
    await doc?.close();
    await h?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-20).join('\n'));
  });

  it('RFC 8414 metadata: client_id_metadata_document_supported is not advertised; registration still is', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const md = (await (await fetch(`${h.baseUrl}${path}`)).json()) as Record<string, unknown>;
      expect(md, path).to.not.have.property('client_id_metadata_document_supported');
      expect(md.registration_endpoint, path).to.equal(`${h.baseUrl}/register`);
      expect(md.token_endpoint_auth_methods_supported, path).to.include('none');
    }
  });

  it('a URL client_id at /authorize gets a page saying apps must register (never a redirect, nothing fetched, one cimd.disabled line)', async () => {
    for (const [clientId, redirect] of [
      [CLAUDE_CODE_CLIENT_ID, 'http://localhost:53682/callback'],
      [doc.url, doc.redirect],
    ] as const) {
      const mark = h.logs.length;
      const res = await fetch(
        authorizeUrl(h.baseUrl, {
          response_type: 'code',
          client_id: clientId,
          redirect_uri: redirect,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
          state: 's',
        }),
        { redirect: 'manual' },
      );
      const text = await res.text();
      expect(res.status, clientId).to.equal(400);
      expect(res.headers.get('location'), `${clientId}: never a redirect`).to.equal(null);
      expect(text).to.contain('This server asks apps to register first');
      expect(text).to.contain('CLIENT_ID_METADATA_DOCUMENTS=false');
      expect(text).to.contain(clientId);
      expect(text).to.not.contain('made a request this server cannot accept');
      const lines = cimdLines(h.logs, mark);
      expect(
        lines.map((l) => l.event),
        `${clientId}: exactly one cimd line`,
      ).to.deep.equal(['cimd.disabled']);
      expect(lines[0]!.clientId).to.equal(clientId);
    }
    expect(doc.hits, 'nothing fetched').to.equal(0);
  });

  it('a URL client_id at /token gets invalid_client JSON naming dynamic client registration (not a 500)', async () => {
    const t = await tokenRequest(h.baseUrl, {
      grant_type: 'authorization_code',
      code: 'x',
      code_verifier: pkce().verifier,
      redirect_uri: 'http://localhost:53682/callback',
      client_id: CLAUDE_CODE_CLIENT_ID,
    });
    expect(t.status).to.be.within(400, 401);
    expect(t.body.error).to.equal('invalid_client');
    expect(t.body.error_description).to.contain('dynamic client registration');
  });

  it('dynamic client registration still signs in', async () => {
    const { tokens } = await signIn(h.baseUrl);
    expect(tokens.access_token).to.be.a('string');
    expect(tokens.refresh_token).to.be.a('string');
  });
});
