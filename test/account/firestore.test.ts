/**
 * The account page on the production store (Firestore emulator): its queries by account id, and
 * Disconnect / Disconnect everything, behave as on the memory store.
 */
import { expect } from 'chai';
import { startFirestoreEmulator, warmUpStore, type FirestoreEmulator } from '../../standins/firestore-emulator.js';
import { startHarness, type Harness } from '../support/harness.js';
import { clientAuth, signIn, tokenRequest } from '../../standins/oauth-client.js';
import { accountSignIn, follow, formFields, grantIdOf, postForm } from './helpers.js';

const ALICE_SUB = '100000000000000000001';

describe('account page on Firestore (emulator)', function () {
  this.timeout(90_000);
  let emu: FirestoreEmulator;
  let h: Harness;
  before(async () => {
    emu = await startFirestoreEmulator();
    const { FirestoreStore } = await import('../../src/storage/firestore.js');
    const store = await FirestoreStore.connect({ firestore: emu.client() });
    await warmUpStore(store);
    h = await startHarness({ store });
  });
  after(async () => {
    await h?.close();
    await h?.store.close();
    await emu?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.slice(-30).join('\n'));
  });

  const refresh = (app: Awaited<ReturnType<typeof signIn>>) =>
    tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: app.tokens.refresh_token!,
      ...clientAuth(app.client),
    });

  it('lists two apps, disconnects one (its refresh token gets invalid_grant, the other refreshes), then everything', async () => {
    const claude = await signIn(h.baseUrl, { registration: { client_name: 'Claude' } });
    const cursor = await signIn(h.baseUrl, { registration: { client_name: 'Cursor' } });
    const { ua, page } = await accountSignIn(h);
    expect(page.html).to.contain('These 2 apps');
    const body = formFields(page.html, '/account/sign-out');
    body.set('grant', grantIdOf(page.html, 'Claude'));
    const after = await postForm(ua, h, '/account/disconnect', body);
    expect(after.html).to.contain('The app was disconnected');
    expect((await refresh(claude)).body.error).to.equal('invalid_grant');
    const alive = await refresh(cursor);
    expect(alive.status).to.equal(200);
    cursor.tokens.refresh_token = alive.body.refresh_token;

    const confirm = await follow(ua, `${h.baseUrl}/account/disconnect-all`);
    const done = await postForm(ua, h, '/account/disconnect-all', formFields(confirm.html, '/account/disconnect-all'));
    expect(done.html).to.contain('Everything was disconnected');
    expect((await refresh(cursor)).body.error).to.equal('invalid_grant');
    expect(await h.store.list('Grant', { field: 'accountId', value: ALICE_SUB })).to.have.length(0);
    expect(await h.store.list('Consent', { field: 'accountId', value: ALICE_SUB })).to.have.length(0);
    expect(await h.store.get('GoogleToken', ALICE_SUB)).to.equal(undefined);
  });
});
