import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { mcpPost } from '../../standins/oauth-client.js';
import { ALL_TOOLS } from '../../src/mcp/tools/index.js';
import { isReadOnlyTool, type ToolDefinition } from '../../src/mcp/tools/types.js';
import { call, connect, expectCleanMessage, fails, ok, type PersonOut, type Session } from './helpers.js';

const ALICE = 'alice@example.com';

function toolsCall(name: string, args: Record<string, unknown>) {
  return { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } };
}

describe('mcp tools: errors Claude can act on', function () {
  let h: Harness;
  let s: Session;
  let someContact: string;

  before(async () => {
    h = await startHarness();
    s = await connect(h, ALICE);
    someContact = (await ok<{ contacts: PersonOut[] }>(s, 'list_contacts', { pageSize: 1 })).structured.contacts[0]!
      .resourceName;
  });
  after(async () => {
    await s?.close();
    await h?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-30).join('\n'));
    expect(h.people.internalErrors).to.deep.equal([]);
    expect(
      h.logs.filter((l) => l.includes('tool failed unexpectedly')),
      'unexpected tool failures',
    ).to.deep.equal([]);
  });

  describe('Google 401 that a refresh cannot fix → HTTP 401 with the challenge', () => {
    it('answers the tool call itself with 401 + WWW-Authenticate when Google keeps rejecting the refreshed token', async () => {
      // Another user: ending the grants ends every session of that account.
      const fresh = await connect(h, 'mallory@evil.test');
      const tokenRequests = h.google.tokenRequests.length;
      h.people.failNext({ method: 'people.connections.list', status: 401, count: 2 });
      const res = await mcpPost(h.mcpUrl, fresh.token, toolsCall('list_contacts', {}));
      expect(res.status, await res.clone().text()).to.equal(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).to.match(/^Bearer /);
      expect(challenge).to.contain(`resource_metadata="${h.baseUrl}/.well-known/oauth-protected-resource/mcp"`);
      expect(challenge).to.contain('error="invalid_token"');
      expect(((await res.json()) as { error?: string }).error).to.equal('invalid_token');
      // One server-side refresh was tried first.
      expect(
        h.google.tokenRequests.slice(tokenRequests).filter((t) => t.grant_type === 'refresh_token'),
      ).to.have.length(1);
      expect(h.logs.some((l) => l.includes('google_reauth_required_mid_call'))).to.equal(true);
      // Our grants ended with Google's: the old access token no longer works either.
      await Promise.allSettled([...h.app.pending]);
      const again = await mcpPost(h.mcpUrl, fresh.token, toolsCall('whoami', {}));
      expect(again.status).to.equal(401);
      await fresh.close();
    });

    it('does the same when the user revoked access at Google (refresh answers invalid_grant), as the SDK client sees it', async () => {
      const fresh = await connect(h, 'carol@acme.test');
      await ok(fresh, 'whoami');
      h.google.revokeUser('carol@acme.test');
      let error: unknown;
      try {
        await fresh.client.callTool({ name: 'search_contacts', arguments: { query: 'bob' } });
      } catch (err) {
        error = err;
      }
      expect(error, 'the client call must fail at the HTTP level').to.be.instanceOf(Error);
      expect((error as { status?: number }).status).to.equal(401);
      expect(h.logs.slice(-5).some((l) => l.includes('google_reauth_required_mid_call'))).to.equal(true);
      await fresh.close().catch(() => undefined);
    });
    it('answers 401 the same way on the 2026-07-28 revision', async () => {
      const modern = await connect(h, 'bob@acme.test', { modern: true });
      h.people.failNext({ method: 'people.connections.list', status: 401, count: 2 });
      let error: unknown;
      try {
        await modern.client.callTool({ name: 'list_contacts', arguments: {} });
      } catch (err) {
        error = err;
      }
      expect((error as { status?: number } | undefined)?.status).to.equal(401);
      await modern.close().catch(() => undefined);
    });
  });

  describe('Google 403', () => {
    it('maps a plain permission refusal to a short tool error', async () => {
      h.people.failNext({ method: 'people.get', status: 403 });
      const msg = await fails(s, 'get_contact', { resourceNames: [someContact] });
      expect(msg).to.equal('Google refused this action: The caller does not have permission');
    });

    it('names the missing permission and how to grant it', async () => {
      // READ_ONLY sign-in grants contacts.readonly only; expose create_contact anyway to provoke Google's 403.
      const exposed = (name: string): ToolDefinition => {
        const t = ALL_TOOLS.find((x) => x.name === name)!;
        return { ...t, annotations: { ...t.annotations, readOnlyHint: true } };
      };
      const writeAnyway = [
        ...ALL_TOOLS.filter(isReadOnlyTool),
        exposed('create_contact'),
        exposed('save_other_contact'),
      ];
      const ro = await startHarness({ env: { READ_ONLY: 'true' }, tools: writeAnyway });
      try {
        const rs = await connect(ro, ALICE);
        const msg = await fails(rs, 'create_contact', { name: { givenName: 'Nope' } });
        expect(msg).to.contain('“See, edit, download, and permanently delete your contacts”');
        expect(msg).to.match(/reconnect this connector.*tick the box/i);
        expect(ro.people.snapshot(ALICE)!.contacts.some((c) => c.names?.[0]?.givenName === 'Nope')).to.equal(false);
        // A call that needs two permissions names both.
        const other = (await ok<{ otherContacts: PersonOut[] }>(rs, 'search_other_contacts', { query: 'hannah' }))
          .structured.otherContacts[0]!;
        const msg2 = await fails(rs, 'save_other_contact', { resourceName: other.resourceName });
        expect(msg2)
          .to.contain('“See, edit, download, and permanently delete your contacts”')
          .and.contain('“See and download contact info automatically saved in your "Other contacts"”');
        expect(msg2).to.match(/tick the boxes for those permissions/);
        await rs.close();
      } finally {
        await ro.close();
      }
    });
  });

  describe('Google 404', () => {
    it('says "No contact <x>"', async () => {
      h.people.failNext({ method: 'people.get', status: 404 });
      expect(await fails(s, 'get_contact', { resourceNames: [someContact] })).to.match(
        new RegExp(`^No contact ${someContact} \\(it may have been deleted\\)`),
      );
      expect(await fails(s, 'list_contacts', { group: 'contactGroups/0123456789abcdef' })).to.match(
        /^No contact group contactGroups\/0123456789abcdef\b/,
      );
    });
  });

  describe('Google 429 and 5xx', () => {
    it('waits as Retry-After says and retries', async () => {
      const before = h.people.requests.length;
      h.people.failNext({ method: 'people.get', status: 429, retryAfterSeconds: 1 });
      const t0 = Date.now();
      await ok(s, 'get_contact', { resourceNames: [someContact] });
      expect(Date.now() - t0).to.be.at.least(950);
      expect(h.people.requests.slice(before).map((q) => q.status)).to.deep.equal([429, 200]);
    });

    it('says to try again later when Google asks for a longer wait than a tool call can afford', async () => {
      const before = h.people.requests.length;
      h.people.failNext({ method: 'people.get', status: 429, retryAfterSeconds: 120 });
      const t0 = Date.now();
      const msg = await fails(s, 'get_contact', { resourceNames: [someContact] });
      expect(Date.now() - t0).to.be.below(2000);
      expect(msg).to.match(/rate limiting.*try again/i);
      expect(h.people.requests.slice(before)).to.have.length(1);
    });

    it('retries 5xx with backoff a bounded number of times, then says to try again later', async () => {
      h.people.failNext({ method: 'people.connections.list', status: 500 });
      await ok(s, 'list_contacts', { pageSize: 1 });
      const before = h.people.requests.length;
      // Exactly as many failures as the gateway makes attempts: one more attempt would succeed.
      h.people.failNext({ method: 'people.connections.list', status: 503, count: 4 });
      const msg = await fails(s, 'list_contacts', { pageSize: 1 });
      expect(msg).to.match(/temporarily unavailable.*try again later/i);
      expect(h.people.requests.slice(before).map((q) => q.status)).to.deep.equal([503, 503, 503, 503]);
    });
  });

  describe('invalid input', () => {
    it('answers with the validation message', async () => {
      const r = await call(s, 'list_contacts', { pageSize: 0 });
      expect(r.isError).to.equal(true);
      expect(r.text).to.match(/^Input validation error: .*pageSize/);
      expect(
        await fails(s, 'update_contact', { resourceName: someContact, emails: { add: [{ value: 'x' }] } }),
      ).to.match(/emails\.add\.0\.value.*must be an email address/);
      expect(await fails(s, 'search_contacts', { query: '' })).to.match(/query/);
      expect(await fails(s, 'get_contact', { resourceNames: ['not a name'] })).to.match(/not a contact resource name/);
    });

    it('passes Google’s own 400 on as a short message, without the payload', async () => {
      const msg = await fails(s, 'create_contact', {
        name: { givenName: 'X' },
        groups: ['contactGroups/doesnotexist'],
      });
      expect(msg).to.match(
        /^Google rejected the request: Contact group "contactGroups\/doesnotexist" was not found\.$/,
      );
      expectCleanMessage(msg);
    });
  });

  describe('privacy', () => {
    it('never logs contact data or queries', async () => {
      const marker = 'Quixotic';
      const created = await ok<{ contact: PersonOut }>(s, 'create_contact', {
        name: { givenName: `${marker}Given`, familyName: `${marker}Family` },
        emails: [{ value: `${marker.toLowerCase()}@private.example` }],
        phones: [{ value: '+1 999 555 0123' }],
        notes: `${marker} secret note`,
      });
      const rn = created.structured.contact.resourceName;
      await ok(s, 'search_contacts', { query: `${marker}Giv` });
      await ok(s, 'search_other_contacts', { query: `${marker}Other` });
      await ok(s, 'update_contact', {
        resourceName: rn,
        notes: `${marker} other secret`,
        emails: { add: [{ value: `${marker.toLowerCase()}2@private.example` }] },
      });
      await fails(s, 'update_contact', {
        resourceName: rn,
        emails: { remove: [`${marker.toLowerCase()}-missing@private.example`] },
      });
      await ok(s, 'get_contact', { emails: [`${marker.toLowerCase()}@private.example`], detail: 'full' });
      await ok(s, 'delete_contact', { resourceName: rn });
      const all = h.logs.join('\n');
      expect(all).to.not.match(new RegExp(marker, 'i'));
      expect(all).to.not.contain('555 0123');
      expect(all).to.not.contain(rn.slice('people/'.length));
    });
  });
});
