/**
 * Token request parameters rewritten before oidc-provider reads them: `resource` in its canonical form,
 * and scopes we do not know dropped, so a refresh that names "claudeai" asks for the granted scopes
 * (RFC 6749 §6) instead of failing with invalid_scope.
 */
import { canonicalResource } from './canonical-resource.js';

/** Rewrites the form in place; true when it changed (the body must then be re-encoded). */
export function normalizeTokenParams(form: URLSearchParams, mcpUrl: string, knownScopes: string[]): boolean {
  let changed = false;
  if (form.get('resource') === `${mcpUrl}/`) {
    canonicalResource(form, mcpUrl);
    changed = true;
  }
  // Duplicated parameters are oidc-provider's to refuse; leave them untouched.
  const scopes = form.getAll('scope');
  if (scopes.length === 1) {
    const requested = scopes[0]!.split(' ').filter(Boolean);
    const kept = requested.filter((x) => knownScopes.includes(x));
    if (kept.length !== requested.length) {
      if (kept.length) form.set('scope', kept.join(' '));
      else form.delete('scope');
      changed = true;
    }
  }
  return changed;
}
