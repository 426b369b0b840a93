/**
 * OAuthHttpError: the one OAuth-shaped JSON error every route outside oidc-provider answers with, in each
 * of its forms (Node response, fetch Response, Koa context), and storeUnavailable(), the one 503.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { expect } from 'chai';
import {
  OAuthHttpError,
  storeUnavailable,
  STORE_RETRY_AFTER_SECONDS,
  type KoaResponseLike,
} from '../../src/http/oauth-error.js';
import { closeServer, listen } from '../../standins/http.js';

/** A loopback server whose every request is answered by `answer`. */
async function serve(answer: (res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => answer(res));
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/`, server };
}

describe('OAuthHttpError: one OAuth-shaped JSON error', () => {
  it('RFC 6749 §5.2: send() answers the status with a JSON body of exactly `error` and `error_description`, never cached', async () => {
    const { url, server } = await serve((res) =>
      new OAuthHttpError(400, 'invalid_request', 'The scope is not known').send(res),
    );
    try {
      const r = await fetch(url);
      expect(r.status).to.equal(400);
      expect(r.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(r.headers.get('cache-control')).to.equal('no-store');
      expect(r.headers.get('retry-after')).to.equal(null);
      expect(r.headers.get('www-authenticate')).to.equal(null);
      expect(await r.json()).to.deep.equal({ error: 'invalid_request', error_description: 'The scope is not known' });
    } finally {
      await closeServer(server);
    }
  });

  it('RFC 6750 §3: a 401 carries the WWW-Authenticate challenge it was given; headers set before (CORS) are kept', async () => {
    const challenge =
      'Bearer resource_metadata="https://x.example.com/.well-known/oauth-protected-resource/mcp", scope="contacts"';
    const { url, server } = await serve((res) => {
      res.setHeader('Access-Control-Allow-Origin', 'https://app.example.com');
      new OAuthHttpError(401, 'invalid_token', 'The access token expired', { wwwAuthenticate: challenge }).send(res);
    });
    try {
      const r = await fetch(url);
      expect(r.status).to.equal(401);
      expect(r.headers.get('www-authenticate')).to.equal(challenge);
      expect(r.headers.get('access-control-allow-origin')).to.equal('https://app.example.com');
      expect(((await r.json()) as { error: string }).error).to.equal('invalid_token');
    } finally {
      await closeServer(server);
    }
  });

  it('does not write over a response that has already started (no second status line, no crash)', async () => {
    const { url, server } = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      new OAuthHttpError(500, 'server_error', 'Internal error').send(res);
      res.end(' end');
    });
    try {
      const r = await fetch(url);
      expect(r.status).to.equal(200);
      expect(await r.text()).to.equal('partial end');
    } finally {
      await closeServer(server);
    }
  });

  it('toResponse() gives the same answer as a fetch Response (inside the MCP SDK handler)', async () => {
    const e = new OAuthHttpError(401, 'invalid_token', 'Google sign-in expired', {
      wwwAuthenticate: 'Bearer scope="contacts"',
    });
    const r = e.toResponse();
    expect(r.status).to.equal(401);
    expect(r.headers.get('www-authenticate')).to.equal('Bearer scope="contacts"');
    expect(r.headers.get('cache-control')).to.equal('no-store');
    expect(r.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    expect(await r.json()).to.deep.equal({ error: 'invalid_token', error_description: 'Google sign-in expired' });
  });

  it('applyTo() sets status, headers and body on a Koa context (oidc-provider), status before body', () => {
    const order: string[] = [];
    const headers: Record<string, string> = {};
    let status = 500;
    let body: unknown = 'Internal Server Error';
    const ctx: KoaResponseLike = {
      get status() {
        return status;
      },
      set status(v: number) {
        order.push('status');
        status = v;
      },
      get body() {
        return body;
      },
      set body(v: unknown) {
        order.push('body');
        body = v;
      },
      set(fields: Record<string, string>) {
        Object.assign(headers, fields);
      },
    };
    new OAuthHttpError(404, 'not_found', 'No such endpoint').applyTo(ctx);
    expect(status).to.equal(404);
    expect(body).to.deep.equal({ error: 'not_found', error_description: 'No such endpoint' });
    expect(headers['cache-control']).to.equal('no-store');
    // Koa turns an implicit 404 into 200 when a body is set; an explicit status first keeps it.
    expect(order).to.deep.equal(['status', 'body']);
  });

  it('storeUnavailable(): the one 503 for a storage outage, temporarily_unavailable with Retry-After (RFC 6749 §4.1.2.1 error code, RFC 9110 §10.2.3)', async () => {
    const e = storeUnavailable();
    expect(e.status).to.equal(503);
    expect(e.error).to.equal('temporarily_unavailable');
    expect(e.headers()['retry-after']).to.equal(String(STORE_RETRY_AFTER_SECONDS));
    const { url, server } = await serve((res) => storeUnavailable().send(res));
    try {
      const r = await fetch(url);
      expect(r.status).to.equal(503);
      expect(r.headers.get('retry-after')).to.equal('10');
      expect(((await r.json()) as { error_description: string }).error_description).to.match(
        /temporarily unavailable; try again/,
      );
    } finally {
      await closeServer(server);
    }
  });
});
