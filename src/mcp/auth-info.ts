/**
 * The verified caller as the MCP SDK carries it: `req.auth` (an `AuthInfo`) is what the SDK's Node adapter
 * passes to the per-request server factory. Our principal and the request's outcome flags ride in `extra`;
 * this file is the only place that knows that shape.
 */
import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/token-verifier.js';
import type { RequestOutcome } from './server.js';

type PrincipalExtra = {
  accountId: string;
  grantId?: string;
  outcome: RequestOutcome;
  /** The one tool this request calls, when it is a single tools/call (see setCalledTool). */
  calledTool?: string;
};

/** A request that passed the bearer gate carries `auth` (the SDK's convention, as `requireBearerAuth` sets it). */
export type AuthenticatedRequest = IncomingMessage & { auth?: AuthInfo };

export function toAuthInfo(token: string, p: Principal, resource: string, outcome: RequestOutcome): AuthInfo {
  // The outcome object is shared, not copied: tools set its flags, and the HTTP layer reads them after the call.
  const extra: PrincipalExtra = { accountId: p.accountId, grantId: p.grantId, outcome };
  return { token, clientId: p.clientId, scopes: p.scopes, expiresAt: p.expiresAt, resource: new URL(resource), extra };
}

/**
 * The principal and outcome flags back from an AuthInfo (empty ones when there is none: the SDK then
 * refuses the request itself), and the tool the request calls when setCalledTool named one.
 */
export function fromAuthInfo(auth: AuthInfo | undefined): {
  principal: Principal;
  outcome: RequestOutcome;
  calledTool?: string;
} {
  const extra = (auth?.extra ?? {}) as Partial<PrincipalExtra>;
  return {
    calledTool: extra.calledTool,
    principal: {
      accountId: extra.accountId ?? '',
      clientId: auth?.clientId ?? '',
      grantId: extra.grantId,
      scopes: auth?.scopes ?? [],
      expiresAt: auth?.expiresAt ?? 0,
    },
    outcome: extra.outcome ?? { reauthRequired: false },
  };
}

/** The principal of a request that passed the bearer gate. */
export function principalOf(req: IncomingMessage): Principal {
  return fromAuthInfo((req as AuthenticatedRequest).auth).principal;
}

/** The outcome flags of a request that passed the bearer gate (tools set them; the HTTP layer reads them after the call). */
export function outcomeOf(req: IncomingMessage): RequestOutcome {
  return fromAuthInfo((req as AuthenticatedRequest).auth).outcome;
}

/**
 * Records the one tool a single `tools/call` request calls, so the per-request server can register that
 * tool alone instead of all of them (registration was ~7 % of a tool call's CPU).
 */
export function setCalledTool(req: IncomingMessage, name: string): void {
  const extra = (req as AuthenticatedRequest).auth?.extra as Partial<PrincipalExtra> | undefined;
  if (extra) extra.calledTool = name;
}
