/**
 * The official Cloud Firestore emulator for tests, the sandbox (--store firestore) and the bench: started
 * directly with Java (not through the gcloud wrapper, which leaves an orphan Java process when killed) on a
 * free 127.0.0.1 port, stopped by its process group. Call it from a test file's before()/after() and share
 * one emulator per file:
 *
 *   let emu: FirestoreEmulator;
 *   before(async () => { emu = await startFirestoreEmulator(); });
 *   after(async () => { await emu?.stop(); });
 *   const db = emu.client();                  // a Firestore client bound to this emulator
 *
 * The emulator keeps data in memory: `restart()` on the same port loses it unless `{ keepData: true }`,
 * which exports it over the emulator's HTTP API first and imports it on start. If Java or the emulator
 * jar is missing, starting throws with install instructions; tests are never skipped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Firestore, type DocumentData, type Settings } from '@google-cloud/firestore';
import { decodeKey } from '../src/storage/firestore.js';

/** Where Debian's google-cloud-cli-firestore-emulator package puts the jar; FIRESTORE_EMULATOR_JAR overrides. */
export const DEFAULT_FIRESTORE_EMULATOR_JAR =
  '/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar';
const jarPath = () => process.env.FIRESTORE_EMULATOR_JAR || DEFAULT_FIRESTORE_EMULATOR_JAR;
const MAIN_CLASS = 'com.google.cloud.datastore.emulator.firestore.CloudFirestore';
const INSTALL_HINT =
  'Install it with: apt-get install -y google-cloud-cli-firestore-emulator openjdk-17-jre-headless ' +
  '(Google Cloud SDK apt repository), or `gcloud components install cloud-firestore-emulator` plus a Java 17+ runtime. ' +
  'Set FIRESTORE_EMULATOR_JAR if the jar lives elsewhere.';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface FirestoreEmulator {
  /** "127.0.0.1:<port>", the value for FIRESTORE_EMULATOR_HOST. */
  host: string;
  port: number;
  /** A project id unique to this emulator handle (data of other projects is invisible to it). */
  projectId: string;
  /** Milliseconds the last start took until GET / answered "Ok". */
  startupMs: number;
  /** Environment for a child process (server under test) that should use this emulator. */
  env(): Record<string, string>;
  /**
   * A Firestore client bound to this emulator. FIRESTORE_EMULATOR_HOST in this process's environment
   * would override an explicit host, so it is ignored while the client is built.
   */
  client(settings?: Settings): Firestore;
  /** Deletes every document of this projectId (default database). */
  clear(): Promise<void>;
  /**
   * Every document of this projectId's default database, for "nothing stored in plain text" scans:
   * `key` is the store key decoded from the document id (ids of keys with URL characters are base64url).
   */
  documents(): Promise<Array<{ collection: string; id: string; key: string; fields: DocumentData }>>;
  /**
   * Stops the emulator process (and its process group) and waits for it to exit. Idempotent. Clients
   * made by client() are terminated first unless keepClients (to watch them fail while it is down).
   * keepData exports the data first, for the next restart() to load.
   */
  stop(opts?: { keepClients?: boolean; keepData?: boolean }): Promise<void>;
  /**
   * Starts it again on the same port (stopping it first if it runs). The emulator keeps data in memory:
   * it survives with keepData (exported now if running, or what stop({ keepData: true }) saved), or
   * when stop({ keepData: true }) saved it and keepData is not false.
   */
  restart(opts?: { keepData?: boolean }): Promise<void>;
  /**
   * Freezes the process (SIGSTOP): connections are accepted by the kernel but never answered, like a
   * hung backend. thaw() (SIGCONT) resumes it with its data. stop() thaws first.
   */
  /** Resolves once the process is really stopped (signal delivery to a JVM's threads is asynchronous). */
  freeze(): Promise<void>;
  thaw(): void;
  /** Whether the process is running (frozen counts as running). */
  running(): boolean;
}

/** Polls /proc until the process (all its threads) reports state T (stopped); bounded to 5 s. */
export async function waitUntilStopped(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    let stopped = true;
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (state !== 'T' && state !== 't') stopped = false;
      }
    } catch {
      return;
    }
    if (stopped) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Never leave a Java process behind, even when mocha exits with emulators still running.
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function checkInstalled(): void {
  if (!existsSync(jarPath())) {
    throw new Error(`The Cloud Firestore emulator jar is missing (${jarPath()}). ${INSTALL_HINT}`);
  }
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  output: () => string;
}

function spawnEmulator(port: number, extraArgs: string[]): Running {
  const child = spawn(
    'java',
    ['-cp', jarPath(), MAIN_CLASS, 'start', '--host=127.0.0.1', `--port=${port}`, ...extraArgs],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
    child.once('error', () => {
      live.delete(child);
      resolve();
    });
  });
  live.add(child);
  installExitHook();
  return { child, exited, output: () => tail };
}

async function waitReady(port: number, run: Running, spawnError: () => Error | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  void run.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    const err = spawnError();
    if (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(
          `Cannot start the Firestore emulator: \`java\` is not installed or not on PATH. ${INSTALL_HINT}`,
        );
      }
      throw new Error(`Cannot start the Firestore emulator: ${err.message}. ${INSTALL_HINT}`);
    }
    if (exited) {
      throw new Error(`The Firestore emulator exited during start-up on port ${port}. Output:\n${run.output()}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      // "Ok" from another process that took the port (another test run on this machine) does not count.
      if (res.ok && body.trim() === 'Ok' && listenerIsOurs(port, run.child.pid)) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  killGroup(run.child, 'SIGKILL');
  throw new Error(
    `The Firestore emulator did not answer "Ok" on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms. Output:\n${run.output()}`,
  );
}

/**
 * Whether the process listening on the port is `pid` (Linux: the socket inode in /proc/net/tcp{,6} among
 * the process's file descriptors). Where /proc is not readable, assumes it is.
 */
function listenerIsOurs(port: number, pid: number | undefined): boolean {
  if (pid === undefined) return false;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  try {
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!existsSync(table)) continue;
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === '0A') inodes.add(f[9]!);
      }
    }
    if (inodes.size === 0) return false;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return true;
      } catch {
        /* fd closed meanwhile */
      }
    }
    return false;
  } catch {
    return true;
  }
}

async function stopRunning(run: Running): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  killGroup(run.child, 'SIGCONT'); // a frozen process would not act on SIGTERM
  killGroup(run.child, 'SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([run.exited.then(() => 'exited' as const), timer])) === 'timeout') {
    killGroup(run.child, 'SIGKILL');
    await run.exited;
  }
}

async function launch(port: number, extraArgs: string[]): Promise<{ run: Running; startupMs: number }> {
  const t0 = Date.now();
  const run = spawnEmulator(port, extraArgs);
  let spawnErr: Error | undefined;
  run.child.once('error', (e) => {
    spawnErr = e;
  });
  try {
    await waitReady(port, run, () => spawnErr);
  } catch (err) {
    await stopRunning(run);
    throw err;
  }
  return { run, startupMs: Date.now() - t0 };
}

/** Starts the emulator on a given 127.0.0.1 port (for restart-on-the-same-port scenarios). */
export async function startFirestoreEmulatorOnPort(
  port: number,
  opts: { projectId?: string } = {},
): Promise<FirestoreEmulator> {
  checkInstalled();
  const started = await launch(port, []);
  return handle(port, started, opts.projectId ?? `demo-test-${randomBytes(4).toString('hex')}`);
}

/** Starts the emulator on a free 127.0.0.1 port and waits until it answers. */
export async function startFirestoreEmulator(opts: { projectId?: string } = {}): Promise<FirestoreEmulator> {
  checkInstalled();
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const started = await launch(port, []);
      return handle(port, started, opts.projectId ?? `demo-test-${randomBytes(4).toString('hex')}`);
    } catch (err) {
      lastErr = err;
      // A port taken between freePort() and the bind makes the emulator exit; try another one.
      if (!(err instanceof Error) || !/exited during start-up/.test(err.message)) throw err;
    }
  }
  throw lastErr;
}

function handle(port: number, first: { run: Running; startupMs: number }, projectId: string): FirestoreEmulator {
  const host = `127.0.0.1:${port}`;
  let run: Running | undefined = first.run;
  const clients: Firestore[] = [];
  /** Data exported by stop({ keepData: true }) or restart({ keepData: true }), imported by the next start. */
  let saved: { dir: string; metadata: string } | undefined;

  const dropExport = () => {
    if (saved) rmSync(saved.dir, { recursive: true, force: true });
    saved = undefined;
  };
  const exportData = async (): Promise<{ dir: string; metadata: string }> => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-emu-export-'));
    try {
      const res = await fetch(`http://${host}/emulator/v1/projects/${projectId}:export`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ database: `projects/${projectId}/databases/(default)`, export_directory: dir }),
        signal: AbortSignal.timeout(30_000),
      });
      if (!res.ok)
        throw new Error(`exporting the Firestore emulator data failed: HTTP ${res.status} ${await res.text()}`);
      const meta = (readdirSync(dir, { recursive: true }) as string[]).find((f) =>
        f.endsWith('.overall_export_metadata'),
      );
      if (!meta) throw new Error(`the Firestore emulator export wrote no metadata file in ${dir}`);
      return { dir, metadata: join(dir, meta) };
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  };

  const emu: FirestoreEmulator = {
    host,
    port,
    projectId,
    startupMs: first.startupMs,
    env() {
      return { FIRESTORE_EMULATOR_HOST: host, GOOGLE_CLOUD_PROJECT: projectId, METADATA_SERVER_DETECTION: 'none' };
    },
    client(settings: Settings = {}) {
      const saved = process.env.FIRESTORE_EMULATOR_HOST;
      delete process.env.FIRESTORE_EMULATOR_HOST;
      try {
        // universeDomain: without it the client asks Application Default Credentials (a metadata-server lookup).
        const db = new Firestore({
          projectId,
          host,
          ssl: false,
          ignoreUndefinedProperties: true,
          universeDomain: 'googleapis.com',
          ...settings,
        });
        clients.push(db);
        return db;
      } finally {
        if (saved !== undefined) process.env.FIRESTORE_EMULATOR_HOST = saved;
      }
    },
    async clear() {
      const res = await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, {
        method: 'DELETE',
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`clearing the Firestore emulator failed: HTTP ${res.status} ${await res.text()}`);
    },
    async documents() {
      const db = emu.client();
      try {
        const out: Array<{ collection: string; id: string; key: string; fields: DocumentData }> = [];
        for (const col of await db.listCollections()) {
          const snap = await col.get();
          for (const doc of snap.docs)
            out.push({ collection: col.id, id: doc.id, key: decodeKey(doc.id), fields: doc.data() });
        }
        return out;
      } finally {
        clients.splice(clients.indexOf(db), 1);
        await db.terminate();
      }
    },
    async stop(opts: { keepClients?: boolean; keepData?: boolean } = {}) {
      // Terminate our clients first so no gRPC channel keeps reconnecting to a dead port.
      if (!opts.keepClients) await Promise.allSettled(clients.splice(0).map((c) => c.terminate()));
      if (run && opts.keepData) {
        dropExport();
        saved = await exportData();
      }
      if (run) await stopRunning(run);
      run = undefined;
      if (!opts.keepData) dropExport();
    },
    async restart(opts: { keepData?: boolean } = {}) {
      if (run && opts.keepData) {
        dropExport();
        saved = await exportData();
      }
      if (opts.keepData && !saved)
        throw new Error(
          'restart({ keepData: true }) after stop() needs stop({ keepData: true }) to have saved the data',
        );
      const extra = saved && opts.keepData !== false ? [`--import-data=${saved.metadata}`] : [];
      if (run) await stopRunning(run);
      run = undefined;
      try {
        const started = await launch(port, extra);
        run = started.run;
        emu.startupMs = started.startupMs;
      } finally {
        dropExport();
      }
    },
    async freeze() {
      if (!run) throw new Error('the emulator is not running');
      killGroup(run.child, 'SIGSTOP');
      await waitUntilStopped(run.child.pid);
    },
    thaw() {
      if (run) killGroup(run.child, 'SIGCONT');
    },
    running() {
      return run !== undefined && run.child.exitCode === null && run.child.signalCode === null;
    },
  };
  return emu;
}

/**
 * Waits until a store over the emulator answers (bounded: 5 tries). The Firestore client's first call
 * opens its gRPC channel, which on a busy machine can exceed the store's 5 s deadline; a suite that
 * starts with real requests would then see a 503 it is not testing.
 */
export async function warmUpStore(store: { ping(): Promise<void> }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await store.ping();
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}
