/**
 * `npm run bench`: measures the server on loopback against the stand-ins, each figure next to a baseline
 * measured in the same run, writes bench/results.json and prints a table with every target met or missed.
 * Not part of `npm test`. Bounded: every loop has a count or a deadline.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { KeyRing } from '../src/security/keys.js';
import { freeLoopbackPort as freePort } from '../standins/http.js';
import { mcpPost, signIn } from '../standins/oauth-client.js';
import {
  STANDIN_ACCESS_TOKEN_SECRET,
  STANDIN_GOOGLE_CLIENT_ID,
  STANDIN_GOOGLE_CLIENT_SECRET,
  standinServerEnv,
  startStandins,
  type Standins,
} from '../standins/wiring.js';
import { measureStoreOps } from './store-ops.js';

const ROOT = new URL('..', import.meta.url).pathname;
const QUICK = process.argv.includes('--quick');
const LEVEL_MS = QUICK ? 1500 : 4000;
const MEMORY_REQUESTS = QUICK ? 2000 : 10_000;
const COLD_RUNS = QUICK ? 3 : 7;

interface Row {
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  target: string;
  met: boolean;
  note?: string;
}
const rows: Row[] = [];
const log = (s: string) => process.stderr.write(`${s}\n`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function waitUntil(fn: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if (await fn()) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('timed out');
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function serverEnv(port: number, standins: Standins): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    PORT: String(port),
    ...standinServerEnv(`http://127.0.0.1:${port}`, standins),
    ALLOWED_DOMAINS: 'example.com,acme.test',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  };
}

async function mintToken(port: number): Promise<string> {
  const key = new KeyRing([STANDIN_ACCESS_TOKEN_SECRET]).accessTokenKeys[0]!;
  const now = Math.floor(Date.now() / 1000);
  const base = `http://127.0.0.1:${port}`;
  return new SignJWT({ client_id: 'bench', scope: 'contacts' })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .setIssuer(base)
    .setAudience(`${base}/mcp`)
    .setSubject('bench-user')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(key);
}

async function coldStart(standins: Standins) {
  const ours: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    {
      const port = await freePort();
      const token = await mintToken(port);
      const t0 = performance.now();
      const child = spawn(process.execPath, ['dist/index.js'], { cwd: ROOT, env: serverEnv(port, standins), stdio: 'ignore' });
      await waitUntil(async () => (await mcpPost(`http://127.0.0.1:${port}/mcp`, token, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} })).status === 200, 20_000);
      ours.push(performance.now() - t0);
      await stop(child);
    }
    {
      const port = await freePort();
      const t0 = performance.now();
      const child = spawn(process.execPath, ['bench/hello.mjs'], { cwd: ROOT, env: { PATH: process.env.PATH, PORT: String(port) }, stdio: 'ignore' });
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 200, 20_000);
      base.push(performance.now() - t0);
      await stop(child);
    }
  }
  const o = median(ours);
  const b = median(base);
  rows.push({ metric: 'cold start → first authenticated tools/list', value: Math.round(o), unit: 'ms', baseline: Math.round(b), ratio: o / b, target: 'ratio ≤ 2.5 (vs bare Express hello world)', met: o / b <= 2.5 });
}

async function load(url: string, token: string | undefined, concurrency: number, ms: number) {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + ms;
  const body = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'search_contacts', arguments: { query: 'Bob', maxResults: 10 } } };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const res = await mcpPost(url, token, body);
        const text = await res.text();
        if (res.status !== 200 || !text.includes('Bob')) errors++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { rps: (latencies.length / ms) * 1000, p50: pct(latencies, 50), p99: pct(latencies, 99), errors, n: latencies.length };
}

async function throughputAndMemory(port: number, standins: Standins) {
  const { google, people } = standins;
  const ours = spawn(process.execPath, ['dist/index.js'], { cwd: ROOT, env: serverEnv(port, standins), stdio: 'ignore' });
  const basePort = await freePort();
  let baseline: ChildProcess | undefined;
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitUntil(async () => (await fetch(`${baseUrl}/healthz`)).status === 200, 20_000);
    const { tokens } = await signIn(baseUrl, { loginHint: 'alice@example.com' });
    const token = tokens.access_token!;
    // Idle: signed in, one tool call served, then quiet for a moment (what an instance between calls holds).
    await (await mcpPost(`${baseUrl}/mcp`, token, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'search_contacts', arguments: { query: 'Bob' } } })).text();
    await new Promise((r) => setTimeout(r, 1000));
    const idle = rssMb(ours.pid!);
    rows.push({ metric: 'idle RSS after sign-in and a tool call', value: Math.round(idle), unit: 'MB', target: '≤ 120 MB', met: idle <= 120 });
    // A Google access token for the baseline (same user, same People stand-in data).
    const rt = google.issuedRefreshTokens.at(-1)!;
    const g = (await (await fetch(`${google.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: STANDIN_GOOGLE_CLIENT_ID, client_secret: STANDIN_GOOGLE_CLIENT_SECRET }) })).json()) as { access_token: string };
    baseline = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline-mcp.ts'], { cwd: ROOT, env: { PATH: process.env.PATH, PORT: String(basePort), PEOPLE_API_ROOT_URL: people.url, GOOGLE_ACCESS_TOKEN: g.access_token, NODE_ENV: 'production' }, stdio: 'ignore' });
    await waitUntil(async () => (await mcpPost(`http://127.0.0.1:${basePort}/mcp`, undefined, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} })).status === 200, 20_000);

    // Warm both (JIT, the per-user search warm-up, connection pools).
    await load(`${baseUrl}/mcp`, token, 4, 800);
    await load(`http://127.0.0.1:${basePort}/mcp`, undefined, 4, 800);

    for (const c of [1, 8, 32]) {
      const o = await load(`${baseUrl}/mcp`, token, c, LEVEL_MS);
      const b = await load(`http://127.0.0.1:${basePort}/mcp`, undefined, c, LEVEL_MS);
      const note = o.errors || b.errors ? `errors: ours ${o.errors}, baseline ${b.errors}` : undefined;
      rows.push({ metric: `search_contacts throughput, ${c} client${c > 1 ? 's' : ''}`, value: Math.round(o.rps), unit: 'req/s', baseline: Math.round(b.rps), ratio: o.rps / b.rps, target: '≥ 0.85× baseline', met: o.rps / b.rps >= 0.85 && o.errors === 0, note });
      rows.push({ metric: `search_contacts p50 latency, ${c} client${c > 1 ? 's' : ''}`, value: round1(o.p50), unit: 'ms', baseline: round1(b.p50), ratio: o.p50 / b.p50, target: '(reported)', met: true });
      rows.push({ metric: `search_contacts p99 latency, ${c} client${c > 1 ? 's' : ''}`, value: round1(o.p99), unit: 'ms', baseline: round1(b.p99), ratio: o.p99 / b.p99, target: '≤ 1.3× baseline', met: o.p99 / b.p99 <= 1.3 });
    }

    // Memory growth over many requests (bounded count), at 8 concurrent clients, after a warm-up round
    // of the same size so the heap has reached its working size.
    const round = async (count: number) => {
      let sent = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (sent < count) {
            sent++;
            await (await mcpPost(`${baseUrl}/mcp`, token, { jsonrpc: '2.0', id: sent, method: 'tools/call', params: { name: 'search_contacts', arguments: { query: 'Bob' } } })).text();
          }
        }),
      );
    };
    await round(Math.min(2000, MEMORY_REQUESTS));
    await new Promise((r) => setTimeout(r, 1000));
    const before = rssMb(ours.pid!);
    await round(MEMORY_REQUESTS);
    await new Promise((r) => setTimeout(r, 1000));
    const after = rssMb(ours.pid!);
    rows.push({ metric: `RSS growth over ${MEMORY_REQUESTS} requests`, value: round1(after - before), unit: 'MB', target: '≤ 30 MB', met: after - before <= 30, note: `${Math.round(before)} → ${Math.round(after)} MB` });
  } finally {
    await stop(ours);
    if (baseline) await stop(baseline);
  }
}

async function storeOps() {
  const N = 50;
  const ops = await measureStoreOps(N);
  const total = (c: { reads: number; writes: number }) => c.reads + c.writes;
  rows.push({ metric: 'store operations per MCP request (steady state)', value: total(ops.steady) / N, unit: 'ops', target: '0', met: total(ops.steady) === 0, note: `${ops.steady.reads} reads, ${ops.steady.writes} writes over ${N} calls` });
  rows.push({ metric: 'store operations per full sign-in', value: total(ops.signIn), unit: 'ops', target: '≤ 12', met: total(ops.signIn) <= 12, note: `${ops.signIn.reads} reads, ${ops.signIn.writes} writes: ${JSON.stringify(ops.signIn.byOp)}` });
  rows.push({ metric: 'store operations per refresh', value: total(ops.refresh), unit: 'ops', target: '≤ 4', met: total(ops.refresh) <= 4, note: `${ops.refresh.reads} reads, ${ops.refresh.writes} writes: ${JSON.stringify(ops.refresh.byOp)}` });
  return ops;
}

function depsSize() {
  const dir = mkdtempSync(join(tmpdir(), 'deps-size-'));
  try {
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    copyFileSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore' });
    const bytes = Number(execFileSync('du', ['-sb', join(dir, 'node_modules')]).toString().split('\t')[0]);
    const mb = bytes / 1024 / 1024;
    rows.push({ metric: 'production dependencies (npm ci --omit=dev)', value: round1(mb), unit: 'MB', target: '≤ 80 MB', met: mb <= 80 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

async function main() {
  log('building dist/ …');
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  // The server that users sign in to needs its Google redirect URI registered at the stand-in up front.
  const port = await freePort();
  const standins = await startStandins(`http://127.0.0.1:${port}`);
  try {
    log('store operations …');
    const ops = await storeOps();
    log('cold start …');
    await coldStart(standins);
    log('throughput, latency and memory …');
    await throughputAndMemory(port, standins);
    log('dependency size …');
    depsSize();
    const out = { date: new Date().toISOString(), node: process.version, quick: QUICK, rows, storeOps: ops };
    writeFileSync(join(ROOT, 'bench/results.json'), `${JSON.stringify(out, null, 2)}\n`);
    const fmt = (r: Row) => [r.metric, `${r.value} ${r.unit}`, r.baseline !== undefined ? `${r.baseline} ${r.unit}` : '', r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '', r.target, r.met ? 'met' : 'MISSED', r.note ?? ''];
    const table = [['metric', 'ours', 'baseline', 'ratio', 'target', 'result', 'note'], ...rows.map(fmt)];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((t) => t[i]!.length)));
    for (const t of table) process.stdout.write(`${t.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
    process.stdout.write(`\n${rows.filter((r) => r.met).length} of ${rows.length} targets met; results in bench/results.json\n`);
  } finally {
    await standins.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
