// update_contact's pure part (contact-edit.ts) and its run() against a fake People API: what an edit
// writes, what it never touches, and the read-modify-write loop. No servers; milliseconds.
import { expect } from 'chai';
import type { people_v1 } from '@googleapis/people';
import {
  applyEdit,
  contactSources,
  isEditableContact,
  touchedFields,
  type ResolvedEdit,
} from '../../../src/mcp/tools/contact-edit.js';
import { MAX_UPDATE_ATTEMPTS, updateContact } from '../../../src/mcp/tools/update-contact.js';
import { ToolError } from '../../../src/mcp/tools/types.js';
import { PeopleApiError } from '../../../src/upstream/google/people.js';
import { fakeToolContext } from '../../support/fake-people.js';

type P = people_v1.Schema$Person;
const own = { metadata: { source: { type: 'CONTACT', id: 'k' } } };
const profile = { metadata: { source: { type: 'PROFILE', id: '42' } } };
const member = (g: string) => ({
  contactGroupMembership: { contactGroupResourceName: g, contactGroupId: g.replace('contactGroups/', '') },
});

function contact(): P {
  return {
    resourceName: 'people/c1',
    etag: '%E1',
    metadata: {
      sources: [
        { type: 'CONTACT', id: 'k', etag: '%S1' },
        { type: 'PROFILE', id: '42' },
      ],
    },
    names: [
      {
        ...own,
        givenName: 'Dana',
        familyName: 'Smith',
        displayName: 'Dana Smith',
        displayNameLastFirst: 'Smith, Dana',
      },
    ],
    emailAddresses: [
      { ...own, value: 'dana@work.example', type: 'work', formattedType: 'Work' },
      { ...profile, value: 'dana@profile.example' },
    ],
    phoneNumbers: [{ ...own, value: '+1 415-555-0101', canonicalForm: '+14155550101' }],
    organizations: [
      {
        ...own,
        name: 'Acme',
        title: 'Engineer',
        department: 'R&D',
        metadata: { primary: true, source: { type: 'CONTACT' } },
      },
    ],
    memberships: [member('contactGroups/myContacts'), member('contactGroups/hiking1')],
  };
}

const values = (items: unknown[] | undefined) => (items ?? []).map((i) => (i as { value?: string }).value);
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ToolError);
    return (err as Error).message;
  }
  return expect.fail('expected a ToolError');
};

describe('contact-edit (unit): what an edit writes', () => {
  it('touchedFields names exactly the People API fields the edit mentions', () => {
    expect(touchedFields({ emails: { add: [{ value: 'a@b.example' }] }, notes: null })).to.deep.equal([
      'biographies',
      'emailAddresses',
    ]);
    expect(touchedFields({})).to.deep.equal([]);
  });

  it('writes only the fields that change: an add of an email already there (other case) writes nothing', () => {
    expect(applyEdit(contact(), { emails: { add: [{ value: 'DANA@work.example' }] } })).to.deep.equal({});
  });

  it('add keeps every own item, relabels an existing one given a new type, and never sends profile items back', () => {
    const changes = applyEdit(contact(), {
      emails: { add: [{ value: 'dana@work.example', type: 'home' }, { value: 'dana@new.example' }] },
    });
    const written = changes.emailAddresses as people_v1.Schema$EmailAddress[];
    expect(values(written)).to.deep.equal(['dana@work.example', 'dana@new.example']);
    expect(written[0]).to.include({ type: 'home' }).and.not.have.property('formattedType');
    expect(values(written)).to.not.include('dana@profile.example');
  });

  it('an add of a value the profile already shows adds nothing', () => {
    expect(applyEdit(contact(), { emails: { add: [{ value: 'Dana@Profile.example' }] } })).to.deep.equal({});
  });

  it('remove matches phones by number (formatting and country code ignored)', () => {
    const changes = applyEdit(contact(), { phones: { remove: ['(415) 555 0101'] } });
    expect(changes.phoneNumbers).to.deep.equal([]);
  });

  it('remove of a value the contact does not have is refused, naming what it has (nothing written)', () => {
    expect(refusal(() => applyEdit(contact(), { emails: { remove: ['nobody@example.com'] } }))).to.equal(
      'Cannot remove "nobody@example.com": it is not one of the contact’s email addresses (current: dana@work.example). Nothing was changed.',
    );
  });

  it('remove of a value from the person’s Google profile is refused: it is not ours to change', () => {
    expect(refusal(() => applyEdit(contact(), { emails: { remove: ['dana@profile.example'] } }))).to.match(
      /comes from the person’s own Google profile/,
    );
  });

  it('replace sets the whole own list, without duplicates; [] clears it', () => {
    const changes = applyEdit(contact(), {
      phones: { replace: [{ value: '+44 20 7946 0958' }, { value: '+442079460958' }] },
    });
    expect(values(changes.phoneNumbers)).to.deep.equal(['+44 20 7946 0958']);
    expect(applyEdit(contact(), { phones: { replace: [] } })).to.deep.equal({ phoneNumbers: [] });
  });

  it('name: only the given parts change, "" clears one, and Google’s derived display names are not sent back', () => {
    const changes = applyEdit(contact(), { name: { familyName: 'Jones', givenName: '' } });
    expect(changes.names).to.deep.equal([{ ...own, familyName: 'Jones' }]);
  });

  it('organization: parts merge into the primary one; null removes every organization', () => {
    const merged = applyEdit(contact(), { organization: { title: 'Manager' } })
      .organizations as people_v1.Schema$Organization[];
    expect(merged[0]).to.include({ name: 'Acme', title: 'Manager', department: 'R&D' });
    expect(applyEdit(contact(), { organization: null }).organizations).to.deep.equal([]);
  });

  it('birthday and notes: set, or null to remove', () => {
    const changes = applyEdit(contact(), { birthday: { month: 2, day: 29 }, notes: 'Met at the climbing gym.' });
    expect(changes.birthdays).to.deep.equal([{ date: { month: 2, day: 29 } }]);
    expect(changes.biographies).to.deep.equal([{ value: 'Met at the climbing gym.', contentType: 'TEXT_PLAIN' }]);
    expect(
      applyEdit({ ...contact(), biographies: [{ ...own, value: 'old' }] }, { notes: null }).biographies,
    ).to.deep.equal([]);
  });

  it('groups: replace keeps the built-in groups; removing the last group is refused', () => {
    const edit: ResolvedEdit = { groups: { replace: ['contactGroups/climbing2'] } };
    const groups = (applyEdit(contact(), edit).memberships as people_v1.Schema$Membership[]).map(
      (m) => m.contactGroupMembership?.contactGroupResourceName,
    );
    expect(groups).to.deep.equal(['contactGroups/myContacts', 'contactGroups/climbing2']);
    const onlyOne = { ...contact(), memberships: [member('contactGroups/hiking1')] };
    expect(refusal(() => applyEdit(onlyOne, { groups: { remove: ['contactGroups/hiking1'] } }))).to.match(
      /must stay in at least one group/,
    );
  });

  it('contactSources keeps the CONTACT source with its etag; isEditableContact tells a saved contact from a profile', () => {
    expect(contactSources(contact())).to.deep.equal([{ type: 'CONTACT', id: 'k', etag: '%S1' }]);
    expect(isEditableContact(contact())).to.equal(true);
    expect(
      isEditableContact({
        resourceName: 'people/1234567',
        metadata: { sources: [{ type: 'PROFILE', id: '1234567' }] },
      }),
    ).to.equal(false);
  });
});

describe('update_contact run() with a fake People API (unit)', () => {
  const args = (resourceName: string, edit: Record<string, unknown>) =>
    updateContact.inputSchema.parse({ resourceName, ...edit });

  it('reads, applies and writes only the changed field, inside serialize()', async () => {
    const { ctx, google } = fakeToolContext();
    const rn = google.addContact({
      names: [{ givenName: 'Dana' }],
      emailAddresses: [{ value: 'dana@work.example' }],
    }).resourceName!;
    const out = await updateContact.run(args(rn, { emails: { add: [{ value: 'dana@home.example' }] } }), ctx);
    const writes = google.writes();
    expect(writes.map((w) => [w.method, w.params.updatePersonFields, w.serialized])).to.deep.equal([
      ['people.updateContact', 'emailAddresses', true],
    ]);
    expect(out.structured.changedFields).to.deep.equal(['emailAddresses']);
    expect(out.structured.contact.emails.map((e) => e.value)).to.deep.equal(['dana@work.example', 'dana@home.example']);
  });

  it('an edit that changes nothing writes nothing', async () => {
    const { ctx, google } = fakeToolContext();
    const rn = google.addContact({ emailAddresses: [{ value: 'dana@work.example' }] }).resourceName!;
    const out = await updateContact.run(args(rn, { emails: { add: [{ value: 'Dana@Work.example' }] } }), ctx);
    expect(google.writes()).to.deep.equal([]);
    expect(out.text).to.match(/^Nothing to change/);
  });

  it(`a stale etag is retried with a fresh read, at most ${MAX_UPDATE_ATTEMPTS} rounds`, async () => {
    const { ctx, google } = fakeToolContext();
    const rn = google.addContact({ names: [{ givenName: 'Dana' }] }).resourceName!;
    let stale = 2;
    google.on('people.updateContact', (params) => {
      if (stale-- > 0) throw new PeopleApiError('precondition', 'etag mismatch', 400, 'FAILED_PRECONDITION');
      return google.answer('people.updateContact', params);
    });
    await updateContact.run(args(rn, { name: { familyName: 'Smith' } }), ctx);
    expect(google.calls.filter((c) => c.method === 'people.updateContact')).to.have.length(3);
    expect(google.contacts.get(rn)?.names?.[0]).to.include({ givenName: 'Dana', familyName: 'Smith' });

    google.fail(
      'people.updateContact',
      new PeopleApiError('precondition', 'etag mismatch', 400, 'FAILED_PRECONDITION'),
    );
    const before = google.calls.length;
    await updateContact.run(args(rn, { name: { familyName: 'Jones' } }), ctx).then(
      () => expect.fail('must give up'),
      (e: unknown) => expect((e as PeopleApiError).kind).to.equal('precondition'),
    );
    expect(google.calls.slice(before).filter((c) => c.method === 'people.updateContact')).to.have.length(
      MAX_UPDATE_ATTEMPTS,
    );
  });

  it('refuses to add a contact to a built-in group that takes no members, before reading or writing the contact', async () => {
    const { ctx, google } = fakeToolContext();
    const rn = google.addContact({ names: [{ givenName: 'Dana' }] }).resourceName!;
    await updateContact.run(args(rn, { groups: { add: ['all'] } }), ctx).then(
      () => expect.fail('must be refused'),
      (e: unknown) =>
        expect((e as Error).message).to.equal(
          'Contacts can\'t be added to the built-in group "All"; only to your own groups, My Contacts and Starred.',
        ),
    );
    expect(google.calls.map((c) => c.method)).to.deep.equal(['contactGroups.list']);
  });

  it('refuses a profile that is not a saved contact, without writing', async () => {
    const { ctx, google } = fakeToolContext();
    google.on('people.get', () => ({
      resourceName: 'people/1234567',
      metadata: { sources: [{ type: 'PROFILE', id: '1234567' }] },
    }));
    await updateContact.run(args('people/1234567', { notes: 'x' }), ctx).then(
      () => expect.fail('must be refused'),
      (e: unknown) => expect((e as Error).message).to.match(/is not one of your saved contacts/),
    );
    expect(google.writes()).to.deep.equal([]);
  });
});
