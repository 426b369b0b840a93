/**
 * Sends the person to Google's sign-in for an interaction: a fresh `state`, PKCE verifier and nonce
 * (kept as the login state until Google redirects back), the scopes the mode needs, and an optional
 * login hint and prompt=consent.
 */
import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { log } from '../../logging/logger.js';
import { randomToken } from '../../security/keys.js';
import { GOOGLE_BASE_SCOPES, GOOGLE_SCOPES_READ_ONLY, GOOGLE_SCOPES_READ_WRITE } from '../../upstream/google/oauth.js';
import type { InteractionDeps } from './context.js';
import { saveLoginState, type LoginState } from './login-state.js';

export interface GoogleRedirect {
  /** 1 on the first round trip; 2 when asking again with prompt=consent. */
  attempt: number;
  loginHint?: string;
  /** prompt=consent: Google shows every permission again and sends a refresh token with the new grant. */
  promptConsent: boolean;
}

export async function redirectToGoogle(
  { config, store, keys, google }: Pick<InteractionDeps, 'config' | 'store' | 'keys' | 'google'>,
  res: Response,
  interaction: { uid: string; clientId: string },
  opts: GoogleRedirect,
): Promise<void> {
  const state = randomToken(32);
  const codeVerifier = randomToken(48);
  const nonce = randomToken(16);
  const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
  const data: LoginState = {
    uid: interaction.uid,
    clientId: interaction.clientId,
    codeVerifier,
    nonce,
    attempt: opts.attempt,
  };
  await saveLoginState(store, keys, state, data);
  const scopes = [...GOOGLE_BASE_SCOPES, ...(config.readOnly ? GOOGLE_SCOPES_READ_ONLY : GOOGLE_SCOPES_READ_WRITE)];
  const url = await google.authorizationUrl({
    state,
    codeChallenge,
    nonce,
    scopes,
    promptConsent: opts.promptConsent,
    loginHint: opts.loginHint,
  });
  log().info(
    { event: 'google.redirect', clientId: data.clientId, flowId: interaction.uid, promptConsent: opts.promptConsent },
    'redirecting to Google sign-in',
  );
  res.redirect(303, url);
}
