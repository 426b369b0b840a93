/**
 * Size of the production dependencies. Full mode: what the image gets, `npm ci --omit=dev` of
 * package.json + lockfile into a temp dir (from the npm cache where it can), `du -sb node_modules`.
 * Quick mode: the same packages measured in place (`npm ls --omit=dev --all --parseable`, each package
 * directory without its nested node_modules, which are listed separately) — within 0.5 % of the full
 * figure, in seconds instead of tens of seconds.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../lib/proc.js';
import type { Report } from '../lib/report.js';
import { round1 } from '../lib/stats.js';

const MB = 1024 * 1024;

function duBytes(paths: string[]): number {
  if (paths.length === 0) return 0;
  return execFileSync('du', ['-sb', '--exclude=node_modules', ...paths], { maxBuffer: 16 * MB })
    .toString()
    .split('\n')
    .filter(Boolean)
    .reduce((sum, line) => sum + Number(line.split('\t')[0]), 0);
}

function inPlace(): number {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: ROOT,
    maxBuffer: 16 * MB,
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  const paths = [...new Set(out.split('\n').filter((p) => p.includes('/node_modules/')))];
  return duBytes(paths);
}

function cleanInstall(): number {
  const dir = mkdtempSync(join(tmpdir(), 'bench-deps-'));
  try {
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    copyFileSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: dir,
      stdio: 'ignore',
      timeout: 300_000,
    });
    return Number(
      execFileSync('du', ['-sb', join(dir, 'node_modules')])
        .toString()
        .split('\t')[0],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function measureDependencies(report: Report, quick: boolean, maxMb: number): void {
  const mb = (quick ? inPlace() : cleanInstall()) / MB;
  report.add({
    section: 'Footprint',
    metric: `production dependencies (${quick ? 'npm ls --omit=dev, in place' : 'npm ci --omit=dev'})`,
    value: round1(mb),
    unit: 'MB',
    target: `≤ ${maxMb} MB`,
    verdict: mb <= maxMb ? 'met' : 'MISSED',
  });
}
