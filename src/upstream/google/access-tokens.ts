/**
 * What the People API gateway needs from wherever a user's Google tokens live: `GoogleTokenStore` in the
 * service, a fixed token in the throughput baseline, a fake in tests. Kept this small so a gateway can be
 * built without storage, keys or Google's OAuth endpoints.
 */
export interface GoogleAccessTokens {
  /**
   * A valid Google access token for the account, refreshed server-side when needed. Throws
   * GoogleReauthRequired when the user has to sign in with Google again.
   */
  accessToken(accountId: string): Promise<string>;
  /** Google rejected the account's current access token: the next accessToken() must refresh it. */
  markStale(accountId: string): void;
  /**
   * The scopes Google granted with the account's current token (with what they imply); undefined when
   * Google never said, which counts as everything.
   */
  grantedScopes(accountId: string): Promise<ReadonlySet<string> | undefined>;
}
