/**
 * The account page's HTML: plain forms (no script), the consent page's stylesheet and security headers
 * (sendPage: CSP with frame-ancestors 'none', no caching). Every form carries the session's CSRF token.
 */
import type { Response } from 'express';
import type { SignInRefusal } from '../oauth/policy.js';
import { html, raw, sendPage, type Raw } from '../web/html.js';
import type { ConnectedApp } from './connected-apps.js';
import { ACCOUNT_PATH } from './session.js';

export const ACCOUNT_ROUTES = {
  page: ACCOUNT_PATH,
  signIn: `${ACCOUNT_PATH}/sign-in`,
  signOut: `${ACCOUNT_PATH}/sign-out`,
  disconnect: `${ACCOUNT_PATH}/disconnect`,
  disconnectAll: `${ACCOUNT_PATH}/disconnect-all`,
} as const;

/** Messages after a form (Post/Redirect/Get): the query names one of these, never free text. */
export const NOTICES = {
  disconnected: 'The app was disconnected. Its access ended at once; to use it again, connect it again from the app.',
  'disconnected-all': 'Everything was disconnected. No app can use your Google Contacts through this server any more.',
  'google-unreachable':
    'Your apps were disconnected, but Google did not answer when we removed this server’s access to your Google account. Nothing here can use it any more; you can also remove it yourself at myaccount.google.com → Security → Third-party connections.',
  'signed-out': 'You are signed out of this page. Your apps stay connected.',
} as const;
export type Notice = keyof typeof NOTICES;

export function noticeFrom(value: unknown): Notice | undefined {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(NOTICES, value)
    ? (value as Notice)
    : undefined;
}

const TITLE = 'Your connected apps';

function noticeBlock(notice: Notice | undefined): Raw {
  return notice ? html`<p class="notice" role="status">${NOTICES[notice]}</p>` : raw('');
}

const DAY_MS = 24 * 3600 * 1000;

function formatDate(ms: number): string {
  return new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** A renewal happened less than a day after lastRenewedAt (see connected-apps.ts): say it to the day. */
export function lastUsedText(lastRenewedAt: number, now: number): string {
  const days = (now - lastRenewedAt) / DAY_MS;
  if (days < 1) return 'within the last day';
  const about = Math.max(1, Math.round(days - 0.5));
  return `about ${about} day${about === 1 ? '' : 's'} ago`;
}

function accessText(access: ConnectedApp['access']): string {
  return access === 'read-write' ? 'Read and change your contacts (read-write)' : 'Read your contacts (read-only)';
}

function csrfInput(csrf: string): Raw {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

function appItem(app: ConnectedApp, csrf: string, now: number): Raw {
  return html`<li class="app">
<h2 class="client-name">${app.name}</h2>
<dl>
<dt>Sends you back to</dt><dd>${app.destinations.length ? app.destinations.map((d, i) => html`${i ? ', ' : ''}<code>${d}</code>`) : 'not known (the app’s details are no longer stored here)'}${app.onDevice ? ' (an app on your own computer)' : ''}</dd>
<dt>Connected since</dt><dd>${app.connectedAt ? html`<time datetime="${new Date(app.connectedAt).toISOString()}">${formatDate(app.connectedAt)}</time>` : 'unknown'}</dd>
<dt>Last used</dt><dd>${lastUsedText(app.lastRenewedAt, now)}</dd>
<dt>Access</dt><dd class="access">${accessText(app.access)}</dd>
</dl>
<form method="post" action="${ACCOUNT_ROUTES.disconnect}">
${csrfInput(csrf)}
<input type="hidden" name="grant" value="${app.grantId}">
<button type="submit" aria-label="Disconnect ${app.name}">Disconnect</button>
</form>
</li>`;
}

export function renderSignedOut(res: Response, notice?: Notice): void {
  sendPage(
    res,
    200,
    TITLE,
    html`<div class="card">
<h1>${TITLE}</h1>
${noticeBlock(notice)}
<p>Sign in to see which apps can use your Google Contacts through this server, and to disconnect them.</p>
<form method="post" action="${ACCOUNT_ROUTES.signIn}">
<div class="actions"><button class="primary" type="submit">Sign in with Google</button></div>
</form>
<p class="muted">Google will only tell this server who you are (your name and email address). Nothing is shared with any app.</p>
</div>`,
  );
}

export function renderAccount(
  res: Response,
  p: { email: string; apps: ConnectedApp[]; csrf: string; notice?: Notice; now: number },
): void {
  sendPage(
    res,
    200,
    TITLE,
    html`<div class="card">
<h1>${TITLE}</h1>
<dl><dt>Google account</dt><dd>${p.email}</dd></dl>
${noticeBlock(p.notice)}
${
  p.apps.length
    ? html`<p>${p.apps.length === 1 ? 'This app can' : `These ${p.apps.length} apps can`} use your Google Contacts through this server. Disconnecting an app ends its access at once.</p>
<ul class="apps">${p.apps.map((a) => appItem(a, p.csrf, p.now))}</ul>`
    : html`<p class="empty">No apps are connected to your Google Contacts through this server.</p>`
}
<div class="actions">
${p.apps.length ? html`<a class="button danger" href="${ACCOUNT_ROUTES.disconnectAll}">Disconnect everything…</a>` : raw('')}
<form method="post" action="${ACCOUNT_ROUTES.signOut}">
${csrfInput(p.csrf)}
<button type="submit">Sign out</button>
</form>
</div>
<p class="muted">“Last used” is when the app last renewed its access, to the day; apps renew it every hour while you use them. Your Google password and Google tokens are never shared with any app.</p>
</div>`,
  );
}

export function renderConfirmDisconnectAll(
  res: Response,
  p: { email: string; apps: number; csrf: string; trashDays: number },
): void {
  sendPage(
    res,
    200,
    'Disconnect everything?',
    html`<div class="card">
<h1>Disconnect everything?</h1>
<dl><dt>Google account</dt><dd>${p.email}</dd></dl>
<p>This ends the access of ${p.apps === 1 ? 'the app' : `all ${p.apps} apps`} connected to your Google Contacts through this server, and removes this server’s access to your Google account at Google.</p>
<p>Contacts that apps deleted in the last ${p.trashDays} days are kept here so they can be restored; those copies are deleted too and can no longer be restored.</p>
<p class="muted">Your contacts at Google are not changed. To use an app again, connect it again from the app.</p>
<form method="post" action="${ACCOUNT_ROUTES.disconnectAll}">
${csrfInput(p.csrf)}
<div class="actions">
<button class="primary danger" type="submit">Disconnect everything</button>
<a class="button" href="${ACCOUNT_ROUTES.page}">Cancel</a>
</div>
</form>
</div>`,
  );
}

export function renderRefused(res: Response, email: string, refusal: SignInRefusal): void {
  sendPage(
    res,
    403,
    'This account is not allowed',
    html`<div class="card"><h1>${email} can’t use this server</h1>
<p>${refusal === 'email_not_verified' ? 'Google has not verified this account’s email address.' : 'Your administrator only allows certain Google accounts or domains.'} Sign in with a different Google account, or ask your administrator for access.</p>
<form method="post" action="${ACCOUNT_ROUTES.signIn}">
<input type="hidden" name="choose" value="1">
<div class="actions"><button class="primary" type="submit">Sign in with a different account</button></div>
</form></div>`,
  );
}

/** A problem with a way forward: every such page offers to start again at the account page. */
export function renderProblem(res: Response, status: number, title: string, text: string): void {
  sendPage(
    res,
    status,
    title,
    html`<div class="card"><h1>${title}</h1><p>${text}</p>
<div class="actions"><a class="button primary" href="${ACCOUNT_ROUTES.page}">Open your connected apps</a></div></div>`,
  );
}
