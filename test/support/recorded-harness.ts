/**
 * The whole system (startHarness) behind a recording loopback proxy, so a test can assert on what a real,
 * unmodified client actually sent on the wire: its registration body, the authorization request, the
 * token and refresh requests, the MCP headers. The proxy's URL is the public BASE_URL (the issuer, the
 * MCP URL and the Google redirect all name it), so nothing the client sees tells it a proxy is there.
 *
 * Records stay in memory and are never printed whole: bodies hold secrets, codes and tokens.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHarness, type Harness, type HarnessOptions } from './harness.js';
import { closeServer, listen } from '../../standins/http.js';

const MAX_RECORDED_BODY = 256 * 1024;

export interface WireExchange {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The request body as text (truncated at 256 KiB). */
  body: string;
  status: number;
  responseHeaders: IncomingHttpHeaders;
  /** The response body as text (truncated at 256 KiB). */
  responseBody: string;
}

export interface RecordedHarness extends Harness {
  /** Every exchange that went through the public URL, in order of completion. */
  wire: WireExchange[];
}

/** Form-encoded or JSON body as key/values (JSON values kept as they are). */
export function bodyFields(exchange: WireExchange): Record<string, unknown> {
  const type = exchange.headers['content-type'] ?? '';
  if (/json/i.test(type)) return JSON.parse(exchange.body) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(exchange.body));
}

export const registrations = (wire: WireExchange[]) =>
  wire.filter((x) => x.method === 'POST' && x.path === '/register');
export const authorizations = (wire: WireExchange[]) =>
  wire.filter((x) => x.method === 'GET' && x.path === '/authorize');
export const tokenRequests = (wire: WireExchange[], grantType?: string) =>
  wire.filter(
    (x) =>
      x.method === 'POST' &&
      x.path === '/token' &&
      (grantType === undefined || new URLSearchParams(x.body).get('grant_type') === grantType),
  );
export const mcpRequests = (wire: WireExchange[]) => wire.filter((x) => x.path === '/mcp');

/** JSON-RPC method names of a /mcp request body (batch or single). */
export function rpcMethods(exchange: WireExchange): string[] {
  try {
    const parsed: unknown = JSON.parse(exchange.body);
    return (Array.isArray(parsed) ? parsed : [parsed])
      .map((m) => (m as { method?: unknown })?.method)
      .filter((m): m is string => typeof m === 'string');
  } catch {
    return [];
  }
}

/** A header's value for a report line ('-' when absent; repeated headers joined). */
function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '-');
}

/** One line per exchange, without query strings or bodies: safe to print when a test fails. */
export function wireSummary(wire: WireExchange[]): string {
  return wire
    .map(
      (x) =>
        `${x.method} ${x.path}${x.path === '/mcp' ? ` [${rpcMethods(x).join(',')}] v=${header(x.headers, 'mcp-protocol-version')}` : ''} → ${x.status}`,
    )
    .join('\n');
}

export async function startRecordedHarness(opts: HarnessOptions = {}): Promise<RecordedHarness> {
  const wire: WireExchange[] = [];
  let targetPort = 0;
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://proxy.invalid');
      const exchange: WireExchange = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: raw.subarray(0, MAX_RECORDED_BODY).toString('utf8'),
        status: 0,
        responseHeaders: {},
        responseBody: '',
      };
      const up = httpRequest(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          exchange.status = r.statusCode ?? 0;
          exchange.responseHeaders = r.headers;
          res.writeHead(r.statusCode ?? 502, r.headers);
          const out: Buffer[] = [];
          let size = 0;
          r.on('data', (c: Buffer) => {
            if (size < MAX_RECORDED_BODY) out.push(c);
            size += c.length;
            res.write(c);
          });
          r.on('end', () => {
            exchange.responseBody = Buffer.concat(out).subarray(0, MAX_RECORDED_BODY).toString('utf8');
            wire.push(exchange);
            res.end();
          });
          r.on('error', () => res.destroy());
        },
      );
      up.on('error', () => {
        exchange.status = 502;
        wire.push(exchange);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('recording proxy: upstream unreachable');
      });
      up.end(raw);
    });
  });
  const proxyPort = await listen(proxy);
  const publicUrl = `http://127.0.0.1:${proxyPort}`;
  let h: Harness;
  try {
    // BASE_URL names the proxy, so the stand-in Google also redirects there.
    h = await startHarness({ ...opts, env: { ...opts.env, BASE_URL: publicUrl } });
  } catch (err) {
    await closeServer(proxy);
    throw err;
  }
  targetPort = (h.server.address() as AddressInfo).port;
  return {
    ...h,
    baseUrl: publicUrl,
    mcpUrl: h.config.mcpUrl,
    wire,
    async close() {
      await closeServer(proxy);
      await h.close();
    },
  };
}

const SECRET_FIELDS = new Set([
  'client_secret',
  'code',
  'code_verifier',
  'refresh_token',
  'token',
  'access_token',
  'id_token',
  'state',
  'code_challenge',
  'registration_access_token',
]);
const redact = (fields: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? '<redacted>' : v]));

/**
 * What a client sent that matters for compatibility, secrets redacted: registration body, authorization
 * parameters, token requests (grant, scope, resource, how the client authenticated), and per /mcp request
 * its JSON-RPC methods and protocol headers. Printed by the real-client tests with REAL_CLIENTS_WIRE=1;
 * docs/clients.md was written from it.
 */
export function wireReport(wire: WireExchange[]): string {
  const lines: string[] = [];
  for (const x of wire) {
    if (x.method === 'POST' && x.path === '/register')
      lines.push(`register → ${x.status} ${JSON.stringify(redact(bodyFields(x)))}`);
    else if (x.path === '/authorize') lines.push(`authorize ${JSON.stringify(redact(Object.fromEntries(x.query)))}`);
    else if (x.method === 'POST' && x.path === '/token') {
      const auth = x.headers.authorization ? ` auth-header=${x.headers.authorization.split(' ')[0]}` : '';
      lines.push(`token → ${x.status}${auth} ${JSON.stringify(redact(bodyFields(x)))}`);
    } else if (x.path === '/mcp') {
      const h = x.headers;
      lines.push(
        `${x.method} /mcp [${rpcMethods(x).join(',')}] → ${x.status} MCP-Protocol-Version=${header(h, 'mcp-protocol-version')} Mcp-Method=${header(h, 'mcp-method')} Mcp-Session-Id=${h['mcp-session-id'] ? 'yes' : '-'} accept=${header(h, 'accept')}`,
      );
    } else lines.push(`${x.method} ${x.path} → ${x.status}`);
  }
  return lines.join('\n');
}
