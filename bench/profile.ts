/**
 * `npm run bench:profile`: where the CPU goes, ours next to the lean baseline (bench/baseline-mcp.ts).
 *
 *   npm run bench:profile                      request path: both servers warmed up, then sampled through
 *                                              their inspector while serving the same tools/call load;
 *                                              µs per request by package, by outermost package, by function
 *   npm run bench:profile -- --start           cold start in production shape (bench/sections/cold-start.ts):
 *                                              `node --cpu-prof dist/index.js` until the first authenticated
 *                                              tools/call is answered; ms per start by outermost package
 *   options: --requests=N (default 4000) --concurrency=N (default 8) --warmup=N (default 10000) --runs=N (--start, default 3)
 *
 * Profiles are written to bench/profiles/ (open them in Chrome DevTools → Performance, or VS Code).
 * Bounded: fixed request counts, deadlines on every wait.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signIn } from '../standins/oauth-client.js';
import { summarize, top, type CpuProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { InspectorSession } from './lib/inspector.js';
import { closedLoop, toolCall, type Target } from './lib/load.js';
import { freePort, log, ROOT, stopAll } from './lib/proc.js';
import { ourEnv, startBaseline, startOurs, startStandins, type Server, type Standins } from './lib/servers.js';
import { productionShape, timeOurStart } from './sections/cold-start.js';

const num = (name: string, dflt: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt);
const REQUESTS = num('requests', 4000);
const CONCURRENCY = num('concurrency', 8);
const WARMUP = num('warmup', 10_000);
const RUNS = num('runs', 3);
const WARMUP_MAX_MS = 120_000;
const OUT = join(ROOT, 'bench/profiles');
const QUERY = { name: 'search_contacts', args: { query: 'Bob', maxResults: 10 }, expect: 'Bob' };

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const fmt = (x: number) => x.toFixed(x >= 100 ? 0 : 1).padStart(7);

/** A side-by-side table of two maps (values already scaled), largest first by the first map. */
function compare(
  title: string,
  unit: string,
  a: Map<string, number>,
  b: Map<string, number> | undefined,
  n: number,
): string {
  const keys = [...new Set([...a.keys(), ...(b?.keys() ?? [])])]
    .sort((x, y) => (a.get(y) ?? 0) - (a.get(x) ?? 0) || (b?.get(y) ?? 0) - (b?.get(x) ?? 0))
    .slice(0, n);
  const lines = [
    `\n${title}`,
    `${pad('', 72)}${'ours'.padStart(7)}${b ? `${'base'.padStart(9)}${'diff'.padStart(9)}` : ''}  (${unit})`,
  ];
  for (const k of keys) {
    const x = a.get(k) ?? 0;
    const y = b?.get(k) ?? 0;
    lines.push(`${pad(k.slice(0, 70), 72)}${fmt(x)}${b ? `  ${fmt(y)}  ${fmt(x - y)}` : ''}`);
  }
  return lines.join('\n');
}

const scale = (m: Map<string, number>, f: number) => new Map([...m].map(([k, v]) => [k, v * f]));

async function requestPath(standins: Standins, port: number): Promise<void> {
  let ours: Server | undefined;
  let baseline: Server | undefined;
  try {
    const inspect = ['--inspect=127.0.0.1:0'];
    // The Google stand-in only knows the redirect URI of the port it was started for.
    ours = await startOurs(ourEnv({ port, standins }), inspect);
    const { tokens } = await signIn(ours.url, { loginHint: 'alice@example.com' });
    baseline = await startBaseline(standins, await standins.googleAccessToken(), inspect);
    const targets: Array<[string, Server, Target]> = [
      ['ours', ours, toolCall(`${ours.url}/mcp`, tokens.access_token, QUERY.name, QUERY.args, QUERY.expect)],
      ['baseline', baseline, toolCall(`${baseline.url}/mcp`, undefined, QUERY.name, QUERY.args, QUERY.expect)],
    ];
    const summaries = new Map<string, { s: ProfileSummary; perRequest: number }>();
    for (const [name, , target] of targets) {
      const w = await closedLoop(target, { concurrency: CONCURRENCY, requests: WARMUP, durationMs: WARMUP_MAX_MS });
      if (w.errors) throw new Error(`${name}: ${w.errors} errors during warm-up: ${w.firstError}`);
      log(`warmed up ${name}: ${w.count} requests`);
    }
    for (const [name, server, target] of targets) {
      const session = await InspectorSession.attach(server.child);
      let count = 0;
      const profile = await session.profile(async () => {
        const r = await closedLoop(target, { concurrency: CONCURRENCY, requests: REQUESTS });
        if (r.errors) throw new Error(`${name}: ${r.errors} errors: ${r.firstError}`);
        count = r.count;
      });
      session.close();
      writeFileSync(join(OUT, `request-${name}.cpuprofile`), JSON.stringify(profile));
      summaries.set(name, { s: summarize(profile), perRequest: 1 / count });
    }
    const o = summaries.get('ours')!;
    const b = summaries.get('baseline')!;
    const us = (x: { s: ProfileSummary; perRequest: number }, m: Map<string, number>) => scale(m, x.perRequest * 1000); // ms total → µs per request
    process.stdout.write(
      `\nRequest path, ${REQUESTS} tools/call at ${CONCURRENCY} clients after ${WARMUP} warm-up requests (sampled every 200 µs; µs of main-thread CPU per request)\n`,
    );
    process.stdout.write(
      `busy: ours ${(o.s.busyMs * o.perRequest * 1000).toFixed(0)} µs/request, baseline ${(b.s.busyMs * b.perRequest * 1000).toFixed(0)} µs/request\n`,
    );
    process.stdout.write(
      compare(
        'Self time by owner (package, our file, Node subsystem, GC)',
        'µs/req',
        us(o, o.s.selfByOwner),
        us(b, b.s.selfByOwner),
        30,
      ),
    );
    process.stdout.write(
      compare(
        'By outermost package on the stack (a package with everything it calls)',
        'µs/req',
        us(o, o.s.outermostPackage),
        us(b, b.s.outermostPackage),
        20,
      ),
    );
    process.stdout.write(
      compare(
        'Functions, self time (ours)',
        'µs/req',
        us(o, new Map(top(o.s.selfByFunction, 40))),
        us(b, b.s.selfByFunction),
        40,
      ),
    );
    process.stdout.write(
      compare(
        'Our functions, inclusive time',
        'µs/req',
        us(o, new Map(top(o.s.inclusiveByFunction, 40, (k) => k.includes(' ours: ')))),
        undefined,
        40,
      ),
    );
    process.stdout.write(
      compare(
        'SDK and Express functions, inclusive time (ours vs baseline)',
        'µs/req',
        us(o, new Map(top(o.s.inclusiveByFunction, 30, (k) => /@modelcontextprotocol|express|router/.test(k)))),
        us(b, b.s.inclusiveByFunction),
        30,
      ),
    );
    process.stdout.write(`\nProfiles: ${OUT}/request-ours.cpuprofile, request-baseline.cpuprofile\n`);
  } finally {
    await stopAll([ours?.child, baseline?.child]);
  }
}

async function coldStart(standins: Standins, signInPort: number): Promise<void> {
  const shape = await productionShape(standins, signInPort);
  try {
    const total: ProfileSummary[] = [];
    for (let run = 0; run < RUNS; run++) {
      const dir = join(OUT, `start-${run}`);
      rmSync(dir, { recursive: true, force: true });
      const sample = await timeOurStart(shape, 'tools/call', {
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'],
      });
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no profile written in ${dir}`);
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
      // Only up to the answer: after it the process idles, then shuts down.
      total.push(summarize(profile, { fromUs: 0, toUs: Number(sample.answeredAt / 1000n) }));
      log(
        `start ${run + 1}/${RUNS}: first tools/call after ${Math.round(sample.ms)} ms (CPU ${Math.round(sample.cpuMs)} ms); profile ${dir}/${file}`,
      );
    }
    const avg = (pick: (s: ProfileSummary) => Map<string, number>) => {
      const m = new Map<string, number>();
      for (const s of total) for (const [k, v] of pick(s)) m.set(k, (m.get(k) ?? 0) + v / total.length);
      return m;
    };
    const busy = total.reduce((a, s) => a + s.busyMs, 0) / total.length;
    process.stdout.write(
      `\nCold start to the first authenticated tools/call (production shape), main thread busy ${busy.toFixed(0)} ms per start (mean of ${RUNS})\n`,
    );
    process.stdout.write(
      compare(
        'By outermost package on the stack (loading or running it, with everything it pulls in)',
        'ms/start',
        avg((s) => s.outermostPackage),
        undefined,
        30,
      ),
    );
    process.stdout.write(
      compare(
        'Self time by owner',
        'ms/start',
        avg((s) => s.selfByOwner),
        undefined,
        30,
      ),
    );
    process.stdout.write(
      compare(
        'Our functions, inclusive time',
        'ms/start',
        new Map(
          top(
            avg((s) => s.inclusiveByFunction),
            30,
            (k) => k.includes(' ours: '),
          ),
        ),
        undefined,
        30,
      ),
    );
    process.stdout.write('\n');
  } finally {
    await shape.close();
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const signInPort = await freePort();
  const standins = await startStandins([`http://127.0.0.1:${signInPort}/oauth/google/callback`]);
  try {
    if (process.argv.includes('--start')) await coldStart(standins, signInPort);
    else await requestPath(standins, signInPort);
  } finally {
    await standins.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`profile failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
