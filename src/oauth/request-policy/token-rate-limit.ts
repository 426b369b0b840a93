/**
 * The token endpoint's caps, applied before oidc-provider reads the request: per client (a runaway
 * client cannot starve others) and per instance. Generous: a team member refreshes about once an hour;
 * the caps only stop floods. The body is read here (the client id may be in it), normalised
 * (token-params.ts) and re-fed to oidc-provider.
 */
import type { NextFunction, Request, Response } from 'express';
import { answerOAuthError, readOAuthBody, replayBody } from '../../http/body.js';
import { OAuthHttpError } from '../../http/oauth-error.js';
import { log } from '../../logging/logger.js';
import { OAUTH_FORM_MAX_BYTES } from '../constants.js';
import { normalizeTokenParams } from './token-params.js';
import { KeyedCounters, WindowCounter } from './window-counter.js';

function tooMany(req: Request, res: Response, wait: number, what: string): Promise<unknown> {
  return answerOAuthError(
    req,
    res,
    new OAuthHttpError(429, 'temporarily_unavailable', `Too many ${what}; retry after ${wait} seconds`, {
      retryAfter: wait,
    }),
  );
}

/** The client id of a token request: HTTP Basic credentials first (RFC 6749 §2.3.1), else the form's client_id. */
function clientIdOf(req: Request, form: URLSearchParams | undefined): string | undefined {
  let clientId: string | undefined;
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    try {
      clientId = decodeURIComponent(decoded.slice(0, Math.max(0, decoded.indexOf(':'))));
    } catch {
      clientId = undefined;
    }
  }
  if (!clientId && form) clientId = form.get('client_id') ?? undefined;
  return clientId;
}

export function createTokenRateLimit(opts: {
  perClientPerMinute: number;
  globalPerMinute: number;
  mcpUrl: string;
  knownScopes: string[];
}) {
  const global = new WindowCounter(opts.globalPerMinute, 60_000);
  const perClient = new KeyedCounters(opts.perClientPerMinute, 60_000);
  return async (req: Request, res: Response, next: NextFunction) => {
    const wait = global.take();
    if (wait > 0) {
      log().warn({ event: 'token.refused', reason: 'token_rate_limited_global' }, 'token endpoint cap reached');
      await tooMany(req, res, wait, 'token requests on this server');
      return;
    }
    const body = await readOAuthBody(req, res, OAUTH_FORM_MAX_BYTES, 'Token request');
    if (body === undefined) return;
    const isForm = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
    const form = isForm ? new URLSearchParams(body.toString('utf8')) : undefined;
    const clientId = clientIdOf(req, form);
    if (clientId) {
      const w = perClient.take(clientId.slice(0, 300));
      if (w > 0) {
        log().warn(
          { event: 'token.refused', reason: 'token_rate_limited_client', clientId: clientId.slice(0, 200) },
          'per-client token cap reached',
        );
        await tooMany(req, res, w, 'token requests from this client');
        return;
      }
    }
    const rewritten = form && normalizeTokenParams(form, opts.mcpUrl, opts.knownScopes);
    replayBody(req, rewritten ? Buffer.from(form.toString()) : body);
    next();
  };
}
