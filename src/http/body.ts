/**
 * Reading request bodies within a limit, and refusing oversized ones in a way a client behind a proxy
 * actually receives. Answering 413 while the client is still sending and then closing the connection
 * makes the server's TCP stack reset it; a front end such as Cloud Run's then reports a reset or a 502
 * instead of our answer. So an oversized body is read and thrown away (up to DRAIN_MAX_BYTES, for at most
 * DRAIN_MAX_MS) before the 413 goes out, and the connection stays open. Only a body declared or found to
 * be larger than that bound gets the 413 at once with `Connection: close`.
 */
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/** How much of an oversized body we read and discard so the 413 reaches the client. */
export const DRAIN_MAX_BYTES = 4 * 1024 * 1024;
/** How long we keep discarding before giving up on a slow sender. */
export const DRAIN_MAX_MS = 10_000;

export type BodyRead = { kind: 'ok'; body: Buffer } | { kind: 'too_large'; drained: boolean };

export interface ReadOptions {
  drainMaxBytes?: number;
  drainMaxMs?: number;
}

function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined || !/^\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * Reads the body if it fits in `limit` bytes. A larger one is discarded up to the drain bound (the
 * connection stays usable when it all arrived). Stream errors (the client went away) reject.
 */
export function readBodyWithin(req: IncomingMessage, limit: number, opts: ReadOptions = {}): Promise<BodyRead> {
  const drainMaxBytes = opts.drainMaxBytes ?? DRAIN_MAX_BYTES;
  const drainMaxMs = opts.drainMaxMs ?? DRAIN_MAX_MS;
  const declared = declaredLength(req);
  if (declared !== undefined && declared > drainMaxBytes) return Promise.resolve({ kind: 'too_large', drained: false });
  if (req.readableEnded) return Promise.resolve({ kind: 'ok', body: Buffer.alloc(0) });

  return new Promise<BodyRead>((resolve, reject) => {
    let chunks: Buffer[] = [];
    let received = 0;
    let overflowTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (outcome: BodyRead | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(overflowTimer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const giveUp = () => {
      req.pause();
      finish({ kind: 'too_large', drained: false });
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limit) {
        chunks.push(chunk);
        return;
      }
      if (chunks.length) chunks = []; // past the limit: keep counting, keep nothing
      overflowTimer ??= setTimeout(giveUp, drainMaxMs);
      if (received > drainMaxBytes) giveUp();
    };
    const onEnd = () => finish(received <= limit ? { kind: 'ok', body: Buffer.concat(chunks, received) } : { kind: 'too_large', drained: true });
    // A client that goes away mid-body gets (if anyone is listening) a 400, not a 500.
    const onError = (err: Error) => finish(Object.assign(new Error(`request body not received: ${err.message}`), { status: 400 }));
    const onClose = () => finish(Object.assign(new Error('request body not received: connection closed'), { status: 400 }));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
    req.resume();
  });
}

/**
 * Sends the 413 after readBodyWithin said too_large. When the body could not be drained, the connection
 * is closed after the answer (the unread rest cannot be told apart from a next request).
 */
export function sendTooLarge(res: Response, drained: boolean, body: Record<string, unknown>): void {
  if (!drained) res.setHeader('Connection', 'close');
  res.setHeader('Cache-Control', 'no-store');
  res.status(413).json(body);
}

/** Replaces the (already read) request body so a later reader (oidc-provider) reads `buf` as if from the socket. */
export function replayBody(req: Request, buf: Buffer): void {
  req.headers['content-length'] = String(buf.length);
  delete req.headers['transfer-encoding'];
  Object.defineProperty(req, 'readable', { value: true, configurable: true });
  (req as unknown as { iterator: () => AsyncGenerator<Buffer> }).iterator = async function* iterator() {
    yield buf;
  };
}

/**
 * Middleware for endpoints whose body oidc-provider reads: reads it within `limit` and hands it on, or
 * answers 413 in OAuth's error shape (RFC 6749 §5.2) once the oversized body has been drained.
 */
export function limitOAuthBody(limit: number, what: string) {
  return async (req: Request, res: Response, next: NextFunction) => {
    let read: BodyRead;
    try {
      read = await readBodyWithin(req, limit);
    } catch (err) {
      next(err);
      return;
    }
    if (read.kind === 'too_large') {
      sendTooLarge(res, read.drained, { error: 'invalid_request', error_description: `${what} larger than ${limit} bytes` });
      return;
    }
    replayBody(req, read.body);
    next();
  };
}
