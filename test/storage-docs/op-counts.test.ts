/**
 * docs/storage.md states how many store reads and writes one sign-in, one refresh and one tool call cost.
 * This measures them (CountingStore over the memory store, counting as Firestore bills) and fails when
 * the doc and the code disagree.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { CountingStore } from '../../src/storage/counting.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { startHarness } from '../support/harness.js';
import { clientAuth, mcpPost, signIn, tokenRequest } from '../support/oauth-client.js';

function documented(label: string): { reads: number; writes: number } {
  const doc = readFileSync(new URL('../../docs/storage.md', import.meta.url), 'utf8');
  const row = doc.split('\n').find((l) => l.startsWith(`| ${label} |`));
  if (!row) throw new Error(`docs/storage.md has no "| ${label} |" row in its operation counts`);
  const cells = row.split('|').map((c) => c.trim());
  return { reads: Number(cells[2]), writes: Number(cells[3]) };
}

describe('docs/storage.md operation counts are measured', function () {
  it('one sign-in, one refresh and one steady-state tool call cost what the doc says', async () => {
    const counting = new CountingStore(new MemoryStore());
    const h = await startHarness({ store: counting });
    try {
      counting.reset();
      const { client, tokens } = await signIn(h.baseUrl, { loginHint: 'bob@acme.test' });
      const signInOps = counting.counts();
      counting.reset();
      const r = await tokenRequest(h.baseUrl, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, ...clientAuth(client) });
      const refreshOps = counting.counts();
      const call = () => mcpPost(h.mcpUrl, r.body.access_token, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'search_contacts', arguments: { query: 'Bob' } } }).then((x) => x.text());
      await call();
      counting.reset();
      for (let i = 0; i < 10; i++) await call();
      const steady = counting.counts();
      expect({ reads: signInOps.reads, writes: signInOps.writes }, JSON.stringify(signInOps.byOp)).to.deep.equal(documented('one sign-in'));
      expect({ reads: refreshOps.reads, writes: refreshOps.writes }, JSON.stringify(refreshOps.byOp)).to.deep.equal(documented('one refresh'));
      expect({ reads: steady.reads / 10, writes: steady.writes / 10 }).to.deep.equal(documented('one tool call'));
    } finally {
      await h.close();
    }
  });
});
