import { expect } from 'chai';
import { runAdmin, type CliIo } from '../../src/admin/cli.js';
import { startHarness, type Harness } from '../support/harness.js';
import { clientAuth, signIn, tokenRequest } from '../../standins/oauth-client.js';

function io(answer = false): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s), confirm: async () => answer };
}

/** Runs the admin CLI's commands against a store; shared by the memory and Firestore suites. */
export function adminCliSuite(name: string, start: () => Promise<Harness>) {
  describe(`admin CLI (${name} store)`, function () {
    let h: Harness;
    let alice: Awaited<ReturnType<typeof signIn>>;
    before(async () => {
      h = await start();
      alice = await signIn(h.baseUrl, { loginHint: 'alice@example.com' });
      await signIn(h.baseUrl, { loginHint: 'bob@acme.test' });
    });
    after(async () => h?.close());
    const deps = () => ({ store: h.store, googleTokens: h.app.googleTokens });

    it('users: who has active grants, with --json for scripts', async () => {
      const o = io();
      expect(await runAdmin(['users', '--json'], deps(), o)).to.equal(0);
      const rows = JSON.parse(o.stdout.join('')) as Array<{ email: string; grants: number; lastUsed: string }>;
      expect(rows.map((r) => r.email)).to.include.members(['alice@example.com', 'bob@acme.test']);
      expect(rows.find((r) => r.email === 'alice@example.com')!.grants).to.equal(1);
      const t = io();
      await runAdmin(['users'], deps(), t);
      expect(t.stdout.join('\n')).to.match(/email\s+accountId\s+grants\s+lastUsed/);
    });

    it('grants --email: clients, created, last refreshed', async () => {
      await tokenRequest(h.baseUrl, {
        grant_type: 'refresh_token',
        refresh_token: alice.tokens.refresh_token,
        ...clientAuth(alice.client),
      });
      const o = io();
      expect(await runAdmin(['grants', '--email', 'alice@example.com', '--json'], deps(), o)).to.equal(0);
      const rows = JSON.parse(o.stdout.join('')) as Array<{
        clientId: string;
        clientName: string;
        lastRefreshed?: string;
      }>;
      expect(rows).to.have.length(1);
      expect(rows[0]!.clientId).to.equal(alice.client.client_id);
      expect(rows[0]!.clientName).to.equal('claudeai');
      expect(rows[0]!.lastRefreshed).to.be.a('string');
      const missing = io();
      expect(await runAdmin(['grants', '--email', 'nobody@example.com'], deps(), missing)).to.equal(1);
    });

    it('clients: registered clients and last use', async () => {
      const o = io();
      await runAdmin(['clients', '--json'], deps(), o);
      const rows = JSON.parse(o.stdout.join('')) as Array<{ clientId: string; redirectUris: string[] }>;
      expect(rows.map((r) => r.clientId)).to.include(alice.client.client_id);
    });

    it('revoke asks first; --yes revokes every grant and the Google token, and empties the user’s trash', async () => {
      const accountId = (await h.store.list('GoogleToken')).find(
        (r) => r.record.data.email === 'alice@example.com',
      )!.key;
      const bobId = (await h.store.list('GoogleToken')).find((r) => r.record.data.email === 'bob@acme.test')!.key;
      await h.app.trash.put(accountId, { person: { names: [{ givenName: 'Deleted' }] }, groups: [] }, 'delete');
      await h.app.trash.put(bobId, { person: { names: [{ givenName: 'Bobs' }] }, groups: [] }, 'delete');
      const declined = io(false);
      expect(await runAdmin(['revoke', '--email', 'alice@example.com'], deps(), declined)).to.equal(1);
      expect(declined.stderr.join()).to.contain('Nothing changed');
      const before = h.google.revocations.length;
      const o = io();
      expect(await runAdmin(['revoke', '--email', 'alice@example.com', '--yes', '--json'], deps(), o)).to.equal(0);
      expect(JSON.parse(o.stdout.join('')).grants).to.equal(1);
      expect(JSON.parse(o.stdout.join('')).deletedContactsRemoved).to.equal(1);
      expect(await h.app.trash.list(accountId)).to.deep.equal([]);
      expect(await h.app.trash.list(bobId), 'other users keep theirs').to.have.length(1);
      expect(h.google.revocations.length).to.be.greaterThan(before);
      const r = await tokenRequest(h.baseUrl, {
        grant_type: 'refresh_token',
        refresh_token: alice.tokens.refresh_token,
        ...clientAuth(alice.client),
      });
      expect(r.body.error).to.equal('invalid_grant');
    });

    it('purge-expired deletes expired records (asks first)', async () => {
      await h.store.put('GoogleLoginState', 'expired-state', { data: {}, expiresAt: Date.now() - 1000 });
      expect(await runAdmin(['purge-expired'], deps(), io(false))).to.equal(1);
      const o = io();
      expect(await runAdmin(['purge-expired', '--yes', '--json'], deps(), o)).to.equal(0);
      expect(JSON.parse(o.stdout.join('')).deleted).to.be.greaterThan(0);
    });

    it('an unknown command prints usage and exits 2', async () => {
      const o = io();
      expect(await runAdmin(['frobnicate'], deps(), o)).to.equal(2);
      expect(o.stderr.join()).to.contain('Usage: npm run admin');
    });
  });
}

adminCliSuite('memory', () => startHarness());

describe('admin CLI against Firestore', function () {
  this.timeout(60_000);
  adminCliSuite('firestore emulator', async () => {
    const { startFirestoreEmulator, warmUpStore } = await import('../../standins/firestore-emulator.js');
    const { FirestoreStore } = await import('../../src/storage/firestore.js');
    const emu = await startFirestoreEmulator();
    const store = await FirestoreStore.connect({ firestore: emu.client() });
    await warmUpStore(store);
    const h = await startHarness({ store });
    const close = h.close;
    h.close = async () => {
      await close();
      await store.close();
      await emu.stop();
    };
    return h;
  });
});
