/** Secret Manager references resolved against a loopback stand-in of the Secret Manager REST API. */
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import { resolveSecretReferences } from '../../src/config/secrets.js';
import { closeServer, listen } from '../../standins/http.js';

describe('Secret Manager references (sm://)', function () {
  let server: Server;
  let endpoint = '';
  const requests: string[] = [];
  const secrets: Record<string, string> = {
    'projects/p1/secrets/access-token-secret/versions/latest': 'resolved-secret-value-0123456789abcdefghijkl',
    'projects/p1/secrets/access-token-secret/versions/1': 'previous-secret-value-0123456789abcdefghijkl',
    'projects/p1/secrets/google-oauth-client/versions/3': JSON.stringify({
      web: { client_id: 'abc.apps.googleusercontent.com', client_secret: 'GOCSPX-x' },
    }),
  };
  before(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const m = /^\/v1\/(projects\/[^:]+):access/.exec(req.url ?? '');
      const name = m?.[1] ? decodeURIComponent(m[1]) : '';
      const value = secrets[name];
      res.setHeader('content-type', 'application/json');
      if (!value) {
        res.statusCode = 404;
        res.end(
          JSON.stringify({
            error: { code: 404, message: `Secret [${name}] not found or has no versions.`, status: 'NOT_FOUND' },
          }),
        );
        return;
      }
      res.end(JSON.stringify({ name, payload: { data: Buffer.from(value).toString('base64') } }));
    });
    endpoint = `http://127.0.0.1:${await listen(server)}`;
  });
  after(async () => closeServer(server));

  it('leaves plain values alone and loads no client', async () => {
    const env = await resolveSecretReferences({ ACCESS_TOKEN_SECRET: 'plain', OTHER: 'sm://not-a-secret-variable' });
    expect(env.ACCESS_TOKEN_SECRET).to.equal('plain');
    expect(env.OTHER).to.equal('sm://not-a-secret-variable');
  });

  it('resolves references, including each item of a rotation list', async () => {
    const env = await resolveSecretReferences({
      SECRET_MANAGER_ENDPOINT: endpoint,
      ACCESS_TOKEN_SECRET:
        'sm://projects/p1/secrets/access-token-secret/versions/latest,sm://projects/p1/secrets/access-token-secret/versions/1',
      GOOGLE_OAUTH_CLIENT: 'sm://projects/p1/secrets/google-oauth-client/versions/3',
    });
    expect(env.ACCESS_TOKEN_SECRET).to.equal(
      `${secrets['projects/p1/secrets/access-token-secret/versions/latest']},${secrets['projects/p1/secrets/access-token-secret/versions/1']}`,
    );
    expect(JSON.parse(env.GOOGLE_OAUTH_CLIENT!).web.client_id).to.equal('abc.apps.googleusercontent.com');
    expect(requests.some((r) => r.includes('access-token-secret'))).to.equal(true);
  });

  it('fails with an actionable message for a missing secret or a malformed reference', async () => {
    let err: Error | undefined;
    try {
      await resolveSecretReferences({
        SECRET_MANAGER_ENDPOINT: endpoint,
        ACCESS_TOKEN_SECRET: 'sm://projects/p1/secrets/nope/versions/1',
      });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/ACCESS_TOKEN_SECRET: could not read projects\/p1\/secrets\/nope\/versions\/1/);
    expect(err?.message).to.contain('secretAccessor');
    err = undefined;
    try {
      await resolveSecretReferences({ SECRET_MANAGER_ENDPOINT: endpoint, GOOGLE_CLIENT_SECRET: 'sm://secrets/x' });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.contain('malformed Secret Manager reference');
  });
});
