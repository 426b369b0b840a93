/**
 * /authorize parameters rewritten before oidc-provider reads them: unknown scopes dropped (Claude asks
 * for "claudeai"), our resource scope always requested, `resource` in its canonical form, and
 * `offline_access` kept (see keepOfflineAccess).
 */
import type { NextFunction, Request, Response } from 'express';
import { canonicalResource } from './canonical-resource.js';

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
