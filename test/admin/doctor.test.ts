// `npm run admin -- doctor <BASE_URL>`: against the sandbox (a real process), against deliberately
// misconfigured instances (a proxy in front of a real server that breaks one thing at a time), and the TLS
// check against loopback https servers with certificates made for the test.
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDoctorCommand } from '../../src/admin/cli.js';
import { formatDoctor, runDoctor, type DoctorReport } from '../../src/admin/doctor.js';
import { startHarness, type Harness } from '../support/harness.js';
import { closeServer, freeLoopbackPort, listen } from '../../standins/http.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}
type Mutation = (path: string, method: string, answer: Answer) => Answer;

/**
 * A "public address" in front of a real server, like Cloud Run's front end: forwards every request and, when
 * faithful, rewrites the backend's own origin to the proxy's in bodies and headers (so the backend looks as if
 * BASE_URL were the proxy's address). `mutate` then breaks one thing.
 */
async function startProxy(
  backend: string,
  opts: { faithful: boolean; mutate?: Mutation },
): Promise<{ url: string; server: Server }> {
  const server = createServer();
  const url = `http://127.0.0.1:${await listen(server)}`;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const relay = async () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
      ) as Record<string, string>;
      const r = await fetch(`${backend}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
        redirect: 'manual',
      });
      const rewrite = (s: string) => (opts.faithful ? s.split(backend).join(url) : s);
      let answer: Answer = { status: r.status, headers: {}, body: rewrite(await r.text()) };
      r.headers.forEach((v, k) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'].includes(k))
          answer.headers[k] = rewrite(v);
      });
      if (opts.mutate) answer = opts.mutate(req.url ?? '/', req.method ?? 'GET', answer);
      res.writeHead(answer.status, answer.headers).end(answer.body);
    };
    req.on('end', () => {
      // The backend unreachable: answer like a front end would, instead of leaving the doctor waiting.
      relay().catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy: ${err instanceof Error ? err.message : 'upstream failed'}`);
      });
    });
  });
  return { url, server };
}

function line(report: DoctorReport, name: string) {
  const found = report.results.find((r) => r.name === name);
  if (!found) throw new Error(`no "${name}" line in:\n${formatDoctor(report)}`);
  return found;
}

function failedNames(report: DoctorReport): string[] {
  return report.results.filter((r) => r.status === 'fail').map((r) => r.name);
}

const asMetadata = '/.well-known/oauth-authorization-server';
const editJson = (answer: Answer, edit: (j: Record<string, unknown>) => void): Answer => {
  const json = JSON.parse(answer.body) as Record<string, unknown>;
  edit(json);
  return { ...answer, body: JSON.stringify(json) };
};

describe('admin doctor', function () {
  this.timeout(60_000);

  describe('against the sandbox (npm run sandbox), from the command line with no configuration', function () {
    let sandbox: ChildProcess;
    let base: string;
    before(async function () {
      const port = await freeLoopbackPort();
      base = `http://127.0.0.1:${port}`;
      sandbox = spawn(process.execPath, ['--import', 'tsx', 'scripts/sandbox.ts', '--port', String(port)], {
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn' },
        stdio: 'ignore',
      });
      const until = Date.now() + 40_000;
      for (;;) {
        if (sandbox.exitCode !== null) throw new Error('the sandbox exited');
        if (Date.now() > until) throw new Error('the sandbox did not start within 40 s');
        try {
          if ((await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) })).ok) break;
        } catch {
          // starting
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    after(async () => {
      if (sandbox && sandbox.exitCode === null) {
        const exited = new Promise((r) => sandbox.once('exit', r));
        sandbox.kill('SIGTERM');
        await exited;
      }
    });

    it('every check passes (TLS skipped on loopback), exit 0, and it prints the redirect URI and the MCP URL', async function () {
      // The real CLI entry, with an environment that holds no configuration at all.
      const run = spawn(process.execPath, ['--import', 'tsx', 'src/admin/cli.ts', 'doctor', base], {
        env: { PATH: process.env.PATH ?? '' },
      });
      let out = '';
      run.stdout.on('data', (d: Buffer) => (out += d.toString()));
      run.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((r) => run.once('exit', r));
      expect(code, out).to.equal(0);
      const checks = out.split('\n').filter((l) => /^[✓✗!–] /.test(l));
      expect(checks.length, out).to.be.at.least(10);
      expect(
        checks.filter((l) => !l.startsWith('✓ ')),
        out,
      ).to.deep.equal(['– TLS: skipped (loopback)']);
      for (const name of [
        '/health',
        'protected resource metadata',
        'issuer',
        'endpoints',
        'PKCE',
        'client authentication',
        'client ID metadata documents',
        '401 challenge on /mcp',
        'scopes',
        'registration',
      ]) {
        expect(
          checks.some((l) => l.startsWith(`✓ ${name}:`)),
          `${name} in\n${out}`,
        ).to.equal(true);
      }
      expect(out).to.contain(
        `Google OAuth redirect URI (Authorized redirect URIs of the Web OAuth client): ${base}/oauth/google/callback`,
      );
      expect(out).to.contain(`MCP URL (Claude: Settings → Connectors → Add custom connector): ${base}/mcp`);
      expect(out).to.contain('All checks passed.');
    });

    it('a pasted MCP URL is reduced to its origin', async function () {
      const report = await runDoctor(`${base}/mcp`);
      expect(report.ok, formatDoctor(report)).to.equal(true);
      expect(line(report, 'address').detail).to.contain(`checking the origin ${base}`);
    });
  });

  describe('against deliberately misconfigured instances', function () {
    let h: Harness;
    const proxies: Server[] = [];
    before(async () => {
      h = await startHarness();
    });
    after(async () => {
      for (const p of proxies) await closeServer(p);
      await h?.close();
    });
    async function doctorBehind(opts: { faithful?: boolean; mutate?: Mutation }): Promise<DoctorReport> {
      const proxy = await startProxy(h.baseUrl, { faithful: opts.faithful ?? true, mutate: opts.mutate });
      proxies.push(proxy.server);
      return runDoctor(proxy.url);
    }

    it('the faithful proxy passes every check and registers no client (the probe is refused before registration)', async function () {
      const clientsBefore = (await h.store.list('Client')).length;
      const report = await doctorBehind({});
      expect(report.ok, formatDoctor(report)).to.equal(true);
      expect(failedNames(report)).to.deep.equal([]);
      expect(line(report, 'registration').detail).to.match(/^\/register answers \(400 invalid_request/);
      expect((await h.store.list('Client')).length, 'clients registered by the doctor').to.equal(clientsBefore);
    });

    it('BASE_URL set to another address: issuer, resource, endpoints and challenge fail, naming the announced address; exit 1', async function () {
      const proxy = await startProxy(h.baseUrl, { faithful: false });
      proxies.push(proxy.server);
      const report = await runDoctor(proxy.url);
      expect(failedNames(report)).to.include.members([
        'protected resource metadata',
        'issuer',
        'endpoints',
        '401 challenge on /mcp',
      ]);
      expect(line(report, 'issuer').fix).to.contain(`the service's BASE_URL is ${h.baseUrl}`);
      expect(report.mcpUrl, 'no MCP URL is confirmed').to.equal(undefined);
      const out: string[] = [];
      expect(
        await runDoctorCommand(['doctor', proxy.url], { out: (s) => out.push(s), err: (s) => out.push(s) }),
      ).to.equal(1);
      expect(out.join('\n')).to.match(
        /^✗ issuer: issuer is "http:\/\/127\.0\.0\.1:\d+", not http:\/\/127\.0\.0\.1:\d+ — /m,
      );
      expect(out.join('\n')).to.match(/\d checks failed\.$/);
    });

    it('an image older than /health: /health fails with what to do', async function () {
      const report = await doctorBehind({
        mutate: (path, _m, a) =>
          path === '/health'
            ? { status: 404, headers: { 'content-type': 'text/html' }, body: '<h1>Not Found</h1>' }
            : a,
      });
      expect(failedNames(report)).to.deep.equal(['/health']);
      expect(line(report, '/health').fix).to.contain('deploy the current code');
    });

    it('metadata with an endpoint on another origin and PKCE plain fails; missing CIMD is only a warning', async function () {
      const report = await doctorBehind({
        mutate: (path, _m, a) =>
          path === asMetadata
            ? editJson(a, (j) => {
                j.token_endpoint = 'https://elsewhere.example/token';
                j.code_challenge_methods_supported = ['plain', 'S256'];
                delete j.client_id_metadata_document_supported;
              })
            : a,
      });
      expect(failedNames(report).sort()).to.deep.equal(['PKCE', 'endpoints']);
      expect(line(report, 'endpoints').detail).to.contain('token_endpoint="https://elsewhere.example/token"');
      expect(line(report, 'client ID metadata documents')).to.include({
        status: 'warn',
        detail: 'CIMD not advertised: clients will use DCR (dynamic registration)',
      });
    });

    it('CLIENT_ID_METADATA_DOCUMENTS=false (CIMD not advertised) alone still exits 0, with a ! line', async function () {
      const proxy = await startProxy(h.baseUrl, {
        faithful: true,
        mutate: (path, _m, a) =>
          path === asMetadata ? editJson(a, (j) => void delete j.client_id_metadata_document_supported) : a,
      });
      proxies.push(proxy.server);
      const out: string[] = [];
      expect(
        await runDoctorCommand(['doctor', proxy.url], { out: (s) => out.push(s), err: (s) => out.push(s) }),
      ).to.equal(0);
      expect(out.join('\n')).to.contain('! client ID metadata documents: CIMD not advertised: clients will use DCR');
      expect(out.join('\n')).to.contain('All checks passed (1 warning).');
    });

    it('S256 missing, public clients not allowed: each fails', async function () {
      const report = await doctorBehind({
        mutate: (path, _m, a) =>
          path === asMetadata
            ? editJson(a, (j) => {
                delete j.code_challenge_methods_supported;
                j.token_endpoint_auth_methods_supported = ['client_secret_basic'];
              })
            : a,
      });
      expect(failedNames(report).sort()).to.deep.equal(['PKCE', 'client authentication']);
    });

    it('/mcp open without a token (or a proxy that strips the challenge) fails the 401 check', async function () {
      const open = await doctorBehind({
        mutate: (path, m, a) =>
          path === '/mcp' && m === 'POST'
            ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }
            : a,
      });
      expect(failedNames(open)).to.deep.equal(['401 challenge on /mcp']);
      const stripped = await doctorBehind({
        mutate: (path, m, a) => {
          if (path !== '/mcp' || m !== 'POST') return a;
          const { 'www-authenticate': _gone, ...headers } = a.headers;
          return { ...a, headers };
        },
      });
      expect(failedNames(stripped)).to.deep.equal(['401 challenge on /mcp']);
      expect(line(stripped, '401 challenge on /mcp').fix).to.contain('strip');
    });

    it('offline_access listed by the resource, or a challenge scope it does not offer, fails the scopes check', async function () {
      const prmPath = '/.well-known/oauth-protected-resource/mcp';
      const offline = await doctorBehind({
        mutate: (path, _m, a) =>
          path === prmPath ? editJson(a, (j) => void (j.scopes_supported = ['contacts', 'offline_access'])) : a,
      });
      expect(failedNames(offline)).to.deep.equal(['scopes']);
      const mismatch = await doctorBehind({
        mutate: (path, _m, a) =>
          path === prmPath ? editJson(a, (j) => void (j.scopes_supported = ['contacts.readonly'])) : a,
      });
      expect(failedNames(mismatch)).to.deep.equal(['scopes']);
      expect(line(mismatch, 'scopes').detail).to.contain(
        'the challenge asks for contacts but the resource offers contacts.readonly',
      );
    });

    it('registration not served fails; the probe never sends JSON', async function () {
      const seen: string[] = [];
      const report = await doctorBehind({
        mutate: (path, m, a) => {
          if (path === '/register') {
            seen.push(m);
            return { status: 404, headers: { 'content-type': 'text/html' }, body: 'Not Found' };
          }
          return a;
        },
      });
      expect(seen).to.deep.equal(['POST']);
      expect(failedNames(report)).to.deep.equal(['registration']);
    });

    it('a service that is not public (Cloud Run 403 everywhere) fails with the invoker fix', async function () {
      const report = await doctorBehind({
        mutate: () => ({ status: 403, headers: { 'content-type': 'text/html' }, body: '<title>403 Forbidden</title>' }),
      });
      expect(report.ok).to.equal(false);
      expect(line(report, '/health').fix).to.contain('allUsers');
    });

    it('nothing listening: every check fails with "could not connect", no exception', async function () {
      const port = await freeLoopbackPort();
      const report = await runDoctor(`http://127.0.0.1:${port}`, { timeoutMs: 2_000 });
      expect(report.ok).to.equal(false);
      expect(line(report, '/health').detail).to.match(/^could not connect: ECONNREFUSED/);
    });

    it('plain http on a public host fails the TLS check; a non-URL is refused', async function () {
      const report = await runDoctor('http://contacts.example.test', {
        fetch: async () => Promise.reject(new TypeError('fetch failed')),
      });
      expect(line(report, 'TLS')).to.include({ status: 'fail', detail: 'http://contacts.example.test is plain http' });
      const out: string[] = [];
      expect(await runDoctorCommand(['doctor'], { out: (s) => out.push(s), err: (s) => out.push(s) })).to.equal(2);
      expect((await runDoctor('https://')).results[0]).to.include({ status: 'fail', name: 'address' });
    });
  });

  describe('TLS check (loopback https servers with certificates made for the test)', function () {
    let dir: string;
    const servers: Server[] = [];
    before(function () {
      dir = mkdtempSync(join(tmpdir(), 'doctor-tls-'));
    });
    after(async () => {
      for (const s of servers) await closeServer(s);
      rmSync(dir, { recursive: true, force: true });
    });

    /** A self-signed certificate (openssl, as Debian ships it) for `san`, valid `days` days. */
    function certificate(name: string, san: string, days: number): { key: Buffer; cert: Buffer } {
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:prime256v1',
            '-nodes',
            '-keyout',
            join(dir, `${name}.key`),
            '-out',
            join(dir, `${name}.pem`),
            '-days',
            String(days),
            '-subj',
            '/CN=doctor-test',
            '-addext',
            `subjectAltName=${san}`,
          ],
          { stdio: 'pipe' },
        );
      } catch (err) {
        throw new Error(
          `openssl is needed to make test certificates (apt-get install -y openssl): ${(err as Error).message}`,
        );
      }
      return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) };
    }
    async function httpsOn(tls: { key: Buffer; cert: Buffer }): Promise<string> {
      const server = createHttpsServer(tls, (_req, res) => res.end('ok'));
      servers.push(server as unknown as Server);
      return `https://127.0.0.1:${await listen(server as unknown as Server)}`;
    }
    const noHttp = async () => Promise.reject(new TypeError('fetch failed'));

    it('an untrusted (self-signed) certificate fails', async function () {
      const url = await httpsOn(certificate('self', 'IP:127.0.0.1', 90));
      const tls = line(await runDoctor(url, { fetch: noHttp }), 'TLS');
      expect(tls.status).to.equal('fail');
      expect(tls.detail).to.match(
        /certificate not trusted for 127\.0\.0\.1: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED)/,
      );
    });

    it('a trusted certificate passes with its expiry and protocol', async function () {
      const tlsFiles = certificate('good', 'IP:127.0.0.1', 90);
      const url = await httpsOn(tlsFiles);
      const tls = line(await runDoctor(url, { fetch: noHttp, ca: tlsFiles.cert }), 'TLS');
      expect(tls.status, tls.detail).to.equal('pass');
      expect(tls.detail).to.match(/^certificate trusted, valid until \d{4}-\d{2}-\d{2} \((89|90) days\), TLSv1\.[23]$/);
    });

    it('a certificate for another name fails', async function () {
      const tlsFiles = certificate('other', 'DNS:other.example', 90);
      const url = await httpsOn(tlsFiles);
      const tls = line(await runDoctor(url, { fetch: noHttp, ca: tlsFiles.cert }), 'TLS');
      expect(tls.status).to.equal('fail');
      expect(tls.detail).to.contain('ERR_TLS_CERT_ALTNAME_INVALID');
    });

    it('a certificate about to expire is a warning', async function () {
      const tlsFiles = certificate('soon', 'IP:127.0.0.1', 3);
      const url = await httpsOn(tlsFiles);
      const tls = line(await runDoctor(url, { fetch: noHttp, ca: tlsFiles.cert }), 'TLS');
      expect(tls.status, tls.detail).to.equal('warn');
      expect(tls.fix).to.contain('about to expire');
    });
  });
});
