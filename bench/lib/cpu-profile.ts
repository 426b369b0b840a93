/**
 * Reads V8 CPU profiles (.cpuprofile, as `node --cpu-prof` or the inspector's Profiler.stop produce them)
 * and says where the time went: by package (self time), by "outermost package on the stack" (what loading
 * or calling a package costs with everything it pulls in), and by function (self and inclusive).
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * The production build is a bundle (scripts/build.ts): a frame's URL names a chunk in dist/, which holds our
 * code and most packages. Its source map (chunk.js.map, next to it) says which file each function came
 * from; frames are rewritten to that file, so they are attributed as in an unbundled build.
 */
export function unbundled(profile: CpuProfile): CpuProfile {
  const maps = new Map<string, { map: SourceMap; dir: string } | null>();
  const mapOf = (url: string) => {
    if (!maps.has(url)) {
      let entry: { map: SourceMap; dir: string } | null = null;
      try {
        const file = fileURLToPath(url);
        entry = {
          map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as SourceMapPayload),
          dir: dirname(file),
        };
      } catch {
        // not a file, or no source map next to it: keep the frame as it is
      }
      maps.set(url, entry);
    }
    return maps.get(url)!;
  };
  const nodes = profile.nodes.map((node) => {
    const { url, lineNumber, columnNumber } = node.callFrame;
    if (!url.startsWith('file:') || !url.endsWith('.js')) return node;
    const mapped = mapOf(url);
    const entry = mapped?.map.findEntry(lineNumber, columnNumber);
    if (!mapped || !entry || !('originalSource' in entry) || !entry.originalSource) return node;
    return {
      ...node,
      callFrame: {
        ...node.callFrame,
        url: pathToFileURL(resolve(mapped.dir, entry.originalSource)).href,
        lineNumber: entry.originalLine,
        columnNumber: entry.originalColumn,
      },
    };
  });
  return { ...profile, nodes };
}

/** What a frame belongs to: a package, our code, Node itself, or V8's pseudo-frames. */
export function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/vm')) return 'node: module loader';
  if (url.startsWith('node:'))
    return `node: ${
      url
        .slice('node:'.length)
        .replace(/^internal\//, '')
        .split('/')[0]
    }`;
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `ours: ${url.slice(dist + 1)}`;
  const src = url.indexOf('/src/');
  if (src >= 0) return `ours: ${url.slice(src + 1)}`;
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return `bench: ${url.slice(bench + 1)}`;
  return url;
}

const isOurs = (owner: string) => owner.startsWith('ours: ') || owner.startsWith('bench: ');
const isPackage = (owner: string) => !owner.startsWith('(') && !owner.startsWith('node: ') && !isOurs(owner);

export interface ProfileSummary {
  totalMs: number;
  /** Excluding (idle) and (program) waiting: time the thread was busy. */
  busyMs: number;
  /** Self time by owner (package, our file, node subsystem, GC). */
  selfByOwner: Map<string, number>;
  /** Each sample attributed to the outermost package on its stack (or ours / node / GC when none). */
  outermostPackage: Map<string, number>;
  /** Self time by function ("name owner:line"). */
  selfByFunction: Map<string, number>;
  /** Inclusive time by function (a function counted once per sample however often it is on the stack). */
  inclusiveByFunction: Map<string, number>;
}

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

/** Summarises the samples taken between `fromUs` and `toUs` (profile clock, µs), or all of them. */
export function summarize(bundled: CpuProfile, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = unbundled(bundled);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map(profile.nodes.map((n) => [n.id, ownerOf(n.callFrame.url, n.callFrame.functionName)]));
  const label = (id: number) => {
    const f = byId.get(id)!.callFrame;
    return `${f.functionName || '(anonymous)'} ${owner.get(id)}:${f.lineNumber + 1}`;
  };
  const stackCache = new Map<number, number[]>();
  const stackOf = (id: number): number[] => {
    let s = stackCache.get(id);
    if (!s) {
      s = [];
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) s.push(cur);
      s.reverse(); // root first
      stackCache.set(id, s);
    }
    return s;
  };

  const out: ProfileSummary = {
    totalMs: 0,
    busyMs: 0,
    selfByOwner: new Map(),
    outermostPackage: new Map(),
    selfByFunction: new Map(),
    inclusiveByFunction: new Map(),
  };
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample's cost is the time until the next sample.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const id = profile.samples[i]!;
    const own = owner.get(id)!;
    out.totalMs += ms;
    if (own === '(idle)') continue;
    out.busyMs += ms;
    add(out.selfByOwner, own, ms);
    add(out.selfByFunction, label(id), ms);
    const stack = stackOf(id);
    const outer = stack.map((s) => owner.get(s)!).find(isPackage);
    add(out.outermostPackage, outer ?? (isOurs(own) ? 'ours (own code)' : own), ms);
    const seen = new Set<string>();
    for (const s of stack) {
      const l = label(s);
      if (seen.has(l)) continue;
      seen.add(l);
      add(out.inclusiveByFunction, l, ms);
    }
  }
  return out;
}

/** The `n` largest entries, as [key, value] pairs. */
export function top(
  m: Map<string, number>,
  n: number,
  filter: (k: string) => boolean = () => true,
): Array<[string, number]> {
  return [...m.entries()]
    .filter(([k]) => filter(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
}
