/**
 * The Google People API scopes we ask for, and what we make of the ones a user actually granted.
 * Google's consent screen lets the user untick each permission (granular consent), so the `scope` of
 * Google's token response is the truth, not what we asked for.
 */
const GOOGLE_SCOPE_PREFIX = 'https://www.googleapis.com/auth/';

export const SCOPE = {
  contacts: `${GOOGLE_SCOPE_PREFIX}contacts`,
  contactsReadonly: `${GOOGLE_SCOPE_PREFIX}contacts.readonly`,
  otherContactsReadonly: `${GOOGLE_SCOPE_PREFIX}contacts.other.readonly`,
  directoryReadonly: `${GOOGLE_SCOPE_PREFIX}directory.readonly`,
} as const;

export const GOOGLE_BASE_SCOPES = ['openid', 'email', 'profile'];
export const GOOGLE_SCOPES_READ_WRITE = [SCOPE.contacts, SCOPE.otherContactsReadonly, SCOPE.directoryReadonly];
export const GOOGLE_SCOPES_READ_ONLY = [SCOPE.contactsReadonly, SCOPE.otherContactsReadonly, SCOPE.directoryReadonly];

/** The People API scopes we ask Google for in this mode. */
export function peopleScopesFor(readOnly: boolean): readonly string[] {
  return readOnly ? GOOGLE_SCOPES_READ_ONLY : GOOGLE_SCOPES_READ_WRITE;
}

/** The one scope the mode cannot work without (every contacts tool needs it). */
export function requiredContactsScope(readOnly: boolean): string {
  return readOnly ? SCOPE.contactsReadonly : SCOPE.contacts;
}

/** Google's consent-screen wording for each scope: the words the user saw next to the box they unticked. */
export const PERMISSION_LABELS: Readonly<Record<string, string>> = {
  [SCOPE.contacts]: 'See, edit, download, and permanently delete your contacts',
  [SCOPE.contactsReadonly]: 'See and download your contacts',
  [SCOPE.otherContactsReadonly]: 'See and download contact info automatically saved in your "Other contacts"',
  [SCOPE.directoryReadonly]: "See and download your organization's Google Workspace directory",
};

/**
 * The scopes a token response's `scope` grants, with what they imply (full `contacts` also allows
 * everything `contacts.readonly` does). undefined when Google did not say: then nothing is known to be
 * missing and Google's own 403 remains the judge.
 */
export function grantedScopes(scope: string | undefined): ReadonlySet<string> | undefined {
  if (scope === undefined) return undefined;
  const granted = new Set(scope.split(/\s+/).filter(Boolean));
  if (granted.has(SCOPE.contacts)) granted.add(SCOPE.contactsReadonly);
  return granted;
}

/** The scopes of `wanted` that `granted` lacks (none when the grant is unknown). */
export function missingScopes(granted: ReadonlySet<string> | undefined, wanted: readonly string[]): string[] {
  return granted === undefined ? [] : wanted.filter((s) => !granted.has(s));
}

/** The permissions a user may untick at Google and still use the other tools. */
export type OptionalPermission = 'otherContacts' | 'directory';

export const OPTIONAL_PERMISSIONS: Readonly<Record<OptionalPermission, { scope: string; what: string }>> = {
  otherContacts: {
    scope: SCOPE.otherContactsReadonly,
    what: 'your "Other contacts" (people you have emailed but never saved)',
  },
  directory: { scope: SCOPE.directoryReadonly, what: 'your organization’s directory' },
};

/** The optional permission whose scope this is, if any. */
export function optionalPermissionFor(scope: string): OptionalPermission | undefined {
  return (Object.keys(OPTIONAL_PERMISSIONS) as OptionalPermission[]).find(
    (p) => OPTIONAL_PERMISSIONS[p].scope === scope,
  );
}

/** The tool error for a permission the user unticked at Google: what is missing and how to get it. */
export function missingOptionalPermissionText(permission: OptionalPermission): string {
  const { scope, what } = OPTIONAL_PERMISSIONS[permission];
  return (
    `You didn't grant access to ${what} when you signed in with Google; disconnect and reconnect this app ` +
    `(and tick that permission, “${PERMISSION_LABELS[scope]}”, on Google's consent screen) to enable it.`
  );
}
