/**
 * `npm run sandbox -- --cimd off`, started through the sandbox's own wiring (scripts/sandbox.ts), and
 * connected to the way Claude Code does when the server does not advertise client ID metadata documents
 * (see /work/shared/docs/mcp-and-claude.md): 401 challenge → protected resource metadata → authorization
 * server metadata without `client_id_metadata_document_supported` → DCR as a native public client with
 * a `http://localhost:<port>/callback` redirect → authorize with `scope=contacts offline_access`,
 * `prompt=consent` and `resource` → code exchange with `resource` → a tool call. The stand-in Google page
 * is the sandbox's interactive one, where the "person" picks alice@example.com.
 */
import { randomInt } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { sandboxBanner, startSandbox, type Sandbox } from '../../scripts/sandbox.js';
import { cimdEvents } from '../support/cimd.js';
import { mcpPost, pkce, register, tokenRequest } from '../../standins/oauth-client.js';
import { decodeEntities, UserAgent } from '../../standins/user-agent.js';

describe('sandbox --cimd off: Claude Code connects without CIMD', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  const logs: string[] = [];

  before(async () => {
    sandbox = await startSandbox({
      port: 0,
      store: 'memory',
      readOnly: false,
      cimd: false,
      logLevel: 'info',
      env: {},
      logDestination: new Writable({
        write(chunk: Buffer, _enc, cb) {
          for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(line);
          cb();
        },
      }),
    });
  });
  after(async () => sandbox?.stop());
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(logs.slice(-30).join('\n'));
  });

  it('the banner says when to use --cimd off, and whether it is on', () => {
    const off = sandboxBanner(sandbox);
    expect(off).to.contain('Claude Code offline? use --cimd off');
    expect(off).to.match(/Client ID metadata documents:\s+off/);
    const on = sandboxBanner({ ...sandbox, config: { ...sandbox.config, clientIdMetadataDocuments: true } });
    expect(on).to.contain('Claude Code offline? use --cimd off');
    expect(on).to.match(/Client ID metadata documents:\s+on/);
  });

  it('Claude Code without CIMD: metadata has no client_id_metadata_document_supported → DCR (native, none, localhost callback) → authorize (contacts offline_access, prompt=consent, resource) → code exchange → tool call', async () => {
    const mcpUrl = sandbox.config.mcpUrl;
    const mark = logs.length;

    // Discovery, as the client does it: the 401 challenge names the protected resource metadata.
    const challenge = await mcpPost(mcpUrl, undefined, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'claude-code', version: '2.1.0' },
      },
    });
    expect(challenge.status).to.equal(401);
    const resourceMetadataUrl = /resource_metadata="([^"]+)"/.exec(
      challenge.headers.get('www-authenticate') ?? '',
    )?.[1];
    expect(resourceMetadataUrl).to.be.a('string');
    const prm = (await (await fetch(resourceMetadataUrl!)).json()) as {
      resource: string;
      authorization_servers: string[];
    };
    expect(prm.resource).to.equal(mcpUrl);
    const issuer = prm.authorization_servers[0]!;
    const as = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    expect(as, 'CIMD not advertised: Claude Code falls back to DCR').to.not.have.property(
      'client_id_metadata_document_supported',
    );
    expect(as.token_endpoint_auth_methods_supported).to.include('none');

    // DCR as Claude Code registers.
    const redirect = `http://localhost:${randomInt(40_000, 60_000)}/callback`;
    const reg = await register(issuer, {
      client_name: 'Claude Code (contacts)',
      redirect_uris: [redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    });
    expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
    expect(reg.body.client_secret).to.equal(undefined);
    const clientId = reg.body.client_id;

    // Authorization as Claude Code asks for it.
    const { verifier, challenge: codeChallenge } = pkce();
    const authorize = new URL(String(as.authorization_endpoint));
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirect,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
      state: 'cc-state',
      scope: 'contacts offline_access',
      prompt: 'consent',
      resource: mcpUrl,
    }))
      authorize.searchParams.set(k, v);
    const ua = new UserAgent();
    // Our consent page: Allow. The sandbox's stand-in Google page lists accounts: stop there and pick one.
    const toGoogle = await ua.run(authorize.href, redirect, (_html, url) =>
      url.startsWith(sandbox.google.url) ? 'stop' : 'approve',
    );
    expect(toGoogle.stoppedAt?.url, 'reached the stand-in Google account chooser').to.match(
      new RegExp(`^${sandbox.google.url}/interaction/`),
    );
    const action = new URL(
      decodeEntities(/<form method="post" action="([^"]+)"/.exec(toGoogle.stoppedAt!.html)![1]!),
      toGoogle.stoppedAt!.url,
    );
    const chosen = await ua.request(action.href, {
      method: 'POST',
      body: new URLSearchParams({ email: 'alice@example.com' }),
    });
    expect(chosen.status).to.be.within(300, 399);
    const back = await ua.run(new URL(chosen.headers.get('location')!, action).href, redirect);
    expect(back.finalUrl, JSON.stringify(back.stoppedAt)).to.be.a('string');
    const params = new URL(back.finalUrl!).searchParams;
    expect(params.get('state')).to.equal('cc-state');
    expect(params.get('iss')).to.equal(issuer);

    // Code exchange with resource, then a tool call.
    const tokens = await tokenRequest(issuer, {
      grant_type: 'authorization_code',
      code: params.get('code')!,
      code_verifier: verifier,
      redirect_uri: redirect,
      client_id: clientId,
      resource: mcpUrl,
    });
    expect(tokens.status, JSON.stringify(tokens.body)).to.equal(200);
    expect(tokens.body.refresh_token).to.be.a('string');
    const whoami = await mcpPost(mcpUrl, tokens.body.access_token, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    });
    expect(whoami.status).to.equal(200);
    expect(await whoami.text()).to.contain('alice@example.com');

    expect(logs.slice(mark).some((l) => l.includes('"event":"client.registered"'))).to.equal(true);
    expect(cimdEvents(logs, mark), 'nothing was fetched').to.deep.equal([]);
  });
});
