/**
 * Any instance serves any request: two server processes on one Firestore emulator behind one public URL
 * (a loopback proxy the test steers). Sign in through A, call tools on B, refresh on A and B at the same
 * moment (no logout), restart A and keep working, revoke on B (A then refuses the refresh). Then every
 * document in the emulator is scanned for the token, code and secret values seen on the wire.
 */
import { expect } from 'chai';
import { startLoadBalancer, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { startStandins, type Standins } from '../../standins/wiring.js';
import { startFirestoreEmulator, type FirestoreEmulator } from '../../standins/firestore-emulator.js';
import { clientAuth, mcpPost, signIn, tokenRequest } from '../../standins/oauth-client.js';

describe('two instances on one Firestore', function () {
  this.timeout(120_000);
  let emu: FirestoreEmulator;
  let standins: Standins;
  let lb: Awaited<ReturnType<typeof startLoadBalancer>>;
  const instances: Record<string, ServerProcess> = {};
  const wire: string[] = [];
  const env = { REFRESH_REUSE_GRACE_SECONDS: '30' };

  const start = async (name: string, port?: number) => {
    instances[name] = await startServerProcess({ name, port, baseUrl: lb.url, emulator: emu, standins, env });
  };
  const direct = (name: string) => instances[name]!.url;

  before(async () => {
    emu = await startFirestoreEmulator();
    lb = await startLoadBalancer(() => [instances.A!, instances.B!]);
    lb.pick = 0; // the browser flow goes through A
    standins = await startStandins(lb.url);
    await Promise.all([start('A'), start('B')]);
  });

  after(async () => {
    await Promise.all(Object.values(instances).map((i) => i.stop()));
    await lb?.close();
    await standins?.close();
    await emu?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed')
      for (const i of Object.values(instances)) console.log(`--- ${i.name}\n${i.output.join('').slice(-4000)}`);
  });

  let session: Awaited<ReturnType<typeof signIn>>;
  let refreshToken = '';
  let accessToken = '';

  it('signs in through instance A', async () => {
    session = await signIn(lb.url, { loginHint: 'bob@acme.test' });
    refreshToken = session.tokens.refresh_token!;
    accessToken = session.tokens.access_token!;
    wire.push(
      session.client.client_secret!,
      session.code,
      refreshToken,
      accessToken,
      ...standins.google.issuedRefreshTokens,
    );
  });

  it('calls tools on instance B', async () => {
    const res = await mcpPost(`${direct('B')}/mcp`, accessToken, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.contain('bob@acme.test');
  });

  it('refreshes on A and B at the same moment: both succeed (no logout)', async () => {
    const [a, b] = await Promise.all([
      tokenRequest(direct('A'), {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        ...clientAuth(session.client),
      }),
      tokenRequest(direct('B'), {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        ...clientAuth(session.client),
      }),
    ]);
    expect(a.status, JSON.stringify(a.body)).to.equal(200);
    expect(b.status, JSON.stringify(b.body)).to.equal(200);
    wire.push(a.body.refresh_token!, b.body.refresh_token!, a.body.access_token!, b.body.access_token!);
    refreshToken = b.body.refresh_token!;
    accessToken = b.body.access_token!;
  });

  it('restarts A and keeps working with the tokens the client has', async () => {
    const a = instances.A!;
    await a.stop();
    await start('A', a.port);
    const res = await mcpPost(`${direct('A')}/mcp`, accessToken, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.contain('bob@acme.test');
    const r = await tokenRequest(direct('A'), {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...clientAuth(session.client),
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    refreshToken = r.body.refresh_token!;
    wire.push(refreshToken, r.body.access_token!);
  });

  it('stored data check: no token, code, client secret or Google token appears anywhere in Firestore', async () => {
    const documents = await emu.documents();
    const found: string[] = [];
    for (const d of documents) {
      const text = JSON.stringify(d.fields) + d.id + d.key;
      for (const v of wire)
        if (v && v.length >= 8 && text.includes(v)) found.push(`${d.collection}/${d.id} contains a wire value`);
    }
    const docs = documents.length;
    expect(new Set(documents.map((d) => d.collection)).size).to.be.greaterThan(3);
    expect(docs).to.be.greaterThan(5);
    expect(found).to.deep.equal([]);
  });
  it('revokes on B; A then refuses the refresh', async () => {
    const res = await fetch(`${direct('B')}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: refreshToken,
        client_id: session.client.client_id,
        client_secret: session.client.client_secret!,
      }),
    });
    expect(res.status).to.equal(200);
    const r = await tokenRequest(direct('A'), {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...clientAuth(session.client),
    });
    expect(r.body.error).to.equal('invalid_grant');
  });
});
