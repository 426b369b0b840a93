/**
 * Depth of nested arrays/objects in a parsed JSON value. Bodies we accept (registrations, MCP messages)
 * are shallow; deep nesting only serves to exhaust a validator's stack, so callers refuse past a limit.
 * The walk is bounded: it stops counting past `limit`, so a hostile value costs at most `limit` levels.
 */
export function jsonDepth(value: unknown, limit = 64): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (limit <= 0) return 1;
  let max = 0;
  for (const v of Object.values(value)) {
    max = Math.max(max, jsonDepth(v, limit - 1));
    if (max >= limit) break;
  }
  return 1 + max;
}
