// Offline checks that the build pipelines (cloudbuild.yaml and .github/workflows) can run on real Cloud
// Build and GitHub Actions: every image pinned by digest and not pulled anonymously from Docker Hub, every
// action pinned by commit, and a Firestore emulator whose Java matches it, the same in both pipelines.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDockerfile, readRepoFile, repoRoot } from './helpers.js';

/**
 * Google Cloud CLI release notes, 523.0.0 (2025-05-20): the Firestore emulator no longer runs on Java
 * versions before 21. Earlier emulators ran on Java 11 or later.
 */
const JAVA_FOR_EMULATOR = [
  { fromGcloud: 523, java: 21 },
  { fromGcloud: 0, java: 11 },
];
/** Where Google's emulators images install the emulator (gcloud's own tree, not Debian's package). */
const EMULATORS_IMAGE_JAR = '/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar';
const EMULATORS_IMAGE =
  /^gcr\.io\/google\.com\/cloudsdktool\/google-cloud-cli:(\d+)\.(\d+)\.(\d+)-emulators@sha256:[0-9a-f]{64}$/;
/** Registries that are not Docker Hub (anonymous Docker Hub pulls are rate limited). */
const NOT_DOCKER_HUB = /^(mirror\.gcr\.io|gcr\.io|[a-z0-9-]+\.gcr\.io|[a-z0-9-]+-docker\.pkg\.dev)\//;
const PINNED_IMAGE = /^[^@\s]+:[\w.-]+@sha256:[0-9a-f]{64}$|^[^@:\s]+@sha256:[0-9a-f]{64}$/;

/** What a pipeline's test environment is made of. */
export interface TestEnvironment {
  where: string;
  image?: string;
  aptPackages: string[];
  env: Record<string, string>;
  actions: string[];
}

export function requiredJava(gcloudMajor: number): number {
  return JAVA_FOR_EMULATOR.find((r) => gcloudMajor >= r.fromGcloud)!.java;
}

function aptPackages(text: string): string[] {
  const packages = new Set<string>();
  for (const match of text.matchAll(/apt-get install ([^\n]+)/g)) {
    for (const token of match[1]!.split(/\s+/)) if (token && !token.startsWith('-')) packages.add(token);
  }
  return [...packages].sort();
}

/** Problems with the Firestore emulator / Java pairing of one test environment. */
export function emulatorPairingProblems(t: TestEnvironment): string[] {
  const problems: string[] = [];
  const javaPackages = t.aptPackages.filter((p) => /^openjdk-\d+|^temurin-\d+/.test(p));
  const emulatorPackages = t.aptPackages.filter(
    (p) => p.startsWith('google-cloud-cli-firestore-emulator') || p.startsWith('google-cloud-sdk-firestore-emulator'),
  );
  const setupJava = t.actions.filter((a) => a.startsWith('actions/setup-java@'));
  if (t.image && /google-cloud-cli:.*emulators/.test(t.image)) {
    if (!EMULATORS_IMAGE.test(t.image)) {
      problems.push(
        `${t.where}: ${t.image}: pin Google's emulators image to an exact version and its digest (google-cloud-cli:X.Y.Z-emulators@sha256:…); a moving tag brings a new emulator and Java at any time`,
      );
    }
    if (javaPackages.length || setupJava.length)
      problems.push(
        `${t.where}: installs another Java (${[...javaPackages, ...setupJava].join(', ')}) next to the one the emulators image pairs with its emulator`,
      );
    if (emulatorPackages.length)
      problems.push(
        `${t.where}: installs another Firestore emulator (${emulatorPackages.join(', ')}) next to the image's own`,
      );
    if (t.env.FIRESTORE_EMULATOR_JAR !== EMULATORS_IMAGE_JAR)
      problems.push(
        `${t.where}: FIRESTORE_EMULATOR_JAR must be ${EMULATORS_IMAGE_JAR} (the image's emulator), got ${t.env.FIRESTORE_EMULATOR_JAR ?? 'nothing'}`,
      );
    return problems;
  }
  // Otherwise the emulator comes from Google's apt repository: its version must be pinned, and a Java at
  // least as new as it requires must be installed with it.
  if (emulatorPackages.length === 0)
    return [
      `${t.where}: no Firestore emulator (use Google's google-cloud-cli:X.Y.Z-emulators image, or install a pinned google-cloud-cli-firestore-emulator)`,
    ];
  for (const p of emulatorPackages) {
    const version = /=(\d+)\.\d+\.\d+-\d+$/.exec(p);
    if (!version) {
      problems.push(
        `${t.where}: ${p} is not pinned (google-cloud-cli-firestore-emulator=X.Y.Z-0): the latest emulator may need a newer Java`,
      );
      continue;
    }
    const needed = requiredJava(Number(version[1]));
    const javas = javaPackages.map((j) => Number(/^(?:openjdk|temurin)-(\d+)/.exec(j)![1]));
    if (javas.length === 0) problems.push(`${t.where}: ${p} needs Java ${needed}, and no Java is installed`);
    else if (Math.max(...javas) < needed)
      problems.push(
        `${t.where}: ${p} needs Java ${needed} or later (gcloud release notes 523.0.0), but ${javaPackages.join(', ')} is installed`,
      );
  }
  return problems;
}

/** Problems when the two pipelines test in different environments. */
export function pairingConsistencyProblems(a: TestEnvironment, b: TestEnvironment): string[] {
  const problems: string[] = [];
  if (a.image !== b.image) problems.push(`test image: ${a.where} uses ${a.image}, ${b.where} uses ${b.image}`);
  if (a.aptPackages.join(' ') !== b.aptPackages.join(' '))
    problems.push(
      `apt packages: ${a.where} installs ${a.aptPackages.join(' ')}, ${b.where} installs ${b.aptPackages.join(' ')}`,
    );
  if (a.env.FIRESTORE_EMULATOR_JAR !== b.env.FIRESTORE_EMULATOR_JAR)
    problems.push(
      `FIRESTORE_EMULATOR_JAR: ${a.where} ${a.env.FIRESTORE_EMULATOR_JAR}, ${b.where} ${b.env.FIRESTORE_EMULATOR_JAR}`,
    );
  return problems;
}

interface CloudBuildStep {
  id?: string;
  name?: string;
  script?: string;
  args?: string[];
  env?: string[];
}
interface Workflow {
  jobs: Record<
    string,
    {
      container?: string | { image?: string };
      env?: Record<string, string>;
      steps: { uses?: string; run?: string; with?: Record<string, unknown> }[];
    }
  >;
}

function cloudbuildTestEnvironment(text: string): TestEnvironment {
  const steps = (parseYaml(text) as { steps: CloudBuildStep[] }).steps;
  const test = steps.find((s) => s.id === 'test');
  if (!test) throw new Error('cloudbuild.yaml: no step with id "test"');
  const env = Object.fromEntries(
    (test.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
  return { where: 'cloudbuild.yaml', image: test.name, aptPackages: aptPackages(test.script ?? ''), env, actions: [] };
}

function workflowTestEnvironment(text: string, file: string): TestEnvironment {
  const workflow = parseYaml(text) as Workflow;
  const job = Object.values(workflow.jobs).find((j) => j.steps.some((s) => /\bnpm test\b/.test(s.run ?? '')));
  if (!job) throw new Error(`${file}: no job runs npm test`);
  return {
    where: file,
    image: typeof job.container === 'string' ? job.container : job.container?.image,
    aptPackages: aptPackages(job.steps.map((s) => s.run ?? '').join('\n')),
    env: job.env ?? {},
    actions: job.steps.flatMap((s) => (s.uses ? [s.uses] : [])),
  };
}

const workflowFiles = () =>
  readdirSync(join(repoRoot, '.github', 'workflows'))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `.github/workflows/${f}`);

describe('deploy: build pipelines run on real Cloud Build and GitHub Actions', function () {
  const cloudbuildText = readRepoFile('cloudbuild.yaml');
  const cloudbuild = parseYaml(cloudbuildText) as { steps: CloudBuildStep[] };
  const ciText = readRepoFile('.github/workflows/ci.yml');

  describe('Firestore emulator and Java', function () {
    it('cloudbuild.yaml: a pinned emulator with the Java it needs', function () {
      expect(emulatorPairingProblems(cloudbuildTestEnvironment(cloudbuildText))).to.deep.equal([]);
    });

    it('.github/workflows: a pinned emulator with the Java it needs, in every job that runs the tests', function () {
      for (const file of workflowFiles()) {
        const text = readRepoFile(file);
        if (!/\bnpm test\b/.test(text)) continue;
        expect(emulatorPairingProblems(workflowTestEnvironment(text, file))).to.deep.equal([]);
      }
    });

    it('both pipelines test in the same environment (image and digest, apt packages, emulator jar)', function () {
      const problems = pairingConsistencyProblems(
        cloudbuildTestEnvironment(cloudbuildText),
        workflowTestEnvironment(ciText, '.github/workflows/ci.yml'),
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
    });

    it('both install Chromium (browser tests) and openssl (TLS tests) there', function () {
      expect(cloudbuildTestEnvironment(cloudbuildText).aptPackages).to.include.members(['chromium', 'openssl']);
    });

    describe('the checker itself', function () {
      const good = cloudbuildTestEnvironment(cloudbuildText);
      const apt = (packages: string[]): TestEnvironment => ({
        where: 'x',
        image: 'mirror.gcr.io/library/node:24.21.0-bookworm@sha256:' + 'a'.repeat(64),
        aptPackages: packages,
        env: {},
        actions: [],
      });
      const cases: { name: string; env: TestEnvironment; problem: RegExp }[] = [
        {
          name: 'the latest emulator from apt with Java 17 (what broke every deploy)',
          env: apt(['openjdk-17-jdk', 'google-cloud-cli-firestore-emulator', 'chromium']),
          problem: /is not pinned/,
        },
        {
          name: 'a pinned emulator of gcloud ≥ 523 with Java 17',
          env: apt(['openjdk-17-jdk', 'google-cloud-cli-firestore-emulator=528.0.0-0']),
          problem: /needs Java 21 or later/,
        },
        {
          name: 'a pinned emulator without any Java',
          env: apt(['google-cloud-cli-firestore-emulator=528.0.0-0']),
          problem: /no Java is installed/,
        },
        { name: 'no emulator at all', env: apt(['chromium']), problem: /no Firestore emulator/ },
        {
          name: 'the floating emulators tag',
          env: { ...good, image: 'gcr.io/google.com/cloudsdktool/google-cloud-cli:emulators' },
          problem: /exact version and its digest/,
        },
        {
          name: 'an exact emulators tag without a digest',
          env: { ...good, image: 'gcr.io/google.com/cloudsdktool/google-cloud-cli:577.0.0-emulators' },
          problem: /exact version and its digest/,
        },
        {
          name: "a second Java next to the image's",
          env: { ...good, aptPackages: [...good.aptPackages, 'openjdk-17-jdk'] },
          problem: /another Java/,
        },
        {
          name: "setup-java next to the image's Java",
          env: { ...good, actions: ['actions/setup-java@' + 'b'.repeat(40)] },
          problem: /another Java/,
        },
        {
          name: "a second emulator next to the image's",
          env: { ...good, aptPackages: [...good.aptPackages, 'google-cloud-cli-firestore-emulator'] },
          problem: /another Firestore emulator/,
        },
        {
          name: 'the tests pointed at another emulator jar',
          env: { ...good, env: {} },
          problem: /FIRESTORE_EMULATOR_JAR must be/,
        },
      ];
      for (const c of cases) {
        it(`rejects ${c.name}`, function () {
          expect(emulatorPairingProblems(c.env).join('\n')).to.match(c.problem);
        });
      }
      it('accepts a pinned emulator from apt with a new enough Java (the alternative pairing)', function () {
        expect(
          emulatorPairingProblems(apt(['openjdk-21-jdk-headless', 'google-cloud-cli-firestore-emulator=528.0.0-0'])),
        ).to.deep.equal([]);
        expect(
          emulatorPairingProblems(apt(['openjdk-17-jdk', 'google-cloud-cli-firestore-emulator=522.0.0-0'])),
        ).to.deep.equal([]);
      });
      it('rejects pipelines that test in different environments', function () {
        const other = {
          ...good,
          where: 'ci.yml',
          image: good.image!.replace(/@sha256:[0-9a-f]{64}/, `@sha256:${'c'.repeat(64)}`),
        };
        expect(pairingConsistencyProblems(good, other).join('\n')).to.match(/test image/);
        expect(pairingConsistencyProblems(good, { ...good, aptPackages: ['chromium'] }).join('\n')).to.match(
          /apt packages/,
        );
      });
    });
  });

  describe('pins', function () {
    it('every Cloud Build step image is pinned by digest and none is pulled from Docker Hub', function () {
      for (const step of cloudbuild.steps) {
        expect(step.name, `${step.id}: pinned by digest`).to.match(PINNED_IMAGE);
        expect(step.name, `${step.id}: not anonymous Docker Hub (use mirror.gcr.io/…)`).to.match(NOT_DOCKER_HUB);
      }
    });

    it('every GitHub Actions container image is pinned by digest, and every action by a full commit SHA', function () {
      for (const file of workflowFiles()) {
        const workflow = parseYaml(readRepoFile(file)) as Workflow;
        for (const [name, job] of Object.entries(workflow.jobs)) {
          const image = typeof job.container === 'string' ? job.container : job.container?.image;
          if (image) {
            expect(image, `${file} ${name}: container`).to.match(PINNED_IMAGE);
            expect(image, `${file} ${name}: container not from Docker Hub`).to.match(NOT_DOCKER_HUB);
          }
          for (const step of job.steps) {
            if (step.uses && !step.uses.startsWith('./'))
              expect(step.uses, `${file} ${name}`).to.match(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
          }
        }
      }
    });

    it('the Dockerfile base image is pinned by digest, through mirror.gcr.io', function () {
      for (const stage of parseDockerfile(readRepoFile('Dockerfile')).stages) {
        expect(stage.from).to.match(PINNED_IMAGE);
        expect(stage.from).to.match(NOT_DOCKER_HUB);
      }
    });

    it('the tests run on the Node of the runtime image: same image in Cloud Build, same version in GitHub Actions', function () {
      const { globalArgs } = parseDockerfile(readRepoFile('Dockerfile'));
      const nodeImage = globalArgs.NODE_IMAGE!;
      const version = /:(\d+\.\d+\.\d+)-/.exec(nodeImage)?.[1];
      expect(version, 'NODE_IMAGE names an exact Node version').to.be.a('string');
      expect(cloudbuild.steps.find((s) => s.id === 'node-binary')?.name, 'cloudbuild.yaml node-binary step').to.equal(
        nodeImage,
      );
      expect(cloudbuild.steps.map((s) => s.id).indexOf('node-binary')).to.be.below(
        cloudbuild.steps.map((s) => s.id).indexOf('test'),
      );
      expect(cloudbuild.steps.find((s) => s.id === 'test')?.script).to.contain('cp -a .ci-node/. /usr/local/');
      const setupNode = Object.values((parseYaml(ciText) as Workflow).jobs)
        .flatMap((j) => j.steps)
        .find((s) => s.uses?.startsWith('actions/setup-node@'));
      expect(String(setupNode?.with?.['node-version']), 'ci.yml setup-node').to.equal(version);
    });

    it('Terraform comes from one checksummed script, run by both pipelines', function () {
      const script = readRepoFile('.ci/install-terraform.sh');
      expect(script).to.match(/^TERRAFORM_VERSION=\d+\.\d+\.\d+$/m);
      expect(script).to.match(/^TERRAFORM_SHA256=[0-9a-f]{64}\b/m);
      expect(script).to.match(/sha256sum -c/);
      expect(cloudbuild.steps.find((s) => s.id === 'test')?.script).to.contain('bash .ci/install-terraform.sh');
      expect(ciText).to.contain('bash .ci/install-terraform.sh');
    });
  });
});
