// Extracts the Terraform schema of the resource and data-source types that terraform/*.tf uses from the
// jsii manifests (.jsii) of the prebuilt CDKTF provider packages, and writes it to
// test/deploy/provider-schema.json, which test/deploy/terraform.test.ts checks every .tf file against.
//
// The provider packages are large (@cdktf/provider-google is ~300 MB unpacked), so they are installed in a
// temporary directory, never in this repository, and CI never installs them:
//
//   npm install --prefix /tmp/cdktf-schema --no-save --ignore-scripts --legacy-peer-deps \
//     @cdktf/provider-google@16.12.1 @cdktf/provider-random@12.0.1
//   npx tsx scripts/extract-provider-schema.ts /tmp/cdktf-schema/node_modules
//
// @cdktf/provider-google 16.12.1 is built from the google provider 6.50.0 (what terraform/versions.tf
// pins with "~> 6.50"); @cdktf/provider-random 12.0.1 from random 3.7.2. Re-run after adding a resource
// type to terraform/ or when moving the provider pin.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTerraform, providerSchemaPath, usedTypes } from './terraform-config.js';

interface JsiiTypeRef {
  primitive?: string;
  fqn?: string;
  collection?: { kind: 'array' | 'map'; elementtype: JsiiTypeRef };
  union?: { types: JsiiTypeRef[] };
}
interface JsiiProperty {
  name: string;
  type: JsiiTypeRef;
  optional?: boolean;
  static?: boolean;
  immutable?: boolean;
  docs?: { summary?: string; remarks?: string };
}
interface JsiiType {
  fqn: string;
  kind: 'class' | 'interface' | 'enum';
  base?: string;
  datatype?: boolean;
  docs?: { summary?: string };
  properties?: JsiiProperty[];
  initializer?: { parameters?: { name: string; type: JsiiTypeRef }[] };
}
interface JsiiAssembly {
  name: string;
  version: string;
  types: Record<string, JsiiType>;
}

/** "required" and "optional" arguments can be set; "computed" attributes can only be read. */
export type AttributeKind = 'required' | 'optional' | 'computed';
export interface BlockSchema {
  attributes: Record<string, AttributeKind>;
  blocks: Record<string, NestedBlockSchema>;
}
export interface NestedBlockSchema extends BlockSchema {
  /** "single": at most one such block; "list": any number. */
  nesting: 'single' | 'list';
  required?: true;
}
export interface ProviderSchemaFile {
  $comment: string;
  providers: Record<string, { source: string; version: string; package: string; config: BlockSchema }>;
  resources: Record<string, BlockSchema>;
  data_sources: Record<string, BlockSchema>;
}

const packages = [
  { local: 'google', packageName: '@cdktf/provider-google' },
  { local: 'random', packageName: '@cdktf/provider-random' },
];

function camelToSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The Terraform name of a property: the anchor of its "Docs at Terraform Registry" link. */
function terraformName(property: JsiiProperty): string {
  const docs = `${property.docs?.summary ?? ''}\n${property.docs?.remarks ?? ''}`;
  const anchor = /\{@link https:\/\/registry\.terraform\.io\/\S*#([a-z0-9_]+) [^}]*\}/.exec(docs);
  return anchor ? anchor[1]! : camelToSnake(property.name);
}

class Extractor {
  readonly mismatches: string[] = [];
  constructor(private readonly assembly: JsiiAssembly) {}

  private struct(fqn: string | undefined): JsiiType | undefined {
    if (!fqn) return undefined;
    const type = this.assembly.types[fqn];
    return type?.kind === 'interface' && type.datatype ? type : undefined;
  }

  /** Whether a property is a nested block, and if so its struct and nesting. */
  private blockOf(ref: JsiiTypeRef): { struct: JsiiType; nesting: 'single' | 'list' } | undefined {
    const single = this.struct(ref.fqn);
    if (single) return { struct: single, nesting: 'single' };
    if (ref.collection?.kind === 'array') {
      const element = this.struct(ref.collection.elementtype.fqn);
      if (element) return { struct: element, nesting: 'list' };
    }
    for (const member of ref.union?.types ?? []) {
      const found = this.blockOf(member);
      if (found) return found;
    }
    return undefined;
  }

  block(structFqn: string): BlockSchema {
    const struct = this.assembly.types[structFqn];
    if (!struct) throw new Error(`${structFqn} is not in ${this.assembly.name}`);
    const schema: BlockSchema = { attributes: {}, blocks: {} };
    for (const property of struct.properties ?? []) {
      const name = terraformName(property);
      if (name !== camelToSnake(property.name)) this.mismatches.push(`${structFqn}.${property.name} -> ${name}`);
      const nestedBlock = this.blockOf(property.type);
      if (nestedBlock) {
        schema.blocks[name] = {
          nesting: nestedBlock.nesting,
          ...(property.optional ? {} : { required: true as const }),
          ...this.block(nestedBlock.struct.fqn),
        };
      } else {
        schema.attributes[name] = property.optional ? 'optional' : 'required';
      }
    }
    return sortBlock(schema);
  }

  /** A resource, data source or provider class: its config struct plus its read-only attributes. */
  topLevel(classFqn: string): BlockSchema {
    const cls = this.assembly.types[classFqn];
    const config = cls?.initializer?.parameters?.find((p) => p.name === 'config')?.type.fqn;
    if (!cls || !config) throw new Error(`${classFqn}: no config struct`);
    const schema = this.block(config);
    for (const property of cls.properties ?? []) {
      if (property.static || !property.immutable || property.name.endsWith('Input')) continue;
      const name = camelToSnake(property.name);
      if (!(name in schema.attributes) && !(name in schema.blocks)) schema.attributes[name] = 'computed';
    }
    return sortBlock(schema);
  }

  /** Terraform type name -> class fqn, for resources and data sources, from the classes' doc links. */
  classesByTerraformType(): {
    resources: Map<string, string>;
    dataSources: Map<string, string>;
    provider?: string;
    version?: string;
  } {
    const resources = new Map<string, string>();
    const dataSources = new Map<string, string>();
    let provider: string | undefined;
    let version: string | undefined;
    for (const type of Object.values(this.assembly.types)) {
      if (type.kind !== 'class') continue;
      if (type.base === 'cdktf.TerraformProvider') provider = type.fqn;
      const link =
        /\{@link https:\/\/registry\.terraform\.io\/providers\/[^/]+\/[^/]+\/([0-9.]+)\/docs(?:\/(resources|data-sources)\/\S+)? (\S+)\}/.exec(
          type.docs?.summary ?? '',
        );
      if (!link) continue;
      version ??= link[1];
      if (type.base === 'cdktf.TerraformResource' && link[2] === 'resources') resources.set(link[3]!, type.fqn);
      if (type.base === 'cdktf.TerraformDataSource' && link[2] === 'data-sources') dataSources.set(link[3]!, type.fqn);
    }
    return { resources, dataSources, provider, version };
  }
}

function sortObject<T>(object: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b)));
}

function sortBlock<T extends BlockSchema>(schema: T): T {
  return { ...schema, attributes: sortObject(schema.attributes), blocks: sortObject(schema.blocks) };
}

async function main(): Promise<void> {
  const nodeModules = process.argv[2];
  if (!nodeModules) {
    console.error(
      'usage: npx tsx scripts/extract-provider-schema.ts <node_modules dir holding @cdktf/provider-google and @cdktf/provider-random>',
    );
    process.exit(2);
  }
  const config = await loadTerraform();
  const used = usedTypes(config);
  const output: ProviderSchemaFile = {
    $comment: '',
    providers: {},
    resources: {},
    data_sources: {},
  };
  const sources: string[] = [];
  const missing = new Set([...used.resources.map((t) => `resource ${t}`), ...used.dataSources.map((t) => `data ${t}`)]);

  for (const { local, packageName } of packages) {
    const assembly = JSON.parse(readFileSync(join(nodeModules, packageName, '.jsii'), 'utf8')) as JsiiAssembly;
    const extractor = new Extractor(assembly);
    const classes = extractor.classesByTerraformType();
    if (!classes.provider || !classes.version) throw new Error(`${packageName}: no provider class or version`);
    output.providers[local] = {
      source: `hashicorp/${local}`,
      version: classes.version,
      package: `${packageName}@${assembly.version}`,
      config: extractor.topLevel(classes.provider),
    };
    sources.push(`${packageName}@${assembly.version} (${local} provider ${classes.version})`);
    for (const type of used.resources) {
      const fqn = classes.resources.get(type);
      if (fqn) {
        output.resources[type] = extractor.topLevel(fqn);
        missing.delete(`resource ${type}`);
      }
    }
    for (const type of used.dataSources) {
      const fqn = classes.dataSources.get(type);
      if (fqn) {
        output.data_sources[type] = extractor.topLevel(fqn);
        missing.delete(`data ${type}`);
      }
    }
    for (const mismatch of extractor.mismatches)
      console.warn(`note: doc anchor differs from camelCase name: ${mismatch}`);
  }
  if (missing.size > 0) throw new Error(`not found in any provider package: ${[...missing].join(', ')}`);

  output.$comment =
    `Generated by scripts/extract-provider-schema.ts from ${sources.join(' and ')}. ` +
    'Only the resource and data-source types that terraform/*.tf uses. Do not edit by hand.';
  output.resources = sortObject(output.resources);
  output.data_sources = sortObject(output.data_sources);
  writeFileSync(providerSchemaPath, `${JSON.stringify(output, null, 1)}\n`);
  console.log(
    `wrote ${providerSchemaPath}: ${used.resources.length} resource types, ${used.dataSources.length} data source types`,
  );
}

await main();
