/**
 * What every part of the login interaction works with: its dependencies, and oidc-provider's view of an
 * interaction (type only: importing this file does not load oidc-provider).
 */
import type Provider from 'oidc-provider';
import type { Config } from '../../config/config.js';
import type { KeyRing } from '../../security/keys.js';
import type { Store } from '../../storage/port.js';
import type { GoogleOAuth } from '../../upstream/google/oauth.js';
import type { GoogleTokenStore } from '../../upstream/google/token-store.js';

export interface InteractionDeps {
  config: Config;
  /** The authorization server, created on first use (see app.ts). */
  provider: () => Promise<Provider>;
  store: Store;
  keys: KeyRing;
  google: GoogleOAuth;
  googleTokens: GoogleTokenStore;
}

export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;
