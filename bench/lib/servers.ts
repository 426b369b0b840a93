/**
 * The processes the bench compares, started the way they run for real: the stand-ins (bench/standins.ts),
 * our production entry (`node dist/index.js`), the lean baseline (bench/baseline-mcp.ts) and the Express
 * hello world (bench/hello.mjs).
 */
import {
  STANDIN_ACCESS_TOKEN_SECRET as TEST_SECRET,
  STANDIN_GOOGLE_CLIENT_ID as GOOGLE_CLIENT_ID,
  STANDIN_GOOGLE_CLIENT_SECRET as GOOGLE_CLIENT_SECRET,
} from '../../standins/wiring.js';
import { freePort, start, stop, waitFor, type Child } from './proc.js';

const START_DEADLINE_MS = 60_000;

export interface Standins {
  child: Child;
  google: string;
  people: string;
  control: string;
  /** TCP connections the People stand-in has accepted so far. */
  peopleConnections(): Promise<number>;
  /** A fresh Google access token for the user who signed in last (for the baseline). */
  googleAccessToken(): Promise<string>;
  close(): Promise<void>;
}

export async function startStandins(redirectUris: string[]): Promise<Standins> {
  let announced: ((v: { google: string; people: string; control: string }) => void) | undefined;
  const ready = new Promise<{ google: string; people: string; control: string }>((r) => (announced = r));
  const child = start(process.execPath, ['--import', 'tsx', 'bench/standins.ts'], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', BENCH_STANDINS: JSON.stringify({ redirectUris }) },
    stdinPipe: true,
    onLine: (line) => {
      if (line.startsWith('STANDINS '))
        announced?.(JSON.parse(line.slice('STANDINS '.length)) as { google: string; people: string; control: string });
    },
  });
  const urls = await Promise.race([
    ready,
    child.exited.then(() => {
      throw new Error(`the stand-ins exited during start-up:\n${child.output()}`);
    }),
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`the stand-ins did not start within ${START_DEADLINE_MS} ms:\n${child.output()}`)),
        START_DEADLINE_MS,
      ).unref(),
    ),
  ]);
  const getJson = async <T>(path: string): Promise<T> => (await (await fetch(`${urls.control}${path}`)).json()) as T;
  return {
    child,
    ...urls,
    peopleConnections: async () => (await getJson<{ connections: number }>('/people-connections')).connections,
    async googleAccessToken() {
      const { refreshToken } = await getJson<{ refreshToken: string | null }>('/refresh-token');
      if (!refreshToken) throw new Error('no Google refresh token issued yet: sign in first');
      const res = await fetch(`${urls.google}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: GOOGLE_CLIENT_ID,
          client_secret: GOOGLE_CLIENT_SECRET,
        }),
      });
      const body = (await res.json()) as { access_token?: string };
      if (!body.access_token) throw new Error(`the Google stand-in refused the refresh: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close: () => stop(child),
  };
}

/** The environment our server gets (production mode, warnings only in the log). */
export function ourEnv(opts: {
  port: number;
  baseUrl?: string;
  standins: Standins;
  extra?: Record<string, string>;
}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    PORT: String(opts.port),
    BASE_URL: opts.baseUrl ?? `http://127.0.0.1:${opts.port}`,
    ACCESS_TOKEN_SECRET: TEST_SECRET,
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    GOOGLE_OIDC_ISSUER: opts.standins.google,
    PEOPLE_API_ROOT_URL: opts.standins.people,
    DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'true',
    ALLOWED_DOMAINS: 'example.com,acme.test',
    LOG_LEVEL: 'warn',
    ...opts.extra,
  };
}

/**
 * A build of our server to measure: `dist/` as built now, or another copy (e.g. dist/ from before a change,
 * kept inside the repository so it resolves node_modules) and/or extra environment, for before/after
 * figures measured back to back in the same run.
 */
export interface Variant {
  /** '' for the build under test; otherwise shown in brackets after each figure. */
  label: string;
  dist: string;
  env: Record<string, string>;
}

export const CURRENT: Variant = { label: '', dist: 'dist', env: {} };

/** The comparison variant from `--compare-dist=<dir>` and/or `--compare-env=K=V,K2=V2`, if either is given. */
export function compareVariant(argv: string[]): Variant | undefined {
  const arg = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const dist = arg('compare-dist');
  const envArg = arg('compare-env');
  if (!dist && !envArg) return undefined;
  const env = Object.fromEntries(
    (envArg ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  return { label: [dist, envArg].filter(Boolean).join(' '), dist: dist ?? 'dist', env };
}

export const suffix = (v: Variant): string => (v.label ? ` [${v.label}]` : '');

export interface Server {
  child: Child;
  port: number;
  url: string;
}

async function answered(url: string): Promise<true | undefined> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.ok ? true : undefined;
}

/** `node dist/index.js` (build dist/ first), ready once /health answers. */
export async function startOurs(
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
  variant: Variant = CURRENT,
): Promise<Server> {
  const port = Number(env.PORT);
  const child = start(process.execPath, [...nodeArgs, `${variant.dist}/index.js`], {
    env: { ...env, ...variant.env },
    memoryLimited: true,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'our server',
    () =>
      child.proc.exitCode !== null
        ? Promise.reject(new Error(`exited:\n${child.output()}`))
        : answered(`${url}/health`),
    START_DEADLINE_MS,
    20,
  );
  return { child, port, url };
}

/** The lean baseline, ready once it answers a tools/list. */
export async function startBaseline(
  standins: Standins,
  googleAccessToken: string,
  nodeArgs: string[] = [],
): Promise<Server> {
  const port = await freePort();
  const child = start(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', ...nodeArgs, 'bench/baseline-mcp.ts'],
    {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(port),
        PEOPLE_API_ROOT_URL: standins.people,
        GOOGLE_ACCESS_TOKEN: googleAccessToken,
      },
      memoryLimited: true,
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the baseline server',
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`exited:\n${child.output()}`);
      const res = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      await res.arrayBuffer();
      return res.ok ? true : undefined;
    },
    START_DEADLINE_MS,
    20,
  );
  return { child, port, url };
}
