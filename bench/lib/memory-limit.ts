/**
 * Cloud Run gives each instance a memory limit (terraform `var.memory`, 512 MiB by default), and Node
 * sizes V8's heap from it (libuv's constrained memory): under 512 MiB the heap limit is ~260 MB, where on
 * this 24 GB machine it is ~4.3 GB — and V8 sizes its young generation from the heap limit, so the idle
 * RSS and the garbage collector's work differ too. To measure in production shape, every server the bench
 * measures (ours, the baseline, the control, the hello world) runs in a memory cgroup of its own with that
 * limit, when this machine lets the bench make one (root, with a cgroup v1 memory controller, or cgroup v2
 * with the memory controller enabled for children). Otherwise the run says so at the top of its report.
 *
 *   --memory-limit=512   the default (Cloud Run's default); --memory-limit=0: no limit
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const arg = process.argv.find((a) => a.startsWith('--memory-limit='))?.slice('--memory-limit='.length);
/** MiB per server; 0: none. */
export const MEMORY_LIMIT_MIB = arg === undefined ? 512 : Number(arg);

interface Setup {
  /** The directory new per-server cgroups go into, and the file that sets their limit. */
  parent?: string;
  limitFile?: string;
  /** Why no limit applies (when parent is undefined). */
  reason?: string;
}

function setUp(): Setup {
  if (!(MEMORY_LIMIT_MIB > 0)) return { reason: 'disabled (--memory-limit=0)' };
  let lines: string[];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  } catch {
    return { reason: 'no /proc/self/cgroup (not Linux?)' };
  }
  const v1 = lines.find((l) => /^\d+:memory:/.test(l));
  const candidates: Array<{ parent: string; limitFile: string }> = [];
  if (v1)
    candidates.push({ parent: join('/sys/fs/cgroup/memory', v1.split(':')[2]!), limitFile: 'memory.limit_in_bytes' });
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (v2) candidates.push({ parent: join('/sys/fs/cgroup', v2.slice(3)), limitFile: 'memory.max' });
  const problems: string[] = [];
  for (const c of candidates) {
    // Probe: make one, set the limit, remove it.
    const probe = join(c.parent, `gcmcp-bench-probe-${process.pid}`);
    try {
      mkdirSync(probe);
      try {
        writeFileSync(join(probe, c.limitFile), String(MEMORY_LIMIT_MIB * 1024 * 1024));
        if (!existsSync(join(probe, 'cgroup.procs'))) throw new Error('no cgroup.procs');
      } finally {
        rmdirSync(probe);
      }
      return c;
    } catch (err) {
      problems.push(`${c.parent}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return { reason: `cannot create a memory cgroup here (${problems.join('; ') || 'no memory controller'})` };
}

const setup = setUp();
let next = 0;

/** One line for the report's header: what memory limit the measured servers ran under. */
export function memoryLimitNote(): string {
  return setup.parent
    ? `servers measured under a ${MEMORY_LIMIT_MIB} MiB memory limit each (Cloud Run's default, terraform var.memory; V8 sizes its heap from it)`
    : `servers measured WITHOUT a memory limit: ${setup.reason} — V8 sizes its heap from this machine's memory, so RSS reads higher than on Cloud Run`;
}

export const memoryLimitApplied = (): boolean => setup.parent !== undefined;

/**
 * The command line that runs `command args` inside a new cgroup with the limit (the shell writes its own
 * pid into the cgroup, then execs the command: same pid, so /proc figures stay the server's), and a
 * cleanup that removes the cgroup once the process has exited. Unchanged when no limit applies.
 */
export function underMemoryLimit(
  command: string,
  args: string[],
): { command: string; args: string[]; cleanup: () => void } {
  if (!setup.parent || !setup.limitFile) return { command, args, cleanup: () => undefined };
  const dir = join(setup.parent, `gcmcp-bench-${process.pid}-${next++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, setup.limitFile), String(MEMORY_LIMIT_MIB * 1024 * 1024));
  return {
    command: '/bin/sh',
    args: ['-c', 'echo $$ > "$0" && exec "$@"', join(dir, 'cgroup.procs'), command, ...args],
    cleanup: () => {
      try {
        rmdirSync(dir);
      } catch {
        // still has a process (it will be gone with the bench's own cgroup) — nothing to do
      }
    },
  };
}
