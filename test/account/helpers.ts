/** Driving the account page with the cookie-jar user agent (no JavaScript: the page needs none). */
import type { Harness } from '../support/harness.js';
import { decodeEntities, UserAgent } from '../../standins/user-agent.js';

export interface Page {
  status: number;
  url: string;
  html: string;
}

/** Requests `url` and follows redirects (across our server and the stand-in Google) to a page. */
export async function follow(
  ua: UserAgent,
  url: string,
  init: { method?: string; body?: URLSearchParams } = {},
  maxHops = 10,
): Promise<Page> {
  let current = url;
  let next = init;
  for (let i = 0; i < maxHops; i++) {
    const res = await ua.request(current, next);
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      if (!location) throw new Error(`redirect without Location from ${current}`);
      await res.arrayBuffer();
      current = new URL(location, current).toString();
      next = {};
      continue;
    }
    return { status: res.status, url: current, html: await res.text() };
  }
  throw new Error(`too many redirects from ${url}`);
}

/** The hidden fields of the form posting to `action` (the n-th such form). */
export function formFields(html: string, action: string, nth = 0): URLSearchParams {
  const forms = [...html.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)].filter(
    (m) => decodeEntities(m[1]!) === action,
  );
  const form = forms[nth];
  if (!form) throw new Error(`no form posting to ${action} in:\n${html.slice(0, 2000)}`);
  const body = new URLSearchParams();
  for (const m of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    body.set(m[1]!, decodeEntities(m[2]!));
  return body;
}

/** The grant id behind the Disconnect button of the app with this name. */
export function grantIdOf(html: string, appName: string): string {
  const item = [...html.matchAll(/<li class="app">([\s\S]*?)<\/li>/g)].find((m) =>
    m[1]!.includes(`<h2 class="client-name">${appName}</h2>`),
  );
  if (!item) throw new Error(`no app named ${appName} on the page`);
  return /name="grant" value="([^"]+)"/.exec(item[1]!)![1]!;
}

/** Signs in to the account page with Google (a fresh browser unless `ua` is given) and lands on /account. */
export async function accountSignIn(
  h: Harness,
  opts: { ua?: UserAgent; as?: string } = {},
): Promise<{ ua: UserAgent; page: Page }> {
  const ua = opts.ua ?? new UserAgent();
  if (opts.as) h.google.nextUser = opts.as;
  const page = await follow(ua, `${h.baseUrl}/account/sign-in`, { method: 'POST', body: new URLSearchParams() });
  return { ua, page };
}

export function postForm(ua: UserAgent, h: Harness, action: string, body: URLSearchParams): Promise<Page> {
  return follow(ua, `${h.baseUrl}${action}`, { method: 'POST', body });
}
