/**
 * The bearer gate of /mcp and its 401 challenge. The gate hands the token to a TokenVerifier (the only
 * thing /mcp knows of the authorization server, see auth/token-verifier.ts) and puts the principal on
 * `req.auth`, as the MCP SDK's `requireBearerAuth({ verifier })` does. Every refusal is a 401 with a
 * `WWW-Authenticate: Bearer` challenge naming our protected-resource metadata (RFC 6750 §3, RFC 9728
 * §5.1): Claude ignores a challenge on any other status, and starts a new sign-in on this one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { InvalidTokenError, type Principal, type TokenVerifier } from '../../auth/token-verifier.js';
import type { Config } from '../../config/config.js';
import { answerEarly } from '../../http/body.js';
import { OAuthHttpError } from '../../http/oauth-error.js';
import { log } from '../../logging/logger.js';
import { toAuthInfo, type AuthenticatedRequest } from '../auth-info.js';

export interface BearerError {
  code: 'invalid_token' | 'invalid_request';
  description: string;
}

/** The Google sign-in behind the token is gone: a new sign-in (which a 401 starts) is the only fix. */
export const GOOGLE_REAUTH_REQUIRED: BearerError = {
  code: 'invalid_token',
  description: 'Google sign-in expired or was revoked; sign in again',
};

export function resourceMetadataUrl(config: Config): string {
  return `${config.baseUrl}/.well-known/oauth-protected-resource/mcp`;
}

export class BearerChallenge {
  constructor(
    private readonly metadataUrl: string,
    private readonly scope: string,
  ) {}

  /** The `WWW-Authenticate` value: metadata URL and scope always, the error when there is one. */
  header(error?: BearerError): string {
    const parts = [`Bearer resource_metadata="${this.metadataUrl}"`, `scope="${this.scope}"`];
    if (error) parts.push(`error="${error.code}"`, `error_description="${error.description.replace(/["\\]/g, '')}"`);
    return parts.join(', ');
  }

  /** The 401 itself. Without an error (no token at all) the body still says what to do. */
  refusal(error?: BearerError): OAuthHttpError {
    return new OAuthHttpError(
      401,
      error?.code ?? 'unauthorized',
      error?.description ?? 'Authorization required: sign in to use this server',
      { wwwAuthenticate: this.header(error) },
    );
  }

  /** Logs why, then answers the 401 once the rest of the body was drained. */
  async answer(req: IncomingMessage, res: ServerResponse, reason: string, error?: BearerError): Promise<void> {
    log().info({ event: 'mcp.challenge', reason }, 'answered 401 with a Bearer challenge');
    const refusal = this.refusal(error);
    await answerEarly(req, res, refusal.status, refusal.headers(), refusal.payload());
  }
}

export interface BearerGateOptions {
  verifier: TokenVerifier;
  challenge: BearerChallenge;
  /** The resource the tokens are for (the MCP URL), recorded on `req.auth`. */
  resource: string;
}

/** Passes a request on only with a valid `Authorization: Bearer` token; `req.auth` then carries the principal. */
export function bearerGate({ verifier, challenge, resource }: BearerGateOptions): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const authz = req.headers.authorization;
    if (!authz) return challenge.answer(req, res, 'no_token');
    const m = /^Bearer ([^\s]+)$/i.exec(authz);
    if (!m)
      return challenge.answer(req, res, 'malformed_authorization', {
        code: 'invalid_request',
        description: 'Use the Authorization: Bearer <token> scheme',
      });
    const token = m[1]!;
    let principal: Principal;
    try {
      principal = await verifier.verify(token);
    } catch (err) {
      if (err instanceof InvalidTokenError)
        return challenge.answer(req, res, `token_${err.reason}`, { code: 'invalid_token', description: err.message });
      // Anything else (a storage outage) is the app's error handler's to answer (503), not a reason to sign in again.
      return next(err);
    }
    (req as AuthenticatedRequest).auth = toAuthInfo(token, principal, resource, { reauthRequired: false });
    next();
  };
}
