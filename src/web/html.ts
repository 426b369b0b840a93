/** Small HTML helpers for the few pages people see: escaping, the layout, and security headers. */
import type { Response } from 'express';

/** What a page may show as text: an object here would print "[object Object]", so the type refuses it. */
export type Text = string | number | boolean | null | undefined;

export function escapeHtml(value: Text): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Template tag: interpolations are escaped unless wrapped in raw(). */
export class Raw {
  constructor(readonly html: string) {}
}
export const raw = (html: string) => new Raw(html);

/** An interpolation of the html tag: text (escaped), markup made with raw()/html, or a list of them. */
export type HtmlValue = Text | Raw | ReadonlyArray<Text | Raw>;

const isList = (v: HtmlValue): v is ReadonlyArray<Text | Raw> => Array.isArray(v);

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Raw {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const piece = isList(v)
      ? v.map((x) => (x instanceof Raw ? x.html : escapeHtml(x))).join('')
      : v instanceof Raw
        ? v.html
        : escapeHtml(v);
    out += piece + (strings[i + 1] ?? '');
  });
  return new Raw(out);
}

export const STYLESHEET = `
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;--border:#d1d9e0;--accent:#1a73e8;--warn-bg:#fff8c5;--warn-border:#d4a72c;--danger:#cf222e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;--border:#3d444d;--accent:#4493f8;--warn-bg:#3b2e00;--warn-border:#9e6a03}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:34rem;margin:3rem auto;padding:0 1rem}
.card{background:var(--card);border:1px solid var(--border);border-radius:12px;padding:1.75rem}
h1{font-size:1.35rem;margin:0 0 1rem;line-height:1.3}
p{margin:.6rem 0}
ul{padding-left:1.25rem;margin:.5rem 0}
.muted{color:var(--muted);font-size:.9rem}
.warn{background:var(--warn-bg);border:1px solid var(--warn-border);border-radius:8px;padding:.75rem 1rem;margin:1rem 0}
.actions{display:flex;gap:.75rem;margin-top:1.5rem;flex-wrap:wrap}
button,.button{font:inherit;padding:.6rem 1.25rem;border-radius:8px;border:1px solid var(--border);background:var(--card);color:var(--fg);cursor:pointer;text-decoration:none;display:inline-block}
button.primary,.button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button:focus-visible,.button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
code,.url{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9rem;word-break:break-all}
.url{display:block;background:var(--bg);border:1px solid var(--border);border-radius:8px;padding:.6rem .75rem;margin:.5rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.75rem 0}
dt{color:var(--muted)}dd{margin:0;word-break:break-all}
h2{font-size:1.1rem;margin:0 0 .25rem;line-height:1.3}
.notice{background:var(--bg);border:1px solid var(--border);border-radius:8px;padding:.75rem 1rem;margin:1rem 0}
.apps{list-style:none;padding:0;margin:1rem 0}
.app{border:1px solid var(--border);border-radius:8px;padding:1rem;margin:.75rem 0}
.app dl{margin:.5rem 0 .75rem}
button.danger,.button.danger{border-color:var(--danger);color:var(--danger)}
button.primary.danger,.button.primary.danger{background:var(--danger);color:#fff}
`;

export function page(title: string, body: Raw): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<main>
${body.html}
</main>
</body>
</html>`;
}

/** Headers for every HTML page: no framing, no inline script, nothing cached. */
export function setPageSecurityHeaders(res: Response): void {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
  );
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
}

export function sendPage(res: Response, status: number, title: string, body: Raw): void {
  setPageSecurityHeaders(res);
  res.status(status).type('html').send(page(title, body));
}
