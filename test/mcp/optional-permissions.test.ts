/**
 * Optional Google permissions (issue 10, granular consent): a user may untick "Other contacts" and the
 * directory on Google's consent screen. The tools that need them answer a clear tool error — without a
 * Google call when we know the permission is missing — and every other tool works. tools/list does not
 * change (claude.ai caches it per URL).
 */
import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { PEOPLE_SCOPES } from '../../standins/people.js';
import { connect, fails, ok, type PersonOut, type Session } from './helpers.js';

const CAROL = 'carol@acme.test';
const CAROL_SUB = '100000000000000000003';
const BOB = 'bob@acme.test';
const DIDNT_GRANT =
  /^You didn't grant access to .* when you signed in with Google; disconnect and reconnect this app \(and tick that permission, “.*”, on Google's consent screen\) to enable it\.$/;

const googleCalls = (h: Harness, method: string, email: string) =>
  h.people.requests.filter((r) => r.method === method && r.email === email).length;

describe('mcp tools: optional Google permissions left unticked', function () {
  let h: Harness;
  let full: Session;
  let partial: Session;

  before(async () => {
    h = await startHarness();
    full = await connect(h, BOB);
    h.google.nextUntickedScopes = [PEOPLE_SCOPES.otherReadonly, PEOPLE_SCOPES.directoryReadonly];
    partial = await connect(h, CAROL);
  });
  after(async () => {
    await full?.close();
    await partial?.close();
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

  it('tools/list is the same as with every permission granted', async () => {
    const names = async (s: Session) => (await s.client.listTools()).tools.map((t) => t.name).sort();
    expect(await names(partial)).to.deep.equal(await names(full));
    expect(await names(partial)).to.include.members([
      'search_other_contacts',
      'save_other_contact',
      'search_directory',
    ]);
  });

  it('search_other_contacts answers that "Other contacts" was not granted, without calling Google', async () => {
    const before = googleCalls(h, 'otherContacts.search', CAROL);
    const msg = await fails(partial, 'search_other_contacts', { query: 'hannah' });
    expect(msg).to.match(DIDNT_GRANT);
    expect(msg)
      .to.contain('your "Other contacts"')
      .and.contain('“See and download contact info automatically saved in your "Other contacts"”');
    expect(googleCalls(h, 'otherContacts.search', CAROL)).to.equal(before);
  });

  it('save_other_contact answers the same, without calling Google', async () => {
    const before = h.people.requests.filter((r) => r.email === CAROL).length;
    const msg = await fails(partial, 'save_other_contact', { resourceName: 'otherContacts/c1234567890' });
    expect(msg).to.match(DIDNT_GRANT).and.contain('your "Other contacts"');
    expect(h.people.requests.filter((r) => r.email === CAROL).length).to.equal(before);
  });

  it('search_directory answers that the directory was not granted, without calling Google', async () => {
    const before = googleCalls(h, 'people.searchDirectoryPeople', CAROL);
    const msg = await fails(partial, 'search_directory', { query: 'bob' });
    expect(msg).to.match(DIDNT_GRANT);
    expect(msg)
      .to.contain('your organization’s directory')
      .and.contain("“See and download your organization's Google Workspace directory”");
    expect(googleCalls(h, 'people.searchDirectoryPeople', CAROL)).to.equal(before);
  });

  it('the contacts tools work: search, list, create', async () => {
    await ok(partial, 'search_contacts', { query: 'a' });
    const listed = await ok<{ contacts: PersonOut[] }>(partial, 'list_contacts', { pageSize: 5 });
    expect(listed.structured.contacts).to.be.an('array');
    const created = await ok<{ contact: PersonOut }>(partial, 'create_contact', { name: { givenName: 'Granular' } });
    expect(created.structured.contact.resourceName).to.match(/^people\//);
  });

  it('(control) with every permission granted, the same tools reach Google and answer', async () => {
    await ok(full, 'search_other_contacts', { query: 'a' });
    const dir = await ok<{ available: boolean }>(full, 'search_directory', { query: 'carol' });
    expect(dir.structured.available).to.equal(true);
  });

  it('a Google 403 insufficient-scope for "Other contacts" (scopes not known to us) gets the same message', async () => {
    // A record from before we kept Google's scope list: we don't know, so Google is asked and refuses.
    const accessToken = await h.app.googleTokens.accessToken(CAROL_SUB);
    await h.app.googleTokens.saveFromSignIn(
      CAROL_SUB,
      { email: CAROL, hd: 'acme.test' },
      { accessToken, expiresAt: Date.now() + 3600_000 },
    );
    const before = googleCalls(h, 'otherContacts.search', CAROL);
    const msg = await fails(partial, 'search_other_contacts', { query: 'hannah' });
    expect(googleCalls(h, 'otherContacts.search', CAROL)).to.be.greaterThan(before);
    expect(h.people.requests.filter((r) => r.method === 'otherContacts.search').at(-1)!.status).to.equal(403);
    expect(msg).to.match(DIDNT_GRANT).and.contain('your "Other contacts"');
    const dir = await fails(partial, 'search_directory', { query: 'bob' });
    expect(dir).to.match(DIDNT_GRANT).and.contain('directory');
  });
});
