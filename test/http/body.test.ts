/**
 * The bounded body reader and the "answer early, end after draining" helper, on a bare loopback server
 * with small bounds, so the cut-offs can be observed quickly.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import {
  answerEarly,
  BodyReadError,
  BodyTooLargeError,
  decodeBody,
  readBody,
  UnsupportedEncodingError,
  type DiscardOutcome,
} from '../../src/http/body.js';
import { closeServer, listen } from '../../standins/http.js';

const LIMIT = 1024;
const BOUNDS = { maxBytes: 64 * 1024, maxMs: 800 };

interface Exchange {
  outcome?: DiscardOutcome;
  read?: Buffer;
  error?: Error;
}

/** A server that reads each body under LIMIT and answers 413 early (small bounds) when it is over. */
async function startServer(): Promise<{ port: number; server: Server; last: () => Promise<Exchange> }> {
  let resolveLast: (e: Exchange) => void = () => undefined;
  let lastDone = new Promise<Exchange>((r) => (resolveLast = r));
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const exchange: Exchange = {};
    try {
      exchange.read = await readBody(req, LIMIT);
      res.end(`read ${exchange.read.length}`);
    } catch (err) {
      exchange.error = err as Error;
      exchange.outcome = await answerEarly(req, res, 413, { 'content-type': 'text/plain' }, 'too large', BOUNDS);
    }
    resolveLast(exchange);
  };
  const server = createServer((req, res) => void serve(req, res));
  const port = await listen(server);
  return {
    port,
    server,
    last: async () => {
      const e = await lastDone;
      lastDone = new Promise<Exchange>((r) => (resolveLast = r));
      return e;
    },
  };
}

/** Raw socket client: sends `head`, then `body` chunks every `intervalMs`; collects what comes back and how the socket ended. */
function rawClient(
  port: number,
  head: string,
  chunks: Iterable<Buffer>,
  intervalMs = 0,
): Promise<{ response: string; ended: 'end' | 'error'; sent: number }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let response = '';
    let sent = 0;
    let done = false;
    const finish = (ended: 'end' | 'error') => {
      if (done) return;
      done = true;
      resolve({ response, ended, sent });
    };
    socket.on('data', (d) => (response += d.toString('latin1')));
    socket.on('end', () => finish('end'));
    socket.on('error', () => finish('error'));
    socket.on('close', () => finish('end'));
    socket.write(head);
    const it = chunks[Symbol.iterator]();
    const pump = () => {
      if (done || socket.destroyed) return;
      const next = it.next();
      if (next.done) return;
      sent += next.value.length;
      const ok = socket.write(next.value);
      if (intervalMs > 0) setTimeout(pump, intervalMs);
      else if (ok) setImmediate(pump);
      else socket.once('drain', pump);
    };
    pump();
  });
}

function* repeat(chunk: Buffer, times: number): Generator<Buffer> {
  for (let i = 0; i < times; i++) yield chunk;
}

describe('http body: bounded reads and early answers', function () {
  this.timeout(20_000);
  let srv: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    srv = await startServer();
  });
  after(async () => closeServer(srv.server));

  for (const framing of ['Content-Length', 'chunked'] as const) {
    it(`reads a body under the limit (${framing})`, async () => {
      const r = await new Promise<string>((resolve, reject) => {
        const headers = framing === 'Content-Length' ? { 'content-length': '600' } : {};
        const req = request({ host: '127.0.0.1', port: srv.port, method: 'POST', agent: false, headers }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.write('a'.repeat(300));
        req.end('b'.repeat(300));
      });
      expect(r).to.equal('read 600');
      expect((await srv.last()).read?.toString()).to.equal('a'.repeat(300) + 'b'.repeat(300));
    });
  }

  it('refuses a declared Content-Length over the limit before reading anything, then drains the rest: the client gets the 413 and a clean close', async () => {
    const body = Buffer.alloc(20 * 1024, 'x');
    const head = `POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`;
    const r = await rawClient(srv.port, head, repeat(body.subarray(0, 1024), 20));
    const e = await srv.last();
    expect(e.error).to.be.instanceOf(BodyTooLargeError);
    expect(e.outcome).to.equal('drained');
    expect(r.response).to.match(/^HTTP\/1\.1 413 /);
    expect(r.response).to.match(/too large$/);
    expect(r.ended).to.equal('end');
  });

  it('refuses a chunked body when it crosses the limit, and drains the rest', async () => {
    const chunk = Buffer.from(`${(512).toString(16)}\r\n${'y'.repeat(512)}\r\n`);
    const head = 'POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n';
    const r = await rawClient(srv.port, head, [...repeat(chunk, 10), Buffer.from('0\r\n\r\n')]);
    const e = await srv.last();
    expect(e.error).to.be.instanceOf(BodyTooLargeError);
    expect(e.outcome).to.equal('drained');
    expect(r.response).to.match(/^HTTP\/1\.1 413 /);
    expect(r.ended).to.equal('end');
  });

  it('cuts the connection once more than maxBytes were discarded (the answer was already sent)', async () => {
    const head = 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = Buffer.from(`${(8192).toString(16)}\r\n${'z'.repeat(8192)}\r\n`);
    // Endless for our purposes: 100 MiB, far past the 64 KiB bound.
    const r = await rawClient(srv.port, head, repeat(chunk, 12_800));
    const e = await srv.last();
    expect(e.outcome).to.equal('cut');
    expect(r.response).to.match(/^HTTP\/1\.1 413 /);
    expect(r.sent, 'the client was stopped long before sending 100 MiB').to.be.below(50 * 1024 * 1024);
  });

  it('cuts the connection when the rest of the body does not arrive within maxMs', async () => {
    const head = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n'; // declared under maxBytes: only the time bound can cut it
    const started = Date.now();
    // 10 bytes every 100 ms: would take 100 s to finish.
    const r = await rawClient(srv.port, head, repeat(Buffer.alloc(10, 'w'), 10_000), 100);
    const e = await srv.last();
    expect(e.outcome).to.equal('cut');
    expect(r.response).to.match(/^HTTP\/1\.1 413 /);
    expect(Date.now() - started).to.be.within(BOUNDS.maxMs - 50, BOUNDS.maxMs + 5_000);
  });

  it('reports a client that went away mid-body as a read error', async () => {
    const socket = connect({ host: '127.0.0.1', port: srv.port });
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nabc');
    setTimeout(() => socket.destroy(), 50);
    const started = Date.now();
    const e = await srv.last();
    expect(e.error).to.be.instanceOf(BodyReadError);
    expect(e.outcome, 'nothing left to wait for').to.equal('closed');
    expect(Date.now() - started).to.be.below(BOUNDS.maxMs);
  });

  describe('decodeBody', () => {
    it('passes identity bodies through and inflates gzip within the limit', () => {
      expect(decodeBody(Buffer.from('{}'), undefined, LIMIT).toString()).to.equal('{}');
      expect(decodeBody(gzipSync(Buffer.from('{"a":1}')), 'gzip', LIMIT).toString()).to.equal('{"a":1}');
    });
    it('refuses a compression bomb (inflates past the limit) as too large', () => {
      const bomb = gzipSync(Buffer.alloc(10 * LIMIT, 'a'));
      expect(bomb.length).to.be.below(LIMIT);
      expect(() => decodeBody(bomb, 'gzip', LIMIT)).to.throw(BodyTooLargeError);
    });
    it('refuses corrupt data and unknown encodings', () => {
      expect(() => decodeBody(Buffer.from('not gzip'), 'gzip', LIMIT)).to.throw(BodyReadError);
      expect(() => decodeBody(Buffer.from('x'), 'compress', LIMIT)).to.throw(UnsupportedEncodingError);
    });
  });
});
