/**
 * Store operations as Firestore bills them (CountingStore around the memory store, in-process harness):
 * per steady-state tool call (the target: 0), per full sign-in and per refresh.
 */
import { measureStoreOps } from '../store-ops.js';
import type { Report } from '../lib/report.js';

export async function measureStoreOperations(report: Report, calls: number): Promise<void> {
  const ops = await measureStoreOps(calls);
  const total = (c: { reads: number; writes: number }) => c.reads + c.writes;
  const section = 'Store operations';
  report.add({
    section,
    metric: 'store operations per steady tool call',
    value: total(ops.steady) / calls,
    unit: 'ops',
    target: '0',
    verdict: total(ops.steady) === 0 ? 'met' : 'MISSED',
    note: `${ops.steady.reads} reads, ${ops.steady.writes} writes over ${calls} calls`,
  });
  // Targets of an earlier issue, kept so a regression shows.
  report.add({
    section,
    metric: 'store operations per full sign-in',
    value: total(ops.signIn),
    unit: 'ops',
    target: '≤ 12 (earlier issue)',
    verdict: total(ops.signIn) <= 12 ? 'met' : 'MISSED',
    note: `${ops.signIn.reads} reads, ${ops.signIn.writes} writes`,
  });
  report.add({
    section,
    metric: 'store operations per refresh',
    value: total(ops.refresh),
    unit: 'ops',
    target: '≤ 4 (earlier issue)',
    verdict: total(ops.refresh) <= 4 ? 'met' : 'MISSED',
    note: `${ops.refresh.reads} reads, ${ops.refresh.writes} writes`,
  });
}
