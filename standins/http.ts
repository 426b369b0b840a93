/**
 * Loopback HTTP plumbing shared by the stand-ins, the wiring (wiring.ts), the sandbox, the bench and the
 * tests. Everything here binds 127.0.0.1 only.
 *
 * The stand-ins read request bodies with their own `readBody`, not with the server's `src/http/body.ts`:
 * a stand-in plays the other side of the wire, and sharing the code under test with it would let a bug in
 * that code hide itself.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1 (port 0: any free port) and resolves with the port. */
export function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops listening and cuts idle and in-flight connections, so `close` cannot wait on a keep-alive client. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A loopback port that was free a moment ago (for a child process that must be told its port up front). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
}

/**
 * A request body as UTF-8 text. Past `limit` bytes it throws what `tooLarge()` returns, so each stand-in
 * refuses an oversized body the way the service it plays does (Google's OAuth server and the People API
 * answer differently).
 */
export async function readBody(req: IncomingMessage, limit: number, tooLarge: () => Error): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw tooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
