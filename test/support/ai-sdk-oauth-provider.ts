/**
 * What an application built on the Vercel AI SDK supplies to `@ai-sdk/mcp` for OAuth, modelled on the
 * SDK's own example (examples/mcp/src/mcp-with-auth): an in-memory OAuthClientProvider registering as a
 * `client_secret_post` client with a loopback redirect, which opens the system browser (here the
 * headless one) and a small callback listener that receives the code. Nothing in it talks OAuth: the
 * SDK does discovery, registration, PKCE, the code exchange and refresh itself.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type {
  OAuthAuthorizationServerInformation,
  OAuthClientInformation,
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthTokens,
} from '@ai-sdk/mcp';
import { closeServer, listen } from '../../standins/http.js';

export class AiSdkOAuthProvider implements OAuthClientProvider {
  private savedTokens?: OAuthTokens;
  private verifier?: string;
  private info?: OAuthClientInformation;
  private registeredDynamically = false;
  private asInfo?: OAuthAuthorizationServerInformation;
  private savedState?: string;
  readonly openedUrls: URL[] = [];

  constructor(
    private readonly redirect: string,
    /** The command that opens a URL in "the browser" (the app's choice: here the headless browser). */
    private readonly browserCommand: string,
  ) {}

  get redirectUrl(): string {
    return this.redirect;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'AI SDK MCP client',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    };
  }
  tokens() {
    return this.savedTokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.savedTokens = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.openedUrls.push(url);
    // Like the SDK example's `xdg-open`: hand the URL to the browser and return; the code arrives at the callback.
    spawn(this.browserCommand, [url.toString()], { stdio: 'ignore' }).unref();
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformation) {
    this.info = info;
    this.registeredDynamically = true;
  }
  isClientInformationDynamicallyRegistered() {
    return this.registeredDynamically;
  }
  authorizationServerInformation() {
    return this.asInfo;
  }
  saveAuthorizationServerInformation(info: OAuthAuthorizationServerInformation) {
    this.asInfo = info;
  }
  state() {
    this.savedState = crypto.randomUUID();
    return this.savedState;
  }
  storedState() {
    return this.savedState;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier') {
    if (scope === 'all' || scope === 'tokens') this.savedTokens = undefined;
    if (scope === 'all' || scope === 'client') this.info = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
  }
}

/** The app's loopback redirect listener: resolves with the query of the first request to `path`. */
export async function startCallbackListener(
  path = '/callback',
): Promise<{ url: string; next(timeoutMs: number): Promise<URLSearchParams>; close(): Promise<void> }> {
  const waiting: Array<(p: URLSearchParams) => void> = [];
  const received: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== path) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Signed in. You can close this window.');
    const w = waiting.shift();
    if (w) w(u.searchParams);
    else received.push(u.searchParams);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}${path}`,
    next(timeoutMs) {
      const ready = received.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no authorization response at the callback within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiting.push((p) => {
          clearTimeout(timer);
          resolve(p);
        });
      });
    },
    close: () => closeServer(server),
  };
}
