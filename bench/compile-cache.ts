/**
 * `npm run bench:compile-cache`: what the compile cache warmed in the image buys at a cold start, measured
 * the way Cloud Run starts the image: `node dist/index.js` with STORE=firestore (on the local emulator),
 * from spawn to the first /health answer, and to the first OAuth request (authorization-server metadata,
 * which loads oidc-provider). Median of N runs per variant (--runs=N, default 7), the variants interleaved
 * in rotating order so that machine noise spreads evenly:
 *
 * - no cache:          NODE_DISABLE_COMPILE_CACHE=1
 * - warmed by root:    the warm-up script run by root, the server run as uid 1000 (as an earlier image did:
 *                      Node keys the cache by user id, so this one is never read). Needs root and setpriv;
 *                      left out without them. (That image also warmed with main.js only; the bundled build
 *                      has no main.js to import without starting the server.)
 * - this image:        warmed by dist/compile-cache-warmup.js as the user that runs the server
 *
 * Each start reports wall-clock time and the CPU time (user + system, from /proc) the server used until then:
 * on a shared machine the wall clock follows other processes' load, the CPU cost of the start does not.
 * Not part of `npm test`. Prints a table; --json prints the figures as JSON. Bounded: fixed run counts and
 * deadlines.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFirestoreEmulator } from '../standins/firestore-emulator.js';
import { freeLoopbackPort as freePort } from '../standins/http.js';
import { standinServerEnv } from '../standins/wiring.js';

const ROOT = new URL('..', import.meta.url).pathname;
const RUNS = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 7);
const START_DEADLINE_MS = 30_000;
const RUNTIME_UID = 1000; // the `node` user of the official images
const log = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Linux clock ticks per second (USER_HZ), the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) the process has used so far, in ms. On a shared machine the wall-clock start
 * time moves with the other processes' load; the CPU the start costs is what the cache saves, and it
 * barely moves.
 */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
/** Root can run the server as uid 1000, like the image's `USER node`. */
const AS_RUNTIME_USER = process.getuid?.() === 0 && hasSetpriv();

function command(asRuntimeUser: boolean, args: string[]): [string, string[]] {
  return asRuntimeUser
    ? ['setpriv', [`--reuid=${RUNTIME_UID}`, `--regid=${RUNTIME_UID}`, '--clear-groups', process.execPath, ...args]]
    : [process.execPath, args];
}

function warm(cacheDir: string, asRuntimeUser: boolean): void {
  const [cmd, argv] = command(asRuntimeUser, ['dist/compile-cache-warmup.js']);
  execFileSync(cmd, argv, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: cacheDir },
    stdio: 'ignore',
    timeout: 120_000,
  });
}

interface Variant {
  name: string;
  env: Record<string, string>;
  asRuntimeUser: boolean;
  health: number[];
  oauth: number[];
  healthCpu: number[];
  oauthCpu: number[];
}

async function startOnce(
  variant: Variant,
  baseEnv: Record<string, string>,
): Promise<{ health: number; oauth: number; healthCpu: number; oauthCpu: number }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const [cmd, argv] = command(variant.asRuntimeUser, ['dist/index.js']);
  const t0 = performance.now();
  const child = spawn(cmd, argv, {
    cwd: ROOT,
    env: { ...baseEnv, ...variant.env, PORT: String(port), ...standinServerEnv(base) },
    stdio: 'ignore',
  });
  try {
    const until = Date.now() + START_DEADLINE_MS;
    const poll = async (path: string): Promise<number> => {
      for (;;) {
        if (Date.now() > until) throw new Error(`${variant.name}: no answer on ${path} within ${START_DEADLINE_MS} ms`);
        try {
          if ((await fetch(`${base}${path}`)).ok) return performance.now() - t0;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const health = await poll('/health');
    const healthCpu = cpuMs(child.pid!);
    const oauth = await poll('/.well-known/oauth-authorization-server');
    const oauthCpu = cpuMs(child.pid!);
    return { health, oauth, healthCpu, oauthCpu };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  log('building dist/ …');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const emulator = await startFirestoreEmulator();
  const dirs: string[] = [];
  const cacheDir = (mode: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'compile-cache-bench-'));
    chmodSync(dir, mode);
    dirs.push(dir);
    return dir;
  };
  try {
    const byRoot = cacheDir(0o755); // root-owned, as `RUN node …` before `USER node` left it
    if (AS_RUNTIME_USER) warm(byRoot, false);
    const current = cacheDir(0o777); // the runtime user writes its own subdirectory, as in the image
    warm(current, AS_RUNTIME_USER);

    const baseEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      ...emulator.env(),
      STORE: 'firestore',
      LOG_LEVEL: 'warn',
    };
    const variants: Variant[] = [
      {
        name: 'no cache',
        env: { NODE_DISABLE_COMPILE_CACHE: '1' },
        asRuntimeUser: AS_RUNTIME_USER,
        health: [],
        oauth: [],
        healthCpu: [],
        oauthCpu: [],
      },
      ...(AS_RUNTIME_USER
        ? [
            {
              name: 'warmed by root, run as uid 1000',
              env: { NODE_COMPILE_CACHE: byRoot },
              asRuntimeUser: true,
              health: [],
              oauth: [],
              healthCpu: [],
              oauthCpu: [],
            },
          ]
        : []),
      {
        name: 'this image (compile-cache-warmup.js as the runtime user)',
        env: { NODE_COMPILE_CACHE: current },
        asRuntimeUser: AS_RUNTIME_USER,
        health: [],
        oauth: [],
        healthCpu: [],
        oauthCpu: [],
      },
    ];
    for (let run = 0; run < RUNS; run++) {
      // Rotate which variant goes first: the first start after a pause (or after the previous process's
      // exit) must not always fall to the same one.
      for (let k = 0; k < variants.length; k++) {
        const variant = variants[(run + k) % variants.length]!;
        const r = await startOnce(variant, baseEnv);
        variant.health.push(r.health);
        variant.oauth.push(r.oauth);
        variant.healthCpu.push(r.healthCpu);
        variant.oauthCpu.push(r.oauthCpu);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      log(`run ${run + 1}/${RUNS} done`);
    }
    const rows = variants.map((v) => ({
      variant: v.name,
      healthMs: Math.round(median(v.health)),
      healthCpuMs: Math.round(median(v.healthCpu)),
      firstOAuthMs: Math.round(median(v.oauth)),
      firstOAuthCpuMs: Math.round(median(v.oauthCpu)),
    }));
    if (process.argv.includes('--json')) {
      process.stdout.write(
        `${JSON.stringify({ runs: RUNS, node: process.version, asRuntimeUser: AS_RUNTIME_USER, rows }, null, 2)}\n`,
      );
      return;
    }
    const none = rows[0]!;
    const vs = (ms: number, base: number, first: boolean) =>
      first ? `${ms}` : `${ms} (${ms <= base ? '−' : '+'}${Math.abs(Math.round((1 - ms / base) * 100))} %)`;
    process.stdout.write(
      `\nCold start, median of ${RUNS} (Node ${process.version}, STORE=firestore on the emulator${AS_RUNTIME_USER ? ', server as uid 1000' : ''}); ms\n\n`,
    );
    process.stdout.write(
      '| variant | CPU until /health | wall until /health | CPU until first OAuth metadata | wall until first OAuth metadata |\n| --- | --- | --- | --- | --- |\n',
    );
    for (const r of rows) {
      const first = r === none;
      process.stdout.write(
        `| ${r.variant} | ${vs(r.healthCpuMs, none.healthCpuMs, first)} | ${vs(r.healthMs, none.healthMs, first)} | ${vs(r.firstOAuthCpuMs, none.firstOAuthCpuMs, first)} | ${vs(r.firstOAuthMs, none.firstOAuthMs, first)} |\n`,
      );
    }
  } finally {
    await emulator.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  log(`bench failed: ${(err as Error).message}`);
  process.exit(1);
});
