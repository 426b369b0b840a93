/**
 * Applies the one protocol-version header tolerance (../protocol-version.ts) to a parsed POST before the
 * SDK validates its headers, and warns once per client per instance: the warning says "this client does
 * it", not "this request did".
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { log } from '../../logging/logger.js';
import { OncePerKey } from '../../logging/once-per-key.js';
import { principalOf } from '../auth-info.js';
import { tolerateEarlierHeaderVersion } from '../protocol-version.js';

export function tolerateHeaderVersion(): RequestHandler {
  const warned = new OncePerKey(Number.POSITIVE_INFINITY);
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.method !== 'POST') return next();
    const tolerated = tolerateEarlierHeaderVersion(req.headers, req.body);
    const { clientId } = principalOf(req);
    if (tolerated && warned.shouldLog(clientId)) {
      log().warn(
        {
          event: 'mcp.header_version_mismatch',
          clientId,
          headerVersion: tolerated.headerVersion,
          bodyVersion: tolerated.bodyVersion,
        },
        'client sends an MCP-Protocol-Version header that disagrees with its request body; served by the body (logged once per client)',
      );
    }
    next();
  };
}
