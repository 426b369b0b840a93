/**
 * How deeply a parsed JSON value nests. Both /mcp and client registration refuse bodies nested past a
 * limit before anything walks them recursively; this neutral home keeps /mcp from importing the OAuth side.
 */

/** Depth of nested arrays/objects (bounded walk; stops counting past the limit). */
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
