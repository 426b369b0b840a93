/**
 * A source map cut down to our own code, for the server's error logs (src/logging/source-mapped-stack.ts).
 *
 * The bundle's full map (`chunk.js.map`) covers every bundled package too: for the main chunk it is 1.4 MB
 * of mappings, which take ~250 ms and ~30 MB of heap to parse — a cost the server would pay on the first
 * error it logs. Frames in our own code are what a stack trace in a log is read for; this map keeps only
 * the mappings whose source is not under node_modules (about an eighth of them), written next to the full
 * one as `chunk.js.src.map`. The full map stays for debuggers and `npm run bench:profile`.
 */

export interface SourceMapV3 {
  version: 3;
  sources: string[];
  names: string[];
  mappings: string;
  [field: string]: unknown;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

/** The values of one segment (Base64 VLQ, each a delta). */
function decodeSegment(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`not a Base64 VLQ digit: ${char}`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value % 2 ? -(value - 1) / 2 : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function encodeValue(n: number): string {
  let value = n < 0 ? -n * 2 + 1 : n * 2;
  let out = '';
  do {
    let digit = value % 32;
    value = Math.floor(value / 32);
    if (value > 0) digit |= 32;
    out += BASE64[digit];
  } while (value > 0);
  return out;
}

/**
 * `map` with only the segments whose source `keep` accepts (and the segments with no source dropped too).
 * Sources and names stay as they are, so their indices do not change.
 */
export function ownSourceMap(map: SourceMapV3, keep: (source: string) => boolean): SourceMapV3 {
  // Absolute values while decoding (generated column per line; the rest across the whole map) …
  let source = 0;
  let originalLine = 0;
  let originalColumn = 0;
  let name = 0;
  // … and the previous kept segment's, which the re-encoded deltas are relative to.
  let keptSource = 0;
  let keptLine = 0;
  let keptColumn = 0;
  let keptName = 0;
  const kept = new Map<number, boolean>();
  const keepSource = (i: number) => {
    let k = kept.get(i);
    if (k === undefined) kept.set(i, (k = keep(map.sources[i] ?? '')));
    return k;
  };
  const lines = map.mappings.split(';').map((line) => {
    let generatedColumn = 0;
    let keptGeneratedColumn = 0;
    const out: string[] = [];
    for (const segment of line ? line.split(',') : []) {
      const v = decodeSegment(segment);
      generatedColumn += v[0]!;
      if (v.length < 4) continue;
      source += v[1]!;
      originalLine += v[2]!;
      originalColumn += v[3]!;
      if (v.length >= 5) name += v[4]!;
      if (!keepSource(source)) continue;
      let encoded =
        encodeValue(generatedColumn - keptGeneratedColumn) +
        encodeValue(source - keptSource) +
        encodeValue(originalLine - keptLine) +
        encodeValue(originalColumn - keptColumn);
      if (v.length >= 5) {
        encoded += encodeValue(name - keptName);
        keptName = name;
      }
      out.push(encoded);
      keptGeneratedColumn = generatedColumn;
      keptSource = source;
      keptLine = originalLine;
      keptColumn = originalColumn;
    }
    return out.join(',');
  });
  return { version: 3, sources: map.sources, names: map.names, mappings: lines.join(';') };
}
