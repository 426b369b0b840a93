// How a Google person becomes a tool result (person.ts): field masks, compact and full rendering, the
// text form, and the size guard. Pure functions; milliseconds.
import { expect } from 'chai';
import type { people_v1 } from '@googleapis/people';
import {
  COMPACT_FIELDS,
  dateText,
  displayNameOf,
  fitToBudget,
  MAX_TEXT_VALUE,
  personFields,
  personOut,
  personText,
  renderPerson,
} from '../../../src/mcp/tools/person.js';

type P = people_v1.Schema$Person;

function rich(): P {
  return {
    resourceName: 'people/c7',
    names: [
      { givenName: 'Robert', familyName: 'Martinez', displayName: 'Robert Martinez' },
      {
        givenName: 'Bob',
        familyName: 'Martinez',
        honorificSuffix: 'Jr.',
        displayName: 'Bob Martinez Jr.',
        metadata: { primary: true },
      },
    ],
    emailAddresses: [
      { value: 'bob@home.example', type: 'home' },
      { value: 'bob@bikes.example', formattedType: 'Work', metadata: { primary: true } },
      { value: '' },
    ],
    phoneNumbers: [{ value: '+1 415-555-0101', type: 'mobile' }],
    organizations: [
      { name: 'City Cycling Club', title: 'Treasurer' },
      { name: 'Martinez Bikes', title: 'Owner', metadata: { primary: true } },
      {},
    ],
    nicknames: [{ value: 'Bobby' }, { value: ' ' }],
    addresses: [
      {
        streetAddress: '12 Market St',
        city: 'San Francisco',
        formattedValue: '12 Market St\nSan Francisco',
        type: 'home',
      },
    ],
    birthdays: [{ date: { month: 4, day: 12 } }],
    biographies: [{ value: 'Met at the climbing gym.' }],
    urls: [{ value: 'https://martinez-bikes.example', type: 'work' }],
    memberships: [
      { contactGroupMembership: { contactGroupResourceName: 'contactGroups/myContacts' } },
      { contactGroupMembership: { contactGroupId: 'hiking1' } },
    ],
    relations: [{ person: 'Ana Martínez', type: 'spouse' }, { person: '' }],
    events: [{ date: { year: 2019, month: 6, day: 1 }, type: 'anniversary' }, { date: {} }],
    imClients: [{ username: 'bob.m', formattedProtocol: 'Skype' }],
    userDefined: [{ key: 'Bike size', value: '56' }],
  };
}

describe('person rendering (unit)', () => {
  it('asks Google for the compact fields, or every field full detail shows', () => {
    expect(personFields('compact')).to.equal(COMPACT_FIELDS.join(','));
    expect(personFields('full').split(',')).to.include.members([
      ...COMPACT_FIELDS,
      'memberships',
      'biographies',
      'userDefined',
    ]);
  });

  it('compact: name, emails, phones and organization, the primary item first; blanks dropped', () => {
    const out = renderPerson(rich(), 'compact');
    expect(out).to.deep.equal({
      resourceName: 'people/c7',
      name: 'Bob Martinez Jr.',
      emails: [
        { value: 'bob@bikes.example', type: 'Work' },
        { value: 'bob@home.example', type: 'home' },
      ],
      phones: [{ value: '+1 415-555-0101', type: 'mobile' }],
      organization: { name: 'Martinez Bikes', title: 'Owner' },
    });
    expect(personOut.safeParse(out).success, 'matches the output schema').to.equal(true);
  });

  it('full: every field, group names resolved where known', () => {
    const out = renderPerson(rich(), 'full', new Map([['contactGroups/hiking1', 'Hiking']]));
    expect(out.nameParts).to.deep.equal({ givenName: 'Bob', familyName: 'Martinez', honorificSuffix: 'Jr.' });
    expect(out.nicknames).to.deep.equal(['Bobby']);
    expect(out.organizations?.map((o) => o.name)).to.deep.equal(['Martinez Bikes', 'City Cycling Club']);
    expect(out.addresses?.[0]).to.include({
      formatted: '12 Market St\nSan Francisco',
      type: 'home',
      city: 'San Francisco',
    });
    expect(out.birthday).to.deep.equal({ month: 4, day: 12 });
    expect(out.notes).to.equal('Met at the climbing gym.');
    expect(out.groups).to.deep.equal([
      { resourceName: 'contactGroups/myContacts' },
      { resourceName: 'contactGroups/hiking1', name: 'Hiking' },
    ]);
    expect(out.relations).to.deep.equal([{ person: 'Ana Martínez', type: 'spouse' }]);
    expect(out.events).to.deep.equal([{ date: '2019-06-01', type: 'anniversary' }]);
    expect(out.imClients).to.deep.equal([{ username: 'bob.m', protocol: 'Skype' }]);
    expect(out.customFields).to.deep.equal([{ key: 'Bike size', value: '56' }]);
    expect(personOut.safeParse(out).success).to.equal(true);
  });

  it('never carries undefined values (structured content must be plain JSON)', () => {
    const out = renderPerson({ resourceName: 'people/c1', names: [{ givenName: 'Ann' }] }, 'full');
    expect(JSON.parse(JSON.stringify(out))).to.deep.equal(out);
    expect(Object.entries(out).filter(([, v]) => v === undefined)).to.deep.equal([]);
  });

  it('cuts very long notes and says how much was cut', () => {
    const notes = 'x'.repeat(MAX_TEXT_VALUE + 1000);
    const out = renderPerson({ resourceName: 'people/c1', biographies: [{ value: notes }] }, 'full');
    expect(out.notes?.startsWith('x'.repeat(MAX_TEXT_VALUE) + '…')).to.equal(true);
    expect(out.notes).to.match(/… \[cut: 1000 more characters\]$/);
  });

  it('display name: Google’s, else the parts, else the unstructured name; none without names', () => {
    expect(displayNameOf({ names: [{ givenName: 'Ann', middleName: 'B', familyName: 'Lee' }] })).to.equal('Ann B Lee');
    expect(displayNameOf({ names: [{ unstructuredName: 'Dr. Who' }] })).to.equal('Dr. Who');
    expect(displayNameOf({})).to.equal(undefined);
  });

  it('dates: with or without a year; a year alone', () => {
    expect(dateText({ year: 985, month: 4, day: 2 })).to.equal('0985-04-02');
    expect(dateText({ month: 12, day: 31 })).to.equal('--12-31');
    expect(dateText({ year: 1970 })).to.equal('1970');
    expect(dateText(undefined)).to.equal(undefined);
  });

  it('text: one line compact, then one indented line per extra field in full', () => {
    expect(personText(renderPerson(rich(), 'compact'))).to.equal(
      'Bob Martinez Jr. — bob@bikes.example (Work), bob@home.example (home) — +1 415-555-0101 (mobile) — Owner at Martinez Bikes [people/c7]',
    );
    const lines = personText(renderPerson(rich(), 'full', new Map([['contactGroups/hiking1', 'Hiking']]))).split('\n');
    expect(lines.slice(1)).to.include.members([
      '    nicknames: Bobby',
      '    birthday: --04-12',
      '    groups: contactGroups/myContacts, Hiking',
      '    notes: Met at the climbing gym.',
    ]);
    expect(personText({ resourceName: 'people/c1', emails: [], phones: [] })).to.equal('(no name) [people/c1]');
  });

  it('fitToBudget keeps the leading items that fit (always at least one) and says when it cut', () => {
    const items = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)];
    expect(fitToBudget(items, 90)).to.deep.equal({ kept: items.slice(0, 2), truncated: true });
    expect(fitToBudget(items, 10)).to.deep.equal({ kept: items.slice(0, 1), truncated: true });
    expect(fitToBudget(items, 1000)).to.deep.equal({ kept: items, truncated: false });
  });
});
