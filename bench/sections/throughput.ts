/**
 * Throughput, latency and CPU per request: ours vs the lean baseline, with an A/A control (a second,
 * identical baseline process) that shows how far two identical servers differ on this machine right now.
 *
 * For each concurrency level, `rounds` rounds; in each round the three servers are loaded one after the
 * other for `windowMs` each (the order rotates every round, so a slow moment does not always fall on the
 * same server), and the ratios ours/baseline and control/baseline are taken within the round: measured
 * back to back, machine noise mostly cancels. Reported: the median ratio over rounds and its range;
 * latency percentiles over all rounds' samples; CPU per request of the server process (from /proc: the
 * load generator and stand-ins are other processes) and new TCP connections to the People stand-in per
 * 1000 calls (0 when keep-alive works).
 */
import { closedLoop, type LoadResult, type Target } from '../lib/load.js';
import { cpuMs, log } from '../lib/proc.js';
import type { Report } from '../lib/report.js';
import type { Standins } from '../lib/servers.js';
import { percentile, ratioText, round1, round2, spread, type Spread } from '../lib/stats.js';

/** `compare`: another build of ours (--compare-dist / --compare-env), measured in the same rotation. */
export type Contender = 'ours' | 'baseline' | 'control' | 'compare';

export interface ThroughputOptions {
  levels: number[];
  rounds: number;
  windowMs: number;
  /** Requests each server serves before anything is measured (JIT, caches, pools)… */
  warmupRequests: number;
  /** …or for at most this long (a busy machine serves fewer). */
  warmupMaxMs: number;
  /** Throughput ratio the target asks for (≥), and the p99 ratio (≤). */
  minThroughputRatio: number;
  maxP99Ratio: number;
}

interface Window {
  rps: number;
  cpuMsPerRequest: number;
  /** The other processes' share of each request: the load generator (this process) and the stand-ins. */
  generatorCpuMsPerRequest: number;
  standinsCpuMsPerRequest: number;
  peopleConnectionsPer1k: number;
  result: LoadResult;
}

async function window(
  target: Target,
  pid: number,
  standins: Standins,
  concurrency: number,
  durationMs: number,
): Promise<Window> {
  const conn0 = await standins.peopleConnections();
  const cpu0 = cpuMs(pid);
  const standins0 = cpuMs(standins.child.pid);
  const generator0 = process.cpuUsage();
  const result = await closedLoop(target, { concurrency, durationMs });
  const generator = process.cpuUsage(generator0);
  const standins1 = cpuMs(standins.child.pid);
  const cpu1 = cpuMs(pid);
  const conn1 = await standins.peopleConnections();
  const n = Math.max(1, result.count);
  return {
    rps: (result.count / result.elapsedMs) * 1000,
    cpuMsPerRequest: (cpu1 - cpu0) / n,
    generatorCpuMsPerRequest: (generator.user + generator.system) / 1000 / n,
    standinsCpuMsPerRequest: (standins1 - standins0) / n,
    peopleConnectionsPer1k: ((conn1 - conn0) / Math.max(1, result.count)) * 1000,
    result,
  };
}

export interface LevelSummary {
  concurrency: number;
  rps: Record<Contender, number>;
  p50: Record<Contender, number>;
  p99: Record<Contender, number>;
  cpuMsPerRequest: Record<Contender, number>;
  /** Load generator and stand-ins CPU per request, over all windows. */
  otherCpuMsPerRequest: { generator: number; standins: number };
  peopleConnectionsPer1k: Record<Contender, number>;
  throughputRatio: Spread;
  controlThroughputRatio: Spread;
  p50Ratio: number;
  p99Ratio: number;
  p99RatioPerRound: Spread;
  controlP99Ratio: number;
  cpuRatio: Spread;
  controlCpuRatio: Spread;
  /** Ours over the comparison build, per round (after/before when the comparison is the build before a change). */
  versusCompare?: { throughput: Spread; cpu: Spread; p99: number };
  errors: Record<Contender, number>;
  firstError?: string;
}

export async function measureThroughput(
  report: Report,
  targets: Partial<Record<Contender, { target: Target; pid: number }>> &
    Record<'ours' | 'baseline' | 'control', { target: Target; pid: number }>,
  standins: Standins,
  opts: ThroughputOptions & { compareLabel?: string },
): Promise<LevelSummary[]> {
  const ORDER = (['ours', 'baseline', 'control', 'compare'] as const).filter((c) => targets[c]);
  for (const who of ORDER) {
    const w = await closedLoop(targets[who]!.target, {
      concurrency: 8,
      requests: opts.warmupRequests,
      durationMs: opts.warmupMaxMs,
    });
    log(`  warmed up ${who}: ${w.count} requests in ${Math.round(w.elapsedMs)} ms`);
    if (w.errors) throw new Error(`${who} failed during warm-up (${w.errors} errors): ${w.firstError}`);
  }
  const summaries: LevelSummary[] = [];
  for (const c of opts.levels) {
    const windows: Record<Contender, Window[]> = { ours: [], baseline: [], control: [], compare: [] };
    for (let r = 0; r < opts.rounds; r++) {
      for (let k = 0; k < ORDER.length; k++) {
        const who = ORDER[(r + k) % ORDER.length]!;
        windows[who].push(await window(targets[who]!.target, targets[who]!.pid, standins, c, opts.windowMs));
      }
    }
    const per = <T>(f: (w: Window[]) => T): Record<Contender, T> => ({
      ours: f(windows.ours),
      baseline: f(windows.baseline),
      control: f(windows.control),
      compare: f(windows.compare),
    });
    const lat = per((ws) => ws.flatMap((w) => w.result.latencies));
    const sumOf = (ws: Window[], f: (w: Window) => number) => ws.reduce((a, w) => a + f(w), 0);
    const byRound = (who: Contender, f: (w: Window) => number, over: Contender = 'baseline') =>
      windows[who].map((w, i) => f(w) / f(windows[over][i]!));
    const s: LevelSummary = {
      concurrency: c,
      rps: per((ws) => sumOf(ws, (w) => w.result.count) / (sumOf(ws, (w) => w.result.elapsedMs) / 1000)),
      p50: per((ws) =>
        percentile(
          ws.flatMap((w) => w.result.latencies),
          50,
        ),
      ),
      p99: per((ws) =>
        percentile(
          ws.flatMap((w) => w.result.latencies),
          99,
        ),
      ),
      cpuMsPerRequest: per(
        (ws) =>
          sumOf(ws, (w) => w.cpuMsPerRequest * w.result.count) /
          Math.max(
            1,
            sumOf(ws, (w) => w.result.count),
          ),
      ),
      otherCpuMsPerRequest: (() => {
        const all = ORDER.flatMap((who) => windows[who]);
        const count = Math.max(
          1,
          sumOf(all, (w) => w.result.count),
        );
        return {
          generator: sumOf(all, (w) => w.generatorCpuMsPerRequest * w.result.count) / count,
          standins: sumOf(all, (w) => w.standinsCpuMsPerRequest * w.result.count) / count,
        };
      })(),
      peopleConnectionsPer1k: per(
        (ws) =>
          (sumOf(ws, (w) => (w.peopleConnectionsPer1k * w.result.count) / 1000) /
            Math.max(
              1,
              sumOf(ws, (w) => w.result.count),
            )) *
          1000,
      ),
      throughputRatio: spread(byRound('ours', (w) => w.rps)),
      controlThroughputRatio: spread(byRound('control', (w) => w.rps)),
      p50Ratio: percentile(lat.ours, 50) / percentile(lat.baseline, 50),
      p99Ratio: percentile(lat.ours, 99) / percentile(lat.baseline, 99),
      p99RatioPerRound: spread(byRound('ours', (w) => percentile(w.result.latencies, 99))),
      controlP99Ratio: percentile(lat.control, 99) / percentile(lat.baseline, 99),
      cpuRatio: spread(byRound('ours', (w) => w.cpuMsPerRequest)),
      controlCpuRatio: spread(byRound('control', (w) => w.cpuMsPerRequest)),
      versusCompare: targets.compare
        ? {
            throughput: spread(byRound('ours', (w) => w.rps, 'compare')),
            cpu: spread(byRound('ours', (w) => w.cpuMsPerRequest, 'compare')),
            p99: percentile(lat.ours, 99) / percentile(lat.compare, 99),
          }
        : undefined,
      errors: per((ws) => sumOf(ws, (w) => w.result.errors)),
      firstError: [...windows.ours, ...windows.baseline, ...windows.control, ...windows.compare].find(
        (w) => w.result.firstError,
      )?.result.firstError,
    };
    summaries.push(s);
    log(
      `  ${c} client(s): ours ${round1(s.rps.ours)} req/s, baseline ${round1(s.rps.baseline)}, control ${round1(s.rps.control)}${targets.compare ? `, compare ${round1(s.rps.compare)}` : ''}; ratio ${ratioText(s.throughputRatio)}, A/A ${ratioText(s.controlThroughputRatio)}`,
    );
    addRows(report, s, opts);
  }
  return summaries;
}

function addRows(report: Report, s: LevelSummary, opts: ThroughputOptions & { compareLabel?: string }): void {
  const section = 'Throughput, latency, CPU (tools/call search_contacts, 2025-11-25 wire, keep-alive, after warm-up)';
  const clients = `${s.concurrency} client${s.concurrency > 1 ? 's' : ''}`;
  const errors = s.errors.ours + s.errors.baseline + s.errors.control + s.errors.compare;
  const errorNote = errors
    ? `errors: ours ${s.errors.ours}, baseline ${s.errors.baseline}, control ${s.errors.control}, compare ${s.errors.compare} (${s.firstError ?? ''})`
    : undefined;
  const noisy = (x: number) => x < 0.9 || x > 1.1;
  report.add({
    section,
    metric: `throughput, ${clients}`,
    value: round1(s.rps.ours),
    unit: 'req/s',
    baseline: round1(s.rps.baseline),
    ratio: ratioText(s.throughputRatio),
    target: `≥ ${opts.minThroughputRatio}×`,
    verdict: s.throughputRatio.median >= opts.minThroughputRatio && s.errors.ours === 0 ? 'met' : 'MISSED',
    note: errorNote,
  });
  report.add({
    section,
    metric: `  A/A control: throughput, ${clients}`,
    value: round1(s.rps.control),
    unit: 'req/s',
    baseline: round1(s.rps.baseline),
    ratio: ratioText(s.controlThroughputRatio),
    target: '≈ 1 (noise)',
    verdict: noisy(s.controlThroughputRatio.median) ? 'NOISY' : 'info',
  });
  report.add({
    section,
    metric: `p50 latency, ${clients}`,
    value: round2(s.p50.ours),
    unit: 'ms',
    baseline: round2(s.p50.baseline),
    ratio: `${s.p50Ratio.toFixed(2)}×`,
    target: '(reported)',
    verdict: 'info',
  });
  report.add({
    section,
    metric: `p99 latency, ${clients}`,
    value: round2(s.p99.ours),
    unit: 'ms',
    baseline: round2(s.p99.baseline),
    ratio: `${s.p99Ratio.toFixed(2)}× (rounds ${s.p99RatioPerRound.min.toFixed(2)}–${s.p99RatioPerRound.max.toFixed(2)})`,
    target: `≤ ${opts.maxP99Ratio}×`,
    verdict: s.p99Ratio <= opts.maxP99Ratio ? 'met' : 'MISSED',
    note: `A/A p99 ${s.controlP99Ratio.toFixed(2)}×`,
  });
  report.add({
    section,
    metric: `CPU per request, ${clients}`,
    value: round2(s.cpuMsPerRequest.ours),
    unit: 'ms',
    baseline: round2(s.cpuMsPerRequest.baseline),
    ratio: ratioText(s.cpuRatio),
    target: '(reported)',
    verdict: 'info',
    note: `A/A ${ratioText(s.controlCpuRatio)}; load generator ${round2(s.otherCpuMsPerRequest.generator)} ms and stand-ins ${round2(s.otherCpuMsPerRequest.standins)} ms per request`,
  });
  if (s.versusCompare) {
    const v = s.versusCompare;
    report.add({
      section,
      metric: `ours vs [${opts.compareLabel ?? 'compare'}], ${clients}`,
      value: round1(s.rps.compare),
      unit: 'req/s',
      ratio: `throughput ${ratioText(v.throughput)}; CPU/req ${ratioText(v.cpu)}; p99 ${v.p99.toFixed(2)}×`,
      target: '(comparison: ours ÷ it)',
      verdict: 'info',
      note: `its CPU/req ${round2(s.cpuMsPerRequest.compare)} ms, p99 ${round2(s.p99.compare)} ms`,
    });
  }
  report.add({
    section,
    metric: `new People API connections per 1000 calls, ${clients}`,
    value: round1(s.peopleConnectionsPer1k.ours),
    unit: '',
    baseline: round1(s.peopleConnectionsPer1k.baseline),
    target: '(reported; 0 = keep-alive reuse)',
    verdict: 'info',
    note: s.versusCompare
      ? `[${opts.compareLabel ?? 'compare'}] ${round1(s.peopleConnectionsPer1k.compare)}; A/A ${round1(s.peopleConnectionsPer1k.control)}`
      : `A/A ${round1(s.peopleConnectionsPer1k.control)}`,
  });
}
