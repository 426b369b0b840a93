/**
 * A closed-loop load generator: `concurrency` clients, each sending its next request as soon as the
 * previous answer is read, over keep-alive connections (one per client, as MCP clients hold them). It
 * uses node:http directly (cheaper per request than fetch), so more of the machine is left to the
 * server being measured.
 */
import { Agent, request } from 'node:http';

export interface Target {
  /** http://127.0.0.1:<port>/mcp */
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Whether an answer counts as a success (status and body checked). */
  ok: (status: number, body: string) => boolean;
}

export interface LoadResult {
  /** Answers received (successes and failures). */
  count: number;
  errors: number;
  /** First failure, for the report. */
  firstError?: string;
  /** Per-request latency, ms. */
  latencies: number[];
  elapsedMs: number;
  /** TCP connections the clients opened to the server (keep-alive working: = concurrency). */
  connections: number;
}

/** A JSON-RPC tools/call on the 2025-11-25 wire (what Claude speaks today). */
export function toolCall(
  url: string,
  token: string | undefined,
  name: string,
  args: Record<string, unknown>,
  expect: string,
): Target {
  return {
    url,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
    ok: (status, body) => status === 200 && body.includes(expect) && !body.includes('"isError":true'),
  };
}

function send(agent: Agent, target: Target, u: URL): Promise<{ status: number; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { ...target.headers, 'content-length': Buffer.byteLength(target.body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            reused: req.reusedSocket,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(target.body);
  });
}

/**
 * Runs until `durationMs` has passed (each client finishes the request it is in) or, with `requests`,
 * until that many were sent. Bounded either way: one of the two must be given.
 */
export async function closedLoop(
  target: Target,
  opts: { concurrency: number; durationMs?: number; requests?: number },
): Promise<LoadResult> {
  if (opts.durationMs === undefined && opts.requests === undefined)
    throw new Error('closedLoop needs durationMs or requests');
  const u = new URL(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency, keepAliveMsecs: 1000 });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let connections = 0;
  let sent = 0;
  const started = performance.now();
  const until = opts.durationMs === undefined ? Number.POSITIVE_INFINITY : started + opts.durationMs;
  const more = () => performance.now() < until && (opts.requests === undefined || sent < opts.requests);
  try {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (more()) {
          sent++;
          const t0 = performance.now();
          try {
            const r = await send(agent, target, u);
            if (!r.reused) connections++;
            if (!target.ok(r.status, r.body)) {
              errors++;
              firstError ??= `HTTP ${r.status}: ${r.body.slice(0, 300)}`;
            }
          } catch (err) {
            errors++;
            connections++;
            firstError ??= (err as Error).message;
          }
          latencies.push(performance.now() - t0);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return {
    count: latencies.length,
    errors,
    firstError,
    latencies,
    elapsedMs: performance.now() - started,
    connections,
  };
}
