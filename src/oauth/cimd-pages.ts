/**
 * What a person sees when a URL client id (Client ID Metadata Document) cannot be used. Each failure
 * says whose problem it is: when THIS SERVER could not reach the document, the page says so and tells
 * the administrator what to change — it never blames the app for our network.
 */
import { html, type Raw } from '../web/html.js';

export type CimdFailureKind = 'unreachable' | 'refused' | 'invalid' | 'disabled';

export interface CimdFailure {
  kind: CimdFailureKind;
  /** The client_id URL. */
  clientId: string;
  /** Short machine-readable reason (`enotfound`, `timeout`, `http_503`, `non_public_address`, …). */
  detail: string;
}

const DETAILS: Record<string, string> = {
  dns_failed: 'its host name could not be resolved',
  enotfound: 'its host name could not be resolved',
  eai_again: 'its host name could not be resolved (DNS did not answer)',
  eai_fail: 'its host name could not be resolved',
  econnrefused: 'the connection was refused',
  econnreset: 'the connection was reset',
  econnaborted: 'the connection was aborted',
  etimedout: 'the connection timed out',
  timeout: 'it did not answer within 2.5 seconds',
  ehostunreach: 'its host is unreachable from this server',
  ehostdown: 'its host is unreachable from this server',
  enetunreach: 'no network route to it from this server',
  enetdown: 'this server has no network',
  epipe: 'the connection was closed',
  und_err_connect_timeout: 'the connection timed out',
  und_err_headers_timeout: 'it did not answer in time',
  und_err_body_timeout: 'it did not finish answering in time',
  und_err_socket: 'the connection was closed',
  und_err_closed: 'the connection was closed',
  not_https: 'it is not an https URL',
  not_a_url: 'it is not a URL',
  credentials_in_url: 'it contains a user name or password',
  non_standard_port: 'it uses a port other than 443',
  non_public_address: 'it points to a private, internal or otherwise non-public network address',
};

/** A short human phrase for a detail code (unknown codes are shown as they are). */
export function describeCimdDetail(detail: string): string {
  const http = /^http_(\d{3})$/.exec(detail);
  if (http) return `its server answered HTTP ${http[1]}`;
  if (/^(cert_|err_tls|err_ssl|unable_to_verify|self_signed|depth_zero)/.test(detail))
    return `a secure (TLS) connection could not be established (${detail})`;
  return DETAILS[detail] ?? `the fetch failed (${detail})`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The OAuth error and our reason code, as on every error page, for whoever helps debug. */
function facts(failure: CimdFailure): Raw {
  return html`<dl><dt>Error</dt><dd><code>invalid_client</code></dd><dt>Reason</dt><dd><code>${failure.detail}</code></dd></dl>`;
}

export interface CimdPage {
  status: number;
  title: string;
  body: Raw;
}

/** The page for a CIMD failure carried by an error (see cimd-clients.ts), or undefined for any other error. */
export function cimdErrorPage(err: unknown): CimdPage | undefined {
  const failure = (err as { cimdFailure?: CimdFailure } | undefined)?.cimdFailure;
  if (!failure) return undefined;
  const url = failure.clientId;
  switch (failure.kind) {
    case 'unreachable': {
      const title = 'This server could not reach the app’s metadata document';
      return {
        // 424 Failed Dependency: the request depended on a fetch that failed. Not a 5xx: a client_id naming a
        // host that does not resolve (a typo, or a probe) looks the same from here as our egress being down,
        // and neither is a server fault to alert on; the page text says plainly whose fetch failed.
        status: 424,
        title,
        body: html`<div class="card"><h1>${title}</h1>
<p>The app identified itself by the address of its metadata document. <strong>This server could not reach the app’s metadata document</strong> at</p>
<code class="url">${url}</code>
<p>(${describeCimdDetail(failure.detail)}), so it cannot tell which app is asking and did not continue. Nothing is wrong with the app or with your account.</p>
<p>You can close this window and try again in a few minutes. If it keeps happening, tell the administrator of this server.</p>
<p><strong>For the administrator:</strong> allow this server’s outgoing network access (egress) to <code>${hostOf(url)}</code> over https, or set <code>CLIENT_ID_METADATA_DOCUMENTS=false</code> so that apps register with this server instead (apps such as Claude Code then use dynamic client registration). The server log has a <code>cimd.fetch_failed</code> line for this attempt.</p>${facts(failure)}</div>`,
      };
    }
    case 'refused': {
      const title = 'The app’s client ID is not acceptable';
      return {
        status: 400,
        title,
        body: html`<div class="card"><h1>${title}</h1>
<p>The app identified itself with this address:</p>
<code class="url">${url}</code>
<p>This server will not fetch it because ${describeCimdDetail(failure.detail)}. Only public https addresses are accepted, to protect this server’s internal network. You were not sent back to the app.</p>
<p class="muted">You can close this window. If this app should work here, its publisher must host its metadata document at a public https address.</p>${facts(failure)}</div>`,
      };
    }
    case 'invalid': {
      const title = 'The app’s metadata document is not acceptable';
      return {
        status: 400,
        title,
        body: html`<div class="card"><h1>${title}</h1>
<p>The app identified itself by the address of its metadata document:</p>
<code class="url">${url}</code>
<p>This server fetched it, but cannot use it: <code>${failure.detail}</code>. You were not sent back to the app.</p>
<p class="muted">You can close this window. If it keeps happening, the app’s publisher needs to fix that document.</p>${facts(failure)}</div>`,
      };
    }
    case 'disabled': {
      const title = 'This server asks apps to register first';
      return {
        status: 400,
        title,
        body: html`<div class="card"><h1>${title}</h1>
<p>The app identified itself by the address of a metadata document:</p>
<code class="url">${url}</code>
<p>This server is set up not to use such documents (<code>CLIENT_ID_METADATA_DOCUMENTS=false</code>) and does not advertise them; apps register with it instead. You were not sent back to the app.</p>
<p class="muted">Remove this server from your app and add it again: the app then reads the server’s current settings and registers (Claude Code does this by itself).</p>${facts(failure)}</div>`,
      };
    }
  }
}
