/**
 * One log line per /mcp POST: `mcp.connected` at INFO the first time a (client, account) pair connects
 * (`initialize` or `server/discover`) on this instance within CONNECTED_LOG_WINDOW_MS, DEBUG `mcp.request`
 * otherwise, so a busy server's INFO log shows who connected, not every call.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { log } from '../../logging/logger.js';
import { OncePerKey } from '../../logging/once-per-key.js';
import { principalOf } from '../auth-info.js';
import { methodsOf } from './messages.js';

export const CONNECTED_LOG_WINDOW_MS = 60 * 60 * 1000;

export function logConnections(): RequestHandler {
  const connectedLog = new OncePerKey(CONNECTED_LOG_WINDOW_MS);
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.method !== 'POST') return next();
    const { clientId, accountId } = principalOf(req);
    const methods = methodsOf(req.body);
    const connecting = methods.some((m) => m === 'initialize' || m === 'server/discover');
    const firstConnect = connecting && connectedLog.shouldLog(`${clientId}\n${accountId}`);
    log()[firstConnect ? 'info' : 'debug'](
      { event: firstConnect ? 'mcp.connected' : 'mcp.request', clientId, accountId, methods: methods.slice(0, 5) },
      firstConnect ? 'MCP client connected' : 'MCP request',
    );
    next();
  };
}
