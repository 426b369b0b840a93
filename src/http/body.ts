/**
 * Request bodies under a size limit, and answers sent before a body was read, in a way a client behind a
 * proxy actually receives.
 *
 * Closing a connection while the client is still sending makes the kernel reset it: the client then often
 * sees the reset instead of our answer, and a proxy in front (Cloud Run's front end) turns it into a 502.
 * Node closes the connection right after the response ends when the request said `Connection: close`
 * (as a proxy's upstream request often does), or when we set it. So an early answer (413 for a body over
 * the limit, 401/403 refusals) goes out only after the rest of the body has been read and thrown away, up
 * to a bound in bytes and in time. Past the bound the answer goes out with `Connection: close`: a client
 * that keeps sending megabytes after being told no is not owed a clean ending.
 *
 * Shape-agnostic: callers pass their own body (JSON-RPC on /mcp, OAuth error JSON elsewhere).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { OAuthHttpError } from './oauth-error.js';

export interface DiscardBounds {
  /** Bytes read and thrown away after the early answer before the connection is cut. */
  maxBytes: number;
  /** Time allowed for the rest of the body to arrive before the connection is cut. */
  maxMs: number;
}

/** 16 MiB or 5 s: enough for any honest client's oversized request to finish sending on a slow link. */
export const DISCARD_BOUNDS: DiscardBounds = { maxBytes: 16 * 1024 * 1024, maxMs: 5_000 };
/** A body declared larger than this is answered at once with `Connection: close`: draining it would be a gift to an attacker. */
export const DRAIN_MAX_BYTES = DISCARD_BOUNDS.maxBytes;

export class BodyTooLargeError extends Error {
  readonly status = 413;
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** The client went away (or the stream failed) before the body was complete. */
export class BodyReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BodyReadError';
  }
}

/** A Content-Encoding we cannot decode (answer 415). */
export class UnsupportedEncodingError extends Error {
  constructor(readonly encoding: string) {
    super(`unsupported content encoding "${encoding}"`);
    this.name = 'UnsupportedEncodingError';
  }
}

/** The declared Content-Length, when there is a valid one. */
function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** Whether the request carries a body at all (a length above zero, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (declaredLength(req) ?? 0) > 0;
}

/**
 * Reads the whole body into memory, at most `limit` bytes. A body over the limit — declared by
 * Content-Length, or counted while reading (chunked) — rejects with BodyTooLargeError at once and leaves
 * the rest unread and paused: answer it with answerEarly.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) return Promise.reject(new BodyTooLargeError(limit));
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        req.pause();
        chunks.length = 0;
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      stop();
      reject(new BodyReadError(`the request body could not be read: ${err.message}`));
    };
    const onClose = () => {
      stop();
      reject(new BodyReadError('the client closed the connection before the body was complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Undoes Content-Encoding (gzip, deflate, br), never inflating past `limit` bytes (a compression bomb gets
 * BodyTooLargeError). Identity bodies are returned as they are.
 */
export function decodeBody(raw: Buffer, contentEncoding: string | undefined, limit: number): Buffer {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  const options = { maxOutputLength: limit };
  try {
    switch (encoding) {
      case '':
      case 'identity':
        return raw;
      case 'gzip':
      case 'x-gzip':
        return gunzipSync(raw, options);
      case 'deflate':
        return inflateSync(raw, options);
      case 'br':
        return brotliDecompressSync(raw, options);
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyTooLargeError(limit);
    throw new BodyReadError(`the request body is not valid ${encoding}`);
  }
  throw new UnsupportedEncodingError(encoding);
}

export type DiscardOutcome = 'drained' | 'cut' | 'closed';

/**
 * Reads and throws away what is left of the request body, within `bounds`. Resolves `drained` when the
 * body ended, `closed` when the client went away, `cut` when the bounds were reached: the connection is
 * then closed as soon as the response has finished (so an answer already written is not lost to the cut).
 * Prefer answerEarly, which also keeps the response open until this settles.
 */
export function discardBody(
  req: IncomingMessage,
  res: ServerResponse,
  bounds: DiscardBounds = DISCARD_BOUNDS,
): Promise<DiscardOutcome> {
  if (req.readableEnded) return Promise.resolve('drained');
  if (req.destroyed || req.socket?.destroyed) return Promise.resolve('closed');
  return new Promise((resolve) => {
    let discarded = 0;
    let settled = false;
    const settle = (outcome: DiscardOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(outcome);
    };
    const cut = () => {
      settle('cut');
      req.pause();
      const destroy = () => req.socket?.destroy();
      if (res.writableFinished) destroy();
      else res.once('finish', destroy).once('close', destroy);
    };
    const onData = (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > bounds.maxBytes) cut();
    };
    const onEnd = () => settle('drained');
    const onClose = () => settle(req.readableEnded ? 'drained' : 'closed');
    const timer = setTimeout(cut, bounds.maxMs);
    timer.unref();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    // A failed stream ends in 'close'; without a listener its 'error' would be thrown.
    req.on('error', () => undefined);
    req.resume();
  });
}

/**
 * Answers a request whose body was not (fully) read. The rest of the body is read and discarded first
 * (within `bounds`), and only then is the answer written: a client still uploading when a complete
 * response arrives may abort its upload and report a reset (undici does, intermittently), and a proxy in
 * front then relays that instead of our answer. Past the bounds the answer goes out with
 * `Connection: close` and the connection is closed after it.
 */
export async function answerEarly(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  payload = '',
  bounds: DiscardBounds = DISCARD_BOUNDS,
): Promise<DiscardOutcome> {
  const body = Buffer.from(payload, 'utf8');
  const send = (close: boolean) => {
    if (res.headersSent || res.destroyed) return;
    const h = status === 204 || status === 304 ? headers : { ...headers, 'content-length': body.length };
    res.writeHead(status, close ? { ...h, connection: 'close' } : h);
    res.end(body);
  };
  if (!hasBody(req) || req.readableEnded) {
    send(false);
    return 'drained';
  }
  if ((declaredLength(req) ?? 0) > bounds.maxBytes) {
    // Declared beyond what we would ever drain: answer and close (the unread rest is not a next request).
    send(true);
    return 'cut';
  }
  const outcome = await discardBody(req, res, bounds);
  if (outcome !== 'closed') send(outcome === 'cut');
  return outcome;
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
 * Reads an OAuth endpoint's body within `limit`. An oversized one is answered here with a 413 in OAuth's
 * error shape (RFC 6749 §5.2) that a proxied client receives (answerEarly), and `undefined` is returned.
 */
export async function readOAuthBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  what: string,
): Promise<Buffer | undefined> {
  try {
    return await readBody(req, limit);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw Object.assign(err as Error, { status: 400 });
    const tooLarge = new OAuthHttpError(413, 'invalid_request', `${what} larger than ${limit} bytes`);
    await answerEarly(req, res, tooLarge.status, tooLarge.headers(), tooLarge.payload());
    return undefined;
  }
}

/** Middleware for endpoints whose body oidc-provider reads: reads it within `limit` and replays it, or answers 413. */
export function limitOAuthBody(limit: number, what: string) {
  return async (req: Request, res: Response, next: NextFunction) => {
    let body: Buffer | undefined;
    try {
      body = await readOAuthBody(req, res, limit, what);
    } catch (err) {
      next(err);
      return;
    }
    if (body === undefined) return;
    replayBody(req, body);
    next();
  };
}

/**
 * Answers with an OAuth-shaped error (http/oauth-error.ts) through answerEarly: a body not read yet (a
 * rate limit decided before reading) is drained first, so a proxied client receives the answer.
 */
export function answerOAuthError(
  req: IncomingMessage,
  res: ServerResponse,
  err: OAuthHttpError,
): Promise<DiscardOutcome> {
  return answerEarly(req, res, err.status, err.headers(), err.payload());
}
