/**
 * The account page's own session: a signed cookie naming the Google account that signed in, for one
 * hour, sent only to /account. It is separate from oidc-provider's session on purpose: it is short-lived,
 * carries no token of any kind, and nothing but the account page accepts it. Its CSRF tokens are bound
 * to it, so a form from one sign-in cannot be replayed under another.
 */
import { createHmac } from 'node:crypto';
import type { Request, Response } from 'express';
import { constantTimeEqual, randomToken, type KeyRing } from '../security/keys.js';
import { readCookie, setCookie } from '../web/cookies.js';

export const ACCOUNT_PATH = '/account';
export const ACCOUNT_COOKIE = 'account_session';
export const ACCOUNT_SESSION_TTL_SECONDS = 3600;

export interface AccountSession {
  accountId: string;
  email: string;
  /** The Google Workspace domain, for ALLOWED_DOMAINS (checked again on every request). */
  hd?: string;
  /** Random per sign-in: what the CSRF tokens are bound to. */
  sid: string;
  /** Epoch seconds. */
  exp: number;
}

interface CookiePayload {
  a: string;
  e: string;
  h?: string;
  s: string;
  x: number;
}

export class AccountSessions {
  constructor(
    private readonly keys: KeyRing,
    private readonly secure: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  private sign(key: string, purpose: string, value: string): string {
    return createHmac('sha256', key).update(`${purpose}\n${value}`).digest('base64url');
  }

  /** Any configured key verifies (ACCESS_TOKEN_SECRET rotation); the first signs. */
  private verifies(purpose: string, value: string, presented: string): boolean {
    return this.keys.cookieKeys.some((key) => constantTimeEqual(presented, this.sign(key, purpose, value)));
  }

  issue(res: Response, who: { accountId: string; email: string; hd?: string }): AccountSession {
    const session: AccountSession = {
      ...who,
      sid: randomToken(16),
      exp: Math.floor(this.now() / 1000) + ACCOUNT_SESSION_TTL_SECONDS,
    };
    const payload: CookiePayload = {
      a: session.accountId,
      e: session.email,
      ...(session.hd ? { h: session.hd } : {}),
      s: session.sid,
      x: session.exp,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    setCookie(res, ACCOUNT_COOKIE, `${body}.${this.sign(this.keys.cookieKeys[0]!, 'account-session', body)}`, {
      path: ACCOUNT_PATH,
      maxAgeSeconds: ACCOUNT_SESSION_TTL_SECONDS,
      secure: this.secure,
      sameSite: 'Lax',
    });
    return session;
  }

  /** The signed-in account, or undefined for a missing, forged, garbled or expired cookie. */
  read(req: Request): AccountSession | undefined {
    const value = readCookie(req, ACCOUNT_COOKIE);
    if (!value || value.length > 2048) return undefined;
    const [body = '', signature = '', extra] = value.split('.');
    if (extra !== undefined || !body || !signature || !this.verifies('account-session', body, signature))
      return undefined;
    let payload: Partial<CookiePayload>;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<CookiePayload>;
    } catch {
      return undefined;
    }
    if (
      typeof payload.a !== 'string' ||
      typeof payload.e !== 'string' ||
      typeof payload.s !== 'string' ||
      typeof payload.x !== 'number'
    )
      return undefined;
    if (payload.x * 1000 <= this.now()) return undefined;
    return {
      accountId: payload.a,
      email: payload.e,
      hd: typeof payload.h === 'string' ? payload.h : undefined,
      sid: payload.s,
      exp: payload.x,
    };
  }

  clear(res: Response): void {
    setCookie(res, ACCOUNT_COOKIE, '', { path: ACCOUNT_PATH, maxAgeSeconds: 0, secure: this.secure, sameSite: 'Lax' });
  }

  /** The token every form of the page carries. */
  csrfToken(session: AccountSession): string {
    return this.sign(this.keys.cookieKeys[0]!, 'account-csrf', session.sid);
  }

  checkCsrf(session: AccountSession, presented: unknown): boolean {
    return (
      typeof presented === 'string' &&
      presented.length > 0 &&
      presented.length < 200 &&
      this.verifies('account-csrf', session.sid, presented)
    );
  }
}
