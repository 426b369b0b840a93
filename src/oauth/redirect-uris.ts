/**
 * Which redirect URIs a client may register (OAuth 2.1 §2.3.1 and §8.4.2, RFC 8252 §7, MCP authorization
 * "communication security"): https; plain http only on a loopback host (any port at authorization time,
 * RFC 8252 §7.3); a native app's private-use URI scheme (RFC 8252 §7.1, e.g. `com.example.app:/cb`, or
 * short ones such as `cursor://…` that real clients use). Nothing else. The rule is the same in every
 * mode: the sandbox's loopback switch only concerns our own URLs, never what clients may register.
 */

export type RedirectUriKind = 'https' | 'loopback' | 'private-use';

export type RedirectUriCheck =
  { ok: true; kind: RedirectUriKind; loopbackHost: boolean } | { ok: false; reason: string };

/** RFC 8252 §7.3 loopback hosts, spelled as oidc-provider's native-client check spells them. */
const LOOPBACK_REDIRECT_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Schemes that are not an app's callback: they run script, show local or inline content, or hand the
 * URL to another program that would expose the code (RFC 8252 §8.4 asks for no less).
 */
const NOT_APP_SCHEMES = new Set([
  'javascript',
  'vbscript',
  'data',
  'file',
  'blob',
  'about',
  'filesystem',
  'view-source',
  'jar',
  'ws',
  'wss',
  'ftp',
  'mailto',
  'tel',
  'sms',
]);

/** RFC 3986 §3.1 scheme syntax. */
const SCHEME = /^[a-z][a-z0-9+.-]*$/;

export function checkRedirectUri(value: unknown): RedirectUriCheck {
  // Printable ASCII only: nothing to hide behind bidi, control or look-alike characters on the consent page.
  if (typeof value !== 'string' || value.length > 2000 || !/^[\x21-\x7e]+$/.test(value)) {
    return {
      ok: false,
      reason: 'must be an absolute URI of printable ASCII characters (percent-encode anything else)',
    };
  }
  if (value.includes('#')) return { ok: false, reason: 'must not contain a fragment (OAuth 2.1 section 2.3.1)' };
  const url = URL.parse(value);
  if (!url) return { ok: false, reason: 'is not an absolute URI' };
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'https' || scheme === 'http') {
    if (url.username || url.password)
      return { ok: false, reason: 'must not contain user information (user:password@)' };
    const loopbackHost = LOOPBACK_REDIRECT_HOSTS.has(url.hostname);
    if (scheme === 'https') return { ok: true, kind: 'https', loopbackHost };
    if (loopbackHost) return { ok: true, kind: 'loopback', loopbackHost };
    return {
      ok: false,
      reason:
        'uses http on a host that is not loopback; use https, or http://127.0.0.1, http://[::1] or http://localhost for an app on this device (RFC 8252 section 7.3)',
    };
  }
  if (!SCHEME.test(scheme) || NOT_APP_SCHEMES.has(scheme)) {
    return {
      ok: false,
      reason: `uses the ${scheme.replace(/[^a-z0-9+.-]/g, '')} scheme, which is not an app callback; use https, a loopback http URI or a private-use scheme such as com.example.app:/callback (RFC 8252 section 7.1)`,
    };
  }
  if (!url.host && (url.pathname === '' || url.pathname === '/')) {
    return { ok: false, reason: 'has a private-use scheme but no path (e.g. com.example.app:/callback)' };
  }
  return { ok: true, kind: 'private-use', loopbackHost: false };
}

/**
 * The application_type a registration gets (OpenID Connect Registration §2): oidc-provider only accepts
 * private-use schemes from native clients and defaults to web, so a client that registers only loopback
 * or private-use redirects (Cursor sends `cursor://…` without application_type), or any private-use
 * redirect at all, is a native app. A stated type is kept otherwise.
 */
export function applicationTypeFor(stated: unknown, checks: Array<Extract<RedirectUriCheck, { ok: true }>>): unknown {
  if (checks.length === 0) return stated;
  const anyPrivateUse = checks.some((c) => c.kind === 'private-use');
  const allOnDevice = checks.every((c) => c.kind === 'loopback' || c.kind === 'private-use');
  if (anyPrivateUse) return 'native';
  if (allOnDevice && stated === undefined) return 'native';
  return stated;
}

/**
 * What a consent page should name as the place the result goes: the host of an http(s) redirect, the
 * scheme of a private-use one (`com.example.app:/cb` has no host, and `cursor://x/…` is Cursor whatever
 * its "host" says), and whether it stays on this device.
 */
export function redirectTargetLabel(uri: string): { label: string; onDevice: boolean } {
  const check = checkRedirectUri(uri);
  const url = URL.parse(uri);
  if (!check.ok || !url) return { label: uri.slice(0, 200), onDevice: false };
  if (check.kind === 'private-use') return { label: `${url.protocol} (an app on this device)`, onDevice: true };
  return { label: url.host, onDevice: check.kind === 'loopback' };
}
