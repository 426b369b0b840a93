/**
 * One way to answer with an OAuth-shaped JSON error (RFC 6749 §5.2, RFC 6750 §3): a status, `error`,
 * `error_description`, `Cache-Control: no-store`, and `Retry-After` / `WWW-Authenticate` when they apply.
 * Modelled on oidc-provider's errors (which carry their status) and the MCP SDK's
 * `OAuthError.toResponseObject()`. Every route and middleware outside oidc-provider answers through it,
 * whichever way it writes a response: Node/Express (`send`), a fetch Response inside the MCP SDK's handler
 * (`toResponse`), oidc-provider's Koa context (`applyTo`), or an early answer that first drains the body
 * (`answerEarly(req, res, e.status, e.headers(), e.payload())` from http/body.ts).
 */
import type { ServerResponse } from 'node:http';

export interface OAuthHttpErrorOptions {
  /** Seconds the client should wait before retrying (503, 429). */
  retryAfter?: number;
  /** A complete `WWW-Authenticate` value (401 on a protected resource). */
  wwwAuthenticate?: string;
}

/** The part of a Koa context this error writes to (oidc-provider's post-middleware). */
export interface KoaResponseLike {
  status: number;
  body: unknown;
  set(fields: Record<string, string>): void;
}

export class OAuthHttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly options: OAuthHttpErrorOptions = {},
  ) {
    super(description);
    this.name = 'OAuthHttpError';
  }

  /** The JSON body: `{ error, error_description }`. */
  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }

  payload(): string {
    return JSON.stringify(this.body());
  }

  /** Response headers, lower-case names. Errors are never cached (RFC 6749 §5.1 asks it of token responses). */
  headers(): Record<string, string> {
    const h: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    };
    if (this.options.retryAfter !== undefined) h['retry-after'] = String(this.options.retryAfter);
    if (this.options.wwwAuthenticate !== undefined) h['www-authenticate'] = this.options.wwwAuthenticate;
    return h;
  }

  /** Writes the answer now (headers already set on `res`, e.g. CORS, are kept). Nothing if a response started. */
  send(res: ServerResponse): void {
    if (res.headersSent || res.destroyed) return;
    const payload = Buffer.from(this.payload(), 'utf8');
    res.writeHead(this.status, { ...this.headers(), 'content-length': payload.length });
    res.end(payload);
  }

  /** The same answer as a fetch Response (from inside the MCP SDK's web-standard handler). */
  toResponse(): Response {
    return new Response(this.payload(), { status: this.status, headers: this.headers() });
  }

  /** The same answer on a Koa context (oidc-provider's middleware). Status first: Koa resets it when a body is set on an implicit 404. */
  applyTo(ctx: KoaResponseLike): void {
    ctx.status = this.status;
    ctx.set(this.headers());
    ctx.body = this.body();
  }
}

/** Seconds a client waits after a storage outage before retrying. */
export const STORE_RETRY_AFTER_SECONDS = 10;

/** The one answer to a storage outage: 503 `temporarily_unavailable` with Retry-After (the client should retry). */
export function storeUnavailable(): OAuthHttpError {
  return new OAuthHttpError(503, 'temporarily_unavailable', 'Storage is temporarily unavailable; try again shortly', {
    retryAfter: STORE_RETRY_AFTER_SECONDS,
  });
}
