/** OncePerKey: what keeps `mcp.connected` to one line per (client, account) per hour, with bounded memory. */
import { expect } from 'chai';
import { OncePerKey } from '../../src/logging/once-per-key.js';

describe('OncePerKey (log throttling)', () => {
  it('says yes once per key per window, and again once the window has passed', () => {
    let now = 1_000_000;
    const once = new OncePerKey(3_600_000, 100, () => now);
    expect(once.shouldLog('client-a')).to.equal(true);
    expect(once.shouldLog('client-a')).to.equal(false);
    expect(once.shouldLog('client-b'), 'keys are independent').to.equal(true);
    now += 3_599_999;
    expect(once.shouldLog('client-a')).to.equal(false);
    now += 1;
    expect(once.shouldLog('client-a'), 'an hour later').to.equal(true);
    expect(once.shouldLog('client-a')).to.equal(false);
  });

  it('with an infinite window, says yes once per key for good', () => {
    let now = 0;
    const once = new OncePerKey(Number.POSITIVE_INFINITY, 100, () => now);
    expect(once.shouldLog('c')).to.equal(true);
    now += 365 * 24 * 3_600_000;
    expect(once.shouldLog('c')).to.equal(false);
  });

  it('is bounded: past maxKeys the least recently logged key is forgotten (and may be logged again)', () => {
    const once = new OncePerKey(Number.POSITIVE_INFINITY, 3);
    for (const k of ['a', 'b', 'c']) expect(once.shouldLog(k)).to.equal(true);
    expect(once.shouldLog('d')).to.equal(true);
    expect(once.shouldLog('b'), 'still remembered').to.equal(false);
    expect(once.shouldLog('c'), 'still remembered').to.equal(false);
    expect(once.shouldLog('a'), 'the oldest was forgotten').to.equal(true);
    // 10 000 new keys never hold more than the bound.
    const small = new OncePerKey(1000, 50);
    for (let i = 0; i < 10_000; i++) small.shouldLog(`k${i}`);
    expect((small as unknown as { loggedAt: Map<string, number> }).loggedAt.size).to.equal(50);
  });
});
