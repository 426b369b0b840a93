/**
 * The production build is an esbuild bundle (scripts/build.ts: `npm run build`, the Dockerfile's build stage).
 * These tests build it with the production options into a scratch directory inside the repository (so the
 * packages it leaves external resolve from node_modules, as they do from the image's), then run it the way
 * the image does: the compile-cache warm-up step, then `node index.js`, signed in to through the stand-ins,
 * answering a tool call. They catch what only the bundle can break: a package that reads files next to its
 * own code, a lazily loaded chunk, a name the bundler renamed, an external that the runtime image lacks.
 */
import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin, SourceMap, type SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundle } from '../../scripts/build.js';
import { freeLoopbackPort } from '../../standins/http.js';
import { mcpPost, signIn } from '../../standins/oauth-client.js';
import { standinServerEnv, startStandins, type Standins } from '../../standins/wiring.js';
import { jsonLines } from './entry.js';

const ROOT = process.cwd();
const run = promisify(execFile);

interface PackageJson {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** The package a bare import names (`@scope/name/sub` → `@scope/name`), or undefined for Node's and relative ones. */
function packageOf(path: string): string | undefined {
  if (path.startsWith('node:') || path.startsWith('.') || path.startsWith('/') || isBuiltin(path)) return undefined;
  const parts = path.split('/');
  return path.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

async function waitForHealth(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bundled server exited during start-up:\n${output()}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`the bundled server did not answer /healthz within 30 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the production bundle (npm run build → dist/)', function () {
  this.timeout(120_000);
  const outdir = mkdtempSync(join(ROOT, '.test-dist-'));
  let imports: Array<{ path: string; external?: boolean }> = [];
  let outputs: Record<string, unknown> = {};

  before(async function () {
    const meta = await bundle(outdir);
    outputs = meta.outputs;
    imports = Object.values(meta.outputs).flatMap((o) => o.imports);
  });
  after(() => rmSync(outdir, { recursive: true, force: true }));

  it('leaves external only production dependencies (the runtime image has node_modules from npm ci --omit=dev)', function () {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
    const externals = [...new Set(imports.filter((i) => i.external).flatMap((i) => packageOf(i.path) ?? []))];
    expect(externals, 'the bundle imports some packages at run time').to.not.be.empty;
    expect(externals.filter((p) => !(p in pkg.dependencies))).to.deep.equal([]);
  });

  it('writes next to each chunk a map of our own code that agrees with the full map on every src/ position', function () {
    const maps = Object.keys(outputs).filter((f) => f.endsWith('.js.map'));
    expect(maps, 'source maps').to.not.be.empty;
    let compared = 0;
    for (const mapFile of maps) {
      const fullPayload = JSON.parse(readFileSync(join(ROOT, mapFile), 'utf8')) as SourceMapPayload;
      const own = new SourceMap(
        JSON.parse(readFileSync(join(ROOT, `${mapFile.slice(0, -'.map'.length)}.src.map`), 'utf8')) as SourceMapPayload,
      );
      const full = new SourceMap(fullPayload);
      // Every generated position of the full map: the same answer for our files, none for a package's.
      const lines = fullPayload.mappings.split(';');
      for (let line = 0; line < lines.length; line += 7) {
        const entry = full.findEntry(line, 0);
        // A segment may map generated code to no source at all (esbuild's glue): nothing to compare there.
        if (!('originalSource' in entry) || typeof entry.originalSource !== 'string' || entry.generatedLine !== line)
          continue;
        const mine = own.findEntry(entry.generatedLine, entry.generatedColumn);
        if (entry.originalSource.includes('node_modules/')) {
          expect(
            'originalSource' in mine && mine.generatedLine === line && mine.generatedColumn === entry.generatedColumn,
            `${mapFile}:${line}: a package's position is not in our map`,
          ).to.equal(false);
        } else {
          expect(mine, `${mapFile}:${line}`).to.deep.equal(entry);
          compared++;
        }
      }
    }
    expect(compared, 'positions of our own code compared').to.be.greaterThan(100);
  });

  it('warms the compile cache as the image does (every lazily loaded chunk and external loads)', async function () {
    const cache = mkdtempSync(join(tmpdir(), 'bundle-compile-cache-'));
    try {
      const { stdout } = await run(process.execPath, [join(outdir, 'compile-cache-warmup.js')], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: cache },
        timeout: 60_000,
      });
      expect(stdout).to.match(/compile-cache-warmup: .* filled in \d+ ms/);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  describe('node index.js, on the stand-ins', function () {
    let standins: Standins;
    let child: ChildProcess;
    let output = '';
    let base: string;

    before(async function () {
      const port = await freeLoopbackPort();
      base = `http://127.0.0.1:${port}`;
      standins = await startStandins(base);
      child = spawn(process.execPath, [join(outdir, 'index.js')], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          PORT: String(port),
          ...standinServerEnv(base, standins),
          STORE: 'memory',
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      await waitForHealth(base, child, () => output);
    });
    after(async function () {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await standins?.close();
    });

    it('answers /healthz and the OAuth metadata (oidc-provider, a lazily loaded chunk)', async function () {
      const health = await fetch(`${base}/healthz`);
      expect(health.status).to.equal(200);
      expect(await health.json()).to.deep.equal({ status: 'ok' });
      const metadata = await fetch(`${base}/.well-known/oauth-authorization-server`);
      expect(metadata.status, output).to.equal(200);
      const doc = (await metadata.json()) as { issuer: string; token_endpoint: string };
      expect(doc.issuer).to.equal(base);
      expect(doc.token_endpoint).to.equal(`${base}/token`);
      const prm = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
      expect(((await prm.json()) as { resource: string }).resource).to.equal(`${base}/mcp`);
    });

    it('signs a user in through the stand-in Google and answers their tools/call from the People API', async function () {
      const { tokens } = await signIn(base, { loginHint: 'alice@example.com' });
      const res = await mcpPost(`${base}/mcp`, tokens.access_token, {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'search_contacts', arguments: { query: 'Bob' } },
      });
      expect(res.status, output).to.equal(200);
      const body = await res.text();
      expect(body).to.contain('Bob');
      expect(body).to.not.contain('"isError":true');
      expect(
        jsonLines(output).filter((l) => l.severity === 'ERROR' || l.severity === 'CRITICAL'),
        'no error logged',
      ).to.deep.equal([]);
    });
  });

  it('logs stack traces that point at src/, not at the bundle (mapped when logged, not at start-up)', async function () {
    // A throwaway entry bundled with the production options: an error thrown in src/ is logged.
    const dir = mkdtempSync(join(ROOT, '.test-dist-'));
    try {
      const entry = join(dir, 'log-an-error.ts');
      writeFileSync(
        entry,
        [
          `import { createLogger } from '../src/logging/logger.js';`,
          `import { loadConfig } from '../src/config/config.js';`,
          `try { loadConfig({}); } catch (err) { createLogger({ level: 'info', destination: process.stdout }).error({ err }, 'boom'); }`,
        ].join('\n'),
      );
      await bundle(join(dir, 'out'), { entryPoints: [entry], outbase: dir });
      const { stdout } = await run(process.execPath, [join(dir, 'out', 'log-an-error.js')], { cwd: ROOT });
      const line = jsonLines(stdout).find((l) => l.message === 'boom');
      expect(line, stdout).to.not.equal(undefined);
      const stack = String(line!.stack_trace);
      expect(stack).to.match(/\(src\/config\/config\.ts:\d+:\d+\)/);
      expect(stack, 'no frame left pointing into the bundle').to.not.match(/\.test-dist-[^/]+\/out\/.*\.js:\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
