/**
 * Talks MCP's stdio transport (newline-delimited JSON-RPC) to a child process, as Claude Desktop or
 * Cursor talk to mcp-remote: every request is bounded by a timeout, stderr is kept for diagnosis, and
 * stop() ends the child (SIGTERM, then SIGKILL) so no process outlives its test.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}

export class JsonRpcRequestError extends Error {
  constructor(
    readonly method: string,
    readonly error: JsonRpcError,
  ) {
    super(`${method} failed: ${error.code} ${error.message}`);
    this.name = 'JsonRpcRequestError';
  }
}

export class StdioJsonRpcChild {
  readonly child: ChildProcess;
  readonly stderr: string[] = [];
  /** Lines on stdout that were not JSON-RPC responses (notifications, stray output). */
  readonly otherMessages: unknown[] = [];
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<
    number,
    { method: string; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private exited?: { code: number | null; signal: NodeJS.Signals | null };

  constructor(command: string, args: string[], options: SpawnOptions) {
    this.child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => this.onStdout(d));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (d: string) => {
      this.stderr.push(d);
      if (this.stderr.length > 2000) this.stderr.splice(0, 1000);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(
          new Error(
            `the child exited (code ${code}, signal ${signal}) before answering ${p.method}\n${this.stderrTail()}`,
          ),
        );
        this.pending.delete(id);
      }
    });
  }

  private onStdout(data: string): void {
    this.buffer += data;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      let msg: { id?: unknown; result?: unknown; error?: JsonRpcError; method?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        this.otherMessages.push(line);
        continue;
      }
      const p = typeof msg.id === 'number' && msg.method === undefined ? this.pending.get(msg.id) : undefined;
      if (!p) {
        this.otherMessages.push(msg);
        continue;
      }
      this.pending.delete(msg.id as number);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new JsonRpcRequestError(p.method, msg.error));
      else p.resolve(msg.result);
    }
  }

  stderrTail(lines = 40): string {
    return this.stderr.join('').split('\n').slice(-lines).join('\n');
  }

  request<T = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown> = {},
    timeoutMs = 30_000,
  ): Promise<T> {
    if (this.exited)
      return Promise.reject(new Error(`the child already exited (code ${this.exited.code})\n${this.stderrTail()}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms\n${this.stderrTail()}`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  notify(method: string, params: Record<string, unknown> = {}): void {
    this.child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', method, params })}\n`);
  }

  /** Ends the child: stdin closed and SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exited || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
