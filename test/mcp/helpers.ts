/** Shared test helpers: a real MCP SDK client signed in through our OAuth server, and result checks. */
import { expect } from 'chai';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Harness } from '../support/harness.js';
import { signIn } from '../../standins/oauth-client.js';

/** The tools READ_ONLY=true keeps, and the ones it hides. */
export const READ_TOOLS = [
  'search_contacts',
  'list_contacts',
  'get_contact',
  'list_contact_groups',
  'search_other_contacts',
  'search_directory',
  'whoami',
  'find_duplicate_contacts',
  'list_deleted_contacts',
];
export const WRITE_TOOLS = [
  'create_contact',
  'update_contact',
  'delete_contact',
  'create_contact_group',
  'rename_contact_group',
  'delete_contact_group',
  'add_contacts_to_group',
  'remove_contacts_from_group',
  'save_other_contact',
  'create_contacts',
  'merge_contacts',
  'restore_contacts',
];

export interface Session {
  client: Client;
  token: string;
  email: string;
  close(): Promise<void>;
}

export interface ToolResult<S = Record<string, unknown>> {
  isError: boolean;
  text: string;
  structured: S;
}

/** Signs `email` in (registration, consent, stand-in Google) and connects an MCP SDK client with the token. */
export async function connect(
  h: Harness,
  email = 'alice@example.com',
  opts: { modern?: boolean } = {},
): Promise<Session> {
  const { tokens } = await signIn(h.baseUrl, { loginHint: email });
  const token = tokens.access_token!;
  // Default: the 2025-11-25 initialize handshake Claude speaks today; modern: negotiate 2026-07-28.
  const client = new Client(
    { name: 'contacts-test', version: '1.0.0' },
    opts.modern ? { versionNegotiation: { mode: 'auto' } } : undefined,
  );
  const transport = new StreamableHTTPClientTransport(new URL(h.mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, token, email, close: () => client.close() };
}

export async function call<S = Record<string, unknown>>(
  s: Session,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolResult<S>> {
  const r = await s.client.callTool({ name, arguments: args });
  const content = (r.content ?? []) as Array<{ type: string; text?: string }>;
  expect(content, `${name}: one text block`).to.have.length(1);
  expect(content[0]!.type).to.equal('text');
  return { isError: r.isError === true, text: content[0]!.text ?? '', structured: r.structuredContent as S };
}

/** Calls a tool that must succeed; returns its structured content (and text). */
export async function ok<S = Record<string, unknown>>(
  s: Session,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolResult<S>> {
  const r = await call<S>(s, name, args);
  expect(r.isError, `${name} failed: ${r.text}`).to.equal(false);
  expect(r.structured, `${name}: structuredContent`).to.be.an('object');
  return r;
}

/** Calls a tool that must fail with a tool error; returns the message (checked to be clean). */
export async function fails(s: Session, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const r = await call(s, name, args);
  expect(r.isError, `${name} should have failed but answered: ${r.text}`).to.equal(true);
  expectCleanMessage(r.text);
  return r.text;
}

/** No stack trace, no raw Google JSON, no internal class names. */
export function expectCleanMessage(text: string): void {
  expect(text).to.not.match(/\n\s+at .+[:(]\d+/, 'stack trace');
  expect(text).to.not.match(/"error"\s*:|"status"\s*:|googleapis\.com\/|\{"/, 'raw Google payload');
  expect(text).to.not.match(/PeopleApiError|GaxiosError|TypeError|undefined/, 'internal detail');
  expect(text.length).to.be.below(1000);
}

export interface PersonOut {
  resourceName: string;
  name?: string;
  emails: Array<{ value: string; type?: string }>;
  phones: Array<{ value: string; type?: string }>;
  organization?: { name?: string; title?: string; department?: string };
  nameParts?: Record<string, string>;
  nicknames?: string[];
  organizations?: Array<{ name?: string; title?: string; department?: string }>;
  addresses?: Array<Record<string, string>>;
  birthday?: { year?: number; month?: number; day?: number; text?: string };
  notes?: string;
  urls?: Array<{ value: string; type?: string }>;
  groups?: Array<{ resourceName: string; name?: string }>;
  [k: string]: unknown;
}

/** Deterministic PRNG (mulberry32) for property-style tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
