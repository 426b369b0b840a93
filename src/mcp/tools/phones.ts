/**
 * When two phone numbers are "the same number": the one rule update_contact (removing, de-duplicating)
 * and the duplicate finder and merge share. Numbers written internationally (+44 20 7946 0958,
 * 0044 …) are parsed with libphonenumber-js into country code + national number; a number written
 * without a country code matches any number whose national part it is ("020 7946 0958", "(415)
 * 555-0101"), because people often save a number without it. Formatting never matters.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

export interface PhoneKey {
  /** E.164 form when the number was written with its country code (+ or 00) and parses. */
  e164?: string;
  /** The national numbers it may stand for (one for an international number; candidates otherwise). */
  nationals: string[];
}

/** Only the digits of a value ("+1 (415) 555-0101" → "14155550101"). */
export function phoneDigits(value: string): string {
  return value.replace(/\D/g, '');
}

/** The comparison key of a phone number; undefined when it has no digits at all. */
export function phoneKey(value: string): PhoneKey | undefined {
  const trimmed = value.trim();
  const digits = phoneDigits(trimmed);
  if (!digits) return undefined;
  const international = trimmed.startsWith('+')
    ? trimmed
    : trimmed.startsWith('00')
      ? `+${trimmed.slice(2)}`
      : undefined;
  if (international) {
    const parsed = parsePhoneNumberFromString(international);
    if (parsed) return { e164: parsed.number, nationals: [parsed.nationalNumber] };
  }
  const nationals = new Set<string>();
  // A national number as dialled inside its country: drop the trunk prefix ("020 …" in the UK, "0 30 …" in Germany).
  const local = digits.replace(/^0+/, '');
  if (local) nationals.add(local);
  // Digits that start with a country code but lack the "+" ("44 20 7946 0958").
  if (!international && digits.length >= 8) {
    const parsed = parsePhoneNumberFromString(`+${digits}`);
    if (parsed?.isPossible()) nationals.add(parsed.nationalNumber);
  }
  return { nationals: [...nationals] };
}

/** Same number: equal E.164 forms when both carry a country code, else a shared national number. */
export function samePhoneKey(a: PhoneKey, b: PhoneKey): boolean {
  if (a.e164 && b.e164) return a.e164 === b.e164;
  return a.nationals.some((n) => b.nationals.includes(n));
}

export function samePhone(a: string, b: string): boolean {
  const ka = phoneKey(a);
  const kb = phoneKey(b);
  return ka !== undefined && kb !== undefined && samePhoneKey(ka, kb);
}
