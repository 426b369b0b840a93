/**
 * RFC 8707 `resource` written with a trailing slash means our MCP URL too; rewriting it to the canonical
 * form at /authorize and /token keeps the authorization request, the grant and the token request
 * consistent. A repeated parameter is left alone (oidc-provider refuses it).
 */
export function canonicalResource(params: URLSearchParams, mcpUrl: string): void {
  const values = params.getAll('resource');
  if (values.length === 1 && values[0] === `${mcpUrl}/`) params.set('resource', mcpUrl);
}
