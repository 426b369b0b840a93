import { z } from 'zod';
import { defineTool } from './types.js';

export const whoami = defineTool({
  name: 'whoami',
  title: 'Who am I',
  description:
    'Returns the name and email address of the Google account this connector is signed in with. Use it to confirm which Google Contacts you are working on.',
  inputSchema: z.object({}),
  outputSchema: z.object({
    email: z.string().describe('Primary email address of the signed-in Google account'),
    name: z.string().optional().describe('Display name of the signed-in Google account'),
    resourceName: z.string().describe('People API resource name of the account, e.g. people/1234'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(_args, ctx) {
    const me = await ctx.google.call((api, options) =>
      api.people.get({ resourceName: 'people/me', personFields: 'names,emailAddresses' }, options),
    );
    const email = me.emailAddresses?.find((e) => e.metadata?.primary)?.value ?? me.emailAddresses?.[0]?.value ?? '';
    const name = me.names?.find((n) => n.metadata?.primary)?.displayName ?? me.names?.[0]?.displayName ?? undefined;
    const structured = { email, ...(name ? { name } : {}), resourceName: me.resourceName ?? 'people/me' };
    return { structured, text: name ? `Signed in as ${name} <${email}>` : `Signed in as ${email}` };
  },
});
