import { z } from 'zod';
import type { people_v1 } from '@googleapis/people';
import { PeopleApiError } from '../../upstream/google/people.js';
import { emailKey } from './fields.js';
import { groupNameMap } from './groups.js';
import {
  detailInput,
  fitToBudget,
  peopleText,
  personFields,
  personOut,
  renderPerson,
  truncationNote,
} from './person.js';
import { contactRefInput, contactResourceName, orNotFound } from './refs.js';
import { defineTool } from './types.js';

const output = z.object({
  contacts: z.array(personOut).describe('The contacts found, in the order asked for'),
  notFound: z.array(z.string()).describe('Resource names or email addresses that matched no contact'),
  truncated: z.boolean().optional().describe('True when some contacts were left out to keep the answer small'),
});

export const getContact = defineTool({
  name: 'get_contact',
  title: 'Get contacts',
  description:
    'Fetches one or more contacts by resource name (people/c…, from search_contacts or list_contacts) and/or by email address. ' +
    "Use detail 'full' to see everything: addresses, birthday, notes, websites, groups and more. Several contacts are fetched in one request.",
  inputSchema: z
    .object({
      resourceNames: z
        .array(contactRefInput)
        .min(1)
        .max(50)
        .optional()
        .describe('Resource names of the contacts, e.g. ["people/c123"] (up to 50)'),
      emails: z
        .array(z.string().trim().min(3).max(320).describe('An email address'))
        .min(1)
        .max(10)
        .optional()
        .describe('Find contacts by exact email address (up to 10)'),
      detail: detailInput,
    })
    .refine((a) => a.resourceNames !== undefined || a.emails !== undefined, {
      message: 'give resourceNames or emails',
    }),
  outputSchema: output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const fields = personFields(args.detail);
    const names = [...new Set((args.resourceNames ?? []).map(contactResourceName))];
    const found: people_v1.Schema$Person[] = [];
    const notFound: string[] = [];

    if (names.length === 1 && !args.emails) {
      const rn = names[0]!;
      found.push(
        await orNotFound(`contact ${rn}`, () =>
          ctx.google.call((api, options) => api.people.get({ resourceName: rn, personFields: fields }, options)),
        ),
      );
    } else if (names.length > 0) {
      const res = await ctx.google.call((api, options) =>
        api.people.getBatchGet({ resourceNames: names, personFields: fields }, options),
      );
      const byName = new Map<string, people_v1.Schema$PersonResponse>();
      for (const r of res.responses ?? []) if (r.requestedResourceName) byName.set(r.requestedResourceName, r);
      for (const rn of names) {
        const r = byName.get(rn);
        if (r?.person) found.push(r.person);
        else if (!r || r.httpStatusCode === 404 || r.status?.code === 5) notFound.push(rn);
        else
          throw new PeopleApiError(
            'invalid',
            r.status?.message ?? `Google could not read ${rn}`,
            r.httpStatusCode ?? undefined,
          );
      }
    }

    if (args.emails) {
      await ctx.google.warmUpSearch('contacts');
      for (const email of [...new Set(args.emails.map(emailKey))]) {
        const res = await ctx.google.call((api, options) =>
          api.people.searchContacts({ query: email, readMask: fields, pageSize: 30 }, options),
        );
        const hits = (res.results ?? [])
          .map((r) => r.person)
          .filter((p): p is people_v1.Schema$Person =>
            Boolean(p?.emailAddresses?.some((e) => emailKey(e.value ?? '') === email)),
          );
        if (hits.length === 0) notFound.push(email);
        for (const p of hits) if (!found.some((f) => f.resourceName === p.resourceName)) found.push(p);
      }
    }

    if (found.length === 0) {
      const what = notFound.map((x) => (x.includes('@') ? `contact with email ${x}` : `contact ${x}`)).join(', no ');
      throw new PeopleApiError(
        'not_found',
        `No ${what}. Search again (search_contacts) to get current resource names.`,
        404,
      );
    }
    const groups = args.detail === 'full' ? await groupNameMap(ctx) : undefined;
    const { kept, truncated } = fitToBudget(found.map((p) => renderPerson(p, args.detail, groups)));
    const structured: z.infer<typeof output> = truncated
      ? { contacts: kept, notFound, truncated }
      : { contacts: kept, notFound };
    const lines = [peopleText(kept)];
    if (notFound.length) lines.push(`No contact found for: ${notFound.join(', ')}.`);
    if (truncated) lines.push(truncationNote(kept.length));
    return { structured, text: lines.join('\n') };
  },
});
