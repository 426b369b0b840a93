/**
 * Takes a CPU profile of a running child process through its inspector (the child was started with
 * `--inspect=127.0.0.1:0`): only the window the bench chooses is sampled, not start-up or warm-up.
 */
import type { Child } from './proc.js';
import { waitFor } from './proc.js';
import type { CpuProfile } from './cpu-profile.js';

const INSPECTOR_URL = /Debugger listening on (ws:\/\/\S+)/;

export class InspectorSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message));
      else p?.resolve(msg.result);
    });
  }

  /** Connects to the child's inspector (its URL is printed on stderr at start). */
  static async attach(child: Child): Promise<InspectorSession> {
    const url = await waitFor('the inspector URL', async () => INSPECTOR_URL.exec(child.output())?.[1], 30_000, 20);
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${url}`)), {
        once: true,
      });
    });
    return new InspectorSession(ws);
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Samples the process every `intervalUs` while `work` runs. */
  async profile(work: () => Promise<void>, intervalUs = 200): Promise<CpuProfile> {
    await this.send('Profiler.enable');
    await this.send('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.send('Profiler.start');
    let failure: unknown;
    try {
      await work();
    } catch (err) {
      failure = err;
    }
    const { profile } = await this.send<{ profile: CpuProfile }>('Profiler.stop');
    await this.send('Profiler.disable');
    if (failure) throw failure instanceof Error ? failure : new Error('the CPU profiler failed', { cause: failure });
    return profile;
  }

  close(): void {
    this.ws.close();
  }
}
