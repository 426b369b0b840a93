/**
 * Request policy applied before oidc-provider sees a request (it does the protocol; we decide what we
 * accept):
 * - Dynamic Client Registration: a global hourly cap (never per IP: a team shares one egress, and
 *   Claude registers a new client on every connection), redirect URIs limited to https, loopback http
 *   and private-use schemes (redirect-uris.ts), requested scopes are ignored instead of failing (Claude
 *   asks for "claudeai"), and refresh_token is added next to authorization_code so every client can
 *   stay signed in.
 * - /authorize: unknown scopes dropped, our resource scope always requested, `offline_access` kept (see
 *   keepOfflineAccess).
 */
import type { NextFunction, Request, Response } from 'express';
import { readOAuthBody, replayBody } from '../http/body.js';
import { jsonDepth } from '../http/json-depth.js';
import { log } from '../logging/logger.js';
import { applicationTypeFor, checkRedirectUri, type RedirectUriCheck } from './redirect-uris.js';

const MAX_REGISTRATION_BYTES = 16 * 1024;
/** oidc-provider's own limit for form bodies (/token, /revoke, /introspect). */
export const OAUTH_FORM_MAX_BYTES = 56 * 1024;
const MAX_JSON_DEPTH = 8;
/** Metadata that would make us fetch URLs or that we do not support; dropped before oidc-provider sees it. */
const UNSUPPORTED_METADATA = ['jwks_uri', 'jwks', 'sector_identifier_uri', 'request_uris', 'initiate_login_uri', 'backchannel_logout_uri', 'frontchannel_logout_uri', 'post_logout_redirect_uris', 'client_id', 'client_secret', 'client_secret_expires_at', 'client_id_issued_at', 'registration_access_token', 'registration_client_uri'];

export class WindowCounter {
  private hits: number[] = [];
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a hit; returns seconds to wait when over the cap, else 0. */
  take(): number {
    const t = this.now();
    while (this.hits.length && this.hits[0]! <= t - this.windowMs) this.hits.shift();
    if (this.hits.length >= this.max) return Math.max(1, Math.ceil((this.hits[0]! + this.windowMs - t) / 1000));
    this.hits.push(t);
    return 0;
  }
}

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
    if (i >= 0) return `redirect_uris[${i}] uses https on a loopback host, which a native app cannot receive; use http://127.0.0.1 (RFC 8252 section 7.3)`;
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
      log().warn({ event: 'client.registration_refused', reason: 'registration_rate_limited' }, 'registration cap reached');
      res.setHeader('Retry-After', String(wait));
      res.status(429).json({ error: 'temporarily_unavailable', error_description: 'Too many client registrations on this server; try again later' });
      return;
    }
    const raw = await readOAuthBody(req, res, MAX_REGISTRATION_BYTES, 'Registration request');
    if (raw === undefined) return;
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      res.status(400).json({ error: 'invalid_request', error_description: 'The registration request body is not valid JSON' });
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      res.status(400).json({ error: 'invalid_client_metadata', error_description: 'The registration request must be a JSON object' });
      return;
    }
    if (jsonDepth(body, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH) {
      res.status(400).json({ error: 'invalid_client_metadata', error_description: 'The registration request is nested too deeply' });
      return;
    }
    const meta = body as Record<string, unknown>;
    if (Array.isArray(meta.redirect_uris)) {
      const refusal = applyRedirectUriPolicy(meta, meta.redirect_uris as unknown[]);
      if (refusal) {
        log().warn({ event: 'client.registration_refused', reason: 'invalid_redirect_uri', detail: refusal }, 'client registration refused');
        res.status(400).json({ error: 'invalid_redirect_uri', error_description: refusal });
        return;
      }
    }
    for (const k of UNSUPPORTED_METADATA) delete meta[k];
    // A registered `scope` would only restrict what the client may ask for later; every client gets the
    // same access here, so requested values ("claudeai", our own "contacts", …) are accepted and ignored.
    delete meta.scope;
    if (Array.isArray(meta.grant_types) && meta.grant_types.includes('authorization_code') && !meta.grant_types.includes('refresh_token')) {
      meta.grant_types = [...meta.grant_types, 'refresh_token'];
    }
    replayBody(req, Buffer.from(JSON.stringify(meta)));
    next();
  };
}

/**
 * RFC 8707 `resource` written with a trailing slash means our MCP URL too; rewriting it to the canonical
 * form here keeps the authorization request, the grant and the token request consistent.
 */
function canonicalResource(params: URLSearchParams, mcpUrl: string): void {
  const values = params.getAll('resource');
  if (values.length === 1 && values[0] === `${mcpUrl}/`) params.set('resource', mcpUrl);
}

export function normalizeAuthorizeScope(knownScopes: string[], resourceScope: string, mcpUrl: string) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const q = req.url.indexOf('?');
    if (q < 0) return next();
    const params = new URLSearchParams(req.url.slice(q + 1));
    canonicalResource(params, mcpUrl);
    // Duplicated parameters are oidc-provider's to refuse; leave such requests untouched.
    if (params.getAll('scope').length > 1) {
      req.url = `${req.url.slice(0, q)}?${params.toString()}`;
      return next();
    }
    const requested = (params.get('scope') ?? '').split(' ').filter(Boolean);
    const kept = requested.filter((s) => knownScopes.includes(s));
    if (!kept.includes(resourceScope)) kept.push(resourceScope);
    params.set('scope', kept.join(' '));
    if (kept.includes('offline_access')) keepOfflineAccess(params);
    req.url = `${req.url.slice(0, q)}?${params.toString()}`;
    next();
  };
}

/**
 * oidc-provider follows OpenID Connect Core §11: it silently drops `offline_access` from an authorization
 * request unless `prompt` contains `consent`. The code and refresh token then lack the scope, and a client
 * that repeats its scopes on refresh (Codex CLI: `contacts offline_access`) gets invalid_scope an hour
 * later. Here every authorization passes our consent page (or a consent this user already gave this
 * client, which covers staying signed in: refresh tokens are issued regardless), so a request for
 * offline_access is treated as the consent request it implies. `prompt=none` cannot be combined with
 * consent and is left alone (oidc-provider then drops offline_access, as before).
 */
function keepOfflineAccess(params: URLSearchParams): void {
  const prompts = params.getAll('prompt');
  if (prompts.length > 1) return; // duplicated parameter: oidc-provider refuses the request
  const values = (prompts[0] ?? '').split(' ').filter(Boolean);
  if (values.includes('consent') || values.includes('none')) return;
  params.set('prompt', [...values, 'consent'].join(' '));
}

/** Fixed-window counters per key, bounded in memory. */
class KeyedCounters {
  private readonly counters = new Map<string, WindowCounter>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  take(key: string): number {
    let c = this.counters.get(key);
    if (!c) {
      if (this.counters.size >= 10_000) this.counters.clear();
      c = new WindowCounter(this.max, this.windowMs);
      this.counters.set(key, c);
    }
    return c.take();
  }
}

function tooMany(res: Response, wait: number, what: string): void {
  res.setHeader('Retry-After', String(wait));
  res.setHeader('Cache-Control', 'no-store');
  res.status(429).json({ error: 'temporarily_unavailable', error_description: `Too many ${what}; retry after ${wait} seconds` });
}

/**
 * Token endpoint caps: per client (a runaway client cannot starve others) and per instance. Generous:
 * a team member refreshes about once an hour; the caps only stop floods.
 */
export function createTokenRateLimit(opts: { perClientPerMinute: number; globalPerMinute: number; mcpUrl: string; knownScopes: string[] }) {
  const global = new WindowCounter(opts.globalPerMinute, 60_000);
  const perClient = new KeyedCounters(opts.perClientPerMinute, 60_000);
  return async (req: Request, res: Response, next: NextFunction) => {
    const wait = global.take();
    if (wait > 0) {
      log().warn({ event: 'token.refused', reason: 'token_rate_limited_global' }, 'token endpoint cap reached');
      return tooMany(res, wait, 'token requests on this server');
    }
    const body = await readOAuthBody(req, res, OAUTH_FORM_MAX_BYTES, 'Token request');
    if (body === undefined) return;
    let raw = body;
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
    const isForm = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
    const form = isForm ? new URLSearchParams(raw.toString('utf8')) : undefined;
    if (!clientId && form) clientId = form.get('client_id') ?? undefined;
    if (clientId) {
      const w = perClient.take(clientId.slice(0, 300));
      if (w > 0) {
        log().warn({ event: 'token.refused', reason: 'token_rate_limited_client', clientId: clientId.slice(0, 200) }, 'per-client token cap reached');
        return tooMany(res, w, 'token requests from this client');
      }
    }
    if (form) {
      let changed = false;
      if (form.get('resource') === `${opts.mcpUrl}/`) {
        canonicalResource(form, opts.mcpUrl);
        changed = true;
      }
      // A refresh that names scopes we do not know ("claudeai") asks for the granted ones (RFC 6749 §6).
      const scopes = form.getAll('scope');
      if (scopes.length === 1) {
        const requested = scopes[0]!.split(' ').filter(Boolean);
        const kept = requested.filter((x) => opts.knownScopes.includes(x));
        if (kept.length !== requested.length) {
          if (kept.length) form.set('scope', kept.join(' '));
          else form.delete('scope');
          changed = true;
        }
      }
      if (changed) raw = Buffer.from(form.toString());
    }
    replayBody(req, raw);
    next();
  };
}
