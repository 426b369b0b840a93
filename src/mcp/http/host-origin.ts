/**
 * Who may reach /mcp from a browser: the Host check (DNS rebinding against a server bound to localhost: a
 * foreign page's requests carry its own Host) and the Origin check (MCP transport spec: validate `Origin`
 * when present, 403 for a foreign one; requests without one, from non-browser clients, pass).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isLoopbackHost, type Config } from '../../config/config.js';
import { log } from '../../logging/logger.js';
import { answerJsonRpcError, JSON_RPC_ERROR } from './json-rpc-error.js';

/** On a loopback bind only loopback Host names are served; a public bind serves any (the front end routes by Host). */
export function hostAllowedFor(baseUrl: string): (host: string | undefined) => boolean {
  const loopbackBind = isLoopbackHost(new URL(baseUrl).hostname);
  return (host) => {
    if (!loopbackBind) return true;
    if (!host) return false;
    try {
      return isLoopbackHost(new URL(`http://${host}`).hostname);
    } catch {
      return false;
    }
  };
}

/** Our own origin and `ALLOWED_ORIGINS`; in the loopback sandbox also any http localhost origin (MCP Inspector's web UI runs on another port). */
export function originAllowedFor(config: Config, extraOrigins: readonly string[] = []): (origin: string) => boolean {
  const allowed = new Set([new URL(config.baseUrl).origin, ...extraOrigins]);
  return (origin) => {
    if (allowed.has(origin)) return true;
    if (!config.allowLoopbackHttp) return false;
    try {
      const u = new URL(origin);
      return u.protocol === 'http:' && isLoopbackHost(u.hostname);
    } catch {
      return false;
    }
  };
}

/** Refuses a foreign Host or Origin with 403 and a JSON-RPC error; passes everything else on. */
export function hostAndOriginCheck(config: Config, extraOrigins: readonly string[] = []): RequestHandler {
  const hostAllowed = hostAllowedFor(config.baseUrl);
  const originAllowed = originAllowedFor(config, extraOrigins);
  return async (req: Request, res: Response, next: NextFunction) => {
    if (!hostAllowed(req.headers.host)) {
      log().warn(
        { event: 'mcp.refused', reason: 'host_not_allowed' },
        'request for a foreign Host refused (DNS rebinding)',
      );
      return answerJsonRpcError(req, res, 403, JSON_RPC_ERROR.invalidRequest, 'Forbidden: Host not allowed');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin)) {
      log().warn({ event: 'mcp.refused', reason: 'origin_not_allowed' }, 'request from a foreign Origin refused');
      return answerJsonRpcError(req, res, 403, JSON_RPC_ERROR.invalidRequest, 'Forbidden: Origin not allowed');
    }
    next();
  };
}
