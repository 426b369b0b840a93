/**
 * Cold start in production shape: `node dist/index.js` with STORE=firestore on the Firestore emulator,
 * Node's compile cache warmed the way the image warms it (dist/compile-cache-warmup.js), and a grant that
 * an earlier process created (a user signed in through a server that has since exited). Measured from
 * spawn to the first authenticated `tools/call search_contacts` answered (what a user waiting on Claude
 * sees after a scale-from-zero), and, in separate starts, to the first `/health` answer; against the
 * first answer of an Express hello world (bench/hello.mjs, its own compile cache warmed too). The three
 * kinds of start are interleaved in rotating order, after one discarded round that warms the OS caches.
 * Each start also records the CPU time the server had used when it answered (from /proc): on a shared
 * machine wall time follows the neighbours, CPU time much less.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startFirestoreEmulator } from '../../standins/firestore-emulator.js';
import { signIn } from '../../standins/oauth-client.js';
import { toolCall, type Target } from '../lib/load.js';
import { cpuMs, freePort, log, ROOT, sleep, start, stop, waitFor, type Child } from '../lib/proc.js';
import type { Report } from '../lib/report.js';
import { CURRENT, ourEnv, startOurs, suffix, type Standins, type Variant } from '../lib/servers.js';
import { median } from '../lib/stats.js';

const START_DEADLINE_MS = 60_000;
const POLL_MS = 5;
/** The search every start answers (a contact of the signed-in sample user). */
export const COLD_QUERY = { name: 'search_contacts', args: { query: 'Bob' }, expect: 'Bob' };

export interface ColdStartOptions {
  runs: number;
  maxRatio: number;
  /**
   * Startup-probe periods (ms) to model, e.g. [1000, 2000]: for each, another kind of start whose tools/call
   * is sent only once a probe of /healthz, sent every period from spawn, has been answered — as Cloud Run
   * holds the first request until its startup probe passes (terraform/run.tf).
   */
  probePeriodsMs?: number[];
  /** The port the earlier process (the one users signed in through) listened on: BASE_URL of every start. */
  signInPort: number;
  /** Another variant started in the same rotation, for before/after figures measured back to back. */
  compare?: Variant;
}

export interface Sample {
  ms: number;
  cpuMs: number;
  /** process.hrtime.bigint() when the answer arrived (CLOCK_MONOTONIC, the clock of V8's CPU profiles). */
  answeredAt: bigint;
}

/** One POST or GET on a fresh connection; rejects while nothing listens. */
function once(url: string, target?: Target): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: target ? 'POST' : 'GET',
        agent: false,
        headers: target ? { ...target.headers, 'content-length': Buffer.byteLength(target.body) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(target?.body);
  });
}

async function retry<T>(what: string, attempts: number, fn: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      log(`  ${what} failed (${(err as Error).message.slice(0, 160)}); retrying`);
      await sleep(2000);
    }
  }
}

/** Where a start's probe ticks fall within the period: spread evenly over the runs, the same for every kind in a run. */
export const probePhase = (run: number): number => (run * 0.618034) % 1;

/**
 * Cloud Run's startup probe, modelled: GET /healthz on a fresh connection at spawn + (phase + k) × period until
 * one is answered 200 (a probe sent before the server listens fails at once, as it does on Cloud Run). Where
 * the ticks fall relative to the container's start is not ours to choose; `phase` (0–1) varies it by run.
 */
async function probeUntilReady(child: Child, url: string, probe: { periodMs: number; phase: number }): Promise<void> {
  for (let tick = 0; ; tick++) {
    const due = child.startedAt + (probe.phase + tick) * probe.periodMs;
    await sleep(Math.max(0, due - performance.now()));
    if (child.proc.exitCode !== null) throw new Error(`the process exited:\n${child.output()}`);
    if (performance.now() - child.startedAt > START_DEADLINE_MS) throw new Error('the startup probe never passed');
    const answered = await once(`${url}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (answered) return;
  }
}

async function timeStart(
  child: Child,
  url: string,
  target?: Target,
  probe?: { periodMs: number; phase: number },
): Promise<Sample> {
  try {
    if (probe) await probeUntilReady(child, new URL(url).origin, probe);
    return await waitFor(
      `first answer from ${url}`,
      async () => {
        if (child.proc.exitCode !== null) throw new Error(`the process exited:\n${child.output()}`);
        const r = await once(url, target);
        const at = performance.now();
        const answeredAt = process.hrtime.bigint();
        if (target && !target.ok(r.status, r.body))
          throw new Error(`unexpected answer ${r.status}: ${r.body.slice(0, 300)}`);
        if (!target && r.status !== 200) return undefined;
        return { ms: at - child.startedAt, cpuMs: cpuMs(child.pid), answeredAt };
      },
      START_DEADLINE_MS,
      POLL_MS,
    );
  } finally {
    await stop(child);
  }
}

/** The production-shape set-up every start shares: emulator, warmed compile cache, and a grant from an earlier process. */
export interface ProductionShape {
  /** Environment for the variant's `index.js` listening on `port`, with the compile cache warmed for its dist. */
  envFor(port: number, variant?: Variant): NodeJS.ProcessEnv;
  /** A valid access token (issued by the earlier process) for the signed-in sample user. */
  token: string;
  close(): Promise<void>;
}

export async function productionShape(
  standins: Standins,
  signInPort: number,
  variants: Variant[] = [CURRENT],
): Promise<ProductionShape> {
  const emulator = await startFirestoreEmulator();
  const caches = new Map(
    [...new Set(variants.map((v) => v.dist))].map((d) => [d, mkdtempSync(join(tmpdir(), 'bench-cache-'))]),
  );
  const close = async () => {
    await emulator.stop();
    for (const d of caches.values()) rmSync(d, { recursive: true, force: true });
  };
  try {
    const baseUrl = `http://127.0.0.1:${signInPort}`;
    const envFor = (port: number, variant = CURRENT) =>
      ourEnv({
        port,
        baseUrl,
        standins,
        extra: { ...emulator.env(), STORE: 'firestore', NODE_COMPILE_CACHE: caches.get(variant.dist)!, ...variant.env },
      });
    // The image's build step: fill the compile cache with everything production loads.
    for (const [dist, cache] of caches) {
      execFileSync(process.execPath, [`${dist}/compile-cache-warmup.js`], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: cache },
        stdio: 'ignore',
        timeout: 120_000,
      });
    }
    // An earlier process: the user signs in (the grant and their Google tokens go to Firestore), then it exits.
    log('  signing in through an earlier process (STORE=firestore)');
    const earlier = await startOurs(envFor(signInPort));
    let token: string;
    try {
      // A just-started emulator on a busy machine can miss the store's 5 s deadline: try a few times.
      token = await retry(
        'signing in',
        5,
        async () => (await signIn(baseUrl, { loginHint: 'alice@example.com' })).tokens.access_token!,
      );
      const check = toolCall(`${baseUrl}/mcp`, token, COLD_QUERY.name, COLD_QUERY.args, COLD_QUERY.expect);
      const r = await once(check.url, check);
      if (!check.ok(r.status, r.body))
        throw new Error(`the earlier process did not answer the tool call: ${r.status} ${r.body.slice(0, 300)}`);
    } finally {
      await stop(earlier.child);
    }
    return { envFor, token, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Starts the variant's `index.js` and times its first answer to an authenticated tools/call (or /health). */
export async function timeOurStart(
  shape: ProductionShape,
  what: 'tools/call' | '/health',
  opts: { variant?: Variant; nodeArgs?: string[]; probe?: { periodMs: number; phase: number } } = {},
): Promise<Sample> {
  const variant = opts.variant ?? CURRENT;
  const port = await freePort();
  const child = start(process.execPath, [...(opts.nodeArgs ?? []), `${variant.dist}/index.js`], {
    env: shape.envFor(port, variant),
  });
  const url = `http://127.0.0.1:${port}`;
  return what === '/health'
    ? timeStart(child, `${url}/health`)
    : timeStart(
        child,
        `${url}/mcp`,
        toolCall(`${url}/mcp`, shape.token, COLD_QUERY.name, COLD_QUERY.args, COLD_QUERY.expect),
        opts.probe,
      );
}

const probed = (periodMs: number) => `tools/call behind a ${periodMs / 1000} s startup probe`;

export async function measureColdStart(report: Report, standins: Standins, opts: ColdStartOptions): Promise<void> {
  const helloCache = mkdtempSync(join(tmpdir(), 'bench-cache-hello-'));
  const variants = [CURRENT, ...(opts.compare ? [opts.compare] : [])];
  const shape = await productionShape(standins, opts.signInPort, variants);
  try {
    const kinds: Array<{ name: string; run: (run: number) => Promise<Sample> }> = [
      ...variants.flatMap((variant) => [
        { name: `tools/call${suffix(variant)}`, run: () => timeOurStart(shape, 'tools/call', { variant }) },
        { name: `/health${suffix(variant)}`, run: () => timeOurStart(shape, '/health', { variant }) },
        ...(opts.probePeriodsMs ?? []).map((probePeriodMs) => ({
          name: `${probed(probePeriodMs)}${suffix(variant)}`,
          run: (run: number) =>
            timeOurStart(shape, 'tools/call', { variant, probe: { periodMs: probePeriodMs, phase: probePhase(run) } }),
        })),
      ]),
      {
        name: 'hello world',
        run: async () => {
          const port = await freePort();
          const child = start(process.execPath, ['bench/hello.mjs'], {
            env: { PATH: process.env.PATH, PORT: String(port), NODE_COMPILE_CACHE: helloCache },
          });
          return timeStart(child, `http://127.0.0.1:${port}/`);
        },
      },
    ];
    const samples = new Map<string, Sample[]>(kinds.map((k) => [k.name, []]));
    // One discarded round first (OS caches, the hello world's compile cache), then rotating order.
    for (let run = -1; run < opts.runs; run++) {
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(run + 1 + k) % kinds.length]!;
        const sample = await kind.run(run);
        if (run >= 0) samples.get(kind.name)!.push(sample);
        await sleep(200);
      }
      if (run >= 0)
        log(
          `  cold start run ${run + 1}/${opts.runs}: ${kinds.map((k) => `${k.name} ${Math.round(samples.get(k.name)!.at(-1)!.ms)} ms`).join(', ')}`,
        );
    }

    const med = (k: string, f: (s: Sample) => number) => median(samples.get(k)!.map(f));
    const hello = med('hello world', (s) => s.ms);
    const helloCpu = med('hello world', (s) => s.cpuMs);
    const section =
      'Cold start (production shape: STORE=firestore on the emulator, compile cache warmed, grant from an earlier process)';
    for (const variant of variants) {
      const primary = variant === CURRENT;
      const tool = `tools/call${suffix(variant)}`;
      const health = `/health${suffix(variant)}`;
      const toolRatios = samples.get(tool)!.map((s, i) => s.ms / samples.get('hello world')![i]!.ms);
      const ratio = med(tool, (s) => s.ms) / hello;
      report.add({
        section,
        metric: `spawn → first authenticated tools/call answered${suffix(variant)} (median of ${opts.runs})`,
        value: Math.round(med(tool, (s) => s.ms)),
        unit: 'ms',
        baseline: Math.round(hello),
        ratio: `${ratio.toFixed(2)}× (runs ${Math.min(...toolRatios).toFixed(2)}–${Math.max(...toolRatios).toFixed(2)})`,
        target: primary ? `≤ ${opts.maxRatio}× hello world` : '(comparison)',
        verdict: !primary ? 'info' : ratio <= opts.maxRatio ? 'met' : 'MISSED',
        note: `CPU used by then ${Math.round(med(tool, (s) => s.cpuMs))} ms vs ${Math.round(helloCpu)} ms (${(med(tool, (s) => s.cpuMs) / helloCpu).toFixed(2)}×)`,
      });
      report.add({
        section,
        metric: `spawn → first /health answered${suffix(variant)} (median of ${opts.runs})`,
        value: Math.round(med(health, (s) => s.ms)),
        unit: 'ms',
        baseline: Math.round(hello),
        ratio: `${(med(health, (s) => s.ms) / hello).toFixed(2)}×`,
        target: '(reported)',
        verdict: 'info',
        note: `CPU used by then ${Math.round(med(health, (s) => s.cpuMs))} ms`,
      });
      for (const periodMs of opts.probePeriodsMs ?? []) {
        const kind = `${probed(periodMs)}${suffix(variant)}`;
        report.add({
          section,
          metric: `spawn → first authenticated ${kind} (median of ${opts.runs})`,
          value: Math.round(med(kind, (s) => s.ms)),
          unit: 'ms',
          baseline: Math.round(hello),
          ratio: `${(med(kind, (s) => s.ms) / hello).toFixed(2)}×`,
          target: '(reported)',
          verdict: 'info',
          note: `the tools/call is sent once a /healthz probe every ${periodMs} ms (phase varied by run) has passed; CPU used by then ${Math.round(med(kind, (s) => s.cpuMs))} ms`,
        });
      }
    }
  } finally {
    await shape.close();
    rmSync(helloCache, { recursive: true, force: true });
  }
}
