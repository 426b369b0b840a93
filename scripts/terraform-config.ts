// Reads the Terraform configuration (terraform/*.tf) offline, as @cdktf/hcl2json parses it. Used by
// scripts/extract-provider-schema.ts (which types to extract) and by the deployment checks in test/deploy/
// (through test/deploy/helpers.ts).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseHcl } from '@cdktf/hcl2json';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const terraformDir = join(repoRoot, 'terraform');
/** The provider schema extracted by scripts/extract-provider-schema.ts, checked against by test/deploy/terraform.test.ts. */
export const providerSchemaPath = join(repoRoot, 'test', 'deploy', 'provider-schema.json');

/** A JSON value as @cdktf/hcl2json produces it: blocks are arrays of objects, expressions are "${...}" strings. */
export type HclValue = string | number | boolean | null | HclValue[] | { [key: string]: HclValue };
export type HclObject = { [key: string]: HclValue };

export interface TerraformFile {
  /** Path relative to the repository root, e.g. terraform/run.tf */
  path: string;
  body: HclObject;
}

/** One `resource "TYPE" "NAME" { ... }` or `data "TYPE" "NAME" { ... }` block. */
export interface TerraformBlock {
  kind: 'resource' | 'data';
  type: string;
  name: string;
  body: HclObject;
  file: string;
}

export interface TerraformConfig {
  files: TerraformFile[];
  blocks: TerraformBlock[];
  locals: HclObject;
  variables: Record<string, HclObject>;
  outputs: Record<string, HclObject>;
  providers: Record<string, HclObject[]>;
}

export function isObject(value: unknown): value is HclObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses every .tf file of a directory (not recursive: the configuration has no modules). */
export async function loadTerraform(dir: string = terraformDir): Promise<TerraformConfig> {
  const files: TerraformFile[] = [];
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.tf'))
    .sort();
  for (const name of names) {
    const fullPath = join(dir, name);
    files.push({
      path: fullPath.slice(repoRoot.length + 1),
      body: (await parseHcl(name, readFileSync(fullPath, 'utf8'))) as HclObject,
    });
  }
  return configFromFiles(files);
}

/** Parses one piece of HCL as if it were the whole configuration (for the checkers' own tests). */
export async function parseTerraformSnippet(hcl: string, path = 'snippet.tf'): Promise<TerraformConfig> {
  return configFromFiles([{ path, body: (await parseHcl(path, hcl)) as HclObject }]);
}

export function configFromFiles(files: TerraformFile[]): TerraformConfig {
  const config: TerraformConfig = { files, blocks: [], locals: {}, variables: {}, outputs: {}, providers: {} };
  for (const { path, body } of files) {
    for (const kind of ['resource', 'data'] as const) {
      const byType = body[kind];
      if (!isObject(byType)) continue;
      for (const [type, byName] of Object.entries(byType)) {
        if (!isObject(byName)) continue;
        for (const [blockName, instances] of Object.entries(byName)) {
          for (const instance of asArray(instances)) {
            if (isObject(instance)) config.blocks.push({ kind, type, name: blockName, body: instance, file: path });
          }
        }
      }
    }
    for (const locals of asArray(body.locals)) {
      if (isObject(locals)) Object.assign(config.locals, locals);
    }
    for (const [section, target] of [
      ['variable', config.variables],
      ['output', config.outputs],
    ] as const) {
      const byName = body[section];
      if (!isObject(byName)) continue;
      for (const [itemName, instances] of Object.entries(byName)) {
        const first = asArray(instances)[0];
        if (isObject(first)) target[itemName] = first;
      }
    }
    const providers = body.provider;
    if (isObject(providers)) {
      for (const [providerName, instances] of Object.entries(providers)) {
        (config.providers[providerName] ??= []).push(...asArray(instances).filter(isObject));
      }
    }
  }
  return config;
}

export function asArray(value: HclValue | undefined): HclValue[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Resource/data types the configuration uses, sorted. */
export function usedTypes(config: TerraformConfig): { resources: string[]; dataSources: string[] } {
  const resources = new Set<string>();
  const dataSources = new Set<string>();
  for (const block of config.blocks) (block.kind === 'resource' ? resources : dataSources).add(block.type);
  return { resources: [...resources].sort(), dataSources: [...dataSources].sort() };
}
