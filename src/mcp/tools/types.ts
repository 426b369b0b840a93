/** The shape every tool file exports: schemas, annotations and a run function; server.ts does the rest. */
import type { z } from 'zod';
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { Config } from '../../config/config.js';
import type { ContactTrash } from '../../contacts/trash.js';
import type { PeopleGateway } from '../../upstream/google/people.js';

export interface ToolContext {
  accountId: string;
  clientId: string;
  people: PeopleGateway;
  config: Config;
  /** Where deleted contacts are kept for undo (delete_contact, merge_contacts, restore_contacts). */
  trash: ContactTrash;
}

export interface ToolOutput<O> {
  structured: O;
  /** A short human/model-readable rendering of the result. */
  text: string;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolAnnotations;
  /** Whether the tool only reads (it stays available with READ_ONLY=true). */
  readOnly: boolean;
  run(args: z.infer<I>, ctx: ToolContext): Promise<ToolOutput<z.infer<O>>>;
}

/** Identity helper that keeps the generic types of a tool definition. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
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
