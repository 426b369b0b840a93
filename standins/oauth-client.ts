/**
 * A small, explicit OAuth client for tests and the bench (a Claude-like client that registers, signs in
 * through user-agent.ts and calls /mcp): every request is visible in the code that makes it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UserAgent } from './user-agent.js';

export const CLAUDE_REDIRECT = 'https://claude.ai/api/mcp/auth_callback';

export interface Registered {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  [k: string]: unknown;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function register(
  baseUrl: string,
  meta: Record<string, unknown>,
): Promise<{ status: number; body: Registered & { error?: string; error_description?: string } }> {
  const res = await fetch(`${baseUrl}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(meta),
  });
  return { status: res.status, body: (await res.json()) as Registered & { error?: string } };
}

/** Claude's real registration payload (see shared/docs/mcp-and-claude.md). */
export function claudeRegistration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_name: 'claudeai',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'claudeai',
    redirect_uris: [CLAUDE_REDIRECT],
    ...overrides,
  };
}

export function authorizeUrl(baseUrl: string, params: Record<string, string | undefined>): string {
  const u = new URL(`${baseUrl}/authorize`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

export interface AuthorizationResult {
  params: URLSearchParams;
  ua: UserAgent;
}

/** Runs a full authorization as a person who approves (or denies) on our consent page. */
export async function authorize(
  baseUrl: string,
  client: { client_id: string; redirect_uri: string },
  opts: {
    challenge: string;
    state?: string;
    scope?: string;
    resource?: string;
    ua?: UserAgent;
    decision?: 'approve' | 'deny';
    extra?: Record<string, string>;
  },
): Promise<AuthorizationResult> {
  const ua = opts.ua ?? new UserAgent();
  const url = authorizeUrl(baseUrl, {
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uri,
    code_challenge: opts.challenge,
    code_challenge_method: 'S256',
    state: opts.state ?? randomBytes(8).toString('hex'),
    scope: opts.scope,
    resource: opts.resource,
    ...opts.extra,
  });
  const result = await ua.run(url, client.redirect_uri, () => opts.decision ?? 'approve');
  if (!result.finalUrl)
    throw new Error(
      `authorization stopped at ${result.stoppedAt?.status} ${result.stoppedAt?.url}: ${result.stoppedAt?.html.slice(0, 300)}`,
    );
  return { params: new URL(result.finalUrl).searchParams, ua };
}

export interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  error?: string;
  error_description?: string;
}

export async function tokenRequest(
  baseUrl: string,
  params: Record<string, string | undefined>,
): Promise<{ status: number; body: TokenResponse }> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) body.set(k, v);
  const res = await fetch(`${baseUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { status: res.status, body: (await res.json()) as TokenResponse };
}

export function clientAuth(client: Registered): Record<string, string | undefined> {
  return { client_id: client.client_id, client_secret: client.client_secret };
}

/** Registers a Claude-like client and signs in: returns the client and its first tokens. */
export async function signIn(
  baseUrl: string,
  opts: { loginHint?: string; registration?: Record<string, unknown>; ua?: UserAgent } = {},
) {
  const reg = await register(baseUrl, claudeRegistration(opts.registration));
  if (reg.status !== 201) throw new Error(`registration failed: ${JSON.stringify(reg.body)}`);
  const client = reg.body;
  const { verifier, challenge } = pkce();
  const { params, ua } = await authorize(
    baseUrl,
    { client_id: client.client_id, redirect_uri: client.redirect_uris[0]! },
    { challenge, ua: opts.ua, extra: opts.loginHint ? { login_hint: opts.loginHint } : undefined },
  );
  const code = params.get('code');
  if (!code) throw new Error(`no code: ${params.toString()}`);
  const tokens = await tokenRequest(baseUrl, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: client.redirect_uris[0],
    ...clientAuth(client),
  });
  if (tokens.status !== 200) throw new Error(`token exchange failed: ${JSON.stringify(tokens.body)}`);
  return { client, tokens: tokens.body, ua, code };
}

export async function mcpPost(
  mcpUrl: string,
  token: string | undefined,
  message: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(message),
  });
}
