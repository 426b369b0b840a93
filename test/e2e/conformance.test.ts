/**
 * The official MCP conformance suite against /mcp. It has no auth option, so a loopback proxy adds the
 * Bearer token from a real sign-in (and keeps the Host header, for the DNS-rebinding scenario). Only the
 * scenarios that need no reference fixtures apply to a real server.
 */
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { closeServer, listen } from '../../standins/http.js';
import { signIn } from '../../standins/oauth-client.js';

const run = promisify(execFile);
const SCENARIOS = ['server-initialize', 'ping', 'logging-set-level', 'tools-list', 'dns-rebinding-protection'];

describe('MCP conformance suite', function () {
  this.timeout(120_000);
  let h: Harness;
  let proxy: Server;
  let url = '';
  before(async () => {
    h = await startHarness({ env: { LOG_LEVEL: 'warn' } });
    const { tokens } = await signIn(h.baseUrl);
    const target = new URL(h.mcpUrl);
    proxy = createServer((req, res) => {
      const up = request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, authorization: `Bearer ${tokens.access_token}` },
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => {
        res.statusCode = 502;
        res.end();
      });
      req.pipe(up);
    });
    url = `http://127.0.0.1:${await listen(proxy)}/mcp`;
  });
  after(async () => {
    if (proxy) await closeServer(proxy);
    await h?.close();
  });

  for (const scenario of SCENARIOS) {
    it(`passes "${scenario}"`, async () => {
      const bin = join(process.cwd(), 'node_modules', '.bin', 'conformance');
      let stdout = '';
      try {
        ({ stdout } = await run(bin, ['server', '--url', url, '--scenario', scenario], {
          timeout: 60_000,
          env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
        }));
      } catch (err) {
        stdout = (err as { stdout?: string }).stdout ?? String(err);
      }
      const m = /Passed: (\d+)\/(\d+), (\d+) failed/.exec(stdout);
      expect(m, stdout.slice(0, 2000)).to.not.equal(null);
      expect(Number(m![3]), stdout.slice(0, 2000)).to.equal(0);
      expect(Number(m![1])).to.equal(Number(m![2]));
    });
  }
});
