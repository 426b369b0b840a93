/**
 * Input schemas of contact fields (shared by create_contact and update_contact) and their People API
 * form. Field names follow what a person would say ("emails", "phones", "notes"), not Google's.
 */
import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';

const typeInput = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .optional()
  .describe("Label such as 'home', 'work' or 'other' (any short text is allowed)");

export const emailInput = z.object({
  value: z
    .string()
    .trim()
    .min(3)
    .max(320)
    .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address such as name@example.com')
    .describe('Email address, e.g. dana@example.com'),
  type: typeInput,
});

export const phoneInput = z.object({
  value: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/\d/, 'must contain digits')
    .describe('Phone number, preferably international, e.g. +1 415 555 0101'),
  type: typeInput.describe("Label such as 'mobile', 'home', 'work', 'main' or 'other'"),
});

const part = (what: string) => z.string().trim().max(300).optional().describe(what);

export const addressInput = z
  .object({
    streetAddress: part('Street and number, e.g. 12 Market St'),
    extendedAddress: part('Apartment, suite, floor'),
    poBox: part('Post office box'),
    city: part('City or town'),
    region: part('Region, state or province'),
    postalCode: part('Postal code'),
    country: part('Country name'),
    countryCode: z.string().trim().length(2).optional().describe('ISO 3166-1 alpha-2 country code, e.g. US'),
    formatted: z
      .string()
      .trim()
      .max(1000)
      .optional()
      .describe('The whole address as free text, when it is not split into parts'),
    type: typeInput,
  })
  .refine(
    (a) =>
      [
        a.streetAddress,
        a.extendedAddress,
        a.poBox,
        a.city,
        a.region,
        a.postalCode,
        a.country,
        a.countryCode,
        a.formatted,
      ].some((v) => v),
    {
      message: 'an address needs at least one part (e.g. streetAddress and city, or formatted)',
    },
  );

export const urlInput = z.object({
  value: z.string().trim().min(1).max(2000).describe('Web address, e.g. https://example.com'),
  type: typeInput.describe("Label such as 'homePage', 'blog', 'profile', 'work' or 'other'"),
});

const namePart = (what: string) => z.string().trim().max(200).optional().describe(what);

export const nameInput = z.object({
  givenName: namePart('Given (first) name'),
  middleName: namePart('Middle name'),
  familyName: namePart('Family (last) name'),
  honorificPrefix: namePart('Prefix such as Dr. or Ms.'),
  honorificSuffix: namePart('Suffix such as Jr. or PhD'),
});

export const organizationInput = z.object({
  name: z.string().trim().max(300).optional().describe('Company or organization name'),
  title: z.string().trim().max(300).optional().describe('Job title'),
  department: z.string().trim().max(300).optional().describe('Department'),
});

export const birthdayInput = z.object({
  year: z.number().int().min(1).max(9999).optional().describe('Year of birth; omit when unknown'),
  month: z.number().int().min(1).max(12).describe('Month, 1-12'),
  day: z.number().int().min(1).max(31).describe('Day of the month, 1-31'),
});

export const notesInput = z.string().max(10_000).describe('Free-text notes about the person');
export const nicknameInput = z.string().trim().min(1).max(200).describe('A nickname');

export type EmailInput = z.infer<typeof emailInput>;
export type PhoneInput = z.infer<typeof phoneInput>;
export type AddressInput = z.infer<typeof addressInput>;
export type UrlInput = z.infer<typeof urlInput>;
export type NameInput = z.infer<typeof nameInput>;
export type OrganizationInput = z.infer<typeof organizationInput>;
export type BirthdayInput = z.infer<typeof birthdayInput>;

// ------------------------------------------------------------------------------ to the People API

function withType<T extends object>(item: T, type: string | undefined): T & { type?: string } {
  return type ? { ...item, type } : item;
}

export function toEmail(e: EmailInput): people_v1.Schema$EmailAddress {
  return withType({ value: e.value }, e.type);
}

export function toPhone(p: PhoneInput): people_v1.Schema$PhoneNumber {
  return withType({ value: p.value }, p.type);
}

export function toAddress(a: AddressInput): people_v1.Schema$Address {
  const out: people_v1.Schema$Address = {};
  for (const k of [
    'streetAddress',
    'extendedAddress',
    'poBox',
    'city',
    'region',
    'postalCode',
    'country',
    'countryCode',
  ] as const) {
    if (a[k]) out[k] = a[k];
  }
  if (a.formatted) out.formattedValue = a.formatted;
  return withType(out, a.type);
}

export function toUrl(u: UrlInput): people_v1.Schema$Url {
  return withType({ value: u.value }, u.type);
}

export function toName(n: NameInput): people_v1.Schema$Name | undefined {
  const out: people_v1.Schema$Name = {};
  for (const k of ['givenName', 'middleName', 'familyName', 'honorificPrefix', 'honorificSuffix'] as const)
    if (n[k]) out[k] = n[k];
  return Object.keys(out).length > 0 ? out : undefined;
}

export function toOrganization(o: OrganizationInput): people_v1.Schema$Organization | undefined {
  const out: people_v1.Schema$Organization = {};
  for (const k of ['name', 'title', 'department'] as const) if (o[k]) out[k] = o[k];
  return Object.keys(out).length > 0 ? out : undefined;
}

export function toBirthday(b: BirthdayInput): people_v1.Schema$Birthday {
  return { date: { ...(b.year ? { year: b.year } : {}), month: b.month, day: b.day } };
}

export function toNotes(text: string): people_v1.Schema$Biography[] {
  return text.trim() ? [{ value: text, contentType: 'TEXT_PLAIN' }] : [];
}

export function toMembership(groupResourceName: string): people_v1.Schema$Membership {
  return { contactGroupMembership: { contactGroupResourceName: groupResourceName } };
}

// ------------------------------------------------------------------------------------- comparison

/** Keys under which two items count as "the same" (for de-duplication and removal). */
export function emailKey(value: string): string {
  return value.trim().toLowerCase();
}

/** Phones: one rule for update_contact, the duplicate finder and merges (see phones.ts). */
export { phoneDigits, samePhone } from './phones.js';

export function textKey(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function urlKey(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/^www\./, '')
    .replace(/\/+$/, '');
}

export function addressKey(a: people_v1.Schema$Address): string {
  const parts = [a.streetAddress, a.extendedAddress, a.poBox, a.city, a.region, a.postalCode, a.country].filter(
    (p): p is string => typeof p === 'string' && p.trim() !== '',
  );
  return textKey(parts.length > 0 ? parts.join(' ') : (a.formattedValue ?? ''));
}
