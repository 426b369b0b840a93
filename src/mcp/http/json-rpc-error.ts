/**
 * The one way /mcp answers with a JSON-RPC error before a message reaches the SDK (a refused Host or
 * Origin, an unreadable or oversized body, Google unavailable before a tool call). `id` is null: the
 * request was not, or could not be, read as a message (JSON-RPC 2.0 §5). Sent with answerEarly, so a body
 * not read yet is drained before the response ends and a client behind a proxy receives the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR } from '@modelcontextprotocol/server';
import { answerEarly } from '../../http/body.js';

/** The JSON-RPC error codes /mcp uses itself (the SDK answers the rest). */
export const JSON_RPC_ERROR = {
  parse: PARSE_ERROR,
  invalidRequest: INVALID_REQUEST,
  internal: INTERNAL_ERROR,
  /** Implementation-defined server error (JSON-RPC 2.0 reserves -32000 to -32099). */
  server: -32000,
} as const;

export async function answerJsonRpcError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Promise<void> {
  await answerEarly(
    req,
    res,
    status,
    { 'content-type': 'application/json; charset=utf-8', ...headers },
    JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }),
  );
}
