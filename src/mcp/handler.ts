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
import type { ContactTrash } from '../contacts/trash.js';
import { log } from '../logging/logger.js';
import { GoogleReauthRequired, GoogleUnavailable, type PeopleGateway } from '../upstream/google/people.js';
import { AccessTokenVerifier, InvalidTokenError, toAuthInfo, type Principal } from './auth.js';
import { buildMcpServer, type RequestOutcome } from './server.js';
import { jsonDepth } from '../oauth/request-policy.js';
import type { ToolDefinition } from './tools/types.js';

export const MAX_MCP_BODY_BYTES = 1024 * 1024;
/** Tool arguments are shallow; deep nesting only serves to exhaust the validator's stack. */
const MAX_JSON_DEPTH = 32;
const GOOGLE_REAUTH_DESCRIPTION = 'Google sign-in expired or was revoked; sign in again';

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

function jsonRpcError(res: Response, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
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

  const unauthorized = (res: Response, reason: string, error?: { code: string; description: string }) => {
    log().info({ event: 'mcp.challenge', reason }, 'answered 401 with a Bearer challenge');
    res.setHeader('WWW-Authenticate', challenge(config, scope, error));
    res.setHeader('Cache-Control', 'no-store');
    res.status(401).json({ error: error?.code ?? 'unauthorized', error_description: error?.description ?? 'Authorization required: sign in to use this server' });
  };

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
      jsonRpcError(res, 403, -32600, 'Forbidden: Host not allowed');
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin)) {
      log().warn({ event: 'mcp.refused', reason: 'origin_not_allowed' }, 'request from a foreign Origin refused');
      jsonRpcError(res, 403, -32600, 'Forbidden: Origin not allowed');
      return;
    }
    if (origin !== undefined) corsHeaders(res, origin);
    if (req.method === 'OPTIONS') {
      // CORS preflight: no credentials are sent with it, so it is answered before the bearer check.
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    const authz = req.headers.authorization;
    if (!authz) return unauthorized(res, 'no_token');
    const m = /^Bearer ([^\s]+)$/i.exec(authz);
    if (!m) return unauthorized(res, 'malformed_authorization', { code: 'invalid_request', description: 'Use the Authorization: Bearer <token> scheme' });
    const token = m[1]!;
    let principal: Principal;
    try {
      principal = await verifier.verify(token);
    } catch (err) {
      if (err instanceof InvalidTokenError) return unauthorized(res, `token_${err.reason}`, { code: 'invalid_token', description: err.message });
      return next(err);
    }
    const outcome: RequestOutcome = { reauthRequired: false };
    (req as Request & { auth?: unknown }).auth = { ...toAuthInfo(token, principal, config), extra: { accountId: principal.accountId, grantId: principal.grantId, outcome } };

    // Parse once here (bounded) so a tool call can be checked for a usable Google sign-in first.
    let body: unknown;
    if (req.method === 'POST') {
      try {
        body = await readJson(req);
      } catch (err) {
        const tooLarge = (err as { type?: string }).type === 'entity.too.large';
        if (tooLarge) {
          res.setHeader('Connection', 'close');
          return jsonRpcError(res, 413, -32600, 'Request body too large');
        }
        return jsonRpcError(res, 400, -32700, 'Parse error: the body is not valid JSON');
      }
      if (jsonDepth(body, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH) return jsonRpcError(res, 400, -32600, 'Invalid Request: the message is nested too deeply');
      if (body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0)) {
        return jsonRpcError(res, 400, -32700, 'Parse error: the body must be a JSON-RPC message');
      }
      const methods = (Array.isArray(body) ? body : [body]).map((m) => (typeof m === 'object' && m !== null ? (m as { method?: unknown }).method : undefined)).filter((m): m is string => typeof m === 'string');
      const first = methods.some((m) => m === 'initialize' || m === 'server/discover');
      log()[first ? 'info' : 'debug']({ event: first ? 'mcp.connected' : 'mcp.request', clientId: principal.clientId, accountId: principal.accountId, methods: methods.slice(0, 5) }, first ? 'MCP client connected' : 'MCP request');
      if (isToolCall(body)) {
        try {
          await people.prepare(principal.accountId);
        } catch (err) {
          if (err instanceof GoogleReauthRequired) {
            return unauthorized(res, 'google_reauth_required', { code: 'invalid_token', description: GOOGLE_REAUTH_DESCRIPTION });
          }
          if (err instanceof GoogleUnavailable) return jsonRpcError(res, 503, -32603, 'Google is temporarily unavailable; try again shortly', { 'Retry-After': '30' });
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

const jsonParser = express.json({ limit: MAX_MCP_BODY_BYTES, strict: false, type: () => true });
function readJson(req: Request): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const res = {} as Response;
    jsonParser(req, res, (err?: unknown) => (err ? reject(err) : resolve((req as { body?: unknown }).body)));
  });
}
