/**
 * `npm run admin -- <command>`: users, grants --email <e>, revoke --email <e> [--yes], clients,
 * purge-expired [--yes] work against the configured store (STORE=firestore in production); --json for
 * scripts; destructive commands ask for confirmation unless --yes. `doctor <BASE_URL>` checks a running
 * deployment over HTTPS and needs no configuration or credentials at all.
 */
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../config/config.js';
import { resolveSecretReferences } from '../config/secrets.js';
import { KeyRing } from '../security/keys.js';
import { createStore } from '../storage/factory.js';
import type { Store } from '../storage/port.js';
import { GoogleOAuth } from '../upstream/google/oauth.js';
import { GoogleTokenStore } from '../upstream/google/token-store.js';
import { GRANT_TTL } from '../oauth/constants.js';
import { listClients, listGrants, listUsers, purgeExpired, revokeUser } from './commands.js';
import { formatDoctor, runDoctor, type DoctorOptions } from './doctor.js';

export const USAGE = `Usage: npm run admin -- <command> [options]

Commands:
  users                     users with active grants, and when they last used them
  grants --email <email>    a user's grants: client, created, last refreshed, expiry
  revoke --email <email>    end all of a user's grants, revoke their Google token, empty their trash (asks first; --yes skips)
  clients                   registered OAuth clients and when they were last used
  purge-expired             delete expired records now (for stores/emulators without TTL; asks first; --yes skips)
  doctor <BASE_URL>         check a running deployment from here (TLS, /health, OAuth metadata, the 401
                            challenge, registration); needs no configuration; exits 1 if a check fails

Options:
  --json                    machine-readable output
  --yes                     do not ask for confirmation
`;

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  confirm: (question: string) => Promise<boolean>;
}

function table(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '(none)';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown): string => {
    if (v === undefined || v === null) return '-';
    if (Array.isArray(v)) return v.join(' ');
    return typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean | bigint);
  };
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(cols),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n');
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `doctor <BASE_URL>`: needs no store and no configuration. Returns the exit code. */
export async function runDoctorCommand(
  args: string[],
  io: Pick<CliIo, 'out' | 'err'>,
  opts: DoctorOptions = {},
): Promise<number> {
  const target = args.filter((a) => !a.startsWith('--'))[1];
  if (!target) {
    io.err(
      'doctor needs the service address, e.g.: npm run admin -- doctor https://contacts-mcp-123456789012.europe-west1.run.app\n(terraform -chdir=terraform output -raw service_url prints it)',
    );
    return 2;
  }
  const report = await runDoctor(target, opts);
  io.out(args.includes('--json') ? JSON.stringify(report, null, 2) : formatDoctor(report));
  return report.ok ? 0 : 1;
}

/** Runs one command; returns the exit code. */
export async function runAdmin(
  args: string[],
  deps: { store: Store; googleTokens: GoogleTokenStore },
  io: CliIo,
): Promise<number> {
  const [command] = args.filter((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--email');
  const json = args.includes('--json');
  const yes = args.includes('--yes');
  const print = (data: unknown, rows?: Array<Record<string, unknown>>) =>
    io.out(json ? JSON.stringify(data, null, 2) : table(rows ?? (data as Array<Record<string, unknown>>)));
  switch (command) {
    case 'users':
      print(await listUsers(deps.store));
      return 0;
    case 'clients':
      print(await listClients(deps.store));
      return 0;
    case 'grants': {
      const email = option(args, 'email');
      if (!email) {
        io.err('grants needs --email <email>');
        return 2;
      }
      const rows = await listGrants(deps.store, email);
      if (!rows) {
        io.err(`No user ${email} has signed in here.`);
        return 1;
      }
      print(rows);
      return 0;
    }
    case 'revoke': {
      const email = option(args, 'email');
      if (!email) {
        io.err('revoke needs --email <email>');
        return 2;
      }
      if (!yes && !(await io.confirm(`End every grant of ${email} and revoke their Google token? [y/N] `))) {
        io.err('Nothing changed.');
        return 1;
      }
      const result = await revokeUser(deps.store, deps.googleTokens, email);
      if (!result) {
        io.err(`No user ${email} has signed in here.`);
        return 1;
      }
      print(result, [
        {
          email,
          grantsRevoked: result.grants,
          googleTokenRevoked: true,
          deletedContactsRemoved: result.deletedContactsRemoved,
        },
      ]);
      return 0;
    }
    case 'purge-expired': {
      if (!yes && !(await io.confirm('Delete every expired record now? [y/N] '))) {
        io.err('Nothing changed.');
        return 1;
      }
      const n = await purgeExpired(deps.store);
      print({ deleted: n }, [{ deleted: n }]);
      return 0;
    }
    default:
      io.err(command ? `Unknown command "${command}".\n\n${USAGE}` : USAGE);
      return 2;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  if (args[0] === 'doctor') {
    process.exitCode = await runDoctorCommand(args, {
      out: (s) => process.stdout.write(`${s}\n`),
      err: (s) => process.stderr.write(`${s}\n`),
    });
    return;
  }
  const config = loadConfig(await resolveSecretReferences(process.env));
  if (config.store === 'memory') {
    process.stderr.write(
      'Note: STORE=memory — this CLI sees only its own empty in-memory store. Set STORE=firestore and GOOGLE_CLOUD_PROJECT to manage a deployment.\n',
    );
  }
  const store = createStore(config);
  const keys = new KeyRing(config.accessTokenSecrets);
  const google = new GoogleOAuth({
    issuer: config.googleIssuer,
    clientId: config.google.clientId,
    clientSecret: config.google.clientSecret,
    redirectUri: `${config.baseUrl}/oauth/google/callback`,
  });
  const googleTokens = new GoogleTokenStore(store, keys, google, GRANT_TTL);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    process.exitCode = await runAdmin(
      args,
      { store, googleTokens },
      {
        out: (s) => process.stdout.write(`${s}\n`),
        err: (s) => process.stderr.write(`${s}\n`),
        confirm: async (q) => (process.stdin.isTTY ? /^y(es)?$/i.test((await rl.question(q)).trim()) : false),
      },
    );
  } finally {
    rl.close();
    await store.close();
  }
}

if (process.argv[1] && /admin[\\/]cli\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
