/**
 * A headless "person with a browser": follows redirects with a cookie jar through our consent page and
 * the stand-in Google, and stops when it reaches the client's redirect URI. No JavaScript needed — the
 * consent page is a plain HTML form, which is what we promise.
 */
export interface Hop {
  url: string;
  status: number;
}

export class UserAgent {
  private readonly jar = new Map<string, Map<string, string>>(); // origin → name → value
  readonly hops: Hop[] = [];
  lastHtml = '';

  private cookieHeader(url: URL): string | undefined {
    const c = this.jar.get(url.host);
    if (!c || c.size === 0) return undefined;
    return [...c].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private store(url: URL, res: Response): void {
    const setCookies = res.headers.getSetCookie();
    if (!setCookies.length) return;
    let c = this.jar.get(url.host);
    if (!c) {
      c = new Map();
      this.jar.set(url.host, c);
    }
    for (const sc of setCookies) {
      const [pair = '', ...attrs] = sc.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') c.delete(name);
      else c.set(name, value);
    }
  }

  async request(
    url: string,
    init: { method?: string; body?: URLSearchParams; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const u = new URL(url);
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const cookie = this.cookieHeader(u);
    if (cookie) headers.cookie = cookie;
    if (init.body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(u, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'manual' });
    this.store(u, res);
    this.hops.push({ url, status: res.status });
    return res;
  }

  /**
   * Follows the flow from `startUrl` until a redirect to `stopAt` (the client's redirect URI prefix).
   * `decide` is called on each page with a form (our consent page) and returns the button to press
   * (the `decision` value: approve/deny on the consent page, retry/cancel on the missing-permission page).
   */
  async run(
    startUrl: string,
    stopAt: string | ((url: string) => boolean),
    decide: (html: string, url: string) => 'approve' | 'deny' | 'retry' | 'cancel' | 'stop' = () => 'approve',
    maxHops = 20,
  ): Promise<{ finalUrl?: string; stoppedAt?: { url: string; status: number; html: string } }> {
    const isStop = typeof stopAt === 'string' ? (u: string) => u.startsWith(stopAt) : stopAt;
    let url = startUrl;
    let init: { method?: string; body?: URLSearchParams } = {};
    for (let i = 0; i < maxHops; i++) {
      if (isStop(url)) return { finalUrl: url };
      const res = await this.request(url, init);
      init = {};
      if (res.status >= 300 && res.status < 400) {
        const loc = res.headers.get('location');
        if (!loc) throw new Error(`redirect without Location from ${url}`);
        url = new URL(loc, url).toString();
        await res.arrayBuffer();
        continue;
      }
      const html = await res.text();
      this.lastHtml = html;
      const form = /<form[^>]*method="post"[^>]*action="([^"]+)"/i.exec(html);
      if (res.status === 200 && form) {
        const choice = decide(html, url);
        if (choice === 'stop') return { stoppedAt: { url, status: res.status, html } };
        const body = new URLSearchParams();
        for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
          body.set(m[1]!, decodeEntities(m[2]!));
        body.set('decision', choice);
        url = new URL(decodeEntities(form[1]!), url).toString();
        init = { method: 'POST', body };
        continue;
      }
      return { stoppedAt: { url, status: res.status, html } };
    }
    throw new Error(
      `no redirect to the client after ${maxHops} hops: ${this.hops.map((h) => `${h.status} ${h.url}`).join(' → ')}`,
    );
  }
}

export function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
