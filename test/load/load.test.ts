/**
 * Load: 50 concurrent clients, each signing in and making 200 tool calls with refreshes in between, across
 * two server processes on one Firestore emulator behind a round-robin balancer. Zero errors, zero lost
 * grants. Bounded: fixed counts, and the whole test has a deadline.
 */
import { expect } from 'chai';
import { startFirestoreEmulator, type FirestoreEmulator } from '../../standins/firestore-emulator.js';
import { clientAuth, mcpPost, signIn, tokenRequest } from '../../standins/oauth-client.js';
import { startLoadBalancer, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { startStandins, type Standins } from '../../standins/wiring.js';

const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 50);
const CALLS = Number(process.env.LOAD_CALLS ?? 200);
const REFRESH_EVERY = 50;
const USERS = ['alice@example.com', 'bob@acme.test', 'carol@acme.test', 'mallory@evil.test'];

describe('load: 50 clients × 200 tool calls across two instances', function () {
  this.timeout(300_000);
  let emu: FirestoreEmulator;
  let standins: Standins;
  let lb: Awaited<ReturnType<typeof startLoadBalancer>>;
  const servers: ServerProcess[] = [];

  before(async () => {
    emu = await startFirestoreEmulator();
    lb = await startLoadBalancer(() => servers);
    standins = await startStandins(lb.url);
    const env = { LOG_LEVEL: 'warn', REGISTRATIONS_PER_HOUR: '10000' };
    servers.push(
      ...(await Promise.all(
        ['A', 'B'].map((name) => startServerProcess({ name, baseUrl: lb.url, emulator: emu, standins, env })),
      )),
    );
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await lb?.close();
    await standins?.close();
    await emu?.stop();
  });

  it('completes every sign-in, tool call and refresh without an error or a lost grant', async () => {
    const errors: string[] = [];
    let calls = 0;
    let refreshes = 0;
    const t0 = Date.now();
    const finals = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const email = USERS[i % USERS.length]!;
        const session = await signIn(lb.url, { loginHint: email });
        let access = session.tokens.access_token!;
        let refresh = session.tokens.refresh_token!;
        for (let n = 0; n < CALLS; n++) {
          if (n > 0 && n % REFRESH_EVERY === 0) {
            const r = await tokenRequest(lb.url, {
              grant_type: 'refresh_token',
              refresh_token: refresh,
              ...clientAuth(session.client),
            });
            if (r.status !== 200) {
              errors.push(`${email} refresh ${r.status} ${JSON.stringify(r.body)}`);
              break;
            }
            refreshes++;
            access = r.body.access_token!;
            refresh = r.body.refresh_token!;
          }
          const tool =
            n % 2 === 0 ? { name: 'search_contacts', arguments: { query: 'Bob' } } : { name: 'whoami', arguments: {} };
          const res = await mcpPost(`${lb.url}/mcp`, access, {
            jsonrpc: '2.0',
            id: n,
            method: 'tools/call',
            params: tool,
          });
          const text = await res.text();
          calls++;
          if (res.status !== 200 || text.includes('"isError":true')) {
            errors.push(`${email} call ${n} ${res.status} ${text.slice(0, 200)}`);
            if (errors.length > 20) break;
          }
        }
        return { session, refresh };
      }),
    );
    // Zero lost grants: every client can still refresh.
    const after = await Promise.all(
      finals.map((f) =>
        tokenRequest(lb.url, {
          grant_type: 'refresh_token',
          refresh_token: f.refresh,
          ...clientAuth(f.session.client),
        }),
      ),
    );
    const lost = after.filter((r) => r.status !== 200).map((r) => JSON.stringify(r.body));
    const seconds = (Date.now() - t0) / 1000;
    console.log(
      `      load: ${CLIENTS} sign-ins, ${calls} tool calls, ${refreshes} refreshes in ${seconds.toFixed(1)} s across ${servers.length} instances`,
    );
    expect(errors.slice(0, 10)).to.deep.equal([]);
    expect(lost).to.deep.equal([]);
    expect(calls).to.equal(CLIENTS * CALLS);
    for (const s of servers) expect(s.output.join('')).not.to.contain('"severity":"ERROR"');
  });
});
