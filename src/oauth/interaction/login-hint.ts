/**
 * A login hint passed on to Google only when it looks like one email address: it lands in Google's URL,
 * so anything else (long strings, several addresses, whitespace) is dropped rather than forwarded.
 */
export function emailHint(value: unknown): string | undefined {
  return typeof value === 'string' && /^[^@\s]{1,64}@[^@\s]{1,255}$/.test(value) ? value : undefined;
}
