/**
 * The one contract between the authorization server (src/oauth) and the resource server (src/mcp), like
 * the MCP SDK's `OAuthTokenVerifier` → `AuthInfo`: /mcp hands a bearer token to a TokenVerifier and gets
 * back who is calling, or an InvalidTokenError it turns into a 401 challenge. /mcp knows nothing of how
 * tokens are signed, which claims carry the grant, or where grants are stored; the oauth side knows
 * nothing of MCP. app.ts wires one to the other.
 */

/** Who a valid access token speaks for. */
export interface Principal {
  /** Our account id (the Google `sub`). */
  accountId: string;
  /** The OAuth client the token was issued to. */
  clientId: string;
  /** The grant the token belongs to, when the token names one (revoking the grant stops the token). */
  grantId?: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
}

export interface TokenVerifier {
  /** The token's principal; rejects with InvalidTokenError for any token /mcp must refuse. */
  verify(token: string): Promise<Principal>;
}

/** Why a token was refused: logged as `token_<reason>` with the 401, never shown as more than the message. */
export type InvalidTokenReason =
  'malformed' | 'bad_signature' | 'wrong_audience' | 'expired' | 'grant_revoked' | 'claims';

/** The token cannot be used (RFC 6750 §3.1 `invalid_token`); the message is safe to send to the client. */
export class InvalidTokenError extends Error {
  constructor(
    readonly reason: InvalidTokenReason,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}
