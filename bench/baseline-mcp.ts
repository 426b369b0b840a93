/**
 * Throughput baseline: a bare MCP SDK stateless server exposing the same search_contacts tool (same code,
 * same People API stand-in) with no OAuth, no token checks and no Google token store — a fixed Google
 * access token from the environment.
 */
import { createServer } from 'node:http';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { ContactTrash } from '../src/contacts/trash.js';
import { searchContacts } from '../src/mcp/tools/search-contacts.js';
import type { ToolContext } from '../src/mcp/tools/types.js';
import { KeyRing } from '../src/security/keys.js';
import { MemoryStore } from '../src/storage/memory.js';
import type { GoogleAccessTokens } from '../src/upstream/google/access-tokens.js';
import { PeopleGateway } from '../src/upstream/google/people.js';

const token = process.env.GOOGLE_ACCESS_TOKEN ?? '';
const fixedToken: GoogleAccessTokens = { accessToken: async () => token, markStale: () => undefined, grantedScopes: async () => undefined };
const people = new PeopleGateway({ rootUrl: process.env.PEOPLE_API_ROOT_URL!, tokens: fixedToken });
// search_contacts never touches the trash; an in-memory one keeps the context honest without a cast.
const trash = new ContactTrash(new MemoryStore(), new KeyRing(['baseline-unused-trash-key']), 1);
const ctx: ToolContext = { google: people.forAccount('baseline'), trash: trash.forAccount('baseline') };
const handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'baseline', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(searchContacts.name, { description: searchContacts.description, inputSchema: searchContacts.inputSchema, outputSchema: searchContacts.outputSchema }, async (args) => {
    const out = await searchContacts.run(args, ctx);
    return { content: [{ type: 'text', text: out.text }], structuredContent: out.structured };
  });
  return server;
});
const node = toNodeHandler(handler);
createServer((req, res) => void node(req, res)).listen(Number(process.env.PORT), '127.0.0.1');
