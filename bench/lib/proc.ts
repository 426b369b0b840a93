/**
 * Child processes for the bench: start, wait for, stop, and read what the kernel knows about them (CPU
 * time, RSS) from /proc, so a server is measured without adding anything to it.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { underMemoryLimit } from './memory-limit.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Linux clock ticks per second (USER_HZ), the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

export const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * CPU time (user + system, every thread, exited ones included) the process has used so far, in ms, with
 * 10 ms resolution. On a shared machine wall-clock figures follow the neighbours' load; CPU per unit of
 * work barely does.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size in MB (VmRSS). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns a value (not undefined); throws after `deadlineMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  deadlineMs: number,
  everyMs = 5,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `${what}: no answer within ${deadlineMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`,
  );
}

/** Children still running: killed when the bench exits, however it exits (deadline, error, Ctrl-C). */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** performance.now() just before spawn. */
  startedAt: number;
  /** The last 4 kB of its stdout+stderr (for error messages). */
  output: () => string;
  exited: Promise<void>;
}

/** Spawns a process with its output kept (last 4 kB) for diagnostics; never inherits the bench's stdio. */
export function start(
  command: string,
  args: string[],
  options: SpawnOptions & {
    onLine?: (line: string) => void;
    stdinPipe?: boolean;
    /** A server being measured: run it under the production memory limit (lib/memory-limit.ts). */
    memoryLimited?: boolean;
  } = {},
): Child {
  const { onLine, stdinPipe, memoryLimited, ...spawnOptions } = options;
  const limited = memoryLimited ? underMemoryLimit(command, args) : { command, args, cleanup: () => undefined };
  const startedAt = performance.now();
  // A piped stdin closes when the bench dies, however it dies: children that watch it exit too.
  const proc = spawn(limited.command, limited.args, {
    cwd: ROOT,
    ...spawnOptions,
    stdio: [stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let partial = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-4000);
    if (onLine) {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  live.add(proc);
  const exited = new Promise<void>((resolve) => {
    const done = () => {
      live.delete(proc);
      limited.cleanup();
      resolve();
    };
    proc.once('exit', done);
    proc.once('error', done);
  });
  if (proc.pid === undefined) throw new Error(`could not start ${command}`);
  return { proc, pid: proc.pid, startedAt, output: () => tail, exited };
}

/** SIGTERM (the server drains and exits), SIGKILL after `graceMs`. */
export async function stop(child: Child | undefined, graceMs = 10_000): Promise<void> {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = sleep(graceMs).then(() => 'timeout' as const);
  if ((await Promise.race([child.exited.then(() => 'exited' as const), timer])) === 'timeout') {
    child.proc.kill('SIGKILL');
    await child.exited;
  }
}

/** Stops every child given, whatever happens (finally blocks). */
export async function stopAll(children: Array<Child | undefined>): Promise<void> {
  await Promise.allSettled(children.map((c) => stop(c)));
}
