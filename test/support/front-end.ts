/**
 * A stand-in for Cloud Run's front end between a client and our server, for tests of answers sent before
 * a request body was read (413, 401, 403). Each request goes upstream on its own TCP connection; the
 * front end keeps sending the request body whatever the upstream answers meanwhile, and relays the answer
 * only once the request was sent completely. If the upstream connection fails before that — a reset, a
 * write into a closed connection — the client gets a 502, as from Google's front end: what a server that
 * answers and closes mid-upload produces behind Cloud Run.
 *
 * `upstreamConnection: 'close'` sends `Connection: close` upstream; `'keep-alive'` does not. An answer that
 * announces `Connection: close` is relayed only after the upstream closed cleanly (a reset after the
 * answer is a failure too, as the answer may not have been read before it).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { closeServer, listen } from '../../standins/http.js';

export interface FrontEnd {
  url: string;
  close(): Promise<void>;
}

interface UpstreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
  'expect',
]);
const MAX_HEAD_BYTES = 64 * 1024;

/** Reads one HTTP/1.1 response (Content-Length or chunked) from upstream bytes; 1xx responses are skipped. */
class ResponseReader {
  private buf = Buffer.alloc(0);

  /** Feeds bytes; returns the answer once it is complete. */
  push(data: Buffer): UpstreamAnswer | undefined {
    this.buf = Buffer.concat([this.buf, data]);
    for (;;) {
      const headEnd = this.buf.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        if (this.buf.length > MAX_HEAD_BYTES) throw new Error('upstream response head too large');
        return undefined;
      }
      const lines = this.buf.subarray(0, headEnd).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
      if (!status) throw new Error(`bad upstream status line: ${lines[0]}`);
      const headers: IncomingHttpHeaders = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const rest = this.buf.subarray(headEnd + 4);
      if (status < 200) {
        this.buf = rest;
        continue;
      }
      if (headers['content-length'] !== undefined) {
        const length = Number(headers['content-length']);
        return rest.length >= length ? { status, headers, body: rest.subarray(0, length) } : undefined;
      }
      if (/chunked/i.test(String(headers['transfer-encoding'] ?? ''))) {
        const body = dechunk(rest);
        return body ? { status, headers, body } : undefined;
      }
      return status === 204 || status === 304 ? { status, headers, body: Buffer.alloc(0) } : undefined;
    }
  }
}

/** The body of a complete chunked encoding, or undefined while incomplete. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size from upstream');
    if (size === 0)
      return data.indexOf('\r\n\r\n', lineEnd) >= 0 || data.length >= lineEnd + 4 ? Buffer.concat(parts) : undefined;
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  throw new Error('too many chunks');
}

function forward(target: URL, mode: 'close' | 'keep-alive', req: IncomingMessage, res: ServerResponse): void {
  const chunked = req.headers['content-length'] === undefined && req.headers['transfer-encoding'] !== undefined;
  let failed = false;
  let uploaded = false;
  let upstreamClosedCleanly = false;
  let answer: UpstreamAnswer | undefined;
  const reader = new ResponseReader();
  const up: Socket = connect({ host: target.hostname, port: Number(target.port) });

  const fail = (why: string) => {
    if (failed || res.headersSent) return;
    failed = true;
    up.destroy();
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`upstream connect error or disconnect/reset before headers. reset reason: ${why}`);
    req.resume();
  };
  const relay = () => {
    if (failed || res.headersSent || !answer || !uploaded) return;
    if (/\bclose\b/i.test(String(answer.headers.connection ?? '')) && !upstreamClosedCleanly) return;
    const headers = Object.fromEntries(
      Object.entries(answer.headers).filter(([k]) => !HOP_BY_HOP.has(k) && k !== 'content-length'),
    );
    res.writeHead(answer.status, { ...headers, 'content-length': answer.body.length });
    res.end(answer.body);
    up.end();
  };

  up.on('data', (d: Buffer) => {
    try {
      answer ??= reader.push(d);
    } catch (err) {
      return fail((err as Error).message);
    }
    relay();
  });
  up.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
  up.on('close', (hadError) => {
    if (!hadError && answer && uploaded) {
      upstreamClosedCleanly = true;
      return relay();
    }
    fail(
      uploaded ? 'connection closed before a complete answer' : 'connection closed while the request was being sent',
    );
  });

  const head = [`${req.method} ${req.url} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (!HOP_BY_HOP.has(name.toLowerCase())) head.push(`${name}: ${req.rawHeaders[i + 1]}`);
  }
  head.push(`Connection: ${mode}`);
  if (chunked) head.push('Transfer-Encoding: chunked');
  up.write(`${head.join('\r\n')}\r\n\r\n`);
  req.on('data', (chunk: Buffer) => {
    if (failed) return;
    const ok = up.write(
      chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk,
    );
    if (!ok) {
      req.pause();
      up.once('drain', () => req.resume());
    }
  });
  req.on('end', () => {
    if (failed) return;
    up.write(chunked ? '0\r\n\r\n' : '', () => {
      uploaded = true;
      relay();
    });
  });
}

export async function startFrontEnd(
  target: URL,
  opts: { upstreamConnection: 'close' | 'keep-alive' },
): Promise<FrontEnd> {
  const server = createServer((req, res) => forward(target, opts.upstreamConnection, req, res));
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}${target.pathname}`, close: () => closeServer(server) };
}
