/**
 * Dynamic Client Registration policy, applied before oidc-provider reads the request (it does the
 * protocol; we decide what we accept):
 * - a global hourly cap (never per IP: a team shares one egress, and Claude registers a new client on
 *   every connection);
 * - redirect URIs limited to https, loopback http and private-use schemes (redirect-uris.ts), with
 *   `application_type` set so oidc-provider accepts the native forms;
 * - requested scopes are ignored instead of failing (Claude asks for "claudeai");
 * - refresh_token is added next to authorization_code so every client can stay signed in.
 * The rewritten body is re-fed to oidc-provider.
 */
import type { NextFunction, Request, Response } from 'express';
import { answerOAuthError, readOAuthBody, replayBody } from '../../http/body.js';
import { OAuthHttpError } from '../../http/oauth-error.js';
import { jsonDepth } from '../../http/json-depth.js';
import { log } from '../../logging/logger.js';
import { applicationTypeFor, checkRedirectUri, type RedirectUriCheck } from '../redirect-uris.js';
import { WindowCounter } from './window-counter.js';

const MAX_REGISTRATION_BYTES = 16 * 1024;
const MAX_JSON_DEPTH = 8;
/** Metadata that would make us fetch URLs or that we do not support; dropped before oidc-provider sees it. */
const UNSUPPORTED_METADATA = [
  'jwks_uri',
  'jwks',
  'sector_identifier_uri',
  'request_uris',
  'initiate_login_uri',
  'backchannel_logout_uri',
  'frontchannel_logout_uri',
  'post_logout_redirect_uris',
  'client_id',
  'client_secret',
  'client_secret_expires_at',
  'client_id_issued_at',
  'registration_access_token',
  'registration_client_uri',
];

/**
 * Checks every redirect URI (redirect-uris.ts) and sets application_type so oidc-provider accepts the
 * native forms; returns why the registration is refused, if it is (RFC 7591 §3.2.2 invalid_redirect_uri).
 */
function applyRedirectUriPolicy(meta: Record<string, unknown>, uris: unknown[]): string | undefined {
  const accepted: Array<Extract<RedirectUriCheck, { ok: true }>> = [];
  for (const [i, uri] of uris.entries()) {
    const check = checkRedirectUri(uri);
    if (!check.ok) return `redirect_uris[${i}] ${check.reason}`;
    accepted.push(check);
  }
  const applicationType = applicationTypeFor(meta.application_type, accepted);
  if (applicationType === 'native') {
    const i = accepted.findIndex((c) => c.kind === 'https' && c.loopbackHost);
    // oidc-provider refuses these for native apps: a loopback redirect is plain http (RFC 8252 §7.3).
    if (i >= 0)
      return `redirect_uris[${i}] uses https on a loopback host, which a native app cannot receive; use http://127.0.0.1 (RFC 8252 section 7.3)`;
  }
  if (applicationType !== undefined) meta.application_type = applicationType;
  return undefined;
}

export function createRegistrationPolicy(opts: { perHour: number }) {
  const counter = new WindowCounter(opts.perHour, 3600_000);
  return async (req: Request, res: Response, next: NextFunction) => {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return next();
    const wait = counter.take();
    if (wait > 0) {
      log().warn(
        { event: 'client.registration_refused', reason: 'registration_rate_limited' },
        'registration cap reached',
      );
      await answerOAuthError(
        req,
        res,
        new OAuthHttpError(
          429,
          'temporarily_unavailable',
          'Too many client registrations on this server; try again later',
          { retryAfter: wait },
        ),
      );
      return;
    }
    const raw = await readOAuthBody(req, res, MAX_REGISTRATION_BYTES, 'Registration request');
    if (raw === undefined) return;
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      await answerOAuthError(
        req,
        res,
        new OAuthHttpError(400, 'invalid_request', 'The registration request body is not valid JSON'),
      );
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      await answerOAuthError(
        req,
        res,
        new OAuthHttpError(400, 'invalid_client_metadata', 'The registration request must be a JSON object'),
      );
      return;
    }
    if (jsonDepth(body, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH) {
      await answerOAuthError(
        req,
        res,
        new OAuthHttpError(400, 'invalid_client_metadata', 'The registration request is nested too deeply'),
      );
      return;
    }
    const meta = body as Record<string, unknown>;
    if (Array.isArray(meta.redirect_uris)) {
      const refusal = applyRedirectUriPolicy(meta, meta.redirect_uris as unknown[]);
      if (refusal) {
        log().warn(
          { event: 'client.registration_refused', reason: 'invalid_redirect_uri', detail: refusal },
          'client registration refused',
        );
        await answerOAuthError(req, res, new OAuthHttpError(400, 'invalid_redirect_uri', refusal));
        return;
      }
    }
    for (const k of UNSUPPORTED_METADATA) delete meta[k];
    // A registered `scope` would only restrict what the client may ask for later; every client gets the
    // same access here, so requested values ("claudeai", our own "contacts", …) are accepted and ignored.
    delete meta.scope;
    if (
      Array.isArray(meta.grant_types) &&
      meta.grant_types.includes('authorization_code') &&
      !meta.grant_types.includes('refresh_token')
    ) {
      meta.grant_types = [...(meta.grant_types as unknown[]), 'refresh_token'];
    }
    replayBody(req, Buffer.from(JSON.stringify(meta)));
    next();
  };
}
