/**
 * Throughput baseline: the leanest server doing the same work as ours for `tools/call search_contacts`,
 * written the way the MCP SDK v2 documents a stateless server — Express 5, `createMcpHandler` with a
 * factory that builds a server with one registered tool per request, `toNodeHandler`, no auth — calling
 * the same People API stand-in with plain `fetch` (a fixed Google access token from the environment; the
 * search cache warm-up Google asks for is sent once per process, as ours does). It answers with the same
 * shapes ours does (a text rendering and `structuredContent` checked against an output schema), and
 * shares no code with the server, so the comparison shows what our layers cost.
 *
 * Plain JavaScript semantics with type annotations: run by `node bench/baseline-mcp.ts` (Node strips the
 * types), so no TypeScript loader sits in the measured process.
 *
 * Env: PORT, PEOPLE_API_ROOT_URL, GOOGLE_ACCESS_TOKEN.
 */
import express from 'express';
import { z } from 'zod';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';

const peopleRoot = (process.env.PEOPLE_API_ROOT_URL ?? '').replace(/\/$/, '');
const authorization = `Bearer ${process.env.GOOGLE_ACCESS_TOKEN ?? ''}`;
const READ_MASK = 'names,emailAddresses,phoneNumbers,organizations';

interface Person {
  resourceName?: string;
  names?: Array<{ displayName?: string }>;
  emailAddresses?: Array<{ value?: string; type?: string }>;
  phoneNumbers?: Array<{ value?: string; type?: string }>;
  organizations?: Array<{ name?: string; title?: string }>;
}

async function search(query: string, pageSize: number): Promise<Person[]> {
  const url = `${peopleRoot}/v1/people:searchContacts?${new URLSearchParams({ query, readMask: READ_MASK, pageSize: String(pageSize) })}`;
  const res = await fetch(url, { headers: { authorization } });
  if (!res.ok) throw new Error(`People API answered ${res.status}`);
  const body = (await res.json()) as { results?: Array<{ person?: Person }> };
  return (body.results ?? []).flatMap((r) => (r.person ? [r.person] : []));
}

let warmedUp: Promise<unknown> | undefined;

// Schemas are built once: zod compiles a parser per schema object on its first use.
const labeled = z.object({ value: z.string(), type: z.string().optional() });
const contact = z.object({
  resourceName: z.string(),
  name: z.string().optional(),
  emails: z.array(labeled).optional(),
  phones: z.array(labeled).optional(),
  organization: z.string().optional(),
});
const inputSchema = z.object({
  query: z.string().min(1).max(200),
  maxResults: z.number().int().min(1).max(30).default(10),
});
const outputSchema = z.object({ contacts: z.array(contact) });

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'baseline', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'search_contacts',
    {
      description: 'Searches the user’s Google Contacts.',
      inputSchema,
      outputSchema,
    },
    async ({ query, maxResults }) => {
      warmedUp ??= search('', 1);
      await warmedUp;
      const contacts = (await search(query, maxResults)).map((p) => ({
        resourceName: p.resourceName ?? '',
        name: p.names?.[0]?.displayName,
        emails: p.emailAddresses?.flatMap((e) => (e.value ? [{ value: e.value, type: e.type }] : [])),
        phones: p.phoneNumbers?.flatMap((e) => (e.value ? [{ value: e.value, type: e.type }] : [])),
        organization: p.organizations?.[0]?.name,
      }));
      const text =
        contacts.length === 0
          ? `No contacts match "${query}".`
          : [
              `${contacts.length} contacts match "${query}":`,
              ...contacts.map(
                (c) =>
                  `- ${c.name ?? '(no name)'} ${c.emails?.map((e) => e.value).join(', ') ?? ''} (${c.resourceName})`,
              ),
            ].join('\n');
      return { content: [{ type: 'text', text }], structuredContent: { contacts } };
    },
  );
  return server;
});

const mcp = toNodeHandler(handler);
const app = express();
app.all('/mcp', (req, res) => {
  void mcp(req, res);
});
app.listen(Number(process.env.PORT), '127.0.0.1');
