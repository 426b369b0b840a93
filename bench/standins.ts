/**
 * The Google and People API stand-ins, in a process of their own for the bench (started by run.ts and
 * profile.ts with `node --import tsx`): the servers being compared and the load generator then each
 * have their own event loop, and the People stand-in answers as promptly for one server as for the
 * other.
 *
 * Input: BENCH_STANDINS = JSON `{ "redirectUris": ["http://127.0.0.1:<port>/oauth/google/callback", …] }`
 * (the stand-in Google only accepts redirect URIs registered up front).
 * Output: one stdout line `STANDINS {"google":…,"people":…,"control":…}` once listening.
 * Control (loopback, bench only):
 *   GET /refresh-token        the last Google refresh token issued (to give the baseline a Google access token)
 *   GET /people-connections   TCP connections the People stand-in has accepted so far (keep-alive check)
 * Exits on SIGTERM or when its parent goes away (stdin closes).
 */
import diagnostics from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startGoogleStandin } from '../standins/google.js';
import { startPeopleStandin } from '../standins/people.js';
import {
  STANDIN_GOOGLE_CLIENT_ID as GOOGLE_CLIENT_ID,
  STANDIN_GOOGLE_CLIENT_SECRET as GOOGLE_CLIENT_SECRET,
} from '../standins/wiring.js';

/** The stand-in records every request for tests; the bench sends hundreds of thousands. */
const TRIM_RECORDS_EVERY_MS = 1000;

const { redirectUris } = JSON.parse(process.env.BENCH_STANDINS ?? '{"redirectUris":[]}') as { redirectUris: string[] };
const google = await startGoogleStandin({
  clients: [{ client_id: GOOGLE_CLIENT_ID, client_secret: GOOGLE_CLIENT_SECRET, redirect_uris: redirectUris }],
});
const people = await startPeopleStandin({
  verifyToken: (t) => google.verifyAccessToken(t),
  users: google.users.filter((u) => u.emailVerified),
});

// Every TCP connection the People stand-in accepts (Node publishes accepted sockets on this channel).
let peopleConnections = 0;
diagnostics.subscribe('net.server.socket', (message) => {
  const socket = (message as { socket?: Socket }).socket;
  if (socket?.localPort === people.port) peopleConnections++;
});

const trim = setInterval(() => {
  people.requests.splice(0, people.requests.length);
}, TRIM_RECORDS_EVERY_MS);

const control: Server = createServer((req, res) => {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/refresh-token') return send(200, { refreshToken: google.issuedRefreshTokens.at(-1) ?? null });
  if (req.url === '/people-connections') return send(200, { connections: peopleConnections });
  send(404, { error: 'not_found' });
});
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', () => resolve()));

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  clearInterval(trim);
  control.closeAllConnections();
  control.close();
  await Promise.allSettled([people.close(), google.close()]);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
process.stdin.on('end', () => void shutdown());
process.stdin.resume();

process.stdout.write(
  `STANDINS ${JSON.stringify({ google: google.url, people: people.url, control: `http://127.0.0.1:${(control.address() as AddressInfo).port}` })}\n`,
);
