/**
 * Reads every /mcp body here, bounded (a body the SDK read itself would be refused with a connection reset
 * behind a proxy), undoing Content-Encoding; a POST's is parsed once, checked, and left on `req.body` for
 * the steps after (the tool-call prefetch, the SDK). Every refusal is a JSON-RPC error with `id: null`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { BodyTooLargeError, decodeBody, hasBody, readBody, UnsupportedEncodingError } from '../../http/body.js';
import { jsonDepth } from '../../http/json-depth.js';
import { log } from '../../logging/logger.js';
import { principalOf } from '../auth-info.js';
import { answerJsonRpcError, JSON_RPC_ERROR } from './json-rpc-error.js';

export const MAX_MCP_BODY_BYTES = 1024 * 1024;
/** Tool arguments are shallow; deep nesting only serves to exhaust the validator's stack. */
const MAX_JSON_DEPTH = 32;

export function readJsonRpcBody(): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    req.body = undefined;
    if (req.method !== 'POST' && !hasBody(req)) return next();
    let raw: Buffer;
    try {
      raw = decodeBody(await readBody(req, MAX_MCP_BODY_BYTES), req.headers['content-encoding'], MAX_MCP_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        log().info(
          { event: 'mcp.refused', reason: 'body_too_large', clientId: principalOf(req).clientId },
          'request body over the limit refused',
        );
        return answerJsonRpcError(
          req,
          res,
          413,
          JSON_RPC_ERROR.invalidRequest,
          `Request body too large: the limit is ${MAX_MCP_BODY_BYTES} bytes`,
        );
      }
      if (err instanceof UnsupportedEncodingError) {
        return answerJsonRpcError(
          req,
          res,
          415,
          JSON_RPC_ERROR.server,
          `Unsupported Content-Encoding "${err.encoding}": send the body uncompressed, or gzip, deflate or br`,
        );
      }
      return answerJsonRpcError(req, res, 400, JSON_RPC_ERROR.parse, 'Parse error: the body could not be read');
    }
    // A GET or DELETE body was read only to be drained; the SDK gets none.
    if (req.method !== 'POST') return next();
    const parsed = parseJson(raw);
    if (!parsed.ok)
      return answerJsonRpcError(req, res, 400, JSON_RPC_ERROR.parse, 'Parse error: the body is not valid JSON');
    const body = parsed.value;
    if (jsonDepth(body, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH)
      return answerJsonRpcError(
        req,
        res,
        400,
        JSON_RPC_ERROR.invalidRequest,
        'Invalid Request: the message is nested too deeply',
      );
    if (
      body === undefined ||
      (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0)
    ) {
      return answerJsonRpcError(
        req,
        res,
        400,
        JSON_RPC_ERROR.parse,
        'Parse error: the body must be a JSON-RPC message',
      );
    }
    req.body = body;
    next();
  };
}

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  // A UTF-8 byte order mark is not JSON but some clients send one; what body-parser accepted, we accept.
  const text = raw.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim().length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}
