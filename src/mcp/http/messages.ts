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

/** The tool a body calls when it is one `tools/call` request naming one (not a batch); undefined otherwise. */
export function calledToolName(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const m = body as { method?: unknown; params?: { name?: unknown } };
  if (m.method !== 'tools/call' || typeof m.params !== 'object' || m.params === null) return undefined;
  return typeof m.params.name === 'string' ? m.params.name : undefined;
}
