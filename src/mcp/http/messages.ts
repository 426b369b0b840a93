/** What the HTTP layer needs to know about a parsed /mcp body (a JSON-RPC message or a batch of them). */

function messagesOf(body: unknown): unknown[] {
  return Array.isArray(body) ? body : [body];
}

/** The methods named in the body (requests and notifications), in order. */
export function methodsOf(body: unknown): string[] {
  return messagesOf(body)
    .map((m) => (typeof m === 'object' && m !== null ? (m as { method?: unknown }).method : undefined))
    .filter((m): m is string => typeof m === 'string');
}

/** Whether the body calls a tool (such a request needs the user's Google sign-in). */
export function isToolCall(body: unknown): boolean {
  return messagesOf(body).some(
    (m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'tools/call',
  );
}
