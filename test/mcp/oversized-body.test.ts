/**
 * Oversized request bodies on /mcp must reach the client as our 413 JSON-RPC error, also behind a proxy
 * like Cloud Run's front end (test/support/front-end.ts), which relays an answer only once the whole
 * request was sent upstream and gives the client a 502 if the upstream connection resets while the
 * request is still being sent — what a server that answers and closes mid-upload produces. The same
 * holds for the other answers sent before the body is read (401, 403).
 */
import { createServer, request, Agent, type IncomingHttpHeaders } from 'node:http';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { closeServer, listen } from '../../standins/http.js';
import { startFrontEnd, type FrontEnd } from '../support/front-end.js';
import { signIn } from '../../standins/oauth-client.js';
import { MAX_MCP_BODY_BYTES } from '../../src/mcp/http/body.js';

interface Received {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A JSON-RPC tools/list padded to `size` bytes. */
function paddedMessage(size: number): Buffer {
  const head = '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"';
  const tail = '"}}';
  return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length - tail.length)) + tail);
}

/** Sends `body` in 64 KiB chunks, with Content-Length or chunked; resolves with what came back, or the socket error. */
function send(
  url: string,
  token: string | undefined,
  body: Buffer,
  opts: {
    chunked?: boolean;
    agent?: Agent;
    expectContinue?: boolean;
    method?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Received> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...opts.headers,
    };
    if (token) headers.authorization = `Bearer ${token}`;
    if (!opts.chunked) headers['content-length'] = String(body.length);
    if (opts.expectContinue) headers.expect = '100-continue';
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: opts.method ?? 'POST',
        headers,
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const write = () => {
      let offset = 0;
      const pump = () => {
        while (offset < body.length) {
          const chunk = body.subarray(offset, offset + 65_536);
          offset += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    };
    if (opts.expectContinue) req.once('continue', write);
    else write();
  });
}

function expectJsonRpc413(r: Received): void {
  expect(r.status, r.body.slice(0, 200)).to.equal(413);
  const body = JSON.parse(r.body) as { jsonrpc: string; error: { code: number; message: string }; id: unknown };
  expect(body.jsonrpc).to.equal('2.0');
  expect(body.error.code).to.equal(-32600);
  expect(body.error.message).to.match(/too large/i);
  expect(body.id).to.equal(null);
}

describe('mcp: oversized request bodies', function () {
  this.timeout(60_000);
  let h: Harness;
  let token = '';
  const OVER = paddedMessage(MAX_MCP_BODY_BYTES + 1024 * 1024);
  before(async () => {
    h = await startHarness();
    token = (await signIn(h.baseUrl)).tokens.access_token!;
  });
  after(async () => h?.close());

  for (const upstreamConnection of ['close', 'keep-alive'] as const) {
    describe(`behind the front end (upstream Connection: ${upstreamConnection})`, () => {
      let front: FrontEnd;
      before(async () => {
        front = await startFrontEnd(new URL(h.mcpUrl), { upstreamConnection });
      });
      after(async () => front?.close());

      it('(control) the front end can fail: a plain "413 + Connection: close" server gives the client a 502', async () => {
        const rude = createServer((_req, res) => {
          res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
          res.end('{"jsonrpc":"2.0","error":{"code":-32600,"message":"Request body too large"},"id":null}');
        });
        const rudeFront = await startFrontEnd(new URL(`http://127.0.0.1:${await listen(rude)}/mcp`), {
          upstreamConnection,
        });
        try {
          const r = await send(rudeFront.url, token, OVER);
          expect(r.status, r.body.slice(0, 200)).to.equal(502);
        } finally {
          await rudeFront.close();
          await closeServer(rude);
        }
      });

      for (const framing of ['Content-Length', 'chunked'] as const) {
        for (const over of [1, 64 * 1024, 3 * 1024 * 1024]) {
          it(`${framing} body ${over} bytes over the limit: the client receives the 413 JSON-RPC error`, async () => {
            expectJsonRpc413(
              await send(front.url, token, paddedMessage(MAX_MCP_BODY_BYTES + over), {
                chunked: framing === 'chunked',
              }),
            );
          });
        }
        it(`${framing} body of exactly the limit is served`, async () => {
          const r = await send(front.url, token, paddedMessage(MAX_MCP_BODY_BYTES), { chunked: framing === 'chunked' });
          expect(r.status, r.body.slice(0, 200)).to.equal(200);
        });
        it(`an unauthenticated oversized ${framing} body gets its 401 challenge`, async () => {
          const r = await send(front.url, undefined, OVER, { chunked: framing === 'chunked' });
          expect(r.status, r.body.slice(0, 200)).to.equal(401);
          expect(r.headers['www-authenticate']).to.match(/^Bearer resource_metadata=/);
        });
      }

      it('a DELETE with an oversized body gets the same 413 (the SDK never reads it)', async () => {
        expectJsonRpc413(await send(front.url, token, OVER, { method: 'DELETE' }));
      });

      it('a refused foreign Origin with an oversized body gets its 403', async () => {
        const r = await send(front.url, token, OVER, { headers: { origin: 'https://evil.test' } });
        expect(r.status, r.body.slice(0, 200)).to.equal(403);
        expect(JSON.parse(r.body).error.code).to.equal(-32600);
      });

      it('keeps serving afterwards', async () => {
        const r = await send(front.url, token, paddedMessage(100));
        expect(r.status).to.equal(200);
        expect(r.body).to.include('"tools"');
      });
    });
  }

  describe('direct clients', () => {
    it('answers without Connection: close and keeps a keep-alive connection usable (the rest of the body was drained)', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const sockets = new Set<unknown>();
        agent.on('free', (socket) => sockets.add(socket));
        const first = await send(h.mcpUrl, token, OVER, { agent });
        expectJsonRpc413(first);
        expect(first.headers.connection).to.not.equal('close');
        const second = await send(h.mcpUrl, token, paddedMessage(200), { agent });
        expect(second.status, second.body.slice(0, 200)).to.equal(200);
        expect(sockets.size, 'both requests used one connection').to.equal(1);
      } finally {
        agent.destroy();
      }
    });

    it('Expect: 100-continue with Content-Length over the limit gets the 413', async () => {
      expectJsonRpc413(await send(h.mcpUrl, token, OVER, { expectContinue: true }));
    });

    it('fetch (undici) gets the 413 too', async () => {
      const res = await fetch(h.mcpUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${token}`,
        },
        body: new Uint8Array(OVER),
      });
      expectJsonRpc413({ status: res.status, headers: {}, body: await res.text() });
    });

    it('a gzip-compressed body is inflated and served; one that inflates past the limit gets the 413; an unknown encoding 415', async () => {
      const post = (body: Buffer, encoding: string) =>
        fetch(h.mcpUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-encoding': encoding,
            accept: 'application/json, text/event-stream',
            authorization: `Bearer ${token}`,
          },
          body: new Uint8Array(body),
        });
      const small = await post(gzipSync(paddedMessage(300)), 'gzip');
      expect(small.status).to.equal(200);
      expect(await small.text()).to.include('"tools"');
      const bomb = gzipSync(OVER);
      expect(bomb.length, 'compressed it is small').to.be.below(MAX_MCP_BODY_BYTES / 10);
      const big = await post(bomb, 'gzip');
      expectJsonRpc413({ status: big.status, headers: {}, body: await big.text() });
      const unknown = await post(paddedMessage(300), 'compress');
      expect(unknown.status).to.equal(415);
      expect((JSON.parse(await unknown.text()) as { error: { message: string } }).error.message).to.match(
        /Content-Encoding/,
      );
    });

    it('logs the refusal (mcp.refused, body_too_large) without the body', () => {
      const lines = h.logs.filter((l) => l.includes('"body_too_large"'));
      expect(lines.length).to.be.greaterThan(0);
      for (const l of lines) expect(l).to.not.include('xxxxxxxx');
    });
  });
});
