/**
 * Loads the interaction a page or form belongs to (oidc-provider checks its `_interaction` cookie), or
 * tells the person the sign-in link expired. A storage outage is not an expired link: it is passed on
 * (503 from the app's error handler).
 */
import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import { log } from '../../logging/logger.js';
import { isStoreUnavailable } from '../../storage/port.js';
import { html, sendPage } from '../../web/html.js';
import type { InteractionDetails } from './context.js';

export async function loadDetails(
  provider: Provider,
  req: Request,
  res: Response,
): Promise<InteractionDetails | undefined> {
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== req.params.uid) throw new Error(`uid mismatch ${details.uid} ${String(req.params.uid)}`);
    return details;
  } catch (err) {
    if (isStoreUnavailable(err)) throw err;
    log().info(
      { event: 'interaction.not_found', reason: 'interaction_expired', detail: (err as Error).message },
      'interaction lookup failed',
    );
    sendPage(
      res,
      400,
      'Sign-in expired',
      html`<div class="card"><h1>This sign-in link has expired</h1><p>Sign-in links work once, in the browser that opened them, for up to an hour. Go back to your app and connect again.</p></div>`,
    );
    return undefined;
  }
}
