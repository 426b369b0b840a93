/** readBodyWithin on its own: limit, drain bound in bytes and in time, a client that goes away. */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { expect } from 'chai';
import { readBodyWithin, type BodyRead } from '../../src/http/body.js';
import { closeServer, listen } from '../support/harness.js';

describe('readBodyWithin (src/http/body.ts)', () => {
  let server: Server;
  let port = 0;
  let outcomes: Array<BodyRead | { rejected: number | undefined }> = [];
  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      readBodyWithin(req, 1000, { drainMaxBytes: 100_000, drainMaxMs: 300 }).then(
        (read) => {
          outcomes.push(read);
          if (read.kind === 'too_large' && !read.drained) res.setHeader('connection', 'close');
          res.statusCode = read.kind === 'ok' ? 200 : 413;
          res.end(read.kind === 'ok' ? String(read.body.length) : String(read.drained));
        },
        (err: { status?: number }) => {
          outcomes.push({ rejected: err.status });
          res.destroy();
        },
      );
    });
    port = await listen(server);
  });
  after(async () => closeServer(server));
  beforeEach(() => {
    outcomes = [];
  });

  /** Sends `parts` with `gapMs` between them; resolves with the status, or the error code. */
  function send(parts: Buffer[], gapMs = 0, headers: Record<string, string | number> = {}): Promise<{ status?: number; body?: string; error?: string }> {
    return new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      void (async () => {
        for (const p of parts) {
          if (req.destroyed) return;
          req.write(p);
          if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
        }
        req.end();
      })();
    });
  }

  it('returns a body within the limit whole', async () => {
    const r = await send([Buffer.alloc(600, 'a'), Buffer.alloc(400, 'b')]);
    expect(r).to.deep.equal({ status: 200, body: '1000' });
  });

  it('reads an oversized body to its end (drained) before saying too_large', async () => {
    const r = await send([Buffer.alloc(50_000, 'a'), Buffer.alloc(40_000, 'b')]);
    expect(r).to.deep.equal({ status: 413, body: 'true' });
  });

  it('gives up past the drain bound in bytes (not drained)', async () => {
    const r = await send(Array.from({ length: 20 }, () => Buffer.alloc(10_000, 'a')), 5);
    expect(r.status ?? r.error).to.satisfy((v: unknown) => v === 413 || v === 'ECONNRESET' || v === 'EPIPE');
    expect(outcomes[0]).to.deep.equal({ kind: 'too_large', drained: false });
  });

  it('gives up on a slow sender once past the limit, after the drain time bound', async () => {
    const started = Date.now();
    const r = await send([Buffer.alloc(2000, 'a'), Buffer.alloc(10, 'a'), Buffer.alloc(10, 'a'), Buffer.alloc(10, 'a')], 400);
    expect(outcomes[0]).to.deep.equal({ kind: 'too_large', drained: false });
    expect(Date.now() - started).to.be.below(5000);
    expect(r.status ?? r.error).to.satisfy((v: unknown) => v === 413 || v === 'ECONNRESET' || v === 'EPIPE');
  });

  it('answers a declared length above the drain bound without reading', async () => {
    const r = await send([Buffer.alloc(10, 'a')], 0, { 'content-length': 200_000 });
    expect(outcomes[0]).to.deep.equal({ kind: 'too_large', drained: false });
    expect(r.status ?? r.error).to.satisfy((v: unknown) => v === 413 || v === 'ECONNRESET' || v === 'EPIPE');
  });

  it('rejects with status 400 when the client goes away mid-body', async () => {
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { 'content-length': 500 } });
      req.on('error', () => undefined);
      req.write(Buffer.alloc(100, 'a'));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    for (let i = 0; i < 50 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(outcomes[0]).to.deep.equal({ rejected: 400 });
  });
});
