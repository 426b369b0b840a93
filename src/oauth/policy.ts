/** Who may sign in: ALLOWED_EMAILS / ALLOWED_DOMAINS over a verified Google identity. */
import type { Config } from '../config/config.js';
import type { GoogleIdentity } from '../upstream/google/oauth.js';

export type SignInRefusal = 'email_not_verified' | 'domain_not_allowed';

export function checkSignIn(
  config: Pick<Config, 'allowedDomains' | 'allowedEmails'>,
  identity: Pick<GoogleIdentity, 'email' | 'emailVerified' | 'hd'>,
): SignInRefusal | undefined {
  if (!identity.emailVerified) return 'email_not_verified';
  const { allowedDomains, allowedEmails } = config;
  if (allowedDomains.length === 0 && allowedEmails.length === 0) return undefined;
  const email = identity.email.toLowerCase();
  if (allowedEmails.includes(email)) return undefined;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (allowedDomains.includes(domain)) return undefined;
  if (identity.hd && allowedDomains.includes(identity.hd.toLowerCase())) return undefined;
  return 'domain_not_allowed';
}
