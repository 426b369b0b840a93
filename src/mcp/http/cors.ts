/**
 * CORS for browser-based MCP clients. Runs after the Origin check, so any Origin that reaches it is
 * allowed. The challenge and session headers are exposed (a browser client must read WWW-Authenticate to
 * find our metadata). A preflight carries no credentials, so it is answered here, before the bearer gate.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { answerEarly } from '../../http/body.js';

export function corsForAllowedOrigins(): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version');
    }
    if (req.method === 'OPTIONS') {
      await answerEarly(req, res, 204, {
        'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
        'access-control-allow-headers':
          'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID',
        'access-control-max-age': '600',
      });
      return;
    }
    next();
  };
}
