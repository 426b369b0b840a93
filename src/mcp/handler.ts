/**
 * The protected /mcp endpoint: bearer check → 401 challenges that MCP clients understand (RFC 6750 +
 * RFC 9728 `resource_metadata`), Origin check (DNS-rebinding defence), then the SDK's stateless handler
 * for both protocol eras. A tool call whose Google sign-in is gone answers HTTP 401, so the client
 * starts a new login instead of silently losing the connector's tools.
 */
import express, { type Request, type Response, type Router } from 'express';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { isLoopbackHost, type Config } from '../config/config.js';
import { answerEarly, BodyTooLargeError, decodeBody, hasBody, readBody, UnsupportedEncodingError } from '../http/body.js';
import type { ContactTrash } from '../contacts/trash.js';
import { log } from '../logging/logger.js';
import { OncePerKey } from '../logging/once-per-key.js';
import { GoogleReauthRequired, GoogleUnavailable, type PeopleGateway } from '../upstream/google/people.js';
import { AccessTokenVerifier, InvalidTokenError, toAuthInfo, type Principal } from './auth.js';
import { tolerateEarlierHeaderVersion } from './protocol-version.js';
import { buildMcpServer, type RequestOutcome } from './server.js';
import { jsonDepth } from '../http/json-depth.js';
import type { ToolDefinition } from './tools/types.js';

export const MAX_MCP_BODY_BYTES = 1024 * 1024;
/** Tool arguments are shallow; deep nesting only serves to exhaust the validator's stack. */
const MAX_JSON_DEPTH = 32;
const GOOGLE_REAUTH_DESCRIPTION = 'Google sign-in expired or was revoked; sign in again';
/** `mcp.connected` at INFO at most once per (client, account) per instance in this window; DEBUG otherwise. */
export const CONNECTED_LOG_WINDOW_MS = 60 * 60 * 1000;

export interface McpRouteDeps {
  config: Config;
  verifier: AccessTokenVerifier;
  people: PeopleGateway;
  /** The deleted-contacts trash the tools save to and restore from. */
  trash: ContactTrash;
  scope: string;
  tools?: ToolDefinition[];
  /** Extra allowed browser origins (besides our own). */
  allowedOrigins?: string[];
}

export function resourceMetadataUrl(config: Config): string {
  return `${config.baseUrl}/.well-known/oauth-protected-resource/mcp`;
}

function challenge(config: Config, scope: string, error?: { code: string; description: string }): string {
  const parts = [`Bearer resource_metadata="${resourceMetadataUrl(config)}"`, `scope="${scope}"`];
  if (error) parts.push(`error="${error.code}"`, `error_description="${error.description.replace(/["\\]/g, '')}"`);
  return parts.join(', ');
}

/** A JSON-RPC error answer; sent with answerEarly, so a body not read yet is drained before the response ends. */
function jsonRpcError(req: Request, res: Response, status: number, code: number, message: string, headers: Record<string, string> = {}): Promise<unknown> {
  return answerEarly(req, res, status, { 'content-type': 'application/json; charset=utf-8', ...headers }, JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function isToolCall(body: unknown): boolean {
  const items = Array.isArray(body) ? body : [body];
  return items.some((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'tools/call');
}

export function createMcpRouter(deps: McpRouteDeps): Router {
  const { config, verifier, people, scope } = deps;
  const router = express.Router();
  const ownOrigin = new URL(config.baseUrl).origin;
  const allowedOrigins = new Set([ownOrigin, ...(deps.allowedOrigins ?? [])]);
  // In the loopback sandbox a browser-based client (MCP Inspector's web UI) runs on another localhost port.
  const originAllowed = (origin: string): boolean => {
    if (allowedOrigins.has(origin)) return true;
    if (!config.allowLoopbackHttp) return false;
    try {
      const u = new URL(origin);
      return u.protocol === 'http:' && isLoopbackHost(u.hostname);
    } catch {
      return false;
    }
  };
  // CORS for browser-based MCP clients from allowed origins; the challenge and session headers are exposed.
  const corsHeaders = (res: Response, origin: string) => {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version');
  };

  // One handler for the process; the factory builds a fresh server per request from req.auth.
  const handler = createMcpHandler(
    (ctx) => {
      const auth = ctx.authInfo;
      const extra = (auth?.extra ?? {}) as { accountId?: string; grantId?: string; outcome?: RequestOutcome };
      const principal: Principal = { accountId: extra.accountId ?? '', clientId: auth?.clientId ?? '', grantId: extra.grantId, scopes: auth?.scopes ?? [], expiresAt: auth?.expiresAt ?? 0 };
      return buildMcpServer({ config, people, trash: deps.trash, tools: deps.tools }, principal, extra.outcome ?? { reauthRequired: false });
    },
    { maxRequestBodySize: MAX_MCP_BODY_BYTES, onerror: (err) => log().debug({ error: err.message }, 'mcp request rejected') },
  );
  const nodeHandler = toNodeHandler(handler, { maxRequestBodySize: MAX_MCP_BODY_BYTES });
  // Tool calls are answered from a buffered response: a tool that finds the Google sign-in revoked
  // mid-call (outcome.reauthRequired) then gets HTTP 401 with the challenge instead of a tool error, so
  // the client signs in again rather than silently dropping the connector. (A stateless exchange ends
  // with its result, so buffering only costs mid-call notifications, which these tools don't send.)
  const toolCallHandler = toNodeHandler(
    {
      fetch: async (request, options) => {
        const response = await handler.fetch(request, options);
        const body = await response.arrayBuffer();
        const outcome = (options?.authInfo?.extra as { outcome?: RequestOutcome } | undefined)?.outcome;
        if (outcome?.reauthRequired) {
          log().info({ event: 'mcp.challenge', reason: 'google_reauth_required_mid_call' }, 'answered 401 with a Bearer challenge');
          return Response.json(
            { error: 'invalid_token', error_description: GOOGLE_REAUTH_DESCRIPTION },
            { status: 401, headers: { 'WWW-Authenticate': challenge(config, scope, { code: 'invalid_token', description: GOOGLE_REAUTH_DESCRIPTION }), 'Cache-Control': 'no-store' } },
          );
        }
        return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      },
    },
    { maxRequestBodySize: MAX_MCP_BODY_BYTES },
  );

  const unauthorized = (req: Request, res: Response, reason: string, error?: { code: string; description: string }) => {
    log().info({ event: 'mcp.challenge', reason }, 'answered 401 with a Bearer challenge');
    return answerEarly(
      req,
      res,
      401,
      { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': challenge(config, scope, error), 'cache-control': 'no-store' },
      JSON.stringify({ error: error?.code ?? 'unauthorized', error_description: error?.description ?? 'Authorization required: sign in to use this server' }),
    );
  };
  const connectedLog = new OncePerKey(CONNECTED_LOG_WINDOW_MS);
  // Per client per instance: the warning says "this client does it", not "this request did".
  const headerMismatchLog = new OncePerKey(Number.POSITIVE_INFINITY);

  // DNS rebinding against a server bound to localhost: a foreign page's requests carry its own Host.
  const base = new URL(config.baseUrl);
  const loopbackBind = isLoopbackHost(base.hostname);
  const hostAllowed = (host: string | undefined): boolean => {
    if (!loopbackBind) return true;
    if (!host) return false;
    try {
      return isLoopbackHost(new URL(`http://${host}`).hostname);
    } catch {
      return false;
    }
  };

  router.all('/mcp', async (req: Request, res: Response, next) => {
    if (!hostAllowed(req.headers.host)) {
      log().warn({ event: 'mcp.refused', reason: 'host_not_allowed' }, 'request for a foreign Host refused (DNS rebinding)');
      return jsonRpcError(req, res, 403, -32600, 'Forbidden: Host not allowed');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin)) {
      log().warn({ event: 'mcp.refused', reason: 'origin_not_allowed' }, 'request from a foreign Origin refused');
      return jsonRpcError(req, res, 403, -32600, 'Forbidden: Origin not allowed');
    }
    if (origin !== undefined) corsHeaders(res, origin);
    if (req.method === 'OPTIONS') {
      // CORS preflight: no credentials are sent with it, so it is answered before the bearer check.
      return answerEarly(req, res, 204, {
        'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
        'access-control-allow-headers': 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID',
        'access-control-max-age': '600',
      });
    }
    const authz = req.headers.authorization;
    if (!authz) return unauthorized(req, res, 'no_token');
    const m = /^Bearer ([^\s]+)$/i.exec(authz);
    if (!m) return unauthorized(req, res, 'malformed_authorization', { code: 'invalid_request', description: 'Use the Authorization: Bearer <token> scheme' });
    const token = m[1]!;
    let principal: Principal;
    try {
      principal = await verifier.verify(token);
    } catch (err) {
      if (err instanceof InvalidTokenError) return unauthorized(req, res, `token_${err.reason}`, { code: 'invalid_token', description: err.message });
      return next(err);
    }
    const outcome: RequestOutcome = { reauthRequired: false };
    (req as Request & { auth?: unknown }).auth = { ...toAuthInfo(token, principal, config), extra: { accountId: principal.accountId, grantId: principal.grantId, outcome } };

    // Read every body here, bounded (a body the SDK read itself would be refused with a connection reset
    // behind a proxy); a POST's is parsed once so a tool call can be checked for a usable Google sign-in first.
    let body: unknown;
    if (req.method === 'POST' || hasBody(req)) {
      let raw: Buffer;
      try {
        raw = decodeBody(await readBody(req, MAX_MCP_BODY_BYTES), req.headers['content-encoding'], MAX_MCP_BODY_BYTES);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          log().info({ event: 'mcp.refused', reason: 'body_too_large', clientId: principal.clientId }, 'request body over the limit refused');
          return jsonRpcError(req, res, 413, -32600, `Request body too large: the limit is ${MAX_MCP_BODY_BYTES} bytes`);
        }
        if (err instanceof UnsupportedEncodingError) return jsonRpcError(req, res, 415, -32000, `Unsupported Content-Encoding "${err.encoding}": send the body uncompressed, or gzip, deflate or br`);
        return jsonRpcError(req, res, 400, -32700, 'Parse error: the body could not be read');
      }
      if (req.method === 'POST') {
        const parsed = parseJson(raw);
        if (!parsed.ok) return jsonRpcError(req, res, 400, -32700, 'Parse error: the body is not valid JSON');
        body = parsed.value;
      }
    }
    if (req.method === 'POST') {
      if (jsonDepth(body, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH) return jsonRpcError(req, res, 400, -32600, 'Invalid Request: the message is nested too deeply');
      if (body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0)) {
        return jsonRpcError(req, res, 400, -32700, 'Parse error: the body must be a JSON-RPC message');
      }
      const tolerated = tolerateEarlierHeaderVersion(req.headers, body);
      if (tolerated && headerMismatchLog.shouldLog(principal.clientId)) {
        log().warn(
          { event: 'mcp.header_version_mismatch', clientId: principal.clientId, headerVersion: tolerated.headerVersion, bodyVersion: tolerated.bodyVersion },
          'client sends an MCP-Protocol-Version header that disagrees with its request body; served by the body (logged once per client)',
        );
      }
      const methods = (Array.isArray(body) ? body : [body]).map((m) => (typeof m === 'object' && m !== null ? (m as { method?: unknown }).method : undefined)).filter((m): m is string => typeof m === 'string');
      const connecting = methods.some((m) => m === 'initialize' || m === 'server/discover');
      const firstConnect = connecting && connectedLog.shouldLog(`${principal.clientId}\n${principal.accountId}`);
      log()[firstConnect ? 'info' : 'debug']({ event: firstConnect ? 'mcp.connected' : 'mcp.request', clientId: principal.clientId, accountId: principal.accountId, methods: methods.slice(0, 5) }, firstConnect ? 'MCP client connected' : 'MCP request');
      if (isToolCall(body)) {
        try {
          await people.prepare(principal.accountId);
        } catch (err) {
          if (err instanceof GoogleReauthRequired) {
            return unauthorized(req, res, 'google_reauth_required', { code: 'invalid_token', description: GOOGLE_REAUTH_DESCRIPTION });
          }
          if (err instanceof GoogleUnavailable) return jsonRpcError(req, res, 503, -32603, 'Google is temporarily unavailable; try again shortly', { 'Retry-After': '30' });
          return next(err);
        }
      }
    }
    if (req.method === 'POST' && isToolCall(body)) await toolCallHandler(req, res, body);
    else await nodeHandler(req, res, body);
    if (outcome.reauthRequired) log().info({ event: 'mcp.google_reauth_required' }, 'a tool found the Google sign-in revoked');
  });

  return router;
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
