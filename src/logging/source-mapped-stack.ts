/**
 * Stack traces that point at src/, for the `stack_trace` field of error logs, without paying for source maps
 * at start-up.
 *
 * The production build is a bundle (scripts/build.ts): a frame of our code reads
 * `dist/chunks/main-XXXX.js:61187:12`, which says nothing to whoever reads the log. Node's own source-map
 * support (`--enable-source-maps`) would rewrite it, but it reads every map as each module loads: measured
 * +430 ms of CPU to a cold start's first tool call and +48 MB of RSS (bench/README.md). Instead, a frame is
 * mapped here, when an error is logged, through the `.src.map` next to its file: the map of our own code
 * only (scripts/own-source-map.ts; the full map of the main chunk would take ~250 ms and ~30 MB to parse).
 * It is read once, then kept. Frames in bundled packages, in node_modules, and anything unexpected stay as
 * they were.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `file:///…/x.js:line:column`, as V8 writes a frame's location (1-based line and column). */
const FRAME_LOCATION = /file:\/\/[^\s()]+?\.js:\d+:\d+/g;
const LOCATION_PARTS = /^(file:\/\/[^\s()]+?\.js):(\d+):(\d+)$/;

const maps = new Map<string, { map: SourceMap; dir: string } | null>();

function mapFor(file: string): { map: SourceMap; dir: string } | null {
  let entry = maps.get(file);
  if (entry === undefined) {
    entry = null;
    try {
      const payload = JSON.parse(readFileSync(`${file}.src.map`, 'utf8')) as SourceMapPayload;
      entry = { map: new SourceMap(payload), dir: dirname(file) };
    } catch {
      // no map next to this file (or an unreadable one): its frames stay as they are
    }
    maps.set(file, entry);
  }
  return entry;
}

/** One frame's location in the original source (`src/app.ts:120:7`, relative to the working directory), or undefined. */
function originalLocation(location: string): string | undefined {
  const parts = LOCATION_PARTS.exec(location);
  if (!parts) return undefined;
  const file = fileURLToPath(parts[1]!);
  if (file.includes('/node_modules/')) return undefined;
  const mapped = mapFor(file);
  if (!mapped) return undefined;
  // V8 lines and columns are 1-based; source maps' are 0-based.
  const entry = mapped.map.findEntry(Number(parts[2]) - 1, Number(parts[3]) - 1);
  if (!('originalSource' in entry) || !entry.originalSource) return undefined;
  const source = relative(process.cwd(), resolve(mapped.dir, entry.originalSource));
  return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
}

/** `stack` with every frame of a bundled file replaced by its place in the original source. Never throws. */
export function sourceMappedStack(stack: string): string {
  try {
    return stack.replace(FRAME_LOCATION, (location) => originalLocation(location) ?? location);
  } catch {
    return stack;
  }
}
