/**
 * Real server processes for multi-instance tests: `src/index.ts` under tsx with STORE=firestore on an
 * emulator, behind one public URL (a loopback proxy that spreads or steers requests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { FirestoreEmulator } from '../../standins/firestore-emulator.js';
import { closeServer, freeLoopbackPort, listen } from '../../standins/http.js';
import { standinServerEnv, type Standins } from '../../standins/wiring.js';

export interface ServerProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

export async function startServerProcess(opts: {
  name: string;
  port?: number;
  baseUrl: string;
  emulator: FirestoreEmulator;
  standins: Pick<Standins, 'google' | 'people'>;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  const port = opts.port ?? (await freeLoopbackPort());
  const output: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: process.cwd(),
    env: {
      ...opts.emulator.env(),
      PATH: process.env.PATH,
      PORT: String(port),
      ...standinServerEnv(opts.baseUrl, opts.standins),
      STORE: 'firestore',
      GOOGLE_CLOUD_PROJECT: opts.emulator.projectId,
      LOG_LEVEL: 'info',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => {
    output.push(d.toString());
    if (output.length > 2000) output.splice(0, 1000);
  });
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server ${opts.name} exited: ${output.join('')}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // starting
    }
    if (Date.now() > until) throw new Error(`server ${opts.name} did not start: ${output.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name: opts.name,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** One public URL in front of several instances: round-robin, or a chosen one via `pick`. */
export async function startLoadBalancer(
  targets: () => ServerProcess[],
): Promise<{ url: string; server: Server; pick?: number; close(): Promise<void> }> {
  let next = 0;
  const lb: { url: string; server: Server; pick?: number; close(): Promise<void> } = {
    url: '',
    server: createServer(),
    close: async () => closeServer(lb.server),
  };
  // Keep idle client connections longer than the client's own keep-alive (undici: 4 s), so the balancer
  // never closes a socket the client is just reusing (that race shows up as ECONNRESET under load).
  lb.server.keepAliveTimeout = 65_000;
  lb.server.headersTimeout = 66_000;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  lb.server.on('request', (req, res) => {
    const all = targets();
    const target = all[lb.pick ?? next++ % all.length]!;
    const up = httpRequest(
      { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.statusCode = 502;
      res.end();
    });
    req.pipe(up);
  });
  lb.url = `http://127.0.0.1:${await listen(lb.server)}`;
  return lb;
}
