/**
 * The bundling experiment behind bench/README.md's cold-start figures, reproducible:
 *
 *   npm run build && npx tsx bench/bundle.ts      → .bench-dist-bundle/ (ignored by git)
 *   npm run bench -- --only=cold-start --compare-dist=.bench-dist-bundle
 *
 * Bundles dist/index.js and dist/compile-cache-warmup.js with esbuild into ESM chunks (code splitting keeps
 * the lazily imported modules lazy), leaving the Google client libraries (which read proto and JSON files
 * next to their code) and oidc-provider (loaded on the first OAuth request) as packages. What it saves is
 * Node's module resolution and loading of ~1,000 files. Not the production build: adopting it means a
 * build step in package.json and the Dockerfile, and a smoke test of the bundled server.
 *
 * esbuild is the one tsx already installs (a dev dependency's dependency).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/proc.js';

const OUT = join(ROOT, '.bench-dist-bundle');

/** Packages that must stay packages: they load files relative to their own code, or are loaded lazily. */
export const EXTERNAL = [
  '@google-cloud/*',
  'google-gax',
  '@grpc/*',
  'protobufjs',
  '@googleapis/people',
  'googleapis-common',
  'google-auth-library',
  'gaxios',
  'oidc-provider',
  'pino-pretty',
];

const { build } = await import('esbuild').catch(() => {
  throw new Error('esbuild is not installed (it comes with tsx: run npm ci)');
});
rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: [join(ROOT, 'dist/index.js'), join(ROOT, 'dist/compile-cache-warmup.js')],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: EXTERNAL,
  logLevel: 'warning',
  // Bundled CommonJS code calls require(); in an ES module it has to be made.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
process.stdout.write(`bundled into ${OUT}\n`);
