/**
 * Client ID Metadata Document helpers for tests: a loopback document server whose outages a test can
 * switch on (closed, 503, hanging, 404), a CIMD sign-in (the client id is the document's URL; public
 * client, PKCE, loopback redirect), and the `cimd.*` events logged since a mark.
 */
import { createServer, type Server } from 'node:http';
import { closeServer, listen } from '../../standins/http.js';
import { authorizeUrl, pkce, tokenRequest, type TokenResponse } from '../../standins/oauth-client.js';
import { UserAgent } from '../../standins/user-agent.js';

export type DocumentServerMode = 'ok' | '503' | 'hang' | '404';

export interface DocumentServer {
  url: string;
  /** The loopback redirect URI the document registers. */
  redirect: string;
  document: Record<string, unknown>;
  /** Requests received (answered or not). */
  hits: number;
  mode: DocumentServerMode;
  close(): Promise<void>;
}

/** Serves one metadata document at http://127.0.0.1:<port>/oauth/client-metadata.json. */
export async function startDocumentServer(opts: { maxAgeSeconds: number; name?: string }): Promise<DocumentServer> {
  let server: Server | undefined;
  const hanging = new Set<import('node:http').ServerResponse>();
  const state: DocumentServer = {
    url: '',
    redirect: '',
    document: {},
    hits: 0,
    mode: 'ok',
    async close() {
      for (const res of hanging) res.destroy();
      if (server) await closeServer(server);
      server = undefined;
    },
  };
  server = createServer((_req, res) => {
    state.hits++;
    if (state.mode === 'hang') {
      hanging.add(res);
      return; // never answers: the server's 2.5 s fetch limit must end it
    }
    if (state.mode === '503' || state.mode === '404') {
      res.statusCode = Number(state.mode);
      res.end('unavailable');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', `max-age=${opts.maxAgeSeconds}`);
    res.end(JSON.stringify(state.document));
  });
  const port = await listen(server);
  state.url = `http://127.0.0.1:${port}/oauth/client-metadata.json`;
  state.redirect = `http://127.0.0.1:${port + 1 > 65535 ? port - 1 : port + 1}/callback`;
  state.document = {
    client_id: state.url,
    client_name: opts.name ?? 'CIMD Test Client',
    redirect_uris: [state.redirect],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
  return state;
}

export interface CimdSignInResult {
  tokens?: TokenResponse;
  tokenStatus?: number;
  /** Where the browser stopped when it did not get back to the app (an error page). */
  stoppedAt?: { url: string; status: number; html: string };
}

/** A public client identified by its document URL: authorize (consent + Google) and exchange the code. */
export async function cimdSignIn(
  baseUrl: string,
  mcpUrl: string,
  clientId: string,
  redirect: string,
): Promise<CimdSignInResult> {
  const { verifier, challenge } = pkce();
  const ua = new UserAgent();
  const url = authorizeUrl(baseUrl, {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirect,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'cimd-state',
    scope: 'contacts offline_access',
    resource: mcpUrl,
  });
  const run = await ua.run(url, redirect);
  if (!run.finalUrl) return { stoppedAt: run.stoppedAt };
  const code = new URL(run.finalUrl).searchParams.get('code') ?? undefined;
  const t = await tokenRequest(baseUrl, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: redirect,
    client_id: clientId,
    resource: mcpUrl,
  });
  return { tokens: t.body, tokenStatus: t.status };
}

/** The parsed `cimd.*` log lines written after `mark` (an index into the harness's log array). */
export function cimdLines(logs: string[], mark: number): Array<Record<string, unknown>> {
  return logs
    .slice(mark)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    })
    .filter((entry) => typeof entry.event === 'string' && entry.event.startsWith('cimd.'));
}

export function cimdEvents(logs: string[], mark: number): string[] {
  return cimdLines(logs, mark).map((entry) => String(entry.event));
}
