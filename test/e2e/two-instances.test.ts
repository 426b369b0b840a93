/**
 * Any instance serves any request: two server processes on one Firestore emulator behind one public URL
 * (a loopback proxy the test steers). Sign in through A, call tools on B, refresh on A and B at the same
 * moment (no logout), restart A and keep working, revoke on B (A then refuses the refresh). Then every
 * document in the emulator is scanned for the token, code and secret values seen on the wire.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { expect } from 'chai';
import { closeServer, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, listen, TEST_SECRET } from '../support/harness.js';
import { startFirestoreEmulator, type FirestoreEmulator } from '../support/firestore-emulator.js';
import { startGoogleStandin, type GoogleStandin } from '../support/google-standin.js';
import { startPeopleStandin, type PeopleStandin } from '../support/people-standin.js';
import { clientAuth, mcpPost, signIn, tokenRequest } from '../support/oauth-client.js';

interface Instance {
  name: string;
  port: number;
  child: ChildProcess;
  output: string[];
}

describe('two instances on one Firestore', function () {
  this.timeout(120_000);
  let emu: FirestoreEmulator;
  let google: GoogleStandin;
  let people: PeopleStandin;
  let proxy: Server;
  let baseUrl = '';
  let target = 0;
  const instances: Record<string, Instance> = {};
  const wire: string[] = [];

  async function startInstance(name: string, port?: number): Promise<Instance> {
    const chosen = port ?? (await (async () => {
      const s = createServer();
      const n = await listen(s);
      await closeServer(s);
      return n;
    })());
    const output: string[] = [];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: process.cwd(),
      env: {
        ...emu.env(),
        PATH: process.env.PATH,
        PORT: String(chosen),
        BASE_URL: baseUrl,
        ACCESS_TOKEN_SECRET: TEST_SECRET,
        GOOGLE_CLIENT_ID,
        GOOGLE_CLIENT_SECRET,
        GOOGLE_OIDC_ISSUER: google.url,
        PEOPLE_API_ROOT_URL: people.url,
        DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'true',
        STORE: 'firestore',
        GOOGLE_CLOUD_PROJECT: emu.projectId,
        REFRESH_REUSE_GRACE_SECONDS: '30',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    const until = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`instance ${name} exited: ${output.join('')}`);
      try {
        if ((await fetch(`http://127.0.0.1:${chosen}/healthz`)).ok) break;
      } catch {
        // starting
      }
      if (Date.now() > until) throw new Error(`instance ${name} did not start: ${output.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const inst = { name, port: chosen, child, output };
    instances[name] = inst;
    return inst;
  }

  function stopInstance(inst: Instance): Promise<void> {
    return new Promise((resolve) => {
      if (inst.child.exitCode !== null) return resolve();
      inst.child.once('exit', () => resolve());
      inst.child.kill('SIGTERM');
    });
  }

  const direct = (name: string) => `http://127.0.0.1:${instances[name]!.port}`;

  before(async () => {
    emu = await startFirestoreEmulator();
    proxy = createServer((req, res) => {
      const inst = Object.values(instances)[target];
      const up = httpRequest({ host: '127.0.0.1', port: inst!.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => {
        res.statusCode = 502;
        res.end();
      });
      req.pipe(up);
    });
    baseUrl = `http://127.0.0.1:${await listen(proxy)}`;
    google = await startGoogleStandin({ clients: [{ client_id: GOOGLE_CLIENT_ID, client_secret: GOOGLE_CLIENT_SECRET, redirect_uris: [`${baseUrl}/oauth/google/callback`] }] });
    people = await startPeopleStandin({ verifyToken: (t) => google.verifyAccessToken(t), users: google.users.filter((u) => u.emailVerified) });
    await Promise.all([startInstance('A'), startInstance('B')]);
  });

  after(async () => {
    await Promise.all(Object.values(instances).map(stopInstance));
    if (proxy) await closeServer(proxy);
    await people?.close();
    await google?.close();
    await emu?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const i of Object.values(instances)) console.log(`--- ${i.name}\n${i.output.join('').slice(-4000)}`);
  });

  let session: Awaited<ReturnType<typeof signIn>>;
  let refreshToken = '';
  let accessToken = '';

  it('signs in through instance A', async () => {
    target = 0;
    session = await signIn(baseUrl, { loginHint: 'bob@acme.test' });
    refreshToken = session.tokens.refresh_token!;
    accessToken = session.tokens.access_token!;
    wire.push(session.client.client_secret!, session.code, refreshToken, accessToken, ...google.issuedRefreshTokens);
  });

  it('calls tools on instance B', async () => {
    const res = await mcpPost(`${direct('B')}/mcp`, accessToken, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.contain('bob@acme.test');
  });

  it('refreshes on A and B at the same moment: both succeed (no logout)', async () => {
    const [a, b] = await Promise.all([
      tokenRequest(direct('A'), { grant_type: 'refresh_token', refresh_token: refreshToken, ...clientAuth(session.client) }),
      tokenRequest(direct('B'), { grant_type: 'refresh_token', refresh_token: refreshToken, ...clientAuth(session.client) }),
    ]);
    expect(a.status, JSON.stringify(a.body)).to.equal(200);
    expect(b.status, JSON.stringify(b.body)).to.equal(200);
    wire.push(a.body.refresh_token!, b.body.refresh_token!, a.body.access_token!, b.body.access_token!);
    refreshToken = b.body.refresh_token!;
    accessToken = b.body.access_token!;
  });

  it('restarts A and keeps working with the tokens the client has', async () => {
    const a = instances.A!;
    await stopInstance(a);
    delete instances.A;
    await startInstance('A', a.port);
    const res = await mcpPost(`${direct('A')}/mcp`, accessToken, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.contain('bob@acme.test');
    const r = await tokenRequest(direct('A'), { grant_type: 'refresh_token', refresh_token: refreshToken, ...clientAuth(session.client) });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    refreshToken = r.body.refresh_token!;
    wire.push(refreshToken, r.body.access_token!);
  });

  it('stored data check: no token, code, client secret or Google token appears anywhere in Firestore', async () => {
    const db = emu.client();
    const found: string[] = [];
    const collections = await db.listCollections();
    expect(collections.length).to.be.greaterThan(3);
    let docs = 0;
    for (const col of collections) {
      const snap = await col.get();
      for (const doc of snap.docs) {
        docs++;
        const text = JSON.stringify(doc.data()) + doc.id;
        for (const v of wire) if (v && v.length >= 8 && text.includes(v)) found.push(`${col.id}/${doc.id} contains a wire value`);
      }
    }
    await db.terminate();
    expect(docs).to.be.greaterThan(5);
    expect(found).to.deep.equal([]);
  });
  it('revokes on B; A then refuses the refresh', async () => {
    const res = await fetch(`${direct('B')}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, client_id: session.client.client_id, client_secret: session.client.client_secret! }),
    });
    expect(res.status).to.equal(200);
    const r = await tokenRequest(direct('A'), { grant_type: 'refresh_token', refresh_token: refreshToken, ...clientAuth(session.client) });
    expect(r.body.error).to.equal('invalid_grant');
  });

});
