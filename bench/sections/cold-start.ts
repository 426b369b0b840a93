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
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startFirestoreEmulator } from '../../standins/firestore-emulator.js';
import { signIn } from '../../standins/oauth-client.js';
import { toolCall, type Target } from '../lib/load.js';
import { cpuMs, freePort, log, ROOT, rssMb, sleep, start, stop, waitFor, type Child } from '../lib/proc.js';
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
   * Startup probes to model: for each, another kind of start whose tools/call is sent only once the probe
   * has passed — as Cloud Run holds a new instance's first request until its startup probe passes
   * (terraform/run.tf).
   */
  probes?: StartupProbe[];
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
  /** RSS (MB) IDLE_RSS_AFTER_MS after the answer, for the tools/call starts without a probe. */
  idleRssMb?: number;
}

/**
 * An instance that has served its first tool call and then waits is what most instances are after a scale
 * from zero: its RSS this long after the answer (past anything the server schedules shortly after start,
 * such as preloading) is reported next to the throughput section's idle RSS (measured after a sign-in).
 */
const IDLE_RSS_AFTER_MS = 2_500;

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

/**
 * A Cloud Run startup probe: `http` (GET /healthz answered 200, as terraform/run.tf configures) or `tcp`
 * (Cloud Run's default: the port accepts a connection, which the kernel does while the process is busy).
 */
export interface StartupProbe {
  kind: 'http' | 'tcp';
  periodMs: number;
}

/** `http:1000,tcp:1000` → probes. */
export function parseProbes(arg: string): StartupProbe[] {
  return arg.split(',').map((item) => {
    const [kind, ms] = item.split(':');
    if ((kind !== 'http' && kind !== 'tcp') || !(Number(ms) >= 1))
      throw new Error(`bad probe ${item}: use http:<ms> or tcp:<ms>`);
    return { kind, periodMs: Number(ms) };
  });
}

/** Where a start's probe ticks fall within the period: spread evenly over the runs, the same for every kind in a run. */
export const probePhase = (run: number): number => (((run * 0.618034) % 1) + 1) % 1;

function tcpAccepts(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(u.port), u.hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Cloud Run's startup probe, modelled: a probe on a fresh connection at spawn + (phase + k) × period until one
 * passes (before the server listens a probe fails at once, as it does on Cloud Run). Where the ticks fall
 * relative to the container's start is not ours to choose; `phase` (0–1) varies it by run.
 */
async function probeUntilReady(child: Child, url: string, probe: StartupProbe & { phase: number }): Promise<void> {
  for (let tick = 0; ; tick++) {
    const due = child.startedAt + (probe.phase + tick) * probe.periodMs;
    await sleep(Math.max(0, due - performance.now()));
    if (child.proc.exitCode !== null) throw new Error(`the process exited:\n${child.output()}`);
    if (performance.now() - child.startedAt > START_DEADLINE_MS) throw new Error('the startup probe never passed');
    const passed =
      probe.kind === 'tcp'
        ? await tcpAccepts(url)
        : await once(`${url}/healthz`).then(
            (r) => r.status === 200,
            () => false,
          );
    if (passed) return;
  }
}

async function timeStart(
  child: Child,
  url: string,
  target?: Target,
  probe?: StartupProbe & { phase: number },
  measureIdleRss = false,
): Promise<Sample> {
  try {
    if (probe) await probeUntilReady(child, new URL(url).origin, probe);
    const sample = await waitFor<Sample>(
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
    if (measureIdleRss) {
      await sleep(IDLE_RSS_AFTER_MS);
      sample.idleRssMb = rssMb(child.pid);
    }
    return sample;
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
  // One compile cache per variant: V8 rejects a code cache made under other V8 flags, so a variant with
  // NODE_OPTIONS gets a cache warmed under them (as an image built with those options would have).
  const caches = new Map(variants.map((v) => [v, mkdtempSync(join(tmpdir(), 'bench-cache-'))]));
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
        extra: { ...emulator.env(), STORE: 'firestore', NODE_COMPILE_CACHE: caches.get(variant)!, ...variant.env },
      });
    // The image's build step: fill the compile cache with everything production loads.
    for (const [variant, cache] of caches) {
      const nodeOptions = variant.env.NODE_OPTIONS;
      execFileSync(process.execPath, [`${variant.dist}/compile-cache-warmup.js`], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          NODE_COMPILE_CACHE: cache,
          ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
        },
        // Its stderr goes into the error if it fails (e.g. an option NODE_OPTIONS does not allow).
        stdio: ['ignore', 'ignore', 'pipe'],
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
  opts: { variant?: Variant; nodeArgs?: string[]; probe?: StartupProbe & { phase: number }; idleRss?: boolean } = {},
): Promise<Sample> {
  const variant = opts.variant ?? CURRENT;
  const port = await freePort();
  const child = start(process.execPath, [...(opts.nodeArgs ?? []), `${variant.dist}/index.js`], {
    env: shape.envFor(port, variant),
    memoryLimited: true,
  });
  const url = `http://127.0.0.1:${port}`;
  return what === '/health'
    ? timeStart(child, `${url}/health`)
    : timeStart(
        child,
        `${url}/mcp`,
        toolCall(`${url}/mcp`, shape.token, COLD_QUERY.name, COLD_QUERY.args, COLD_QUERY.expect),
        opts.probe,
        opts.idleRss,
      );
}

const probed = (probe: StartupProbe) =>
  `tools/call behind a ${probe.kind.toUpperCase()} startup probe every ${probe.periodMs / 1000} s`;

export async function measureColdStart(report: Report, standins: Standins, opts: ColdStartOptions): Promise<void> {
  const helloCache = mkdtempSync(join(tmpdir(), 'bench-cache-hello-'));
  const variants = [CURRENT, ...(opts.compare ? [opts.compare] : [])];
  const shape = await productionShape(standins, opts.signInPort, variants);
  try {
    const kinds: Array<{ name: string; run: (run: number) => Promise<Sample> }> = [
      ...variants.flatMap((variant) => [
        {
          name: `tools/call${suffix(variant)}`,
          run: () => timeOurStart(shape, 'tools/call', { variant, idleRss: true }),
        },
        { name: `/health${suffix(variant)}`, run: () => timeOurStart(shape, '/health', { variant }) },
        ...(opts.probes ?? []).map((probe) => ({
          name: `${probed(probe)}${suffix(variant)}`,
          run: (run: number) =>
            timeOurStart(shape, 'tools/call', { variant, probe: { ...probe, phase: probePhase(run) } }),
        })),
      ]),
      {
        name: 'hello world',
        run: async () => {
          const port = await freePort();
          const child = start(process.execPath, ['bench/hello.mjs'], {
            env: { PATH: process.env.PATH, PORT: String(port), NODE_COMPILE_CACHE: helloCache },
            memoryLimited: true,
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
        metric: `idle RSS ${IDLE_RSS_AFTER_MS / 1000} s after that first tools/call${suffix(variant)} (median of ${opts.runs})`,
        value: Math.round(med(tool, (s) => s.idleRssMb ?? NaN) * 10) / 10,
        unit: 'MB',
        target: '(reported)',
        verdict: 'info',
        note: 'an instance that only served a tool call (no sign-in through it)',
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
      for (const probe of opts.probes ?? []) {
        const kind = `${probed(probe)}${suffix(variant)}`;
        report.add({
          section,
          metric: `spawn → first authenticated ${kind} (median of ${opts.runs})`,
          value: Math.round(med(kind, (s) => s.ms)),
          unit: 'ms',
          baseline: Math.round(hello),
          ratio: `${(med(kind, (s) => s.ms) / hello).toFixed(2)}×`,
          target: '(reported)',
          verdict: 'info',
          note: `the tools/call is sent once the probe (its phase varied by run) has passed; CPU used by then ${Math.round(med(kind, (s) => s.cpuMs))} ms`,
        });
      }
    }
  } finally {
    await shape.close();
    rmSync(helloCache, { recursive: true, force: true });
  }
}
