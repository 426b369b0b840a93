/**
 * The production entry (`src/index.ts`, under tsx) as a child process with a memory store, for tests of
 * what only a real process shows: exit codes, signals, the lines it writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freeLoopbackPort } from '../../standins/http.js';
import { standinServerEnv } from '../../standins/wiring.js';

export interface EntryProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  output: () => string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

export function loopbackEnv(port: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    PORT: String(port),
    ...standinServerEnv(`http://127.0.0.1:${port}`),
    STORE: 'memory',
    LOG_LEVEL: 'info',
  };
}

/** Spawns the entry with exactly `env` (nothing inherited but what it lists). */
export function spawnEntry(env: Record<string, string>, port = Number(env.PORT ?? 0)): EntryProcess {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: process.cwd(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, port, baseUrl: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** Starts the entry on a free port and waits (bounded) until /health answers. */
export async function startEntry(extraEnv: Record<string, string> = {}): Promise<EntryProcess> {
  const port = await freeLoopbackPort();
  const entry = spawnEntry({ ...loopbackEnv(port), ...extraEnv }, port);
  const until = Date.now() + 30_000;
  for (;;) {
    if (entry.child.exitCode !== null) throw new Error(`the server exited during start-up: ${entry.output()}`);
    try {
      if ((await fetch(`${entry.baseUrl}/health`)).ok) return entry;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      entry.child.kill('SIGKILL');
      throw new Error(`the server did not answer /health within 30 s: ${entry.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** JSON log lines the process wrote (other lines ignored). */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}
