/**
 * The protected /mcp endpoint, composed of one-purpose steps in the order they must run:
 * Host and Origin check → CORS (and the preflight) → bearer gate (401 challenges MCP clients understand)
 * → bounded body read and parse → protocol-version header tolerance → connection log → Google token
 * prefetch for tool calls → the SDK's stateless handler for both protocol eras (tool calls buffered, so
 * a Google sign-in lost mid-call still answers 401).
 */
import express, { type Request, type Response, type Router } from 'express';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import type { TokenVerifier } from '../../auth/token-verifier.js';
import type { Config } from '../../config/config.js';
import type { ContactTrash } from '../../contacts/trash.js';
import { log } from '../../logging/logger.js';
import type { PeopleGateway } from '../../upstream/google/people.js';
import { fromAuthInfo, outcomeOf, setCalledTool } from '../auth-info.js';
import { buildMcpServer } from '../server.js';
import type { ToolDefinition } from '../tools/types.js';
import { BearerChallenge, bearerGate, resourceMetadataUrl } from './bearer.js';
import { MAX_MCP_BODY_BYTES, readJsonRpcBody } from './body.js';
import { bufferedToolCalls } from './buffered-tool-call.js';
import { logConnections } from './connection-log.js';
import { corsForAllowedOrigins } from './cors.js';
import { prefetchGoogleToken } from './google-prefetch.js';
import { tolerateHeaderVersion } from './header-version.js';
import { hostAndOriginCheck } from './host-origin.js';
import { calledToolName, isToolCall } from './messages.js';

export interface McpRouteDeps {
  config: Config;
  /** Checks bearer tokens: the only thing /mcp knows of the authorization server. */
  verifier: TokenVerifier;
  people: PeopleGateway;
  /** The deleted-contacts trash the tools save to and restore from. */
  trash: ContactTrash;
  /** The scope named in the 401 challenge (the resource scope the metadata advertises). */
  scope: string;
  tools?: ToolDefinition[];
  /** Extra allowed browser origins (besides our own). */
  allowedOrigins?: string[];
}

export function createMcpRouter(deps: McpRouteDeps): Router {
  const { config, verifier, people, scope } = deps;
  const challenge = new BearerChallenge(resourceMetadataUrl(config), scope);

  // One handler for the process; the factory builds a fresh server per request from req.auth.
  const handler = createMcpHandler(
    (ctx) => {
      const { principal, outcome, calledTool } = fromAuthInfo(ctx.authInfo);
      return buildMcpServer({ config, people, trash: deps.trash, tools: deps.tools }, principal, outcome, calledTool);
    },
    {
      maxRequestBodySize: MAX_MCP_BODY_BYTES,
      onerror: (err) => log().debug({ error: err.message }, 'mcp request rejected'),
    },
  );
  const otherRequests = toNodeHandler(handler, { maxRequestBodySize: MAX_MCP_BODY_BYTES });
  const toolCalls = bufferedToolCalls(handler, challenge, MAX_MCP_BODY_BYTES);

  const router = express.Router();
  router.all(
    '/mcp',
    hostAndOriginCheck(config, deps.allowedOrigins),
    corsForAllowedOrigins(),
    bearerGate({ verifier, challenge, resource: config.mcpUrl }),
    readJsonRpcBody(),
    tolerateHeaderVersion(),
    logConnections(),
    prefetchGoogleToken(people, challenge),
    async (req: Request, res: Response) => {
      const body: unknown = req.body;
      if (req.method === 'POST' && isToolCall(body)) {
        const name = calledToolName(body);
        if (name !== undefined) setCalledTool(req, name);
        await toolCalls(req, res, body);
      } else await otherRequests(req, res, body);
      if (outcomeOf(req).reauthRequired)
        log().info({ event: 'mcp.google_reauth_required' }, 'a tool found the Google sign-in revoked');
    },
  );
  return router;
}
