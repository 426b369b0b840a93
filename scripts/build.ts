/**
 * The production build (`npm run build`, after `tsc --noEmit` has type-checked src/): esbuild bundles the
 * two entry points, src/index.ts (the server) and src/compile-cache-warmup.ts (the image's build step),
 * into ES module chunks in dist/.
 *
 * Why a bundle: a cold start of the unbundled build spent about a quarter of its CPU in Node's module
 * loader, resolving and reading ~1,000 files; the bundle loads a few dozen (bench/README.md, "Changes
 * measured back to back": −20 % to the first tool call).
 *
 * - Code splitting keeps what the server imports lazily lazy: the Firestore store, oidc-provider and the
 *   sign-in code each land in their own chunks, loaded by the `import()` that loaded them before.
 * - EXTERNAL packages stay in node_modules (the image copies production dependencies next to dist/): they
 *   read files next to their own code at run time (proto and JSON descriptors, package.json, worker
 *   scripts), which a bundle would not carry along.
 * - Source maps (without the sources' text, to keep them small): `chunk.js.map` for debuggers and
 *   `npm run bench:profile`, and `chunk.js.src.map`, our own code only, which the server's error logs use
 *   to point stack traces at src/ (src/logging/source-mapped-stack.ts; Node's --enable-source-maps costs a
 *   cold start too much, bench/README.md).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { ownSourceMap, type SourceMapV3 } from './own-source-map.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Packages left in node_modules, and why. A package matched here must be a production dependency (or one of
 * theirs): the runtime image has node_modules from `npm ci --omit=dev` and nothing else.
 */
export const EXTERNAL = [
  // The Google client libraries and their gRPC stack load .proto / .json descriptors and read their own
  // package.json relative to their code.
  '@google-cloud/*',
  'google-gax',
  '@grpc/*',
  'protobufjs',
  'google-auth-library',
  'gaxios',
  'gcp-metadata',
  // pino starts transports (LOG_PRETTY=true: pino-pretty) in a worker whose script thread-stream finds by
  // its own __dirname.
  'pino',
  'pino-pretty',
  'thread-stream',
];

export const ENTRY_POINTS = ['src/index.ts', 'src/compile-cache-warmup.ts'];

export function bundleOptions(outdir: string): BuildOptions & { metafile: true } {
  return {
    absWorkingDir: ROOT,
    entryPoints: ENTRY_POINTS,
    outdir,
    outbase: 'src',
    // dist/ holds the two entry points; the chunks they load go under dist/chunks/.
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    tsconfig: 'tsconfig.build.json',
    external: EXTERNAL,
    sourcemap: 'linked',
    sourcesContent: false,
    // esbuild renames top-level functions and classes whose names collide across modules; keepNames keeps
    // their `.name`, which oidc-provider relies on (a model's constructor name is its stored `kind`, an
    // error class's name its `name`), as do stack traces and profiles.
    keepNames: true,
    metafile: true,
    logLevel: 'warning',
    // Bundled CommonJS packages (Express and its dependencies) call require() for Node's built-in modules,
    // and an ES module has no require: give each chunk one.
    banner: {
      js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);",
    },
  };
}

/**
 * Bundles into `outdir` (emptied first), and writes next to each chunk's source map the map of our own
 * code the server's error logs use (own-source-map.ts). Returns esbuild's metafile (which inputs went where).
 */
export async function bundle(outdir: string, overrides: Partial<BuildOptions> = {}): Promise<Metafile> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({ ...bundleOptions(outdir), ...overrides, metafile: true });
  for (const output of Object.keys(result.metafile.outputs)) {
    if (!output.endsWith('.js.map')) continue;
    const file = join(ROOT, output);
    const full = JSON.parse(readFileSync(file, 'utf8')) as SourceMapV3;
    const own = ownSourceMap(full, (source) => !source.includes('node_modules/'));
    writeFileSync(`${file.slice(0, -'.map'.length)}.src.map`, JSON.stringify(own));
  }
  return result.metafile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outdir = join(ROOT, process.argv[2] ?? 'dist');
  const started = Date.now();
  const meta = await bundle(outdir);
  const chunks = Object.keys(meta.outputs).filter((f) => f.endsWith('.js'));
  process.stdout.write(
    `bundled ${Object.keys(meta.inputs).length} files into ${chunks.length} chunks in ${outdir} (${Date.now() - started} ms)\n`,
  );
}
