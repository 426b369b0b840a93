// Offline check of cloudbuild.yaml against a JSON schema generated from @schemastore/cloudbuild's types
// (plus availableSecrets, which those types lack), and the rules the schema cannot express.
import { expect } from 'chai';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Ajv, type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { readRepoFile, repoRoot } from './helpers.js';

type JsonSchema = Record<string, unknown> & { definitions: Record<string, Record<string, unknown>> };

function cloudbuildSchema(): JsonSchema {
  const schema = createGenerator({
    path: join(repoRoot, 'node_modules', '@schemastore', 'cloudbuild', 'index.d.ts'),
    type: 'GoogleCloudBuildBuildConfigFile',
    skipTypeCheck: true,
    additionalProperties: false,
  }).createSchema('GoogleCloudBuildBuildConfigFile') as JsonSchema;
  const root = schema.definitions.GoogleCloudBuildBuildConfigFile!;
  // The types allow any extra top-level key; the build config file does not.
  root.additionalProperties = false;
  // https://cloud.google.com/build/docs/build-config-file-schema: availableSecrets (Secret Manager / KMS).
  (root.properties as Record<string, unknown>).availableSecrets = {
    type: 'object',
    additionalProperties: false,
    properties: {
      secretManager: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['versionName', 'env'],
          properties: {
            versionName: { type: 'string', pattern: '^projects/[^/]+/secrets/[^/]+/versions/[^/]+$' },
            env: { type: 'string' },
          },
        },
      },
      inline: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['kmsKeyName', 'envMap'],
          properties: {
            kmsKeyName: { type: 'string' },
            envMap: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
      },
    },
  };
  return schema;
}

/** Rules from the build config documentation that the generated schema does not express. */
function semanticProblems(config: {
  steps?: { id?: string; script?: string; args?: unknown; entrypoint?: unknown; name?: string; waitFor?: string[] }[];
}): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const [index, step] of (config.steps ?? []).entries()) {
    const where = `steps[${index}]${step.id ? ` (${step.id})` : ''}`;
    if (!step.name) problems.push(`${where}: name (the builder image) is required`);
    if (step.script !== undefined && (step.args !== undefined || step.entrypoint !== undefined))
      problems.push(`${where}: script cannot be combined with args or entrypoint`);
    if (step.id) {
      if (ids.has(step.id)) problems.push(`${where}: duplicate id`);
      ids.add(step.id);
    }
    for (const dependency of step.waitFor ?? []) {
      if (dependency !== '-' && !ids.has(dependency))
        problems.push(`${where}: waitFor "${dependency}" is not an earlier step id`);
    }
  }
  return problems;
}

describe('deploy: cloudbuild.yaml', function () {
  let validateConfig: ValidateFunction;

  before(function () {
    this.timeout(20_000);
    validateConfig = new Ajv({ allErrors: true, strict: false }).compile(cloudbuildSchema());
  });

  function problems(config: unknown): string[] {
    const schemaErrors = validateConfig(config)
      ? []
      : (validateConfig.errors ?? []).map(
          (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
        );
    return [...schemaErrors, ...semanticProblems(config as Parameters<typeof semanticProblems>[0])];
  }

  it('is valid against the Cloud Build config schema', function () {
    const config = parseYaml(readRepoFile('cloudbuild.yaml')) as unknown;
    const found = problems(config);
    expect(found, found.join('\n')).to.deep.equal([]);
  });

  describe('the checker itself', function () {
    const original = readRepoFile('cloudbuild.yaml');
    const broken: { name: string; edit: (config: Record<string, unknown>) => void; problem: RegExp }[] = [
      {
        name: 'an unknown top-level key',
        edit: (c) => {
          c.step = c.steps;
        },
        problem: /additional/,
      },
      {
        name: 'an unknown step key',
        edit: (c) => {
          (c.steps as Record<string, unknown>[])[0]!.arguments = ['x'];
        },
        problem: /additional/,
      },
      {
        name: 'a wrong option value',
        edit: (c) => {
          c.options = { logging: 'STDOUT' };
        },
        problem: /allowed values/,
      },
      {
        name: 'script together with args',
        edit: (c) => {
          (c.steps as Record<string, unknown>[])[0]!.args = ['x'];
        },
        problem: /script cannot be combined/,
      },
      {
        name: 'a malformed availableSecrets entry',
        edit: (c) => {
          c.availableSecrets = { secretManager: [{ versionName: 'latest' }] };
        },
        problem: /versionName|env/,
      },
    ];
    for (const testCase of broken) {
      it(`rejects ${testCase.name}`, function () {
        const config = parseYaml(original) as Record<string, unknown>;
        testCase.edit(config);
        expect(problems(config).join('\n')).to.match(testCase.problem);
      });
    }
    it('accepts a well-formed availableSecrets section', function () {
      const config = parseYaml(original) as Record<string, unknown>;
      config.availableSecrets = { secretManager: [{ versionName: 'projects/p/secrets/s/versions/latest', env: 'S' }] };
      expect(problems(config)).to.deep.equal([]);
    });
  });
});
