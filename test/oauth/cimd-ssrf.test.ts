/**
 * SSRF refusals of URL client ids are unchanged by stored copies: a client_id that points at a non-public
 * address is refused before any fetch, whether or not a copy of "its" document sits in the store (fresh or
 * stale), with the honest "client ID not acceptable" page and exactly one `cimd.fetch_blocked` line.
 */
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger, setRootLogger } from '../../src/logging/logger.js';
import { CimdDocuments } from '../../src/oauth/cimd-documents.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { TEST_SECRET } from '../support/harness.js';
import { closeServer, listen } from '../../standins/http.js';
import { cimdLines } from '../support/cimd.js';
import { authorizeUrl, pkce } from '../../standins/oauth-client.js';

const DAY = 24 * 60 * 60 * 1000;

describe('CIMD SSRF guard with stored copies (production-shaped server: https BASE_URL, loopback switch off)', function () {
  let docServer: Server;
  let docPort = 0;
  let hits = 0;
  let server: Server;
  let base = '';
  const logs: string[] = [];
  const store = new MemoryStore();

  before(async () => {
    docServer = createServer((_req, res) => {
      hits++;
      res.end('{}');
    });
    docPort = await listen(docServer);
    const config = loadConfig({
      BASE_URL: 'https://mcp.example.test',
      ACCESS_TOKEN_SECRET: TEST_SECRET,
      GOOGLE_CLIENT_ID: 'x.apps.googleusercontent.com',
      GOOGLE_CLIENT_SECRET: 'y',
      LOG_LEVEL: 'info',
    });
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _enc, cb) {
          for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(line);
          cb();
        },
      }),
    });
    setRootLogger(logger);
    server = createServer(createApp({ config, store, logger }).app);
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  after(async () => {
    await closeServer(docServer);
    await closeServer(server);
  });

  it('SSRF: a non-public client_id URL is refused before any fetch even with a fresh or stale copy of its document in the store', async () => {
    const ids: Array<[string, string]> = [
      ['https://127.0.0.1/client.json', 'non_public_address'],
      [`https://127.0.0.1:${docPort}/client.json`, 'non_standard_port'],
      ['https://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token', 'non_public_address'],
      ['https://10.0.0.1/client.json', 'non_public_address'],
      ['https://[fd00::1]/client.json', 'non_public_address'],
    ];
    for (const [age, label] of [
      [0, 'fresh'],
      [DAY, 'stale'],
    ] as const) {
      for (const [id, detail] of ids) {
        const document = {
          client_id: id,
          client_name: 'Internal',
          redirect_uris: ['https://app.example/cb'],
          token_endpoint_auth_method: 'none',
        };
        await new CimdDocuments(store, () => Date.now() - age).save(id, document, 3600);
        const mark = logs.length;
        const res = await fetch(
          authorizeUrl(base, {
            response_type: 'code',
            client_id: id,
            redirect_uri: 'https://app.example/cb',
            code_challenge: pkce().challenge,
            code_challenge_method: 'S256',
          }),
          { redirect: 'manual' },
        );
        const text = await res.text();
        expect(res.status, `${label} ${id}`).to.equal(400);
        expect(res.headers.get('location'), `${label} ${id}: never a redirect`).to.equal(null);
        expect(text).to.contain('The app’s client ID is not acceptable');
        if (detail === 'non_public_address') expect(text).to.contain('non-public network address');
        expect(text).to.not.contain('Allow');
        expect(text).to.not.contain('could not reach');
        const lines = cimdLines(logs, mark);
        expect(
          lines.map((l) => l.event),
          `${label} ${id}: exactly one cimd line`,
        ).to.deep.equal(['cimd.fetch_blocked']);
        expect(lines[0]!.detail).to.equal(detail);
      }
    }
    expect(hits, 'nothing was fetched').to.equal(0);
  });

  it('SSRF: plain http and odd ports stay refused as before (not_https, non_standard_port), with the same page', async () => {
    for (const [id, detail] of [
      ['http://app.example/client.json', 'not_https'],
      ['https://app.example:8443/client.json', 'non_standard_port'],
    ] as const) {
      const mark = logs.length;
      const res = await fetch(
        authorizeUrl(base, {
          response_type: 'code',
          client_id: id,
          redirect_uri: 'https://app.example/cb',
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        }),
        { redirect: 'manual' },
      );
      const text = await res.text();
      if (detail === 'not_https') {
        // oidc-provider only treats https URLs as documents: plain http is an unknown client, as before.
        expect(res.status).to.equal(400);
        expect(text).to.contain('invalid_client');
        expect(cimdLines(logs, mark)).to.deep.equal([]);
        continue;
      }
      expect(res.status).to.equal(400);
      expect(res.headers.get('location')).to.equal(null);
      expect(text).to.contain('The app’s client ID is not acceptable');
      const lines = cimdLines(logs, mark);
      expect(lines.map((l) => l.event)).to.deep.equal(['cimd.fetch_blocked']);
      expect(lines[0]!.detail).to.equal(detail);
    }
  });
});
