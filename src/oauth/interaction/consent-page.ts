/**
 * GET /interaction/:uid — our consent page, shown per MCP client before any Google redirect (the
 * confused-deputy rule): which app, where it sends the person back, which Google account, and what the app
 * will be able to do. A user who already allowed this client, and whose Google grant we hold with every
 * permission we ask for, skips it.
 */
import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { Config } from '../../config/config.js';
import { log } from '../../logging/logger.js';
import { peopleScopesFor } from '../../upstream/google/scopes.js';
import { html, raw, sendPage, type Raw } from '../../web/html.js';
import { redirectTargetLabel } from '../redirect-uris.js';
import type { InteractionDeps, InteractionDetails } from './context.js';
import { issueCsrfToken } from './csrf.js';
import { loadDetails } from './details.js';
import { finishWithGrant, hasConsent } from './grant.js';

/** What the app will be able to do, in the person's words, for the server's mode. */
export function abilities(config: Config): string[] {
  return config.readOnly
    ? [
        'See your Google Contacts and contact groups',
        'Search people you have emailed ("Other contacts")',
        'Search your organisation’s directory (Google Workspace accounts)',
      ]
    : [
        'See, create, change and delete your Google Contacts',
        'Create, rename and delete contact groups and change who is in them',
        'Search people you have emailed ("Other contacts") and save them as contacts',
        'Search your organisation’s directory (Google Workspace accounts)',
      ];
}

async function renderConsent(
  deps: InteractionDeps,
  provider: Provider,
  res: Response,
  details: InteractionDetails,
): Promise<void> {
  const { config, keys, googleTokens } = deps;
  const clientId = String(details.params.client_id);
  const client = await provider.Client.find(clientId);
  if (!client) {
    sendPage(
      res,
      400,
      'Unknown app',
      html`<div class="card"><h1>Unknown app</h1><p>The app that sent you here is not registered. Start again from your app.</p></div>`,
    );
    return;
  }
  const redirectUri =
    typeof details.params.redirect_uri === 'string' ? details.params.redirect_uri : (client.redirectUris?.[0] ?? '');
  // Private-use schemes (cursor://…, com.example.app:/cb) have no meaningful host: name the scheme.
  const { label: redirectHost, onDevice: loopbackOnly } = redirectTargetLabel(redirectUri);
  const isCimd = (client as unknown as { clientIdMetadataDocument?: boolean }).clientIdMetadataDocument === true;
  const name = client.clientName || (isCimd ? clientId : 'An unnamed app');
  const csrf = issueCsrfToken(res, config, keys, details.uid);
  const sessionEmail = details.session?.accountId
    ? (await googleTokens.profile(details.session.accountId))?.email
    : undefined;
  const warning: Raw = loopbackOnly
    ? html`<div class="warn" role="alert"><strong>This app runs on your own computer.</strong> It sends the sign-in result to <code>${redirectHost}</code>, on this device. Only continue if you just started connecting a program such as Claude Code on this device.</div>`
    : raw('');
  log().info({ event: 'consent.shown', clientId, flowId: details.uid }, 'consent page shown');
  sendPage(
    res,
    200,
    `Allow ${name} to use your Google Contacts?`,
    html`<div class="card">
<h1>Allow <span class="client-name">${name}</span> to use your Google Contacts?</h1>
<dl><dt>App</dt><dd>${name}</dd><dt>Sends you back to</dt><dd><code>${redirectHost}</code></dd>${sessionEmail ? html`<dt>Google account</dt><dd>${sessionEmail}</dd>` : raw('')}</dl>
${warning}
<p>If you allow it, this app will be able to:</p>
<ul>${abilities(config).map((a) => html`<li>${a}</li>`)}</ul>
<p class="muted">${sessionEmail ? 'You are already signed in with Google here.' : 'Next, Google will ask you to sign in.'} Your Google password and Google tokens are never shared with the app. You can disconnect it at any time at <code>${config.baseUrl}/account</code>.</p>
<form method="post" action="/interaction/${details.uid}/decision">
<input type="hidden" name="csrf" value="${csrf}">
<div class="actions">
<button class="primary" type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
</div>`,
  );
}

export function consentPageRoute(deps: InteractionDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const provider = await deps.provider();
    const details = await loadDetails(provider, req, res);
    if (!details) return;
    const accountId = details.session?.accountId;
    const clientId = String(details.params.client_id);
    if (details.prompt.name === 'consent' && accountId) {
      const [consent, hasRt] = await Promise.all([
        hasConsent(deps.store, accountId, clientId),
        deps.googleTokens.hasRefreshToken(accountId, peopleScopesFor(deps.config.readOnly)),
      ]);
      if (consent && hasRt) {
        await finishWithGrant(deps, provider, req, res, details, accountId);
        return;
      }
    }
    await renderConsent(deps, provider, res, details);
  };
}
