/**
 * Oversized request bodies on the OAuth endpoints (RFC 9110 §15.5.14 413 Content Too Large, answered as
 * an RFC 6749 §5.2 error): the server reads and discards the rest of the body (up to a bound) before it
 * answers, so a client behind a proxy receives the 413 instead of a reset connection or a 502.
 */
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { DRAIN_MAX_BYTES } from '../../src/http/body.js';
import { startHarness, type Harness } from '../support/harness.js';
import { authorizeUrl, pkce, register } from '../../standins/oauth-client.js';
import { startReportingProxy, type ReportingProxy } from '../support/reporting-proxy.js';
import { UserAgent } from '../../standins/user-agent.js';

const ONE_MB = 1_000_000;
const FORM = 'application/x-www-form-urlencoded';

const OVERSIZED: Array<{ path: string; contentType: string; body: () => string }> = [
  {
    path: '/register',
    contentType: 'application/json',
    body: () => JSON.stringify({ client_name: 'x'.repeat(ONE_MB), redirect_uris: ['https://app.example/cb'] }),
  },
  {
    path: '/token',
    contentType: FORM,
    body: () => `grant_type=refresh_token&client_id=c&refresh_token=${'a'.repeat(ONE_MB)}`,
  },
  { path: '/revoke', contentType: FORM, body: () => `client_id=c&token=${'a'.repeat(ONE_MB)}` },
  { path: '/introspect', contentType: FORM, body: () => `client_id=c&token=${'a'.repeat(ONE_MB)}` },
];

/** A raw request on its own connection; resolves with what came back (or how the connection ended). */
function rawRequest(
  url: string,
  opts: { method?: string; headers: Record<string, string | number>; chunks: Buffer[] },
): Promise<
  { status: number; headers: Record<string, string | string[] | undefined>; body: string } | { error: string }
> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: opts.method ?? 'POST',
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }),
        );
        res.on('error', (err) => resolve({ error: err.message }));
      },
    );
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    for (const c of opts.chunks) req.write(c);
    req.end();
  });
}

describe('oversized bodies on OAuth endpoints (413 that survives a proxy)', function () {
  let h: Harness;
  let proxy: ReportingProxy;
  before(async () => {
    h = await startHarness();
    proxy = await startReportingProxy(h.baseUrl);
  });
  after(async () => {
    await proxy?.close();
    await h?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed')
      console.log(JSON.stringify(proxy.exchanges.slice(-3)), h.logs.slice(-10).join('\n'));
  });

  for (const { path, contentType, body } of OVERSIZED) {
    it(`POST ${path} with a 1 MB body through a proxy: the client gets 413 invalid_request as JSON, not a reset or a 502`, async () => {
      const res = await fetch(`${proxy.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: body(),
      });
      const exchange = proxy.exchanges.at(-1)!;
      expect(res.status, JSON.stringify(exchange)).to.equal(413);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      const json = (await res.json()) as { error: string; error_description: string };
      expect(json.error).to.equal('invalid_request');
      expect(json.error_description).to.be.a('string').and.match(/large/i);
      expect(exchange.upstreamError, 'the server reset the connection under the proxy').to.equal(undefined);
      expect(h.logs.join('\n')).not.to.contain('a'.repeat(100));
    });
  }

  it('a chunked body (no Content-Length) that grows past the limit gets the same 413', async () => {
    const chunks = Array.from({ length: 16 }, () => Buffer.alloc(64 * 1024, 'a'));
    const r = await rawRequest(`${h.baseUrl}/token`, {
      headers: { 'content-type': FORM, 'transfer-encoding': 'chunked' },
      chunks: [Buffer.from('grant_type=refresh_token&refresh_token='), ...chunks],
    });
    expect(r, JSON.stringify(r)).to.have.property('status', 413);
    expect(JSON.parse((r as { body: string }).body).error).to.equal('invalid_request');
  });

  it('after a drained 413 the connection stays usable (keep-alive): the next request on it is answered', async () => {
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const send = (payload: string) =>
        new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
          const u = new URL(`${h.baseUrl}/register`);
          const req = httpRequest(
            {
              host: u.hostname,
              port: u.port,
              path: u.pathname,
              method: 'POST',
              agent,
              headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket }));
            },
          );
          req.on('error', reject);
          req.end(payload);
        });
      const first = await send(
        JSON.stringify({ client_name: 'x'.repeat(100_000), redirect_uris: ['https://app.example/cb'] }),
      );
      expect(first.status).to.equal(413);
      const second = await send(
        JSON.stringify({
          client_name: 'small',
          redirect_uris: ['https://app.example/cb'],
          token_endpoint_auth_method: 'none',
        }),
      );
      expect(second.status).to.equal(201);
      expect(second.socket).to.equal(first.socket);
    } finally {
      agent.destroy();
    }
  });

  it(`a declared Content-Length above the drain bound (${DRAIN_MAX_BYTES} bytes) is answered 413 at once, with Connection: close`, async () => {
    const r = await new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
      const u = new URL(`${h.baseUrl}/register`);
      const req = httpRequest(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': DRAIN_MAX_BYTES + 1 },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              connection: res.headers.connection,
              body: Buffer.concat(parts).toString('utf8'),
            }),
          );
        },
      );
      req.on('error', reject);
      req.write('{"client_name":"'); // the client waits for the answer before sending the rest
    });
    expect(r.status).to.equal(413);
    expect(r.connection).to.equal('close');
    expect(JSON.parse(r.body).error).to.equal('invalid_request');
  });

  it('the consent form POST with a 1 MB body gets 413 invalid_request through the proxy, not a reset (body-parser drains it)', async () => {
    const client = (
      await register(h.baseUrl, {
        client_name: 'Form test',
        redirect_uris: ['https://app.example/cb'],
        token_endpoint_auth_method: 'none',
      })
    ).body;
    const ua = new UserAgent();
    const r = await ua.run(
      authorizeUrl(h.baseUrl, {
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: 'https://app.example/cb',
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      }),
      'https://app.example/cb',
      () => 'stop',
    );
    const action = new URL(/action="([^"]+)"/.exec(r.stoppedAt!.html)![1]!, proxy.url).toString();
    const res = await ua.request(action, {
      method: 'POST',
      body: new URLSearchParams({ decision: 'approve', csrf: 'x', padding: 'p'.repeat(1_000_000) }),
    });
    expect(res.status, JSON.stringify(proxy.exchanges.at(-1))).to.equal(413);
    expect(((await res.json()) as { error: string }).error).to.equal('invalid_request');
    expect(proxy.exchanges.at(-1)!.upstreamError).to.equal(undefined);
  });
});
