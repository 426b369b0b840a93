/**
 * A small loopback reverse proxy standing in for a front end such as Cloud Run's: it streams the
 * client's request to the server and relays the answer. When the server resets or closes the connection
 * before answering, the client gets a 502, as behind a real proxy, instead of the server's response.
 * Every exchange is recorded so a test can assert on what the client really received.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { closeServer, listen } from '../../standins/http.js';

export interface ProxiedExchange {
  path: string;
  /** What the client received from the proxy. */
  status: number;
  /** Set when the upstream connection failed (reset, closed early) — before or after its answer began. */
  upstreamError?: string;
}

export interface ReportingProxy {
  url: string;
  exchanges: ProxiedExchange[];
  close(): Promise<void>;
}

export async function startReportingProxy(target: string): Promise<ReportingProxy> {
  const upstream = new URL(target);
  const exchanges: ProxiedExchange[] = [];
  const server: Server = createServer((clientReq, clientRes) => {
    const exchange: ProxiedExchange = { path: clientReq.url ?? '', status: 0 };
    exchanges.push(exchange);
    const headers: IncomingHttpHeaders = { ...clientReq.headers, host: upstream.host, connection: 'close' };
    const upstreamReq = request(
      { host: upstream.hostname, port: upstream.port, method: clientReq.method, path: clientReq.url, headers },
      (upstreamRes) => {
        exchange.status = upstreamRes.statusCode ?? 0;
        const relayed = { ...upstreamRes.headers };
        delete relayed.connection;
        clientRes.writeHead(exchange.status, relayed);
        upstreamRes.pipe(clientRes);
        upstreamRes.on('error', (err) => {
          exchange.upstreamError ??= err.message;
          clientRes.destroy();
        });
      },
    );
    upstreamReq.on('error', (err) => {
      exchange.upstreamError ??= (err as NodeJS.ErrnoException).code ?? err.message;
      if (!clientRes.headersSent) {
        exchange.status = 502;
        clientRes.writeHead(502, { 'content-type': 'text/plain' });
        clientRes.end('upstream connect error or disconnect/reset before headers');
      }
    });
    clientReq.pipe(upstreamReq);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () => closeServer(server),
  };
}
