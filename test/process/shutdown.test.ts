// Graceful shutdown of the real process (src/index.ts): Cloud Run sends SIGTERM, then SIGKILL 10 s later.
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { createServer, request, type Server } from 'node:http';
import { pino } from 'pino';
import { createShutdown, SHUTDOWN_TIMINGS } from '../../src/shutdown.js';
import { closeServer, listen } from '../../standins/http.js';
import { jsonLines, startEntry } from './entry.js';

/** A POST /register whose body is announced at 200 bytes but only partly sent: an in-flight request. */
function openUnfinishedRequest(
  port: number,
): Promise<{ socket: Socket; response: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    socket.on('data', (d) => (response += d.toString()));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => {
      socket.write(
        'POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"redirect_uris":',
      );
      resolve({ socket, response: () => response, closed });
    });
    socket.once('error', reject);
  });
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('graceful shutdown (SIGTERM)', function () {
  this.timeout(40_000);

  it("fits inside Cloud Run's 10 s: drain ≤ 6 s, store ≤ 1 s, backstop at 8 s", function () {
    expect(SHUTDOWN_TIMINGS.drainMs + SHUTDOWN_TIMINGS.storeCloseMs).to.be.below(SHUTDOWN_TIMINGS.deadlineMs);
    expect(SHUTDOWN_TIMINGS.deadlineMs).to.be.at.most(8_000);
  });

  it('the real process: stops accepting, finishes an in-flight request, cuts one that never finishes, exits 0 within 8 s', async function () {
    const entry = await startEntry();
    try {
      const stuck = await openUnfinishedRequest(entry.port);
      const finishing = await openUnfinishedRequest(entry.port);
      await new Promise((r) => setTimeout(r, 200)); // both requests are in the server's hands
      const signalled = Date.now();
      entry.child.kill('SIGTERM');

      // New connections are refused almost at once.
      let refused = false;
      for (let i = 0; i < 40 && !refused; i++) {
        refused = await connectionRefused(entry.port);
        if (!refused) await new Promise((r) => setTimeout(r, 50));
      }
      expect(refused, 'the listening socket is closed after SIGTERM').to.equal(true);

      // The in-flight request that completes its body after SIGTERM still gets its answer.
      finishing.socket.write(`"not-a-list"}${' '.repeat(200 - '{"redirect_uris":"not-a-list"}'.length)}`);
      await finishing.closed.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 0));
      expect(finishing.response(), 'the in-flight request was answered').to.match(/^HTTP\/1\.1 400 /);
      expect(finishing.response()).to.contain('"error":"invalid_');

      const code = await entry.exited;
      const elapsed = Date.now() - signalled;
      expect(code, entry.output()).to.equal(0);
      expect(elapsed, 'exit after SIGTERM (Cloud Run kills at 10 s)').to.be.below(8_000);
      expect(elapsed, 'the stuck request was given the drain time').to.be.at.least(SHUTDOWN_TIMINGS.drainMs - 500);
      await stuck.closed;
      expect(stuck.response(), 'the stuck request was cut without an answer').to.equal('');

      const events = jsonLines(entry.output()).map((l) => l.event);
      expect(events).to.include.members(['server.stopping', 'server.drain_timeout', 'server.stopped']);
      const stopped = jsonLines(entry.output()).find((l) => l.event === 'server.stopped')!;
      expect(stopped).to.include({ drained: false, storeClosed: true });
    } finally {
      if (entry.child.exitCode === null) entry.child.kill('SIGKILL');
    }
  });

  it('the real process: with nothing in flight it exits at once', async function () {
    const entry = await startEntry();
    try {
      // A kept-alive idle connection must not hold the shutdown up.
      const agentRes = await fetch(`${entry.baseUrl}/health`);
      expect(agentRes.status).to.equal(200);
      const signalled = Date.now();
      entry.child.kill('SIGTERM');
      expect(await entry.exited).to.equal(0);
      expect(Date.now() - signalled).to.be.below(2_000);
      expect(jsonLines(entry.output()).find((l) => l.event === 'server.stopped')).to.include({
        drained: true,
        storeClosed: true,
      });
    } finally {
      if (entry.child.exitCode === null) entry.child.kill('SIGKILL');
    }
  });

  describe('createShutdown (in-process, short timings)', function () {
    let server: Server;
    let port: number;
    const order: string[] = [];
    afterEach(async () => {
      server.closeAllConnections();
      await closeServer(server).catch(() => undefined);
    });

    async function start(handler: Parameters<typeof createServer>[1]) {
      server = createServer(handler);
      port = await listen(server);
    }

    it('closes the store only after the server has drained, then exits 0', async function () {
      order.length = 0;
      await start((_req, res) => {
        res.on('finish', () => order.push('response sent'));
        setTimeout(() => res.end('late'), 150);
      });
      let body = '';
      let clientDone!: () => void;
      const received = new Promise<void>((r) => (clientDone = r));
      const exited = new Promise<number>((resolve) => {
        const stop = createShutdown({
          server,
          store: { close: async () => void order.push('store closed') },
          logger: pino({ level: 'silent' }),
          exit: (code) => {
            order.push(`exit ${code}`);
            resolve(code);
          },
          timings: { drainMs: 2_000, storeCloseMs: 500, deadlineMs: 3_000 },
        });
        const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => clientDone());
        });
        req.end();
        setTimeout(() => stop('SIGTERM'), 50);
      });
      expect(await exited).to.equal(0);
      await received;
      expect(body, 'the in-flight response reached the client whole').to.equal('late');
      expect(order).to.deep.equal(['response sent', 'store closed', 'exit 0']);
    });

    it('a store that never closes does not hold the exit past storeCloseMs', async function () {
      await start((_req, res) => res.end('ok'));
      const t0 = Date.now();
      const code = await new Promise<number>((resolve) => {
        createShutdown({
          server,
          store: { close: () => new Promise<void>(() => undefined) },
          logger: pino({ level: 'silent' }),
          exit: resolve,
          timings: { drainMs: 500, storeCloseMs: 300, deadlineMs: 2_000 },
        })('SIGTERM');
      });
      expect(code).to.equal(0);
      expect(Date.now() - t0).to.be.within(250, 1_500);
    });

    it('the backstop exits 1 if the shutdown itself hangs', async function () {
      await start((_req, res) => res.end('ok'));
      const t0 = Date.now();
      const stderrWrite = process.stderr.write;
      let written = '';
      process.stderr.write = ((chunk: string) => ((written += chunk), true)) as typeof process.stderr.write;
      try {
        const code = await new Promise<number>((resolve) => {
          createShutdown({
            server,
            store: { close: () => new Promise<void>(() => undefined) },
            logger: pino({ level: 'silent' }),
            exit: resolve,
            timings: { drainMs: 200, storeCloseMs: 5_000, deadlineMs: 600 },
          })('SIGTERM');
        });
        expect(code).to.equal(1);
      } finally {
        process.stderr.write = stderrWrite;
      }
      expect(Date.now() - t0).to.be.within(500, 1_500);
      expect(written).to.contain('server.shutdown_deadline');
    });
  });
});
