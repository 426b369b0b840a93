/** The shape every tool file exports: schemas, annotations and a run function; server.ts does the rest. */
import type { z } from 'zod';
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { AccountTrash } from '../../contacts/trash.js';
import type { AccountPeople } from '../../upstream/google/people.js';

/**
 * What a tool works with, already bound to the signed-in user: a tool cannot reach another account's
 * contacts or trash, and a unit test can hand it fakes (test/support/fake-people.ts).
 */
export interface ToolContext {
  /** The user's Google Contacts (People API): tokens, retries, error mapping and write serialization handled. */
  google: AccountPeople;
  /** Where deleted contacts are kept for undo (delete_contact, merge_contacts, restore_contacts). */
  trash: AccountTrash;
}

export interface ToolOutput<O> {
  structured: O;
  /** A short human/model-readable rendering of the result. */
  text: string;
}

/** MCP tool annotations, with `readOnlyHint` required: it also decides whether READ_ONLY=true keeps the tool. */
export type ToolHints = ToolAnnotations & { readOnlyHint: boolean };

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolHints;
  /**
   * Runs the tool on arguments the SDK already validated against `inputSchema`. Declared as a method on
   * purpose: TypeScript then relates `run` parameters bivariantly, so every typed tool fits the plain
   * `ToolDefinition` of the tool list (index.ts) without a cast. That is sound because the only caller,
   * server.ts, hands each tool the arguments validated by that same tool's schema.
   */
  run(args: z.output<I>, ctx: ToolContext): Promise<ToolOutput<z.output<O>>>;
}

/** Identity helper that keeps the generic types of a tool definition. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  def: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return def;
}

/** Whether the tool only reads (it stays available with READ_ONLY=true): its readOnlyHint, declared once. */
export function isReadOnlyTool(tool: ToolDefinition): boolean {
  return tool.annotations.readOnlyHint;
}

/**
 * A failure the tool explains itself (bad reference, nothing to change, a group that can't be edited):
 * server.ts shows the message to the model verbatim. Never put Google payloads or stack traces in it.
 */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}
