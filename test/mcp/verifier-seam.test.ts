/**
 * The seam between /mcp and the authorization server (issue 11 item 1): /mcp depends only on the
 * TokenVerifier interface. Here a fake verifier stands in for the whole OAuth side — no oidc-provider, no
 * signing key, no Grant records, no stand-in Google — and /mcp still serves, challenges and refuses as it
 * does in production. A static check keeps src/mcp and src/oauth from importing each other again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, relative, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import sinon from 'sinon';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { InvalidTokenError, type Principal, type TokenVerifier } from '../../src/auth/token-verifier.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { ContactTrash } from '../../src/contacts/trash.js';
import { storeUnavailable } from '../../src/http/oauth-error.js';
import { createLogger, setRootLogger } from '../../src/logging/logger.js';
import { createMcpRouter } from '../../src/mcp/http/router.js';
import { KeyRing } from '../../src/security/keys.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { isStoreUnavailable, StoreUnavailableError } from '../../src/storage/port.js';
import { GoogleOAuth } from '../../src/upstream/google/oauth.js';
import { PeopleGateway } from '../../src/upstream/google/people.js';
import { GoogleTokenStore } from '../../src/upstream/google/token-store.js';
import { closeServer, listen } from '../../standins/http.js';
import { mcpPost } from '../../standins/oauth-client.js';

const SECRET = 'seam-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const GOOD_TOKEN = 'fake-token-for-account-1';
const STORE_DOWN_TOKEN = 'fake-token-while-store-down';

/** The whole authorization server, as /mcp sees it. */
class FakeVerifier implements TokenVerifier {
  readonly seen: string[] = [];
  constructor(private readonly principals: ReadonlyMap<string, Principal>) {}
  async verify(token: string): Promise<Principal> {
    this.seen.push(token);
    if (token === STORE_DOWN_TOKEN) throw new StoreUnavailableError('store down');
    const p = this.principals.get(token);
    if (!p) throw new InvalidTokenError('expired', 'The access token expired');
    return p;
  }
}

describe('/mcp behind the TokenVerifier seam (no authorization server)', () => {
  let server: Server;
  let baseUrl: string;
  let config: Config;
  let verifier: FakeVerifier;
  let people: PeopleGateway;
  const logs: string[] = [];
  const escaped: unknown[] = [];
  const principal: Principal = {
    accountId: 'account-1',
    clientId: 'client-1',
    grantId: 'grant-1',
    scopes: ['contacts'],
    expiresAt: Math.floor(Date.now() / 1000) + 600,
  };

  before(async () => {
    server = createServer();
    baseUrl = `http://127.0.0.1:${await listen(server)}`;
    config = loadConfig({
      BASE_URL: baseUrl,
      ACCESS_TOKEN_SECRET: SECRET,
      GOOGLE_CLIENT_ID: 'a',
      GOOGLE_CLIENT_SECRET: 'b',
      DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'true',
      LOG_LEVEL: 'debug',
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    });
    setRootLogger(createLogger({ level: 'debug', destination: sink }));
    const store = new MemoryStore();
    const keys = new KeyRing([SECRET]);
    // Google is not reachable here (port 9 on loopback); the People calls this test makes are stubbed.
    const google = new GoogleOAuth({
      issuer: 'http://127.0.0.1:9',
      clientId: 'a',
      clientSecret: 'b',
      redirectUri: `${baseUrl}/oauth/google/callback`,
    });
    people = new PeopleGateway({
      rootUrl: 'http://127.0.0.1:9',
      tokens: new GoogleTokenStore(store, keys, google, 3600),
    });
    verifier = new FakeVerifier(new Map([[GOOD_TOKEN, principal]]));
    const app = express();
    app.use(createMcpRouter({ config, verifier, people, trash: new ContactTrash(store, keys, 30), scope: 'contacts' }));
    // What app.ts does with what escapes a route: the test sees it too.
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      escaped.push(err);
      if (isStoreUnavailable(err)) storeUnavailable().send(res);
      else res.status(500).end();
    });
    server.on('request', app);
  });
  after(async () => {
    sinon.restore();
    await closeServer(server);
  });
  afterEach(() => sinon.restore());

  it('a fake verifier is all /mcp needs: an MCP client connects and lists tools with its token', async () => {
    const client = new Client({ name: 'seam-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(config.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${GOOD_TOKEN}` } },
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).to.include('whoami');
    } finally {
      await client.close();
    }
    expect(verifier.seen).to.include(GOOD_TOKEN);
  });

  it('the principal the verifier returns is the account the tools act for (Google prefetch and People call)', async () => {
    const prepared: string[] = [];
    const called: string[] = [];
    sinon.stub(people, 'prepare').callsFake(async (accountId: string) => void prepared.push(accountId));
    sinon.stub(people, 'call').callsFake((async (accountId: string) => {
      called.push(accountId);
      return { resourceName: 'people/1', emailAddresses: [{ value: 'one@example.com', metadata: { primary: true } }] };
    }) as never);
    const r = await mcpPost(config.mcpUrl, GOOD_TOKEN, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    });
    expect(r.status).to.equal(200);
    expect(await r.text()).to.contain('one@example.com');
    expect(prepared).to.deep.equal(['account-1']);
    expect(called).to.deep.equal(['account-1']);
  });

  it("RFC 6750 §3.1, RFC 9728 §5.1: a token the verifier refuses gets 401 invalid_token with the challenge and the verifier's reason; the token is not logged", async () => {
    const refused = 'refused-token-value-0123456789';
    const r = await mcpPost(config.mcpUrl, refused, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(r.status).to.equal(401);
    const challenge = r.headers.get('www-authenticate') ?? '';
    expect(challenge).to.contain(`resource_metadata="${baseUrl}/.well-known/oauth-protected-resource/mcp"`);
    expect(challenge).to.contain('scope="contacts"');
    expect(challenge).to.contain('error="invalid_token"');
    expect(r.headers.get('cache-control')).to.equal('no-store');
    expect(await r.json()).to.deep.equal({ error: 'invalid_token', error_description: 'The access token expired' });
    expect(logs.some((l) => l.includes('"reason":"token_expired"'))).to.equal(true);
    expect(logs.join('\n')).to.not.contain(refused);
  });

  it("a verifier failure that is not about the token (storage down) is the error handler's 503, not a 401 that would force a new sign-in", async () => {
    const before = escaped.length;
    const r = await mcpPost(config.mcpUrl, STORE_DOWN_TOKEN, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(r.status).to.equal(503);
    expect(r.headers.get('www-authenticate')).to.equal(null);
    expect(r.headers.get('retry-after')).to.equal('10');
    expect(escaped.length).to.equal(before + 1);
    expect(isStoreUnavailable(escaped.at(-1))).to.equal(true);
  });
});

describe('issue 11: src/mcp and src/oauth do not import each other', () => {
  const root = resolve(import.meta.dirname, '../../src');
  const filesUnder = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  /** Top-level folders under src/ that a file imports from (relative specifiers only): `from`, side-effect and dynamic imports. */
  const importedFolders = (file: string): string[] => {
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.[^'"]+)\1/g)].map((m) => m[2]!);
    return specs.map((s) => relative(root, resolve(file, '..', s)).split(/[\\/]/)[0]!);
  };
  const offenders = (from: string, to: string) =>
    filesUnder(join(root, from))
      .filter((f) => importedFolders(f).includes(to))
      .map((f) => relative(root, f));

  it('the checker sees imports (it finds src/app.ts importing both)', () => {
    expect(importedFolders(join(root, 'app.ts'))).to.include.members(['mcp', 'oauth']);
  });

  it('nothing in src/mcp imports from src/oauth (they meet only at auth/token-verifier.ts, wired in app.ts)', () => {
    expect(offenders('mcp', 'oauth')).to.deep.equal([]);
  });

  it('nothing in src/oauth imports from src/mcp (revocation reaches the verifier through a callback)', () => {
    expect(offenders('oauth', 'mcp')).to.deep.equal([]);
  });
});
