// The merge plan as a pure function: what the kept contact gains, what it keeps, what is reported.
import { expect } from 'chai';
import type { people_v1 } from '@googleapis/people';
import { planMerge, previewMerge } from '../../src/mcp/tools/merge-plan.js';
import { contactBody } from '../../src/mcp/tools/person-body.js';

type P = people_v1.Schema$Person;
const own = { metadata: { source: { type: 'CONTACT', id: 'k' } } };
const profile = { metadata: { source: { type: 'PROFILE', id: '1234' } } };
const member = (g: string) => ({
  contactGroupMembership: { contactGroupResourceName: g, contactGroupId: g.replace('contactGroups/', '') },
});

function kept(): P {
  return {
    resourceName: 'people/c1',
    etag: '%EgKEEP',
    names: [{ ...own, givenName: 'Bob', familyName: 'Martinez', displayName: 'Bob Martinez' }],
    emailAddresses: [
      { ...own, value: 'Bob@Bikes.example', type: 'work', formattedType: 'Work' },
      { ...profile, value: 'bob.profile@example.com' },
    ],
    phoneNumbers: [{ ...own, value: '+1 415-555-0101', canonicalForm: '+14155550101' }],
    birthdays: [{ ...own, date: { year: 1985, month: 4, day: 12 } }],
    biographies: [{ ...own, value: 'Met at the climbing gym.', contentType: 'TEXT_PLAIN' }],
    organizations: [{ ...own, name: 'Martinez Bikes', title: 'Owner' }],
    memberships: [member('contactGroups/myContacts'), member('contactGroups/hiking1')],
  };
}

function dup(): P {
  return {
    resourceName: 'people/c2',
    names: [{ ...own, givenName: 'Robert', middleName: 'J', familyName: 'Martinez', honorificSuffix: 'Jr.' }],
    emailAddresses: [
      { ...own, value: 'bob@bikes.EXAMPLE' },
      { ...own, value: 'robert@home.example', type: 'home' },
      { ...own, value: 'bob.profile@example.com' },
    ],
    phoneNumbers: [
      { ...own, value: '(415) 555 0101' },
      { ...own, value: '+44 20 7946 0958', type: 'work', formattedType: 'Work', canonicalForm: '+442079460958' },
    ],
    birthdays: [{ ...own, date: { year: 1985, month: 4, day: 21 } }],
    biographies: [{ ...own, value: 'Prefers texts over calls.' }],
    organizations: [
      { ...own, name: 'martinez bikes', title: 'owner' },
      { ...own, name: 'City Cycling Club', title: 'Treasurer' },
    ],
    addresses: [
      {
        ...own,
        streetAddress: '12 Market St',
        city: 'San Francisco',
        formattedValue: '12 Market St\nSan Francisco',
        formattedType: 'Home',
        type: 'home',
      },
    ],
    urls: [{ ...own, value: 'https://martinez-bikes.example' }],
    nicknames: [{ ...own, value: 'Bobby' }],
    relations: [{ ...own, person: 'Ana Martínez', type: 'spouse' }],
    events: [{ ...own, date: { year: 2019, month: 6, day: 1 }, type: 'anniversary' }],
    imClients: [{ ...own, username: 'bob.m', protocol: 'skype', formattedProtocol: 'Skype' }],
    userDefined: [{ ...own, key: 'Bike size', value: '56' }],
    memberships: [
      member('contactGroups/myContacts'),
      member('contactGroups/starred'),
      member('contactGroups/bookclub2'),
      member('contactGroups/family'),
    ],
    photos: [{ ...own, url: 'https://lh3.example/photo-of-bob.jpg' }],
  };
}

function third(): P {
  return {
    resourceName: 'people/c3',
    emailAddresses: [
      { ...own, value: 'ROBERT@home.example' },
      { ...own, value: 'rj@new.example' },
    ],
    biographies: [
      { ...own, value: 'prefers TEXTS over calls.' },
      { ...own, value: '' },
    ],
    memberships: [member('contactGroups/bookclub2'), member('contactGroups/climbing3')],
    birthdays: [{ ...own, text: 'spring 1985' }],
  };
}

const values = (items: unknown[] | undefined, key = 'value') =>
  (items ?? []).map((i) => (i as Record<string, unknown>)[key]);

describe('merge_contacts: the plan (pure)', () => {
  it('unions list fields, deduplicated like everywhere else (emails by case, phones by number)', () => {
    const plan = planMerge(kept(), [dup(), third()]);
    // The kept contact's own items stay first, as read; the profile's email is not written back.
    expect(values(plan.changes.emailAddresses)).to.deep.equal([
      'Bob@Bikes.example',
      'robert@home.example',
      'rj@new.example',
    ]);
    expect(values(plan.changes.phoneNumbers)).to.deep.equal(['+1 415-555-0101', '+44 20 7946 0958']);
    expect(values(plan.changes.urls)).to.deep.equal(['https://martinez-bikes.example']);
    expect(values(plan.changes.nicknames)).to.deep.equal(['Bobby']);
    expect(values(plan.changes.relations, 'person')).to.deep.equal(['Ana Martínez']);
    expect(values(plan.changes.imClients, 'username')).to.deep.equal(['bob.m']);
    expect(values(plan.changes.userDefined, 'key')).to.deep.equal(['Bike size']);
    expect(plan.changes.events).to.have.length(1);
    expect(plan.changes.addresses).to.have.length(1);
    // Organizations: appended when different (case ignored).
    expect(values(plan.changes.organizations, 'name')).to.deep.equal(['Martinez Bikes', 'City Cycling Club']);
    // Copied items carry no metadata nor output-only values.
    const added = plan.changes.phoneNumbers![1]!;
    expect(added).to.deep.equal({ value: '+44 20 7946 0958', type: 'work' });
    expect(plan.changes.addresses![0]).to.not.have.property('formattedType');
    expect(plan.changes.imClients![0]).to.not.have.property('formattedProtocol');
    expect(plan.gains.find((g) => g.field === 'emails' && g.value === 'rj@new.example')?.from).to.equal('people/c3');
  });

  it('keeps the kept name parts and fills only the empty ones; conflicts are reported, not taken', () => {
    const plan = planMerge(kept(), [dup()]);
    expect(plan.changes.names).to.deep.equal([
      { givenName: 'Bob', middleName: 'J', familyName: 'Martinez', honorificSuffix: 'Jr.' },
    ]);
    expect(plan.gains.filter((g) => g.field === 'name').map((g) => g.value)).to.deep.equal([
      'middle name: J',
      'suffix: Jr.',
    ]);
    expect(plan.notTaken.find((n) => n.field === 'name')).to.include({
      value: 'given name: Robert',
      from: 'people/c2',
    });
  });

  it('conflicting birthdays: the kept one stays and the other is reported', () => {
    const plan = planMerge(kept(), [dup(), third()]);
    expect(plan.changes.birthdays).to.equal(undefined);
    expect(plan.notTaken.filter((n) => n.field === 'birthday').map((n) => n.value)).to.deep.equal([
      '1985-04-21',
      'spring 1985',
    ]);
    // A kept contact without a birthday takes the first other's.
    const noBirthday = { ...kept(), birthdays: [] };
    const filled = planMerge(noBirthday, [dup(), third()]);
    expect(filled.changes.birthdays).to.deep.equal([{ date: { year: 1985, month: 4, day: 21 } }]);
    expect(filled.notTaken.filter((n) => n.field === 'birthday').map((n) => n.value)).to.deep.equal(['spring 1985']);
  });

  it('appends notes that differ (ignoring case), once', () => {
    const plan = planMerge(kept(), [dup(), third()]);
    expect(plan.changes.biographies).to.deep.equal([
      { value: 'Met at the climbing gym.\n\nPrefers texts over calls.', contentType: 'TEXT_PLAIN' },
    ]);
  });

  it('unions groups from several contacts (own groups and Starred), never a built-in group Google refuses', () => {
    const names = new Map([
      ['contactGroups/bookclub2', 'Book Club'],
      ['contactGroups/climbing3', 'Climbing'],
      ['contactGroups/family', 'Family'],
    ]);
    const plan = planMerge(kept(), [dup(), third()], names);
    expect(
      plan.changes.memberships!.map(
        (m) => (m.contactGroupMembership as { contactGroupResourceName: string }).contactGroupResourceName,
      ),
    ).to.deep.equal([
      'contactGroups/myContacts',
      'contactGroups/hiking1',
      'contactGroups/starred',
      'contactGroups/bookclub2',
      'contactGroups/climbing3',
    ]);
    expect(plan.gains.filter((g) => g.field === 'groups').map((g) => g.value)).to.deep.equal([
      'contactGroups/starred',
      'Book Club',
      'Climbing',
    ]);
    expect(plan.notTaken.find((n) => n.field === 'groups')).to.include({ value: 'Family' });
  });

  it('reports a photo it cannot copy', () => {
    const plan = planMerge(kept(), [dup()]);
    expect(plan.notTaken.find((n) => n.field === 'photo')).to.include({ from: 'people/c2' });
  });

  it('changes nothing when the others hold nothing new', () => {
    const same: P = {
      resourceName: 'people/c9',
      emailAddresses: [{ value: 'BOB@bikes.example' }],
      phoneNumbers: [{ value: '4155550101' }],
      names: [{ givenName: 'bob' }],
    };
    const plan = planMerge(kept(), [same]);
    expect(plan.changes).to.deep.equal({});
    expect(plan.gains).to.deep.equal([]);
  });

  it('previews the kept contact after the merge, keeping items of other sources', () => {
    const plan = planMerge(kept(), [dup()]);
    const after = previewMerge(kept(), plan);
    expect(values(after.emailAddresses)).to.deep.equal([
      'Bob@Bikes.example',
      'robert@home.example',
      'bob.profile@example.com',
    ]);
    expect(after.resourceName).to.equal('people/c1');
  });

  it('contactBody: a writable copy of the own data only, one item in singleton fields, given groups', () => {
    const body = contactBody(
      {
        ...dup(),
        names: [
          { ...own, givenName: 'A', displayName: 'A' },
          { ...profile, givenName: 'B' },
        ],
      },
      ['contactGroups/starred'],
    );
    expect(body.names).to.deep.equal([{ givenName: 'A' }]);
    expect(body).to.not.have.property('resourceName');
    expect(body).to.not.have.property('photos');
    expect(body.phoneNumbers![1]).to.deep.equal({ value: '+44 20 7946 0958', type: 'work' });
    expect(body.memberships).to.deep.equal([
      { contactGroupMembership: { contactGroupResourceName: 'contactGroups/starred' } },
    ]);
  });
});
