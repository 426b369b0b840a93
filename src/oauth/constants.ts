/** Lifetimes, limits and scopes of the authorization server (no oidc-provider import: cheap to load). */
import type { Config } from '../config/config.js';

export const ACCESS_TOKEN_TTL = 3600;
export const AUTHORIZATION_CODE_TTL = 600;
export const GRANT_TTL = 90 * 24 * 3600;
export const SESSION_TTL = 14 * 24 * 3600;
export const INTERACTION_TTL = 3600;
export const CLIENT_IDLE_TTL = 30 * 24 * 3600;

/** oidc-provider's own limit for form bodies (/token, /revoke, /introspect). */
export const OAUTH_FORM_MAX_BYTES = 56 * 1024;

/** The scope our access tokens carry for the MCP resource. */
export function resourceScope(config: Config): string {
  return config.readOnly ? 'contacts.readonly' : 'contacts';
}

export const OIDC_SCOPES = ['openid', 'offline_access', 'email', 'profile'];

/**
 * What the authorization server metadata advertises (RFC 8414 `scopes_supported`): the resource scope
 * that the protected-resource metadata and the 401 challenge name, then the OpenID Connect scopes
 * oidc-provider knows (it lists only those by itself).
 */
export function scopesSupported(config: Config): string[] {
  return [resourceScope(config), ...OIDC_SCOPES];
}

/** Accepts the MCP URL, tolerating one trailing slash. */
export function isOurResource(config: Config, value: string): boolean {
  return value === config.mcpUrl || value === `${config.mcpUrl}/`;
}
