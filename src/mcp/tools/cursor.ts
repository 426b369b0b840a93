/**
 * Opaque pagination cursors. A cursor carries what the next page needs (Google's page token, how many
 * items of that page were already shown, and the options of the first call, which Google requires to
 * stay the same), base64url-encoded and tagged with the tool it belongs to. The server keeps nothing:
 * the cursor lives only in the client's conversation.
 */
import { z } from 'zod';
import { ToolError } from './types.js';

export const cursorInput = z
  .string()
  .min(1)
  .max(4000)
  .optional()
  .describe(
    'Opaque cursor from the previous page’s nextCursor, to get the next page. Omit it for the first page. With a cursor, the other listing options of the first call are reused.',
  );

export const nextCursorOut = z
  .string()
  .optional()
  .describe('Pass as cursor to get the next page; absent on the last page');

export function encodeCursor(tool: string, state: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ v: 1, tool, ...state }), 'utf8').toString('base64url');
}

/** Decodes a cursor made by encodeCursor for this tool; a foreign or damaged cursor is a ToolError. */
export function decodeCursor<S extends z.ZodObject>(tool: string, cursor: string, schema: S): z.infer<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const envelope = z.object({ v: z.literal(1), tool: z.string() }).safeParse(parsed);
  if (!envelope.success)
    throw new ToolError('The cursor is not valid. Call the tool again without a cursor to start from the first page.');
  if (envelope.data.tool !== tool)
    throw new ToolError(
      `That cursor came from ${envelope.data.tool}, not ${tool}. Call ${tool} without a cursor to start from the first page.`,
    );
  const state = schema.safeParse(parsed);
  if (!state.success)
    throw new ToolError('The cursor is not valid. Call the tool again without a cursor to start from the first page.');
  return state.data;
}
