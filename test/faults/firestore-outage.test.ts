/**
 * The real Firestore emulator stopped mid-sign-in and mid-refresh: 503 with Retry-After, no half-written
 * grant, and full recovery when it returns — without restarting the server.
 */
import { expect } from 'chai';
import { FirestoreStore } from '../../src/storage/firestore.js';
import { startFirestoreEmulator, warmUpStore, type FirestoreEmulator } from '../../standins/firestore-emulator.js';
import { startHarness, type Harness } from '../support/harness.js';
import {
  authorizeUrl,
  claudeRegistration,
  clientAuth,
  pkce,
  register,
  signIn,
  tokenRequest,
} from '../../standins/oauth-client.js';
import { UserAgent } from '../../standins/user-agent.js';

describe('faults: Firestore emulator outage', function () {
  this.timeout(120_000);
  let emu: FirestoreEmulator;
  let store: FirestoreStore;
  let h: Harness;

  before(async () => {
    emu = await startFirestoreEmulator();
    store = await FirestoreStore.connect({ firestore: emu.client(), deadlineMs: 2000, operationTimeoutMs: 4000 });
    // The first call opens the gRPC channel and can exceed the 2 s deadline: the outage under test comes later.
    await warmUpStore(store);
    h = await startHarness({ store });
  });
  after(async () => {
    if (emu) {
      try {
        emu.thaw();
      } catch {
        // already gone
      }
    }
    await h?.close();
    await store?.close().catch(() => undefined);
    await emu?.stop();
  });

  it('mid-refresh: 503 + Retry-After while it is down; the same refresh token works when it is back', async () => {
    const { client, tokens } = await signIn(h.baseUrl);
    await emu.freeze();
    const down = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      ...clientAuth(client),
    });
    expect(down.status).to.equal(503);
    expect(down.body.error).to.equal('temporarily_unavailable');
    emu.thaw();
    let ok;
    for (let i = 0; i < 20; i++) {
      ok = await tokenRequest(h.baseUrl, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        ...clientAuth(client),
      });
      if (ok.status !== 503) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(ok!.status, JSON.stringify(ok!.body)).to.equal(200);
  });

  it('mid-sign-in: the consent step answers 503 while it is down; the same attempt completes when it is back', async () => {
    const c = (await register(h.baseUrl, claudeRegistration())).body;
    const { verifier, challenge } = pkce();
    const ua = new UserAgent();
    const start = await ua.run(
      authorizeUrl(h.baseUrl, {
        response_type: 'code',
        client_id: c.client_id,
        redirect_uri: c.redirect_uris[0],
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'outage',
      }),
      c.redirect_uris[0]!,
      () => 'stop',
    );
    const html = start.stoppedAt!.html;
    const action = new URL(/action="([^"]+)"/.exec(html)![1]!, h.baseUrl).toString();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    await emu.freeze();
    const failed = await ua.request(action, {
      method: 'POST',
      body: new URLSearchParams({ csrf, decision: 'approve' }),
    });
    expect(failed.status).to.equal(503);
    expect(failed.headers.get('retry-after')).to.be.a('string');
    emu.thaw();
    let result;
    for (let i = 0; i < 20; i++) {
      const res = await ua.request(action, {
        method: 'POST',
        body: new URLSearchParams({ csrf, decision: 'approve' }),
      });
      if (res.status === 503) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      result = await ua.run(new URL(res.headers.get('location')!, action).toString(), c.redirect_uris[0]!);
      break;
    }
    const params = new URL(result!.finalUrl!).searchParams;
    expect(params.get('state')).to.equal('outage');
    const t = await tokenRequest(h.baseUrl, {
      grant_type: 'authorization_code',
      code: params.get('code')!,
      code_verifier: verifier,
      redirect_uri: c.redirect_uris[0],
      ...clientAuth(c),
    });
    expect(t.status, JSON.stringify(t.body)).to.equal(200);
  });
});
