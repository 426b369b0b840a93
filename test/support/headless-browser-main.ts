/**
 * The program a real MCP client starts as "the browser" (through $BROWSER / xdg-open) in the
 * real-client tests: a headless person who follows the authorization URL with the project's UserAgent
 * (cookies, redirects, our consent page's plain HTML form, the stand-in Google), approves, and then
 * opens the client's own loopback callback, exactly as a browser tab would.
 *
 * Usage (written by headless-browser.ts): node --import tsx headless-browser-main.ts <config.json> <url>
 * It appends one JSON line per visit to the config's log file. Codes are never written there.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { UserAgent } from '../../standins/user-agent.js';

export interface HeadlessBrowserConfig {
  /** Origins that are "the web" (our server, the stand-in Google); the first URL outside them is the client's callback. */
  webOrigins: string[];
  logFile: string;
  decision: 'approve' | 'deny';
  timeoutMs: number;
}

export interface BrowserVisit {
  /** The URL the client asked to open (an authorization request: no secrets in it). */
  url: string;
  /** Each hop, without its query string. */
  hops: Array<{ status: number; url: string }>;
  /** Where the flow handed back to the client; `code` is replaced by "<code>". */
  callback?: { origin: string; path: string; params: Record<string, string> };
  /** What the client's callback listener answered. */
  callbackStatus?: number;
  /** A page the flow stopped on (an error page), with its visible text. */
  stoppedAt?: { status: number; url: string; text: string };
  error?: string;
}

const withoutQuery = (u: string): string => {
  const url = new URL(u);
  return `${url.origin}${url.pathname}`;
};

async function visit(config: HeadlessBrowserConfig, url: string): Promise<BrowserVisit> {
  const record: BrowserVisit = { url, hops: [] };
  const ua = new UserAgent();
  const isWeb = (u: string): boolean => config.webOrigins.includes(new URL(u).origin);
  try {
    const result = await ua.run(
      url,
      (u) => !isWeb(u),
      () => config.decision,
    );
    record.hops = ua.hops.map((h) => ({ status: h.status, url: withoutQuery(h.url) }));
    if (result.stoppedAt) {
      const text = result.stoppedAt.html
        .replace(/<style[\s\S]*?<\/style>/gi, '')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
      record.stoppedAt = {
        status: result.stoppedAt.status,
        url: withoutQuery(result.stoppedAt.url),
        text: text.slice(0, 500),
      };
      return record;
    }
    const callback = new URL(result.finalUrl!);
    const params = Object.fromEntries([...callback.searchParams].map(([k, v]) => [k, k === 'code' ? '<code>' : v]));
    record.callback = { origin: callback.origin, path: callback.pathname, params };
    const res = await fetch(callback, { redirect: 'manual', signal: AbortSignal.timeout(config.timeoutMs) });
    record.callbackStatus = res.status;
    await res.arrayBuffer();
  } catch (err) {
    record.hops = ua.hops.map((h) => ({ status: h.status, url: withoutQuery(h.url) }));
    record.error = err instanceof Error ? err.message : String(err);
  }
  return record;
}

const [configPath, url] = process.argv.slice(2);
if (!configPath || !url) {
  process.stderr.write('usage: headless-browser-main.ts <config.json> <url>\n');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8')) as HeadlessBrowserConfig;
const guard = setTimeout(() => {
  appendFileSync(
    config.logFile,
    `${JSON.stringify({ url, hops: [], error: `headless browser gave up after ${config.timeoutMs} ms` })}\n`,
  );
  process.exit(1);
}, config.timeoutMs);
guard.unref();
const record = await visit(config, url);
appendFileSync(config.logFile, `${JSON.stringify(record)}\n`);
process.exit(record.error || record.stoppedAt ? 1 : 0);
