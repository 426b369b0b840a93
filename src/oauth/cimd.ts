/**
 * Client ID Metadata Documents: the SSRF guard around oidc-provider's built-in fetch. oidc-provider already
 * refuses redirects, caps time (2.5 s) and size, and destroys sockets to special-use addresses after DNS
 * resolution; we add a pre-flight check with a reason we can log (`cimd.fetch_blocked`), and, only with
 * DANGEROUSLY_ALLOW_LOOPBACK_HTTP, documents served over plain http on 127.0.0.1/localhost for tests.
 * Stored copies live in cimd-documents.ts; the wiring into oidc-provider in cimd-clients.ts.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isLoopbackHost } from '../config/config.js';

export const CIMD_MAX_BYTES = 5 * 1024;

/** Private, loopback, link-local (cloud metadata), CGNAT, multicast, reserved and documentation ranges. */
export function isNonPublicAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 4) {
    const [a = 0, b = 0] = address.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 192 && b === 0) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  if (v === 6) {
    const lower = address.toLowerCase();
    if (lower === '::' || lower === '::1') return true;
    const mapped = lower.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
    if (mapped) return isNonPublicAddress(mapped[1]!);
    return /^(fc|fd|fe8|fe9|fea|feb|ff|64:ff9b|2001:db8|2001:0?:|100:)/.test(lower);
  }
  return true;
}

export interface CimdDecision {
  allowed: boolean;
  reason?: string;
}

/** Pre-flight for a client_id URL: https, no credentials, a host that resolves only to public addresses. */
export async function checkCimdUrl(
  id: string,
  opts: { allowLoopbackHttp: boolean; resolve?: (host: string) => Promise<string[]> },
): Promise<CimdDecision> {
  let url: URL;
  try {
    url = new URL(id);
  } catch {
    return { allowed: false, reason: 'not_a_url' };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (opts.allowLoopbackHttp && isLoopbackHost(url.hostname)) return { allowed: true };
  if (url.protocol !== 'https:') return { allowed: false, reason: 'not_https' };
  if (url.username || url.password) return { allowed: false, reason: 'credentials_in_url' };
  if (url.port && url.port !== '443') return { allowed: false, reason: 'non_standard_port' };
  const resolve =
    opts.resolve ?? (async (h: string) => (await lookup(h, { all: true, verbatim: true })).map((r) => r.address));
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return { allowed: false, reason: 'dns_failed' };
  }
  if (addresses.length === 0) return { allowed: false, reason: 'dns_failed' };
  const bad = addresses.find(isNonPublicAddress);
  if (bad) return { allowed: false, reason: 'non_public_address' };
  return { allowed: true };
}

/** Whether a client_id is an http loopback URL we treat as a metadata document in loopback mode. */
export function isLoopbackHttpClientId(id: string): boolean {
  if (!/^http:\/\//i.test(id)) return false;
  try {
    const u = new URL(id);
    return isLoopbackHost(u.hostname) && !u.username && !u.password && !u.hash && u.pathname.length > 1;
  } catch {
    return false;
  }
}

/**
 * Reads an http loopback metadata document's response (loopback mode only) with the checks oidc-provider
 * applies to https ones: status 200, size cap, a JSON object naming its own URL, no client secret. The
 * fetch itself (no redirects, 2.5 s) goes through the stored-copy policy in cimd-documents.ts.
 */
export async function readLoopbackDocument(id: string, res: Response): Promise<Record<string, unknown>> {
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`client metadata document answered ${res.status}`);
  }
  const text = await res.text();
  if (Buffer.byteLength(text) > CIMD_MAX_BYTES) throw new Error('client metadata document too large');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('client metadata document is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new Error('client metadata document is not a JSON object');
  const props = doc as Record<string, unknown>;
  if (props.client_id !== id) throw new Error('client metadata document client_id does not match its URL');
  if ('client_secret' in props) throw new Error('client metadata document must not contain client_secret');
  return props;
}
