/**
 * Login-interaction pieces that need no server: the single-use Google login state and the login hint
 * check. The pages and routes are exercised end to end in flow, security and granular-consent tests.
 */
import { expect } from 'chai';
import { emailHint } from '../../src/oauth/interaction/login-hint.js';
import { saveLoginState, takeLoginState, type LoginState } from '../../src/oauth/interaction/login-state.js';
import { hashValue, KeyRing } from '../../src/security/keys.js';
import { MemoryStore } from '../../src/storage/memory.js';

const SECRET = 'interaction-units-secret-0123456789abcdef0123456789';
const state: LoginState = { uid: 'uid-1', clientId: 'client-1', codeVerifier: 'v'.repeat(43), nonce: 'n', attempt: 1 };

describe('login interaction, unit', () => {
  describe('Google login state', () => {
    it('is taken exactly once: a replayed state is refused (RFC 6749 §10.12)', async () => {
      const store = new MemoryStore();
      const keys = new KeyRing([SECRET]);
      await saveLoginState(store, keys, 'the-state', state);
      expect(await takeLoginState(store, keys, 'the-state')).to.deep.equal({ ok: true, loginState: state });
      expect(await takeLoginState(store, keys, 'the-state')).to.deep.equal({ ok: false, reason: 'state_replayed' });
      expect(await takeLoginState(store, keys, 'another-state')).to.deep.equal({ ok: false, reason: 'state_unknown' });
    });

    it('is stored sealed under the hash of the state, and another key cannot open it', async () => {
      const store = new MemoryStore();
      await saveLoginState(store, new KeyRing([SECRET]), 'the-state', state);
      const [stored] = store.dump();
      expect(stored!.key).to.equal(hashValue('the-state'));
      expect(JSON.stringify(stored!.record)).to.not.include(state.codeVerifier);
      const other = new KeyRing(['another-secret-0123456789abcdef0123456789abcdef']);
      expect(await takeLoginState(store, other, 'the-state')).to.deep.equal({
        ok: false,
        reason: 'state_undecryptable',
      });
    });
  });

  it('passes on a login hint only when it is one email address', () => {
    expect(emailHint('ada@example.com')).to.equal('ada@example.com');
    for (const bad of [
      undefined,
      42,
      '',
      'ada',
      'a@b@c',
      'ada @example.com',
      `${'a'.repeat(65)}@example.com`,
      'ada@example.com\nx',
    ]) {
      expect(emailHint(bad), String(bad)).to.equal(undefined);
    }
  });
});
