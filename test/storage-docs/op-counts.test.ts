/**
 * docs/storage.md states how many store reads and writes one sign-in, one refresh and one tool call cost.
 * This measures them (CountingStore over the memory store, counting as Firestore bills) and fails when
 * the doc and the code disagree.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { measureStoreOps } from '../../bench/store-ops.js';

function documented(label: string): { reads: number; writes: number } {
  const doc = readFileSync(new URL('../../docs/storage.md', import.meta.url), 'utf8');
  const row = doc.split('\n').find((l) => l.startsWith(`| ${label} |`));
  if (!row) throw new Error(`docs/storage.md has no "| ${label} |" row in its operation counts`);
  const cells = row.split('|').map((c) => c.trim());
  return { reads: Number(cells[2]), writes: Number(cells[3]) };
}

describe('docs/storage.md operation counts are measured', function () {
  it('one sign-in, one refresh and one steady-state tool call cost what the doc says', async () => {
    const ops = await measureStoreOps(10);
    expect({ reads: ops.signIn.reads, writes: ops.signIn.writes }, JSON.stringify(ops.signIn.byOp)).to.deep.equal(
      documented('one sign-in'),
    );
    expect({ reads: ops.refresh.reads, writes: ops.refresh.writes }, JSON.stringify(ops.refresh.byOp)).to.deep.equal(
      documented('one refresh'),
    );
    expect({ reads: ops.steady.reads / ops.calls, writes: ops.steady.writes / ops.calls }).to.deep.equal(
      documented('one tool call'),
    );
  });
});
