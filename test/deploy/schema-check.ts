// Checks parsed Terraform configuration against test/deploy/provider-schema.json (extracted from the CDKTF
// provider packages by scripts/extract-provider-schema.ts): resource and data-source types, arguments,
// nested blocks, required arguments, references to other resources' attributes, variables and locals.
import { readFileSync } from 'node:fs';
import type { BlockSchema, NestedBlockSchema, ProviderSchemaFile } from '../../scripts/extract-provider-schema.js';
import {
  type HclObject,
  type HclValue,
  type TerraformConfig,
  isObject,
  asArray,
  strings,
  providerSchemaPath,
} from './helpers.js';

export type { ProviderSchemaFile };

export function loadProviderSchema(): ProviderSchemaFile {
  return JSON.parse(readFileSync(providerSchemaPath, 'utf8')) as ProviderSchemaFile;
}

/** Meta-arguments Terraform itself accepts in every resource / data block. */
const RESOURCE_META = new Set([
  'count',
  'for_each',
  'depends_on',
  'provider',
  'lifecycle',
  'provisioner',
  'connection',
]);

/** Checks one block body against its schema; pushes a message per problem. */
export function checkBlock(
  schema: BlockSchema,
  body: HclObject,
  where: string,
  problems: string[],
  topLevel = false,
): void {
  const present = new Set<string>();
  for (const [key, value] of Object.entries(body)) {
    if (topLevel && RESOURCE_META.has(key)) continue;
    if (key === 'dynamic') {
      if (!isObject(value)) {
        problems.push(`${where}: malformed dynamic block`);
        continue;
      }
      for (const [blockName, dynamics] of Object.entries(value)) {
        const nested = schema.blocks[blockName];
        if (!nested) {
          problems.push(`${where}: dynamic "${blockName}": no such block`);
          continue;
        }
        present.add(blockName);
        for (const dynamic of asArray(dynamics)) {
          const content = isObject(dynamic) ? asArray(dynamic.content)[0] : undefined;
          if (!isObject(content)) {
            problems.push(`${where}: dynamic "${blockName}" has no content block`);
            continue;
          }
          checkBlock(nested, content, `${where}.${blockName}`, problems);
        }
      }
      continue;
    }
    present.add(key);
    const attribute = schema.attributes[key];
    if (attribute === 'computed') {
      problems.push(`${where}: "${key}" is read-only (computed by the provider) and cannot be set`);
      continue;
    }
    if (attribute) continue;
    const nested = schema.blocks[key];
    if (nested) {
      checkNestedBlocks(nested, key, value, where, problems);
      continue;
    }
    problems.push(`${where}: unknown argument or block "${key}"`);
  }
  for (const [name, kind] of Object.entries(schema.attributes)) {
    if (kind === 'required' && !present.has(name)) problems.push(`${where}: missing required argument "${name}"`);
  }
  for (const [name, nested] of Object.entries(schema.blocks)) {
    if (nested.required && !present.has(name)) problems.push(`${where}: missing required block "${name}"`);
  }
}

function checkNestedBlocks(
  schema: NestedBlockSchema,
  name: string,
  value: HclValue,
  where: string,
  problems: string[],
): void {
  // hcl2json turns every `name { ... }` block into an array of objects; `name = { ... }` stays an object.
  if (!Array.isArray(value) || !value.every(isObject)) {
    problems.push(`${where}: "${name}" is a block: write ${name} { ... }, not ${name} = ...`);
    return;
  }
  if (schema.nesting === 'single' && value.length > 1) {
    problems.push(`${where}: at most one "${name}" block is allowed, found ${value.length}`);
  }
  value.forEach((item, index) => {
    if (isObject(item)) checkBlock(schema, item, `${where}.${name}${value.length > 1 ? `[${index}]` : ''}`, problems);
  });
}

/** Walks a lifecycle.ignore_changes path such as template[0].containers[0].image through a schema. */
function checkIgnoreChangesPath(schema: BlockSchema, path: string, where: string, problems: string[]): void {
  const segments = path.replace(/\[[^\]]*\]/g, '').split('.');
  let current: BlockSchema = schema;
  for (const [index, segment] of segments.entries()) {
    const last = index === segments.length - 1;
    if (current.blocks[segment]) {
      current = current.blocks[segment];
    } else if (current.attributes[segment] && last) {
      return;
    } else {
      problems.push(`${where}: lifecycle.ignore_changes "${path}": "${segment}" is not in the schema`);
      return;
    }
  }
}

/** Everything: types, arguments, blocks, references. Returns the list of problems (empty when all is well). */
export function checkTerraform(config: TerraformConfig, schema: ProviderSchemaFile): string[] {
  const problems: string[] = [];
  const declared = new Map<string, BlockSchema | undefined>();

  for (const block of config.blocks) {
    const schemas = block.kind === 'resource' ? schema.resources : schema.data_sources;
    const typeSchema = schemas[block.type];
    const address = `${block.kind === 'data' ? 'data.' : ''}${block.type}.${block.name}`;
    declared.set(address, typeSchema);
    const where = `${block.file}: ${address}`;
    if (!typeSchema) {
      problems.push(
        `${where}: unknown ${block.kind === 'resource' ? 'resource' : 'data source'} type "${block.type}" ` +
          '(not in test/deploy/provider-schema.json; if it is real, re-run scripts/extract-provider-schema.ts)',
      );
      continue;
    }
    checkBlock(typeSchema, block.body, where, problems, true);
    for (const lifecycle of asArray(block.body.lifecycle)) {
      if (!isObject(lifecycle)) continue;
      for (const entry of asArray(lifecycle.ignore_changes)) {
        if (typeof entry !== 'string') continue;
        const path = entry.replace(/^\$\{(.*)\}$/, '$1');
        if (path !== 'all') checkIgnoreChangesPath(typeSchema, path, where, problems);
      }
    }
  }

  for (const [providerName, instances] of Object.entries(config.providers)) {
    const providerSchema = schema.providers[providerName];
    if (!providerSchema) {
      problems.push(`provider "${providerName}": not in test/deploy/provider-schema.json`);
      continue;
    }
    for (const instance of instances)
      checkBlock(providerSchema.config, instance, `provider "${providerName}"`, problems);
  }

  // References inside expressions.
  const locals = new Set(Object.keys(config.locals));
  const variables = new Set(Object.keys(config.variables));
  for (const file of config.files) {
    for (const { path, text } of strings(file.body)) {
      if (!text.includes('${')) continue;
      const where = `${file.path}: ${path}`;
      for (const match of text.matchAll(
        /(?<![\w.])(data\.)?((?:google|random)_[a-z0-9_]+)\.([a-z0-9_]+)(?:\[[^\]]*\])?\.([a-z0-9_]+)/g,
      )) {
        const address = `${match[1] ?? ''}${match[2]}.${match[3]}`;
        if (!declared.has(address)) {
          problems.push(`${where}: reference to undeclared ${address}`);
          continue;
        }
        const target = declared.get(address);
        const attribute = match[4]!;
        if (target && !(attribute in target.attributes) && !(attribute in target.blocks)) {
          problems.push(`${where}: ${address} has no attribute "${attribute}"`);
        }
      }
      for (const match of text.matchAll(/(?<![\w.])var\.([a-zA-Z0-9_]+)/g)) {
        if (!variables.has(match[1]!)) problems.push(`${where}: reference to undeclared variable var.${match[1]}`);
      }
      for (const match of text.matchAll(/(?<![\w.])local\.([a-zA-Z0-9_]+)/g)) {
        if (!locals.has(match[1]!)) problems.push(`${where}: reference to undeclared local.${match[1]}`);
      }
    }
  }
  return problems;
}

/** Whether a version like 6.50.0 satisfies a constraint like "~> 6.50" (the only form versions.tf uses). */
export function satisfiesPessimistic(version: string, constraint: string): boolean {
  const match = /^~>\s*(\d+(?:\.\d+)*)$/.exec(constraint.trim());
  if (!match) throw new Error(`unsupported version constraint "${constraint}"`);
  const want = match[1]!.split('.').map(Number);
  const have = version.split('.').map(Number);
  // ~> X.Y allows >= X.Y and < (X+1); ~> X.Y.Z allows >= X.Y.Z and < X.(Y+1).
  const fixed = want.slice(0, -1);
  if (!fixed.every((part, i) => have[i] === part)) return false;
  for (let i = fixed.length; i < want.length; i++) {
    const h = have[i] ?? 0;
    const w = want[i]!;
    if (h !== w) return h > w;
  }
  return true;
}
