// Offline checks of terraform/: formatting, and every resource, argument, block and reference against the
// committed schema of the google and random providers (test/deploy/provider-schema.json).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import {
  loadTerraform,
  parseTerraformSnippet,
  usedTypes,
  isObject,
  asArray,
  type TerraformConfig,
  type HclObject,
  terraformDir,
} from './helpers.js';
import { checkTerraform, loadProviderSchema, satisfiesPessimistic, type ProviderSchemaFile } from './schema-check.js';

describe('deploy: terraform/', function () {
  let config: TerraformConfig;
  let schema: ProviderSchemaFile;

  before(async function () {
    config = await loadTerraform();
    schema = loadProviderSchema();
  });

  it('is formatted (terraform fmt -check -recursive)', function () {
    const result = spawnSync('terraform', [`-chdir=${terraformDir}`, 'fmt', '-check', '-recursive', '-diff'], {
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
      timeout: 30_000,
    });
    if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
      expect.fail(
        'terraform is not installed, and this check needs it. Install Terraform 1.11 (a single binary, e.g. ' +
          "from HashiCorp's apt repository, or `bash .ci/install-terraform.sh` as CI does) and re-run.",
      );
    }
    expect(result.error, String(result.error)).to.equal(undefined);
    expect(
      result.status,
      `terraform fmt found unformatted files (run \`terraform -chdir=terraform fmt -recursive\`):\n${result.stdout}${result.stderr}`,
    ).to.equal(0);
  });

  it('parses, and uses only resource types, arguments, blocks and attributes the providers have', function () {
    expect(config.blocks.length, 'no resources found in terraform/').to.be.greaterThan(10);
    const problems = checkTerraform(config, schema);
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('has a provider schema extracted for exactly the types it uses, at the pinned provider versions', function () {
    const used = usedTypes(config);
    expect(
      Object.keys(schema.resources).sort(),
      'resource types in provider-schema.json (re-run scripts/extract-provider-schema.ts)',
    ).to.deep.equal(used.resources);
    expect(
      Object.keys(schema.data_sources).sort(),
      'data source types in provider-schema.json (re-run scripts/extract-provider-schema.ts)',
    ).to.deep.equal(used.dataSources);

    const versionsFile = config.files.find((file) => file.path === 'terraform/versions.tf');
    const terraformBlock = asArray(versionsFile?.body.terraform)[0];
    const required = isObject(terraformBlock) ? asArray(terraformBlock.required_providers)[0] : undefined;
    expect(isObject(required), 'terraform/versions.tf: required_providers').to.equal(true);
    const pins = required as HclObject;
    expect(Object.keys(pins).sort()).to.deep.equal(Object.keys(schema.providers).sort());
    for (const [name, provider] of Object.entries(schema.providers)) {
      const pin = pins[name];
      expect(isObject(pin) && pin.source, `${name} source`).to.equal(provider.source);
      const constraint = isObject(pin) ? String(pin.version as string) : '';
      expect(
        satisfiesPessimistic(provider.version, constraint),
        `schema of ${name} ${provider.version} does not satisfy the pin "${constraint}"`,
      ).to.equal(true);
    }
    const googlePin = pins.google;
    expect(isObject(googlePin) && googlePin.version).to.equal('~> 6.50');
  });

  it('declares every variable with a type and a description, and every output with a description', function () {
    const problems: string[] = [];
    for (const [name, variable] of Object.entries(config.variables)) {
      if (!('type' in variable)) problems.push(`variable "${name}" has no type`);
      if (typeof variable.description !== 'string' || variable.description.length < 10)
        problems.push(`variable "${name}" has no description`);
    }
    for (const [name, output] of Object.entries(config.outputs)) {
      if (typeof output.description !== 'string' || output.description.length < 10)
        problems.push(`output "${name}" has no description`);
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
    expect(Object.keys(config.variables)).to.include.members([
      'project_id',
      'region',
      'cpu',
      'memory',
      'min_instances',
      'max_instances',
    ]);
    expect(config.variables.min_instances?.default, 'min_instances defaults to 0 (scale to zero)').to.equal(0);
  });

  describe('the checker itself', function () {
    // Proof that the schema check can fail: each broken snippet must produce the named problem.
    const cases: { name: string; hcl: string; problem: RegExp }[] = [
      {
        name: 'an unknown resource type',
        hcl: 'resource "google_cloud_run_v3_service" "x" {\n  name = "x"\n}\n',
        problem: /unknown resource type "google_cloud_run_v3_service"/,
      },
      {
        name: 'an unknown argument',
        hcl: 'resource "google_service_account" "x" {\n  account_id = "x"\n  emial      = "x"\n}\n',
        problem: /unknown argument or block "emial"/,
      },
      {
        name: 'a missing required argument',
        hcl: 'resource "google_service_account" "x" {\n  display_name = "x"\n}\n',
        problem: /missing required argument "account_id"/,
      },
      {
        name: 'a read-only attribute being set',
        hcl: 'resource "google_service_account" "x" {\n  account_id = "x"\n  email      = "x@example.com"\n}\n',
        problem: /"email" is read-only/,
      },
      {
        name: 'an unknown nested block',
        hcl: 'resource "google_firestore_field" "x" {\n  collection = "c"\n  field      = "f"\n  ttl_settings {}\n}\n',
        problem: /unknown argument or block "ttl_settings"/,
      },
      {
        name: 'a block written as an attribute',
        hcl: 'resource "google_firestore_field" "x" {\n  collection = "c"\n  field      = "f"\n  ttl_config = {}\n}\n',
        problem: /"ttl_config" is a block/,
      },
      {
        name: 'a bad argument inside a dynamic block',
        hcl:
          'resource "google_cloud_run_v2_service" "x" {\n  name     = "x"\n  location = "l"\n  template {\n    containers {\n      image = "i"\n' +
          '      dynamic "env" {\n        for_each = {}\n        content {\n          nam = env.key\n        }\n      }\n    }\n  }\n}\n',
        problem: /template\.containers\.env: unknown argument or block "nam"/,
      },
      {
        name: 'a reference to an attribute that does not exist',
        hcl: 'resource "google_service_account" "x" {\n  account_id = "x"\n}\nresource "google_project_iam_member" "y" {\n  project = "p"\n  role    = "r"\n  member  = google_service_account.x.principal\n}\n',
        problem: /google_service_account\.x has no attribute "principal"/,
      },
      {
        name: 'a reference to an undeclared variable',
        hcl: 'resource "google_service_account" "x" {\n  account_id = var.nope\n}\n',
        problem: /undeclared variable var\.nope/,
      },
      {
        name: 'an ignore_changes path that does not exist',
        hcl: 'resource "google_cloud_run_v2_service" "x" {\n  name     = "x"\n  location = "l"\n  template {\n    containers {\n      image = "i"\n    }\n  }\n  lifecycle {\n    ignore_changes = [template[0].container[0].image]\n  }\n}\n',
        problem: /ignore_changes "template\[0\]\.container\[0\]\.image"/,
      },
    ];
    for (const testCase of cases) {
      it(`rejects ${testCase.name}`, async function () {
        const broken = await parseTerraformSnippet(testCase.hcl, 'broken.tf');
        const problems = checkTerraform(broken, schema);
        expect(problems.join('\n')).to.match(testCase.problem);
      });
    }
  });
});
