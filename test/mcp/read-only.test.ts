import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { connect, ok, READ_TOOLS, WRITE_TOOLS, type PersonOut, type Session } from './helpers.js';

const CONTACTS = 'https://www.googleapis.com/auth/contacts';
const CONTACTS_READONLY = 'https://www.googleapis.com/auth/contacts.readonly';

function lastGoogleScopes(h: Harness): string[] {
  const req = h.google.authorizeRequests[h.google.authorizeRequests.length - 1];
  expect(req, 'a Google authorization request').to.not.equal(undefined);
  return (req!.scope ?? '').split(' ');
}

describe('mcp tools: READ_ONLY=true', function () {
  let h: Harness;
  let s: Session;
  before(async () => {
    h = await startHarness({ env: { READ_ONLY: 'true' } });
    s = await connect(h, 'alice@example.com');
  });
  after(async () => {
    await s?.close();
    await h?.close();
  });

  it('asks Google for read scopes only', () => {
    const scopes = lastGoogleScopes(h);
    expect(scopes).to.include(CONTACTS_READONLY);
    expect(scopes).to.not.include(CONTACTS);
    for (const sc of scopes.filter((x) => x.startsWith('https://'))) expect(sc, sc).to.match(/\.readonly$/);
  });

  it('lists only the read tools', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name).sort()).to.deep.equal([...READ_TOOLS].sort());
    for (const t of tools) expect(t.annotations?.readOnlyHint, t.name).to.equal(true);
  });

  it('refuses to call a write tool, and changes nothing', async () => {
    const before = h.people.snapshot('alice@example.com')!.contacts.length;
    for (const name of WRITE_TOOLS) {
      let error: unknown;
      let result: unknown;
      try {
        result = await s.client.callTool({ name, arguments: { resourceName: 'people/c1', name: { givenName: 'X' } } });
      } catch (err) {
        error = err;
      }
      const text = JSON.stringify(error instanceof Error ? error.message : result);
      expect(text, name).to.match(new RegExp(`Tool ${name} not found`));
    }
    expect(h.people.snapshot('alice@example.com')!.contacts.length).to.equal(before);
    expect(h.people.requests.filter((q) => /create|update|delete|modify|copy/i.test(q.method))).to.deep.equal([]);
  });

  it('still reads contacts', async () => {
    const r = await ok<{ contacts: PersonOut[] }>(s, 'search_contacts', { query: 'eve' });
    expect(r.structured.contacts.map((c) => c.name)).to.deep.equal(['Eve Schmidt']);
  });

  it('(control) a read-write server asks for the contacts write scope', async () => {
    const rw = await startHarness();
    try {
      const rs = await connect(rw, 'alice@example.com');
      expect(lastGoogleScopes(rw)).to.include(CONTACTS);
      const { tools } = await rs.client.listTools();
      expect(tools.map((t) => t.name)).to.include.members(WRITE_TOOLS);
      await rs.close();
    } finally {
      await rw.close();
    }
  });
});
