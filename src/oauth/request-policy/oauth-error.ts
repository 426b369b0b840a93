/**
 * The one way the request-policy middlewares answer an OAuth-shaped JSON error (RFC 6749 §5.2, RFC 7591
 * §3.2.2): status, `error`, `error_description`, and the headers the answer needs (`Retry-After`,
 * `Cache-Control`). Kept in one place so the project-wide OAuth error helper can replace it in one edit.
 */
import type { Response } from 'express';

export function oauthError(res: Response, status: number, error: string, description: string, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(status).json({ error, error_description: description });
}
