// Pure duplicate detection and the shared phone rule: no servers, tricky data.
import { expect } from 'chai';
import type { people_v1 } from '@googleapis/people';
import { completeness, findDuplicateGroups, MAX_SHARED_VALUE, nameKey } from '../../src/mcp/tools/duplicates.js';
import { samePhone } from '../../src/mcp/tools/phones.js';

type P = people_v1.Schema$Person;
let n = 0;
const person = (p: Omit<P, 'resourceName'>): P => ({ resourceName: `people/c${++n}`, ...p });
const named = (givenName: string, familyName?: string, more: Omit<P, 'resourceName' | 'names'> = {}): P =>
  person({ names: [{ givenName, ...(familyName ? { familyName } : {}) }], ...more });
const rns = (ps: P[]) => ps.map((p) => p.resourceName);

describe('phones: one rule for update_contact, duplicates and merges', () => {
  it('ignores formatting: spaces, dashes, dots and brackets', () => {
    expect(samePhone('+1 (415) 555-0101', '+1.415.555.0101')).to.equal(true);
    expect(samePhone('+1 415 555 0101', '+1 415 555 0102')).to.equal(false);
  });

  it('a missing country code still matches the national number (with or without the trunk 0)', () => {
    expect(samePhone('+1 415-555-0101', '(415) 555-0101')).to.equal(true);
    expect(samePhone('+44 20 7946 0958', '020 7946 0958')).to.equal(true);
    expect(samePhone('+49 30 901820', '030 901820')).to.equal(true);
    expect(samePhone('0044 20 7946 0958', '+44 20 7946 0958')).to.equal(true);
    expect(samePhone('44 20 7946 0958', '+44 (0)20 7946 0958')).to.equal(true);
    expect(samePhone('15550001123', '+1 555 000 1123')).to.equal(true);
  });

  it('two different country codes are different numbers, even with the same national digits', () => {
    expect(samePhone('+1 415 555 0101', '+44 415 555 0101')).to.equal(false);
    expect(samePhone('+33 1 23 45 67 89', '+32 1 23 45 67 89')).to.equal(false);
  });

  it('never matches a value without digits', () => {
    expect(samePhone('n/a', 'n/a')).to.equal(false);
    expect(samePhone('', '+1 415 555 0101')).to.equal(false);
  });
});

describe('find_duplicate_contacts: detection (pure)', () => {
  it('groups phones written in different formats and with or without a country code', () => {
    const a = named('Dana', 'Scully', { phoneNumbers: [{ value: '+1 202-555-0100' }] });
    const b = named('D.', 'S.', { phoneNumbers: [{ value: '(202) 555 0100' }] });
    const c = named('Fox', 'Mulder', { phoneNumbers: [{ value: '+1 202 555 0199' }] });
    const groups = findDuplicateGroups([a, b, c]);
    expect(groups).to.have.length(1);
    expect(rns(groups[0]!.contacts).sort()).to.deep.equal(rns([a, b]).sort());
    expect(groups[0]!.reasons).to.deep.equal(['same phone']);
  });

  it('matches emails case-insensitively', () => {
    const a = named('Sam', 'Carter', { emailAddresses: [{ value: 'Sam.Carter@SGC.example' }] });
    const b = person({ emailAddresses: [{ value: ' sam.carter@sgc.example ' }] });
    const groups = findDuplicateGroups([a, b]);
    expect(groups).to.have.length(1);
    expect(groups[0]!.reasons).to.deep.equal(['same email']);
  });

  it('matches names ignoring case, accents, punctuation and spacing', () => {
    const a = named('José', 'Ramírez-Ortiz');
    const b = named('jose', 'ramirez ortiz');
    const c = person({ names: [{ unstructuredName: 'JOSE RAMIREZORTIZ' }] });
    const d = named('José', 'Ramos');
    expect(nameKey(a)).to.equal(nameKey(b)).and.equal(nameKey(c));
    const groups = findDuplicateGroups([a, b, c, d]);
    expect(groups).to.have.length(1);
    expect(rns(groups[0]!.contacts).sort()).to.deep.equal(rns([a, b, c]).sort());
    expect(groups[0]!.reasons).to.deep.equal(['same name']);
  });

  it('chains matches into one group, so a contact is in at most one group, with every reason', () => {
    const a = named('Bob', 'Martinez', { emailAddresses: [{ value: 'bob@bikes.example' }] });
    const b = named('Robert', 'Martinez', {
      emailAddresses: [{ value: 'BOB@bikes.example' }],
      phoneNumbers: [{ value: '+1 415 555 0101' }],
    });
    const c = named('Bobby', undefined, { phoneNumbers: [{ value: '415.555.0101' }] });
    const d = named('Bobby');
    const groups = findDuplicateGroups([a, b, c, d]);
    expect(groups).to.have.length(1);
    expect(rns(groups[0]!.contacts).sort()).to.deep.equal(rns([a, b, c, d]).sort());
    expect(groups[0]!.reasons).to.deep.equal(['same email', 'same phone', 'same name']);
    const seen = groups.flatMap((g) => rns(g.contacts));
    expect(new Set(seen).size).to.equal(seen.length);
  });

  it('suggests keeping the most complete contact, and lists it first', () => {
    const thin = named('Eve', 'Schmidt', { emailAddresses: [{ value: 'eve@example.de' }] });
    const rich = named('Eve', 'Schmidt', {
      emailAddresses: [{ value: 'eve.schmidt@example.de' }],
      phoneNumbers: [{ value: '+49 30 901820' }],
      birthdays: [{ date: { year: 1990, month: 12, day: 24 } }],
      biographies: [{ value: 'Cousin.' }],
      photos: [{ url: 'https://photos.example/eve.jpg' }],
    });
    expect(completeness(rich)).to.be.greaterThan(completeness(thin));
    const [g] = findDuplicateGroups([thin, rich]);
    expect(g!.suggestedKeep).to.equal(rich.resourceName);
    expect(g!.contacts[0]!.resourceName).to.equal(rich.resourceName);
    // Google's generated letter avatar is not a photo.
    expect(completeness({ photos: [{ url: 'https://x/avatar', default: true }] })).to.equal(0);
  });

  it(`ignores a value shared by more than ${MAX_SHARED_VALUE} contacts (a switchboard, a team mailbox)`, () => {
    const crowd = Array.from({ length: MAX_SHARED_VALUE + 1 }, (_, i) =>
      named(`Colleague${i}`, 'Acme', { phoneNumbers: [{ value: '+1 800 555 0000' }] }),
    );
    expect(findDuplicateGroups(crowd)).to.deep.equal([]);
    const few = crowd.slice(0, MAX_SHARED_VALUE);
    expect(findDuplicateGroups(few)).to.have.length(1);
  });

  it('finds nothing among distinct contacts, and orders groups strongest first', () => {
    expect(findDuplicateGroups([named('A', 'One'), named('B', 'Two'), person({})])).to.deep.equal([]);
    const weak = [named('Ann', 'Lee'), named('ann', 'lee')];
    const strong = [
      named('Kim', 'Park', { emailAddresses: [{ value: 'kim@x.example' }] }),
      named('Kim', 'Park', { emailAddresses: [{ value: 'KIM@x.example' }] }),
    ];
    const groups = findDuplicateGroups([...weak, ...strong]);
    expect(groups.map((g) => g.reasons)).to.deep.equal([['same email', 'same name'], ['same name']]);
  });
});
