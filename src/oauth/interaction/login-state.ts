/**
 * The state of one redirect to Google's sign-in, kept until Google redirects back: which interaction and
 * client it belongs to, and the PKCE verifier and nonce of that redirect. Stored encrypted under the hash
 * of the `state` parameter (google_login_states in docs/storage.md), and taken exactly once.
 */
import { hashValue, type KeyRing } from '../../security/keys.js';
import type { Store } from '../../storage/port.js';

const LOGIN_STATE_TTL_MS = 10 * 60_000;
/** Additional data of the encryption: a sealed login state cannot be passed off as another record. */
const SEALED_AS = 'google_login_states';

export interface LoginState {
  uid: string;
  clientId: string;
  codeVerifier: string;
  nonce: string;
  /** 1 on the first Google round trip; 2 when we came back for prompt=consent to get a refresh token. */
  attempt: number;
}

export async function saveLoginState(store: Store, keys: KeyRing, state: string, data: LoginState): Promise<void> {
  await store.put('GoogleLoginState', hashValue(state), {
    data: { sealed: keys.encrypt(JSON.stringify(data), SEALED_AS) },
    expiresAt: Date.now() + LOGIN_STATE_TTL_MS,
  });
}

export type TakenLoginState =
  | { ok: true; loginState: LoginState }
  | { ok: false; reason: 'state_replayed' | 'state_unknown' | 'state_undecryptable' };

/** Consumes the login state of `state`: the first call gets it, a replay or an unknown state does not. */
export async function takeLoginState(store: Store, keys: KeyRing, state: string): Promise<TakenLoginState> {
  const consumed = await store.consume('GoogleLoginState', hashValue(state), Date.now());
  if (!consumed.record || !consumed.consumedNow)
    return { ok: false, reason: consumed.record ? 'state_replayed' : 'state_unknown' };
  try {
    return {
      ok: true,
      loginState: JSON.parse(keys.decrypt(String(consumed.record.data.sealed), SEALED_AS)) as LoginState,
    };
  } catch {
    return { ok: false, reason: 'state_undecryptable' };
  }
}
