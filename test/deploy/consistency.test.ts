// Cross-file checks: the deployment files must agree with each other (Terraform, cloudbuild.yaml, the
// Dockerfile, the CI workflow, docs/deploy.md and docs/storage.md), all offline.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  loadTerraform,
  readRepoFile,
  repoFileExists,
  repoRoot,
  block,
  blocksOfType,
  nested,
  strings,
  isObject,
  asArray,
  collectionsFromStorageDoc,
  parseDockerfile,
  dockerEnv,
  type TerraformConfig,
  type TerraformBlock,
  type HclObject,
  type HclValue,
} from './helpers.js';

/** Environment variables Terraform injects from Secret Manager. */
const SECRET_ENVS = ['ACCESS_TOKEN_SECRET', 'GOOGLE_OAUTH_CLIENT'];
/** Secret variables the service accepts instead of ones in SECRET_ENVS (GOOGLE_OAUTH_CLIENT holds both). */
const SECRET_ALTERNATIVES: Record<string, string> = {
  GOOGLE_CLIENT_ID: 'GOOGLE_OAUTH_CLIENT',
  GOOGLE_CLIENT_SECRET: 'GOOGLE_OAUTH_CLIENT',
};
/** Environment variables the service reads as plain configuration. */
const PLAIN_ENVS = [
  'BASE_URL',
  'STORE',
  'GOOGLE_CLOUD_PROJECT',
  'FIRESTORE_DATABASE',
  'FIRESTORE_COLLECTION_PREFIX',
  'ALLOWED_DOMAINS',
  'ALLOWED_EMAILS',
  'READ_ONLY',
  'LOG_LEVEL',
  'CLIENT_ID_METADATA_DOCUMENTS',
];
/** Names that must never be set as plain text. */
const SECRET_LOOKING = /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_KEY|OAUTH_CLIENT/i;
/** Collections until docs/storage.md exists (then the doc is the reference). */
const COLLECTIONS_FALLBACK = [
  'clients',
  'sessions',
  'interactions',
  'grants',
  'authorization_codes',
  'refresh_tokens',
  'consents',
  'google_tokens',
  'google_login_states',
  'cimd_documents',
  'replay_detections',
  'pushed_authorization_requests',
];
/** What CI must run until .ci/run exists (then .ci/run's npm commands are the reference). */
const CI_COMMANDS_FALLBACK = ['npm ci', 'npm run typecheck', 'npm test'];

/** $NAME and ${NAME} are the same Cloud Build substitution; write both as ${NAME}. */
function normalizeSubstitutions(text: string): string {
  return text.replace(/\$([A-Z_][A-Z0-9_]*)/g, '${$1}');
}

function ref(value: HclValue | undefined): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `${google_x.name.attr}` -> { type, name, attr } */
function parseRef(value: HclValue | undefined): { type: string; name: string; attr: string } | undefined {
  const match =
    typeof value === 'string' ? /^\$\{([a-z0-9_]+)\.([a-z0-9_]+)(?:\[\d+\])?\.([a-z0-9_]+)\}$/.exec(value) : null;
  return match ? { type: match[1]!, name: match[2]!, attr: match[3]! } : undefined;
}

/** Environment variable names the service's source reads (env.NAME / env['NAME'] anywhere in src/). */
function envNamesReadBySource(): Set<string> {
  const names = new Set<string>();
  const files = readdirSync(join(repoRoot, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );
  for (const file of files) {
    const text = readFileSync(join(repoRoot, 'src', file), 'utf8');
    for (const match of text.matchAll(/\benv\s*(?:\.\s*([A-Z][A-Z0-9_]+)|\[\s*['"]([A-Z][A-Z0-9_]+)['"]\s*\])/g))
      names.add((match[1] ?? match[2])!);
  }
  return names;
}

interface CloudBuildStep {
  id?: string;
  name?: string;
  args?: string[];
  script?: string;
  entrypoint?: string;
}
interface CloudBuildFile {
  steps: CloudBuildStep[];
  substitutions?: Record<string, string>;
  images?: string[];
  options?: Record<string, unknown>;
}

function npmCommands(text: string): string[] {
  return [
    ...new Set(
      [...text.matchAll(/\bnpm\s+(ci|test|run\s+[\w:-]+)\b/g)].map((m) => `npm ${m[1]!.replace(/\s+/g, ' ')}`),
    ),
  ].sort();
}

function aptPackages(text: string): string[] {
  const packages = new Set<string>();
  for (const match of text.matchAll(/apt-get install ([^\n]+)/g)) {
    for (const token of match[1]!.split(/\s+/)) if (token && !token.startsWith('-')) packages.add(token);
  }
  return [...packages].sort();
}

describe('deploy: cross-file consistency', function () {
  let tf: TerraformConfig;
  let service: TerraformBlock;
  let container: HclObject;
  let cloudbuild: CloudBuildFile;
  let workflow: {
    on?: unknown;
    jobs: Record<
      string,
      {
        container?: { image?: string } | string;
        steps: { uses?: string; run?: string; with?: Record<string, unknown> }[];
      }
    >;
  };

  before(async function () {
    tf = await loadTerraform();
    service = block(tf, 'google_cloud_run_v2_service', 'main');
    const found = nested(service.body, 'template', 'containers');
    if (!found) throw new Error('terraform/run.tf: template.containers missing');
    container = found;
    cloudbuild = parseYaml(readRepoFile('cloudbuild.yaml')) as CloudBuildFile;
    workflow = parseYaml(readRepoFile('.github/workflows/ci.yml')) as typeof workflow;
  });

  /** name -> env block body, literal and dynamic (the dynamic one expands local.service_env). */
  function serviceEnv(): { secrets: Map<string, HclObject>; plain: Map<string, HclValue> } {
    const secrets = new Map<string, HclObject>();
    const plain = new Map<string, HclValue>();
    for (const env of asArray(container.env)) {
      if (!isObject(env) || typeof env.name !== 'string') continue;
      const secretRef = nested(env, 'value_source', 'secret_key_ref');
      if (secretRef) secrets.set(env.name, secretRef);
      else plain.set(env.name, env.value ?? null);
    }
    const dynamicEnv = nested(container.dynamic, 'env');
    if (dynamicEnv) {
      expect(ref(dynamicEnv.for_each), 'the dynamic env block iterates local.service_env').to.contain(
        'local.service_env',
      );
      const serviceEnvLocal = tf.locals.service_env;
      expect(isObject(serviceEnvLocal), 'local.service_env is a map').to.equal(true);
      for (const [name, value] of Object.entries(serviceEnvLocal as HclObject)) plain.set(name, value);
    }
    return { secrets, plain };
  }

  describe('image path: cloudbuild.yaml <-> Artifact Registry <-> Cloud Run', function () {
    const IMAGE = '${_REGION}-docker.pkg.dev/${PROJECT_ID}/${_REPOSITORY}/${_SERVICE}:${COMMIT_SHA}';

    it('builds, pushes, lists and deploys one image: REGION-docker.pkg.dev/PROJECT/REPOSITORY/SERVICE:COMMIT_SHA', function () {
      const step = (id: string) => {
        const found = cloudbuild.steps.find((s) => s.id === id);
        if (!found) throw new Error(`cloudbuild.yaml: no step with id "${id}"`);
        return found;
      };
      const buildArgs = step('build').args ?? [];
      const tagIndex = buildArgs.findIndex((a) => a === '-t' || a === '--tag' || a.startsWith('--tag='));
      expect(tagIndex, 'docker build has a tag').to.be.at.least(0);
      const tag = buildArgs[tagIndex]!.startsWith('--tag=')
        ? buildArgs[tagIndex]!.slice('--tag='.length)
        : buildArgs[tagIndex + 1];
      expect(buildArgs[0]).to.equal('build');
      expect(normalizeSubstitutions(tag ?? ''), 'docker build tag').to.equal(IMAGE);
      expect(step('push').args?.map(normalizeSubstitutions), 'docker push').to.deep.equal(['push', IMAGE]);
      expect((cloudbuild.images ?? []).map(normalizeSubstitutions), 'images:').to.deep.equal([IMAGE]);

      const deploy = step('deploy');
      const deployArgs = [deploy.entrypoint, ...(deploy.args ?? [])].map((a) => normalizeSubstitutions(a ?? ''));
      expect(deployArgs.slice(0, 5), 'deploy step').to.deep.equal([
        'gcloud',
        'run',
        'services',
        'update',
        '${_SERVICE}',
      ]);
      expect(deployArgs).to.include(`--image=${IMAGE}`);
      expect(deployArgs).to.include('--region=${_REGION}');

      const order = cloudbuild.steps.map((s) => s.id);
      expect(order).to.include.members(['test', 'build', 'push', 'deploy']);
      expect(order.indexOf('test'), 'tests run before the image is built').to.be.lessThan(order.indexOf('build'));
      expect(order.indexOf('push')).to.be.lessThan(order.indexOf('deploy'));
    });

    it('uses the Artifact Registry repository, region and service name that Terraform creates', function () {
      const repo = block(tf, 'google_artifact_registry_repository', 'images');
      expect(repo.body.format).to.equal('DOCKER');
      expect(repo.body.location, 'repository location').to.equal('${var.region}');
      expect(repo.body.repository_id).to.equal('${var.artifact_repository_id}');
      expect(service.body.location, 'Cloud Run location').to.equal('${var.region}');
      expect(service.body.name, 'Cloud Run name').to.equal('${var.service_name}');
      expect(tf.locals.image_repository, 'local.image_repository').to.equal(
        '${google_artifact_registry_repository.images.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}',
      );

      // What each substitution must be, in the trigger and as the default for manual builds.
      const expected: Record<string, { trigger: string[]; variable: string }> = {
        _REGION: { trigger: ['${var.region}'], variable: 'region' },
        _REPOSITORY: {
          trigger: ['${google_artifact_registry_repository.images.repository_id}', '${var.artifact_repository_id}'],
          variable: 'artifact_repository_id',
        },
        _SERVICE: { trigger: ['${var.service_name}'], variable: 'service_name' },
      };
      const userSubstitutions = Object.keys(cloudbuild.substitutions ?? {})
        .filter((k) => k.startsWith('_'))
        .sort();
      expect(userSubstitutions, 'cloudbuild.yaml substitutions').to.deep.equal(Object.keys(expected).sort());
      const used = new Set([...JSON.stringify(cloudbuild.steps).matchAll(/\$\{?(_[A-Z0-9_]+)/g)].map((m) => m[1]));
      expect([...used].sort(), 'substitutions the steps use').to.deep.equal(userSubstitutions);

      const trigger = block(tf, 'google_cloudbuild_trigger', 'deploy_on_push');
      expect(trigger.body.filename).to.equal('cloudbuild.yaml');
      const triggerSubstitutions = trigger.body.substitutions;
      expect(isObject(triggerSubstitutions), 'trigger substitutions').to.equal(true);
      expect(Object.keys(triggerSubstitutions as HclObject).sort(), 'trigger substitution names').to.deep.equal(
        userSubstitutions,
      );
      for (const [name, { trigger: allowed, variable }] of Object.entries(expected)) {
        expect(allowed, `trigger ${name}`).to.include((triggerSubstitutions as HclObject)[name]);
        expect(
          cloudbuild.substitutions?.[name],
          `cloudbuild.yaml default of ${name} = default of var.${variable}`,
        ).to.equal(tf.variables[variable]?.default);
      }
      expect(nested(trigger.body, 'repository_event_config', 'push')?.branch).to.equal('^${var.trigger_branch}$');
      expect(tf.variables.trigger_branch?.default).to.equal('main');
      expect(trigger.body.service_account, 'the trigger builds as the dedicated build account').to.equal(
        '${google_service_account.cloudbuild.id}',
      );
    });

    it('lets the build account push to that repository and deploy that service, and nothing broader', function () {
      const writer = block(tf, 'google_artifact_registry_repository_iam_member', 'cloudbuild_writer');
      expect(writer.body.repository).to.equal('${google_artifact_registry_repository.images.name}');
      expect(writer.body.role).to.equal('roles/artifactregistry.writer');
      expect(writer.body.member).to.equal('${google_service_account.cloudbuild.member}');
      const deployer = block(tf, 'google_cloud_run_v2_service_iam_member', 'cloudbuild_deployer');
      expect(deployer.body.name).to.equal('${google_cloud_run_v2_service.main[0].name}');
      expect(deployer.body.role).to.equal('roles/run.developer');
      const actAs = block(tf, 'google_service_account_iam_member', 'cloudbuild_acts_as_runtime');
      expect(actAs.body.service_account_id).to.equal('${google_service_account.runtime.name}');
      expect(actAs.body.role).to.equal('roles/iam.serviceAccountUser');
      const projectRoles = blocksOfType(tf, 'google_project_iam_member')
        .filter((b) => b.body.member === '${google_service_account.cloudbuild.member}')
        .map((b) => b.body.role);
      expect(projectRoles, 'project-wide roles of the build account').to.deep.equal(['roles/logging.logWriter']);
      expect(cloudbuild.options?.logging, 'a build with its own service account must log to Cloud Logging').to.equal(
        'CLOUD_LOGGING_ONLY',
      );
    });
  });

  describe('secrets: what the service reads exists in Terraform and only the runtime account may read it', function () {
    it('injects each secret the service reads from a Terraform-managed secret, version latest', function () {
      const { secrets } = serviceEnv();
      expect([...secrets.keys()].sort(), 'secret environment variables of the Cloud Run service').to.deep.equal(
        [...SECRET_ENVS].sort(),
      );
      const secretResources = new Set(blocksOfType(tf, 'google_secret_manager_secret').map((b) => b.name));
      for (const [envName, secretRef] of secrets) {
        const target = parseRef(secretRef.secret);
        expect(
          target?.type,
          `${envName}: secret_key_ref.secret must reference a google_secret_manager_secret`,
        ).to.equal('google_secret_manager_secret');
        expect(
          secretResources.has(target!.name),
          `${envName}: google_secret_manager_secret.${target!.name} exists`,
        ).to.equal(true);
        expect(target!.attr).to.equal('secret_id');
        expect(secretRef.version, `${envName}: version`).to.equal('latest');
      }
      const usedSecrets = [...secrets.values()].map((r) => parseRef(r.secret)!.name).sort();
      expect([...secretResources].sort(), 'every secret Terraform creates is one the service reads').to.deep.equal(
        usedSecrets,
      );
    });

    it('grants roles/secretmanager.secretAccessor on exactly those secrets to exactly the runtime account', function () {
      const runtimeSa = parseRef(nested(service.body, 'template')?.service_account);
      expect(runtimeSa, 'template.service_account references a google_service_account').to.deep.include({
        type: 'google_service_account',
        attr: 'email',
      });
      const runtimeMember = `\${google_service_account.${runtimeSa!.name}.member}`;

      const { secrets } = serviceEnv();
      const grants = blocksOfType(tf, 'google_secret_manager_secret_iam_member');
      for (const [envName, secretRef] of secrets) {
        const secretName = parseRef(secretRef.secret)!.name;
        const grant = grants.find((g) => parseRef(g.body.secret_id)?.name === secretName);
        expect(
          grant,
          `${envName}: a google_secret_manager_secret_iam_member on google_secret_manager_secret.${secretName}`,
        ).to.not.equal(undefined);
        expect(grant!.body.role).to.equal('roles/secretmanager.secretAccessor');
        expect(grant!.body.member, `${envName}: granted to the runtime account`).to.equal(runtimeMember);
        expect(asArray(service.body.depends_on), `the service waits for the ${envName} grant`).to.include(
          `\${google_secret_manager_secret_iam_member.${grant!.name}}`,
        );
      }
      expect(grants.length, 'no other secret grants').to.equal(secrets.size);
      for (const grant of blocksOfType(tf, 'google_project_iam_member')) {
        expect(grant.body.role, `${grant.name}: no project-wide secret access`).to.not.match(/secretmanager/);
      }
      const runtimeProjectRoles = blocksOfType(tf, 'google_project_iam_member')
        .filter((b) => b.body.member === runtimeMember)
        .map((b) => b.body.role);
      expect(
        runtimeProjectRoles,
        'the runtime account has nothing project-wide beyond roles/datastore.user',
      ).to.deep.equal(['roles/datastore.user']);
    });

    it('covers every secret variable the service declares (src/config/secrets.ts SECRET_VARIABLES)', async function () {
      const { SECRET_VARIABLES } = (await import('../../src/config/secrets.js')) as {
        SECRET_VARIABLES: readonly string[];
      };
      expect(SECRET_VARIABLES.length, 'SECRET_VARIABLES is empty').to.be.greaterThan(0);
      const { secrets, plain } = serviceEnv();
      for (const name of SECRET_VARIABLES) {
        const providedAs = SECRET_ALTERNATIVES[name] ?? name;
        expect(secrets.has(providedAs), `${name}: Terraform must inject ${providedAs} from Secret Manager`).to.equal(
          true,
        );
        expect(plain.has(name), `${name} must never be a plain environment variable`).to.equal(false);
      }
      for (const name of secrets.keys())
        expect(SECRET_VARIABLES, `Terraform injects ${name}, which the service does not declare as secret`).to.include(
          name,
        );
    });

    it('sets only variables the service reads', function () {
      const read = envNamesReadBySource();
      expect(read.size, 'found no env.NAME reads in src/').to.be.greaterThan(5);
      const { secrets, plain } = serviceEnv();
      const unread = [...secrets.keys(), ...plain.keys()].filter((name) => !read.has(name));
      expect(unread, 'variables Terraform sets that nothing in src/ reads (a typo?)').to.deep.equal([]);
    });

    it('sets the plain configuration as plain values, nothing secret-looking, and not PORT', function () {
      const { plain } = serviceEnv();
      expect([...plain.keys()].sort()).to.deep.equal([...PLAIN_ENVS].sort());
      for (const name of plain.keys())
        expect(name, 'a secret-looking variable set as plain text').to.not.match(SECRET_LOOKING);
      expect(plain.get('STORE')).to.equal('firestore');
      expect(plain.get('BASE_URL')).to.equal('${local.base_url}');
      expect(plain.get('FIRESTORE_DATABASE')).to.equal('${local.firestore_database}');
      expect(plain.get('FIRESTORE_COLLECTION_PREFIX')).to.equal('${var.firestore_collection_prefix}');
      expect(plain.has('PORT'), 'PORT is reserved: Cloud Run sets it from the container port').to.equal(false);
    });

    it('outputs the secret names the guide tells the admin to fill', function () {
      expect(tf.outputs.access_token_secret?.value).to.equal('${google_secret_manager_secret.access_token.secret_id}');
      expect(tf.outputs.google_oauth_client_secret?.value).to.equal(
        '${google_secret_manager_secret.google_oauth_client.secret_id}',
      );
      expect(tf.variables.access_token_secret_id?.default).to.equal('access-token-secret');
      expect(tf.variables.google_oauth_client_secret_id?.default).to.equal('google-oauth-client');
    });
  });

  describe('Firestore: one TTL policy per collection', function () {
    it('keeps the collection list in one place, equal to docs/storage.md (or the agreed list until it exists)', function () {
      const collections = tf.locals.collections;
      expect(Array.isArray(collections), 'local.collections is a literal list').to.equal(true);
      const fromDoc = collectionsFromStorageDoc();
      if (fromDoc !== undefined) {
        expect(
          fromDoc.length,
          'docs/storage.md exists but has no table whose first column header mentions "collection" with `name` cells',
        ).to.be.greaterThan(0);
      }
      const reference = fromDoc ?? COLLECTIONS_FALLBACK;
      const missing = reference.filter((c) => !(collections as HclValue[]).includes(c));
      const extra = (collections as HclValue[]).filter((c) => typeof c !== 'string' || !reference.includes(c));
      expect(
        { missing, extra },
        `collections of ${fromDoc ? 'docs/storage.md' : 'the agreed list'} vs terraform local.collections`,
      ).to.deep.equal({ missing: [], extra: [] });
    });

    it('lists exactly the collections the server writes (src/storage/port.ts KINDS), so each one gets its TTL policy', async function () {
      const { KINDS } = (await import('../../src/storage/port.js')) as { KINDS: Record<string, string> };
      const written = Object.values(KINDS).sort();
      expect(written.length, 'KINDS is empty').to.be.greaterThan(0);
      const collections = tf.locals.collections as HclValue[];
      const withoutPolicy = written.filter((c) => !collections.includes(c));
      const unknown = collections.filter((c) => typeof c !== 'string' || !written.includes(c));
      expect(
        { withoutPolicy, unknown },
        'a kind without a TTL policy keeps its expired documents forever; a policy for no kind is a typo',
      ).to.deep.equal({ withoutPolicy: [], unknown: [] });
    });

    it('creates a TTL policy on expiresAt for every collection, with the configured prefix', function () {
      const ttl = blocksOfType(tf, 'google_firestore_field').filter((b) => 'ttl_config' in b.body);
      expect(ttl.length, 'exactly one google_firestore_field with ttl_config, iterating local.collections').to.equal(1);
      const field = ttl[0]!;
      expect(field.body.for_each).to.equal('${toset(local.collections)}');
      expect(field.body.field).to.equal('expiresAt');
      expect(field.body.collection).to.equal('${var.firestore_collection_prefix}${each.value}');
      expect(field.body.database).to.equal('${local.firestore_database}');
      const database = block(tf, 'google_firestore_database', 'main');
      expect(database.body.type, 'Native mode').to.equal('FIRESTORE_NATIVE');
      expect(tf.variables.firestore_database?.default).to.equal('(default)');
    });
  });

  describe('Cloud Run', function () {
    it('listens where the image listens: container_port = Dockerfile EXPOSE = Dockerfile PORT', function () {
      const port = nested(container, 'ports')?.container_port;
      const resolved =
        typeof port === 'string' && /^\$\{local\.(\w+)\}$/.test(port) ? tf.locals[port.slice(8, -1)] : port;
      expect(resolved, 'Cloud Run container_port').to.be.a('number');
      const { stages } = parseDockerfile(readRepoFile('Dockerfile'));
      const runtime = stages.at(-1)!;
      const exposed = runtime.instructions
        .filter((i) => i.keyword === 'EXPOSE')
        .map((i) => Number.parseInt(i.args, 10));
      expect(exposed, 'Dockerfile EXPOSE').to.deep.equal([resolved]);
      expect(dockerEnv(runtime).PORT, 'Dockerfile ENV PORT').to.equal(String(resolved as number));
    });

    it('allows 3600 s requests, probes /healthz, scales from the variables, and boosts start-up CPU', function () {
      const template = nested(service.body, 'template')!;
      expect(template.timeout).to.equal('3600s');
      for (const probe of ['startup_probe', 'liveness_probe']) {
        expect(nested(container, probe, 'http_get')?.path, probe).to.equal('/healthz');
      }
      const scaling = nested(template, 'scaling');
      expect(scaling?.min_instance_count).to.equal('${var.min_instances}');
      expect(scaling?.max_instance_count).to.equal('${var.max_instances}');
      const resources = nested(container, 'resources');
      expect(resources?.limits).to.deep.equal({ cpu: '${var.cpu}', memory: '${var.memory}' });
      expect(resources?.startup_cpu_boost).to.equal(true);
    });

    it('probes start-up every second (Cloud Run holds the first request until the startup probe passes), within a 30 s allowance', function () {
      // A probe only every 2 s let an instance that was ready at 0.6 s wait until the 2 s tick with its first
      // request (a cold start is what a user waits on). Cloud Run's limits: period ≥ 1 s and ≥ the timeout.
      const probe = nested(container, 'startup_probe')!;
      const period = Number(probe.period_seconds);
      const timeout = Number(probe.timeout_seconds ?? 1);
      const failures = Number(probe.failure_threshold ?? 3);
      expect(period, 'startup_probe.period_seconds').to.equal(1);
      expect(timeout, 'timeout_seconds ≤ period_seconds').to.be.at.most(period);
      expect(period * failures, 'seconds a slow start may take before Cloud Run gives up').to.be.at.least(30);
    });

    it('knows its own URL without a cycle: BASE_URL, MCP URL and Google redirect URI from one origin', function () {
      const baseUrl = String(tf.locals.base_url as string);
      expect(baseUrl).to.contain(
        'https://${var.service_name}-${data.google_project.this.number}.${var.region}.run.app',
      );
      expect(baseUrl).to.contain('https://${var.custom_domain}');
      expect(baseUrl, 'BASE_URL must not depend on the service itself').to.not.contain('google_cloud_run_v2_service');
      expect(tf.outputs.service_url?.value).to.equal('${local.base_url}');
      expect(tf.outputs.mcp_url?.value).to.equal('${local.base_url}/mcp');
      expect(tf.outputs.google_oauth_redirect_uri?.value).to.equal('${local.base_url}/oauth/google/callback');
      expect(tf.outputs.image_repository?.value).to.equal('${local.image_repository}');
    });

    it('is public to allUsers (roles/run.invoker) and nothing else is granted to allUsers', function () {
      const publicGrants = tf.blocks.filter(
        (b) => b.body.member === 'allUsers' || b.body.member === 'allAuthenticatedUsers',
      );
      expect(publicGrants.map((b) => `${b.type}.${b.name}:${ref(b.body.role)}`)).to.deep.equal([
        'google_cloud_run_v2_service_iam_member.public_invoker:roles/run.invoker',
      ]);
      expect(publicGrants[0]!.body.name).to.equal('${google_cloud_run_v2_service.main[0].name}');
    });
  });

  it('grants no roles/owner or roles/editor, and uses no authoritative IAM resources', function () {
    const problems: string[] = [];
    for (const file of tf.files) {
      for (const { path, text } of strings(file.body)) {
        if (/roles\/(owner|editor)\b/.test(text)) problems.push(`${file.path}: ${path} = ${text}`);
      }
    }
    for (const b of tf.blocks) {
      if (/_iam_(binding|policy)$/.test(b.type))
        problems.push(`${b.file}: ${b.type}.${b.name} (authoritative IAM can remove others' access; use *_iam_member)`);
      if (
        /_iam_member$/.test(b.type) &&
        typeof b.body.role === 'string' &&
        !/^roles\/[a-zA-Z]+\.[a-zA-Z]+$/.test(b.body.role)
      ) {
        problems.push(`${b.file}: ${b.type}.${b.name}: unexpected role ${b.body.role}`);
      }
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  describe('docs/deploy.md', function () {
    it('asks the reader to copy exactly the Terraform outputs that exist, and mentions every output', function () {
      const doc = readRepoFile('docs/deploy.md');
      const referenced = new Set(
        [...doc.matchAll(/terraform(?:\s+-chdir=\S+)?\s+output(?:\s+-(?:raw|json))?\s+([a-z_]+)/g)].map((m) => m[1]!),
      );
      const declared = Object.keys(tf.outputs);
      expect(
        [...referenced].filter((name) => !declared.includes(name)),
        'outputs the guide uses that Terraform does not declare',
      ).to.deep.equal([]);
      expect(
        declared.filter((name) => !referenced.has(name)),
        'outputs Terraform declares that the guide never uses',
      ).to.deep.equal([]);
      for (const name of ['service_url', 'mcp_url', 'google_oauth_redirect_uri', 'image_repository'])
        expect(declared).to.include(name);
    });

    it('uses only the Terraform variables that exist', function () {
      const doc = readRepoFile('docs/deploy.md') + readRepoFile('terraform/terraform.tfvars.example');
      const mentioned = new Set(
        [...doc.matchAll(/^#?\s*([a-z_]+)\s+=/gm), ...doc.matchAll(/-var[= ]'?([a-z_]+)=/g)].map((m) => m[1]!),
      );
      const unknown = [...mentioned].filter((name) => !(name in tf.variables));
      expect(
        unknown,
        'variables set in docs/deploy.md or terraform.tfvars.example that variables.tf lacks',
      ).to.deep.equal([]);
    });
  });

  describe('CI: GitHub Actions and Cloud Build run the same checks as .ci/run', function () {
    function workflowRuns(): string {
      return Object.values(workflow.jobs)
        .flatMap((job) => job.steps.map((s) => s.run ?? ''))
        .join('\n');
    }
    function cloudbuildTestScript(): string {
      const test = cloudbuild.steps.find((s) => s.id === 'test');
      return test?.script ?? (test?.args ?? []).join(' ');
    }

    it('runs every npm command of .ci/run (or npm ci, typecheck and test until it exists)', function () {
      const reference = repoFileExists('.ci/run') ? npmCommands(readRepoFile('.ci/run')) : CI_COMMANDS_FALLBACK;
      expect(reference.length, '.ci/run runs no npm command').to.be.greaterThan(0);
      expect(npmCommands(workflowRuns()), '.github/workflows/ci.yml').to.include.members(reference);
      expect(npmCommands(cloudbuildTestScript()), 'cloudbuild.yaml test step').to.include.members(reference);
      expect(npmCommands(cloudbuildTestScript())).to.include.members(['npm ci', 'npm test']);
    });

    it('installs the same prerequisites, Terraform version and Node major in both', function () {
      // The emulator and its Java come with the test image (test/deploy/pipeline.test.ts checks the pairing).
      const workflowPackages = aptPackages(workflowRuns());
      expect(workflowPackages).to.include.members(['chromium', 'openssl']);
      expect(aptPackages(cloudbuildTestScript()), 'apt packages: cloudbuild.yaml vs ci.yml').to.deep.equal(
        workflowPackages,
      );

      // Terraform: one script with the version and checksum, run by both.
      expect(workflowRuns()).to.contain('bash .ci/install-terraform.sh');
      expect(cloudbuildTestScript()).to.contain('bash .ci/install-terraform.sh');

      const setupNode = Object.values(workflow.jobs)
        .flatMap((j) => j.steps)
        .find((s) => s.uses?.startsWith('actions/setup-node@'));
      const images = [
        cloudbuild.steps.find((s) => s.id === 'node-binary')?.name,
        ...parseDockerfile(readRepoFile('Dockerfile')).stages.map((s) => s.from),
      ];
      for (const image of images)
        expect(image, 'Node 24 everywhere').to.match(/^(mirror\.gcr\.io\/library\/)?node:24[.-]/);
      expect(String(setupNode?.with?.['node-version']), 'ci.yml: Node 24').to.match(/^24\./);
    });
  });
});
