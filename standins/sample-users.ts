/**
 * Sample Google accounts known to the Google stand-in (standins/google.ts).
 *
 * `sub` values are stable numeric strings shaped like Google's account ids, so tests and
 * fixtures can refer to them directly. `hd` is set only for Google Workspace accounts, exactly
 * as Google only puts the `hd` claim into id_tokens of Workspace users.
 */
export interface SampleUser {
  sub: string;
  email: string;
  name: string;
  givenName: string;
  familyName: string;
  /** Google Workspace domain; absent for consumer (gmail-style) accounts. */
  hd?: string;
  emailVerified: boolean;
}

export const SAMPLE_USERS: SampleUser[] = [
  {
    sub: '100000000000000000001',
    email: 'alice@example.com',
    name: 'Alice Example',
    givenName: 'Alice',
    familyName: 'Example',
    emailVerified: true,
  },
  {
    sub: '100000000000000000002',
    email: 'bob@acme.test',
    name: 'Bob Builder',
    givenName: 'Bob',
    familyName: 'Builder',
    hd: 'acme.test',
    emailVerified: true,
  },
  {
    sub: '100000000000000000003',
    email: 'carol@acme.test',
    name: 'Carol Danvers',
    givenName: 'Carol',
    familyName: 'Danvers',
    hd: 'acme.test',
    emailVerified: true,
  },
  {
    sub: '100000000000000000004',
    email: 'mallory@evil.test',
    name: 'Mallory Evil',
    givenName: 'Mallory',
    familyName: 'Evil',
    emailVerified: true,
  },
  {
    sub: '100000000000000000005',
    email: 'unverified@example.com',
    name: 'Unverified Example',
    givenName: 'Unverified',
    familyName: 'Example',
    emailVerified: false,
  },
];
