/**
 * A real MCP SDK client with a headless OAuth provider: `redirectToAuthorization` drives the
 * UserAgent through consent and the stand-in Google, captures the code, and the test then calls
 * `transport.finishAuth(code)` and reconnects — what Claude Code or Inspector do with a browser.
 */
import { Client, StreamableHTTPClientTransport, type OAuthClientProvider } from '@modelcontextprotocol/client';
import { UserAgent } from '../../standins/user-agent.js';

type Meta = OAuthClientProvider['clientMetadata'];
type Info = Awaited<ReturnType<OAuthClientProvider['clientInformation']>>;
type Tokens = Awaited<ReturnType<OAuthClientProvider['tokens']>>;

export class HeadlessOAuthProvider implements OAuthClientProvider {
  private info: Info;
  private savedTokens: Tokens;
  private verifier = '';
  readonly ua = new UserAgent();
  /** The query parameters the authorization server sent to our redirect URI. */
  lastCallback?: URLSearchParams;
  authorizationUrls: URL[] = [];

  constructor(
    private readonly redirect: string,
    private readonly meta: Meta,
    readonly clientMetadataUrl?: string,
    private readonly decision: 'approve' | 'deny' = 'approve',
  ) {}

  get redirectUrl() {
    return this.redirect;
  }
  get clientMetadata() {
    return this.meta;
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: NonNullable<Info>) {
    this.info = info;
  }
  tokens() {
    return this.savedTokens;
  }
  saveTokens(tokens: NonNullable<Tokens>) {
    this.savedTokens = tokens;
  }
  private discovery: unknown;
  saveDiscoveryState(state: unknown) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery as never;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  async redirectToAuthorization(url: URL) {
    this.authorizationUrls.push(url);
    const result = await this.ua.run(url.toString(), this.redirect, () => this.decision);
    if (!result.finalUrl)
      throw new Error(
        `authorization did not return to the client: ${result.stoppedAt?.status} ${result.stoppedAt?.url}`,
      );
    this.lastCallback = new URL(result.finalUrl).searchParams;
  }
}

/** Connects, doing the OAuth dance if needed; returns a connected client. */
export async function connectWithOAuth(
  mcpUrl: string,
  provider: HeadlessOAuthProvider,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const make = () => new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  let transport = make();
  let client = new Client({ name: 'headless-test-client', version: '1.0.0' });
  try {
    await client.connect(transport);
    return { client, transport };
  } catch (err) {
    if (!provider.lastCallback) throw err;
    const code = provider.lastCallback.get('code');
    if (!code) throw new Error(`authorization failed: ${provider.lastCallback.toString()}`);
    await transport.finishAuth(provider.lastCallback);
    await client.close().catch(() => undefined);
    transport = make();
    client = new Client({ name: 'headless-test-client', version: '1.0.0' });
    await client.connect(transport);
    return { client, transport };
  }
}
