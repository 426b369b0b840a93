// oidc-provider is preloaded once the server is idle after its first request, never in front of it
// (src/http/idle-preload.ts): a cold start's first request is what a user waits on.
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type { NextFunction, Request, Response } from 'express';
import sinon from 'sinon';
import { idlePreload, IDLE_PRELOAD } from '../../src/http/idle-preload.js';

describe('http: preloading when idle', function () {
  let clock: sinon.SinonFakeTimers;
  let loads: number;
  let middleware: (req: Request, res: Response, next: NextFunction) => void;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
    loads = 0;
    middleware = idlePreload(() => loads++, { ...IDLE_PRELOAD, now: () => Date.now() });
  });
  afterEach(() => clock.restore());

  /** A request through the middleware; returns a function that ends it. */
  function request(path = '/mcp'): () => void {
    const res = new EventEmitter();
    let passed = false;
    middleware({ path } as Request, res as unknown as Response, () => (passed = true));
    expect(passed, 'the middleware passes every request on').to.equal(true);
    return () => res.emit('close');
  }

  it('loads nothing before the first request, however long the server waits', async function () {
    await clock.tickAsync(60_000);
    expect(loads).to.equal(0);
  });

  it('does not count health probes as requests', async function () {
    request('/healthz')();
    request('/health')();
    await clock.tickAsync(10_000);
    expect(loads).to.equal(0);
  });

  it('never loads while a request is in flight; loads once idle for idleMs after it ends', async function () {
    const end = request();
    await clock.tickAsync(5_000);
    expect(loads, 'the first request is still being served').to.equal(0);
    end();
    await clock.tickAsync(IDLE_PRELOAD.idleMs - 1);
    expect(loads).to.equal(0);
    await clock.tickAsync(IDLE_PRELOAD.checkMs + 1);
    expect(loads).to.equal(1);
  });

  it('waits while requests keep coming, then loads exactly once', async function () {
    for (let i = 0; i < 10; i++) {
      request()();
      await clock.tickAsync(IDLE_PRELOAD.idleMs / 2);
    }
    expect(loads).to.equal(0);
    await clock.tickAsync(IDLE_PRELOAD.idleMs + IDLE_PRELOAD.checkMs);
    expect(loads).to.equal(1);
    request()();
    await clock.tickAsync(60_000);
    expect(loads).to.equal(1);
  });

  it('a second request in flight when the first ends holds the load until it ends too', async function () {
    const endFirst = request();
    const endSecond = request();
    endFirst();
    await clock.tickAsync(5_000);
    expect(loads).to.equal(0);
    endSecond();
    await clock.tickAsync(IDLE_PRELOAD.idleMs + IDLE_PRELOAD.checkMs);
    expect(loads).to.equal(1);
  });
});
