/**
 * Throughput baseline: a bare MCP SDK stateless server exposing the same search_contacts tool (same code,
 * same People API stand-in) with no OAuth, no token checks and no Google token store — a fixed Google
 * access token from the environment.
 */
import { createServer } from 'node:http';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { searchContacts } from '../src/mcp/tools/search-contacts.js';
import { PeopleGateway } from '../src/upstream/google/people.js';
import type { GoogleTokenStore } from '../src/upstream/google/token-store.js';
import type { Config } from '../src/config/config.js';
import type { ContactTrash } from '../src/contacts/trash.js';

const token = process.env.GOOGLE_ACCESS_TOKEN ?? '';
const fixedTokens = { accessToken: async () => token, markStale: () => undefined } as unknown as GoogleTokenStore;
const people = new PeopleGateway({ rootUrl: process.env.PEOPLE_API_ROOT_URL!, tokens: fixedTokens });
const handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'baseline', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(searchContacts.name, { description: searchContacts.description, inputSchema: searchContacts.inputSchema, outputSchema: searchContacts.outputSchema }, (async (args: unknown) => {
    const out = await searchContacts.run(args as never, { accountId: 'baseline', clientId: 'baseline', people, config: {} as Config, trash: {} as ContactTrash /* search never deletes */ });
    return { content: [{ type: 'text', text: out.text }], structuredContent: out.structured };
  }) as never);
  return server;
});
const node = toNodeHandler(handler);
createServer((req, res) => void node(req, res)).listen(Number(process.env.PORT), '127.0.0.1');
