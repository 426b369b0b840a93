/**
 * `npm run bench [-- --quick] [--only=throughput,cold-start,store-ops,deps] [--compare-dist=<dir>] [--compare-env=K=V,…] [--levels=1,8,32] [--rounds=N] [--window-ms=N] [--warmup=N] [--cold-runs=N] [--probes=http:1000,tcp:1000] [--build]`: measures the production
 * build on loopback against the stand-ins and prints every target met or missed, each figure next to a
 * baseline measured back to back in the same run (see bench/README.md for what each figure means and how
 * to read it on a busy machine). Writes bench/results.json. Not part of `npm test`.
 *
 * Bounded: every load window has a duration or a request count, every wait a deadline, and the whole run
 * a deadline (RUN_DEADLINE_MS) after which it stops its children and fails.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { signIn } from '../standins/oauth-client.js';
import { closedLoop, toolCall, type Target } from './lib/load.js';
import { memoryLimitNote } from './lib/memory-limit.js';
import { freePort, log, ROOT, rssMb, sleep, stopAll } from './lib/proc.js';
import { Report } from './lib/report.js';
import {
  compareVariant,
  ourEnv,
  startBaseline,
  startOurs,
  startStandins,
  type Server,
  type Standins,
} from './lib/servers.js';
import { round1 } from './lib/stats.js';
import { measureColdStart, parseProbes } from './sections/cold-start.js';
import { measureDependencies } from './sections/deps.js';
import { measureStoreOperations } from './sections/store-ops.js';
import { measureThroughput, type LevelSummary } from './sections/throughput.js';

const QUICK = process.argv.includes('--quick');
const SECTIONS = ['store-ops', 'throughput', 'cold-start', 'deps'] as const;
type Section = (typeof SECTIONS)[number];
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
/** `--compare-dist=<dir in the repository>` and/or `--compare-env=K=V,…`: another variant measured in the same rotation. */
const COMPARE = compareVariant(process.argv);
const ONLY = new Set<Section>(onlyArg ? (onlyArg.split(',') as Section[]) : SECTIONS);
for (const s of ONLY)
  if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; sections: ${SECTIONS.join(', ')}`);

/** The issue's targets (ratios on this machine). */
const TARGETS = {
  minThroughputRatio: 0.9,
  maxP99Ratio: 1.2,
  maxColdStartRatio: 2.5,
  maxIdleRssMb: 120,
  maxRssGrowthMb: 30,
  maxDependenciesMb: 80,
};

const DEFAULTS = QUICK
  ? {
      levels: [1, 8, 32],
      rounds: 3,
      windowMs: 1000,
      warmupRequests: 3000,
      warmupMaxMs: 6000,
      memoryRequests: 2000,
      coldRuns: 5,
      storeOpCalls: 20,
      deadlineMs: 8 * 60_000,
    }
  : {
      levels: [1, 8, 32],
      rounds: 5,
      windowMs: 3000,
      warmupRequests: 20_000,
      warmupMaxMs: 60_000,
      memoryRequests: 10_000,
      coldRuns: 9,
      storeOpCalls: 50,
      deadlineMs: 20 * 60_000,
    };
/** Overrides for focused runs, e.g. `--levels=8,32 --rounds=6 --window-ms=2000 --cold-runs=15`. */
const numberArg = (name: string): number | undefined => {
  const v = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return v === undefined ? undefined : Number(v);
};
const levelsArg = process.argv.find((a) => a.startsWith('--levels='))?.slice('--levels='.length);
/** `--probes=http:1000,http:2000,tcp:1000`: cold starts whose tools/call waits for a modelled Cloud Run startup probe. */
const probesArg = process.argv.find((a) => a.startsWith('--probes='))?.slice('--probes='.length);
const PROBES = probesArg ? parseProbes(probesArg) : undefined;
const SETTINGS = {
  ...DEFAULTS,
  levels: levelsArg ? levelsArg.split(',').map(Number) : DEFAULTS.levels,
  rounds: numberArg('rounds') ?? DEFAULTS.rounds,
  windowMs: numberArg('window-ms') ?? DEFAULTS.windowMs,
  coldRuns: numberArg('cold-runs') ?? DEFAULTS.coldRuns,
  warmupRequests: numberArg('warmup') ?? DEFAULTS.warmupRequests,
};
SETTINGS.deadlineMs = Math.max(
  DEFAULTS.deadlineMs,
  2 * (SETTINGS.levels.length * SETTINGS.rounds * 4 * SETTINGS.windowMs + SETTINGS.coldRuns * 5 * 10_000),
);

const QUERY = { name: 'search_contacts', args: { query: 'Bob', maxResults: 10 }, expect: 'Bob' };

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts'))
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Builds dist/ unless it is newer than every source file (a build takes about 15 s here). */
function buildIfStale(): void {
  let built = 0;
  try {
    built = statSync(join(ROOT, 'dist/index.js')).mtimeMs;
  } catch {
    // not built yet
  }
  if (!process.argv.includes('--build') && built > newestMtime(join(ROOT, 'src'))) return log('dist/ is up to date');
  log('building dist/ …');
  // The production build (type check, then the esbuild bundle: scripts/build.ts).
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

async function throughputAndMemory(
  report: Report,
  standins: Standins,
  port: number,
  comparePort: number,
): Promise<LevelSummary[]> {
  let ours: Server | undefined;
  let baseline: Server | undefined;
  let control: Server | undefined;
  let compare: Server | undefined;
  try {
    ours = await startOurs(ourEnv({ port, standins }));
    const { tokens } = await signIn(ours.url, { loginHint: 'alice@example.com' });
    const token = tokens.access_token!;
    const oursTarget = toolCall(`${ours.url}/mcp`, token, QUERY.name, QUERY.args, QUERY.expect);

    // Idle: signed in, one tool call served, then quiet (what an instance holds between calls).
    const first = await closedLoop(oursTarget, { concurrency: 1, requests: 1 });
    if (first.errors) throw new Error(`our server did not answer the tool call: ${first.firstError}`);
    await sleep(1000);
    const idle = rssMb(ours.child.pid);

    const googleToken = await standins.googleAccessToken();
    baseline = await startBaseline(standins, googleToken);
    control = await startBaseline(standins, googleToken);
    const baselineTarget = toolCall(`${baseline.url}/mcp`, undefined, QUERY.name, QUERY.args, QUERY.expect);
    await closedLoop(baselineTarget, { concurrency: 1, requests: 1 });
    await sleep(1000);
    const baselineIdle = rssMb(baseline.child.pid);
    report.add({
      section: 'Footprint',
      metric: 'idle RSS after a sign-in and a tool call',
      value: round1(idle),
      unit: 'MB',
      baseline: round1(baselineIdle),
      target: `≤ ${TARGETS.maxIdleRssMb} MB`,
      verdict: idle <= TARGETS.maxIdleRssMb ? 'met' : 'MISSED',
      note: 'baseline: after one tool call (it has no sign-in)',
    });
    let compareTarget: { target: Target; pid: number } | undefined;
    if (COMPARE) {
      // Its own sign-in: with the memory store, each server only knows the grants made through it.
      compare = await startOurs(ourEnv({ port: comparePort, standins }), [], COMPARE);
      const signedIn = await signIn(compare.url, { loginHint: 'alice@example.com' });
      compareTarget = {
        target: toolCall(`${compare.url}/mcp`, signedIn.tokens.access_token, QUERY.name, QUERY.args, QUERY.expect),
        pid: compare.child.pid,
      };
    }
    const summaries = await measureThroughput(
      report,
      {
        ours: { target: oursTarget, pid: ours.child.pid },
        baseline: { target: baselineTarget, pid: baseline.child.pid },
        control: {
          target: toolCall(`${control.url}/mcp`, undefined, QUERY.name, QUERY.args, QUERY.expect),
          pid: control.child.pid,
        },
        ...(compareTarget ? { compare: compareTarget } : {}),
      },
      standins,
      {
        ...SETTINGS,
        minThroughputRatio: TARGETS.minThroughputRatio,
        maxP99Ratio: TARGETS.maxP99Ratio,
        compareLabel: COMPARE?.label,
      },
    );

    // RSS growth over many requests, after the warm-up and the measured windows brought the heap to its working size.
    await sleep(1000);
    const before = rssMb(ours.child.pid);
    const run = await closedLoop(oursTarget, { concurrency: 8, requests: SETTINGS.memoryRequests });
    await sleep(1000);
    const after = rssMb(ours.child.pid);
    report.add({
      section: 'Footprint',
      metric: `RSS growth over ${SETTINGS.memoryRequests} requests`,
      value: round1(after - before),
      unit: 'MB',
      // After quick mode's short warm-up V8 is still growing the heap toward its working size: judged on full runs only.
      target: QUICK
        ? '(quick: judged on a full run, 10,000 requests after 20,000 of warm-up)'
        : `≤ ${TARGETS.maxRssGrowthMb} MB`,
      verdict: QUICK ? 'info' : after - before <= TARGETS.maxRssGrowthMb && run.errors === 0 ? 'met' : 'MISSED',
      note: `${Math.round(before)} → ${Math.round(after)} MB${run.errors ? `; ${run.errors} errors` : ''}`,
    });
    return summaries;
  } finally {
    await stopAll([ours?.child, baseline?.child, control?.child, compare?.child]);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const load0 = loadavg()[0]!;
  buildIfStale();
  log(memoryLimitNote());
  const report = new Report();
  const throughputPort = await freePort();
  const signInPort = await freePort();
  const comparePort = await freePort();
  const standins = await startStandins(
    [throughputPort, signInPort, comparePort].map((p) => `http://127.0.0.1:${p}/oauth/google/callback`),
  );
  let levels: LevelSummary[] = [];
  try {
    if (ONLY.has('store-ops')) {
      log('store operations …');
      await measureStoreOperations(report, SETTINGS.storeOpCalls);
    }
    if (ONLY.has('throughput')) {
      log('throughput, latency, CPU and memory …');
      levels = await throughputAndMemory(report, standins, throughputPort, comparePort);
    }
    if (ONLY.has('cold-start')) {
      log('cold start …');
      await measureColdStart(report, standins, {
        runs: SETTINGS.coldRuns,
        maxRatio: TARGETS.maxColdStartRatio,
        probes: PROBES,
        signInPort,
        compare: COMPARE,
      });
    }
    if (ONLY.has('deps')) {
      log('dependency size …');
      measureDependencies(report, QUICK, TARGETS.maxDependenciesMb);
    }
  } finally {
    await standins.close();
  }
  const load1 = loadavg()[0]!;
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    quick: QUICK,
    settings: SETTINGS,
    targets: TARGETS,
    seconds: Math.round((Date.now() - started) / 1000),
    loadAverage: { start: load0, end: load1 },
    memoryLimit: memoryLimitNote(),
    rows: report.rows,
    throughput: levels,
  };
  writeFileSync(join(ROOT, 'bench/results.json'), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`${report.table()}\n\n${memoryLimitNote()}.\n`);
  process.stdout.write(
    `Node ${process.version}; ${QUICK ? 'quick mode; ' : ''}${out.seconds} s; load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${(await import('node:os')).availableParallelism()} CPUs. Results in bench/results.json.\n`,
  );
}

const deadline = setTimeout(() => {
  log(`bench: did not finish within ${SETTINGS.deadlineMs / 60_000} min; stopping`);
  process.exit(2);
}, SETTINGS.deadlineMs);
deadline.unref();

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`bench failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
