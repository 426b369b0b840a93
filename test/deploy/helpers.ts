// Shared by the offline deployment checks (test/deploy/*.test.ts): reading the repository's deployment
// files without any network or cloud access. The Terraform reader lives in scripts/terraform-config.ts,
// because scripts/extract-provider-schema.ts needs it too and nothing outside test/ imports from test/.
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  isObject,
  type HclObject,
  type HclValue,
  type TerraformBlock,
  type TerraformConfig,
} from '../../scripts/terraform-config.js';

export {
  asArray,
  configFromFiles,
  isObject,
  loadTerraform,
  parseTerraformSnippet,
  providerSchemaPath,
  terraformDir,
  usedTypes,
  type HclObject,
  type HclValue,
  type TerraformBlock,
  type TerraformConfig,
  type TerraformFile,
} from '../../scripts/terraform-config.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function readRepoFile(relativePath: string): string {
  return readFileSync(join(repoRoot, relativePath), 'utf8');
}

export function repoFileExists(relativePath: string): boolean {
  return existsSync(join(repoRoot, relativePath));
}

/** All the blocks of one type. */
export function blocksOfType(
  config: TerraformConfig,
  type: string,
  kind: 'resource' | 'data' = 'resource',
): TerraformBlock[] {
  return config.blocks.filter((block) => block.kind === kind && block.type === type);
}

/** The single block with this type and name; throws if absent. */
export function block(config: TerraformConfig, type: string, name: string): TerraformBlock {
  const found = config.blocks.find((b) => b.kind === 'resource' && b.type === type && b.name === name);
  if (!found) throw new Error(`terraform: no resource "${type}" "${name}"`);
  return found;
}

/** The first element of a nested block (hcl2json gives every block as an array), or undefined. */
export function nested(value: HclValue | undefined, ...path: string[]): HclObject | undefined {
  let current: HclValue | undefined = value;
  for (const key of path) {
    const object = Array.isArray(current) ? current[0] : current;
    if (!isObject(object)) return undefined;
    current = object[key];
  }
  const result = Array.isArray(current) ? current[0] : current;
  return isObject(result) ? result : undefined;
}

/** Every string found anywhere in a value, with the path it was found at. */
export function* strings(value: HclValue | undefined, path = ''): Generator<{ path: string; text: string }> {
  if (typeof value === 'string') {
    yield { path, text: value };
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* strings(item, `${path}[${index}]`);
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) yield* strings(item, path ? `${path}.${key}` : key);
  }
}

/** Collection names from docs/storage.md: the backticked first cell of each row of a table whose header's
 * first cell mentions "collection". Returns undefined when the doc does not exist. */
export function collectionsFromStorageDoc(): string[] | undefined {
  const docPath = 'docs/storage.md';
  if (!repoFileExists(docPath)) return undefined;
  const lines = readRepoFile(docPath).split('\n');
  const names: string[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const header = lines[i]!.trim();
    const separator = lines[i + 1]!.trim();
    if (!header.startsWith('|') || !/^\|?\s*:?-{3,}/.test(separator)) continue;
    const firstHeaderCell = header.split('|')[1] ?? '';
    if (!/collection/i.test(firstHeaderCell)) continue;
    for (let j = i + 2; j < lines.length && lines[j]!.trim().startsWith('|'); j++) {
      const firstCell = lines[j]!.trim().split('|')[1] ?? '';
      const match = /^\s*`([^`]+)`/.exec(firstCell);
      if (match) names.push(match[1]!);
    }
  }
  return names;
}

export interface DockerInstruction {
  keyword: string;
  /** The arguments as written (continuation lines joined). */
  args: string;
  line: number;
}

export interface DockerStage {
  /** The base image with global ARG defaults substituted. */
  from: string;
  name?: string;
  instructions: DockerInstruction[];
}

/** A small Dockerfile reader (default escape character, no heredocs): instructions grouped by stage. */
export function parseDockerfile(text: string): {
  globalArgs: Record<string, string>;
  stages: DockerStage[];
  instructions: DockerInstruction[];
} {
  const instructions: DockerInstruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#.*)?$/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      const next = lines[i]!;
      if (/^\s*#/.test(next)) continue;
      line = line.replace(/\\\s*$/, ' ') + next.trim();
    }
    const match = /^\s*(\S+)\s*(.*)$/.exec(line);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start + 1 });
  }
  const globalArgs: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/).filter((part) => !part.startsWith('--'));
      const from = image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, arg: string) => globalArgs[arg] ?? whole);
      stages.push({ from, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [name, value] = instruction.args.split('=');
        if (name && value !== undefined) globalArgs[name.trim()] = value.trim().replace(/^"(.*)"$/, '$1');
      }
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages, instructions };
}

/** ENV instructions of a stage as name -> value (the NAME=VALUE form). */
export function dockerEnv(stage: DockerStage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    for (const match of instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
      env[match[1]!] = match[2]!.replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}
