/**
 * Installs a headless "browser" for real MCP clients that open the authorization URL themselves
 * (mcp-remote, MCP Inspector CLI: the `open` package → xdg-open → $BROWSER). Writes a small launcher
 * script into a temp dir that runs headless-browser-main.ts under this Node and tsx, and reads back
 * what each visit did.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import type { BrowserVisit, HeadlessBrowserConfig } from './headless-browser-main.js';

export type { BrowserVisit } from './headless-browser-main.js';

export interface HeadlessBrowser {
  /** Executable to put in $BROWSER. */
  command: string;
  /** A temp dir owned by this browser (clients may keep their own state under it too). */
  dir: string;
  /** process.env with $BROWSER set and every desktop hint removed, so xdg-open uses $BROWSER. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  visits(): BrowserVisit[];
  /** Deletes the temp dir (and whatever client state was kept under it). */
  remove(): void;
}

const MAIN = fileURLToPath(new URL('./headless-browser-main.ts', import.meta.url));
const DESKTOP_HINTS = [
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'XDG_CURRENT_DESKTOP',
  'DESKTOP_SESSION',
  'KDE_FULL_SESSION',
  'GNOME_DESKTOP_SESSION_ID',
  'XDG_SESSION_DESKTOP',
];

export function createHeadlessBrowser(opts: {
  webOrigins: string[];
  decision?: 'approve' | 'deny';
  timeoutMs?: number;
}): HeadlessBrowser {
  const dir = mkdtempSync(join(tmpdir(), 'headless-browser-'));
  const logFile = join(dir, 'visits.jsonl');
  const configFile = join(dir, 'config.json');
  const config: HeadlessBrowserConfig = {
    webOrigins: opts.webOrigins,
    logFile,
    decision: opts.decision ?? 'approve',
    timeoutMs: opts.timeoutMs ?? 30_000,
  };
  writeFileSync(configFile, JSON.stringify(config));
  // tsx's only export is its ESM loader (what `--import tsx` loads); resolved here so the launcher works from any cwd.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const command = join(dir, 'browser');
  writeFileSync(command, `#!/bin/sh\nexec "${process.execPath}" --import "${tsx}" "${MAIN}" "${configFile}" "$@"\n`, {
    mode: 0o755,
  });
  const visits = (): BrowserVisit[] =>
    existsSync(logFile)
      ? readFileSync(logFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as BrowserVisit)
      : [];
  return {
    command,
    dir,
    env(extra = {}) {
      const env: NodeJS.ProcessEnv = { ...process.env, BROWSER: command, ...extra };
      for (const k of DESKTOP_HINTS) delete env[k];
      return env;
    },
    visits,
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
