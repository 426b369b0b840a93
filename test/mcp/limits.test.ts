import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { connect, ok, type PersonOut, type Session } from './helpers.js';

/** Claude drops tool results of more than about 150k characters; ours must stay well below. */
const CLAUDE_LIMIT = 150_000;

describe('mcp tools: result size', function () {
  this.timeout(30_000);
  let h: Harness;
  let s: Session;
  const LONG = 40;
  before(async () => {
    h = await startHarness();
    s = await connect(h, 'bob@acme.test');
    // Many contacts with very long notes: a full-detail page of 100 would be ~500k characters.
    for (let i = 0; i < LONG; i++) {
      await ok(s, 'create_contact', {
        name: { givenName: `Verbose${String(i).padStart(2, '0')}`, familyName: 'Writer' },
        notes: `${'lorem ipsum '.repeat(833)}#${i}`,
      });
    }
  });
  after(async () => {
    await s?.close();
    await h?.close();
  });

  it('cuts long values and full-detail pages, and the cursor resumes exactly where the page stopped', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await ok<{ contacts: PersonOut[]; nextCursor?: string }>(
        s,
        'list_contacts',
        cursor ? { cursor } : { pageSize: 100, detail: 'full', sortOrder: 'FIRST_NAME_ASCENDING' },
      );
      const size = r.text.length + JSON.stringify(r.structured).length;
      expect(size, `page ${pages} size`).to.be.below(CLAUDE_LIMIT * 0.7);
      for (const c of r.structured.contacts) {
        if (c.notes) expect(c.notes.length).to.be.below(4100);
        if (c.name?.startsWith('Verbose')) expect(c.notes).to.match(/\[cut: \d+ more characters\]$/);
      }
      seen.push(...r.structured.contacts.map((c) => c.resourceName));
      cursor = r.structured.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(pages, 'a 100-contact page was split').to.be.greaterThan(1);
    const total = h.people.snapshot('bob@acme.test')!.contacts.length;
    expect(seen).to.have.length(total);
    expect(new Set(seen).size).to.equal(total);
  });

  it('keeps a full-detail search under the limit too, and says so when it cut', async () => {
    const r = await ok<{ contacts: PersonOut[]; truncated?: boolean }>(s, 'search_contacts', {
      query: 'Verbose',
      maxResults: 30,
      detail: 'full',
    });
    expect(r.text.length + JSON.stringify(r.structured).length).to.be.below(CLAUDE_LIMIT * 0.7);
    expect(r.structured.truncated).to.equal(true);
    expect(r.structured.contacts.length).to.be.within(1, 29);
    expect(r.text).to.match(/did not fit/);
  });
});
