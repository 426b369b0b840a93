/**
 * Before a tool call, makes sure the user's Google access token is at hand (refreshing it server-side if
 * needed). A Google sign-in that is gone answers HTTP 401 with the challenge, so the client starts a new
 * sign-in instead of silently dropping the connector's tools; Google being down answers 503 to retry.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { GoogleReauthRequired, GoogleUnavailable } from '../../upstream/google/people.js';
import { principalOf } from '../auth-info.js';
import { GOOGLE_REAUTH_REQUIRED, type BearerChallenge } from './bearer.js';
import { answerJsonRpcError, JSON_RPC_ERROR } from './json-rpc-error.js';
import { isToolCall } from './messages.js';

/** Seconds a client waits before retrying when Google is unavailable. */
const GOOGLE_RETRY_AFTER_SECONDS = 30;

/** What the prefetch needs of the People gateway. */
export interface GoogleSignInCheck {
  /** Resolves when a Google access token is ready for the account; GoogleReauthRequired / GoogleUnavailable otherwise. */
  prepare(accountId: string): Promise<void>;
}

export function prefetchGoogleToken(google: GoogleSignInCheck, challenge: BearerChallenge): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' || !isToolCall(req.body)) return next();
    try {
      await google.prepare(principalOf(req).accountId);
    } catch (err) {
      if (err instanceof GoogleReauthRequired)
        return challenge.answer(req, res, 'google_reauth_required', GOOGLE_REAUTH_REQUIRED);
      if (err instanceof GoogleUnavailable) {
        return answerJsonRpcError(
          req,
          res,
          503,
          JSON_RPC_ERROR.internal,
          'Google is temporarily unavailable; try again shortly',
          { 'Retry-After': String(GOOGLE_RETRY_AFTER_SECONDS) },
        );
      }
      return next(err);
    }
    next();
  };
}
