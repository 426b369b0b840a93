/**
 * Request-body validation against standins/people-schema.json (generated from @googleapis/people's
 * types by scripts/generate-people-schema.ts), answering like Google's JSON parser does.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { badRequest, type ApiError } from './errors.js';
import { camelToSnake } from './fields.js';

export type BodyType =
  | 'Person'
  | 'CreateContactGroupRequest'
  | 'UpdateContactGroupRequest'
  | 'ModifyContactGroupMembersRequest'
  | 'CopyOtherContactToMyContactsGroupRequest'
  | 'BatchCreateContactsRequest'
  | 'BatchDeleteContactsRequest';

const schemaUrl = new URL('../people-schema.json', import.meta.url);

let validators: Map<BodyType, ValidateFunction> | undefined;

function load(): Map<BodyType, ValidateFunction> {
  if (validators) return validators;
  const schema = JSON.parse(readFileSync(schemaUrl, 'utf8')) as { $id: string };
  const ajv = new Ajv({ allErrors: false, strict: false });
  ajv.addSchema(schema);
  const types: BodyType[] = [
    'Person',
    'CreateContactGroupRequest',
    'UpdateContactGroupRequest',
    'ModifyContactGroupMembersRequest',
    'CopyOtherContactToMyContactsGroupRequest',
    'BatchCreateContactsRequest',
    'BatchDeleteContactsRequest',
  ];
  validators = new Map();
  for (const t of types) {
    const fn = ajv.getSchema(`${schema.$id}#/definitions/${t}`);
    if (!fn) throw new Error(`people-schema.json lacks definition ${t}`);
    validators.set(t, fn);
  }
  return validators;
}

/** JSON pointer (/names/0/givenName) → Google's field path (person.names[0].given_name). */
function googlePath(root: string, pointer: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = root;
  for (const p of parts) {
    if (/^\d+$/.test(p)) out += `[${p}]`;
    else out += (out ? '.' : '') + camelToSnake(p);
  }
  return out;
}

function protoType(err: ErrorObject): string {
  const t = (err.params as { type?: string | string[] }).type;
  const first = Array.isArray(t) ? t.find((x) => x !== 'null') : t;
  switch (first) {
    case 'string':
      return 'TYPE_STRING';
    case 'integer':
    case 'number':
      return 'TYPE_INT32';
    case 'boolean':
      return 'TYPE_BOOL';
    case 'array':
      return 'TYPE_REPEATED';
    default:
      return 'TYPE_MESSAGE';
  }
}

function valueAt(body: unknown, pointer: string): unknown {
  let cur: unknown = body;
  for (const p of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

/**
 * Validates `body` as `type`. `root` is the request field the body binds to ('person' for
 * createContact/updateContact whose HTTP body is `person`; '' for `body: "*"` requests).
 */
export function validateBody(type: BodyType, body: unknown, root: string): ApiError | undefined {
  const fn = load().get(type) as ValidateFunction;
  if (fn(body)) return undefined;
  const errors = fn.errors ?? [];
  // Prefer the most telling error: unknown field, then a type mismatch, then anything.
  const unknown = errors.find((e) => e.keyword === 'additionalProperties');
  if (unknown) {
    const name = (unknown.params as { additionalProperty: string }).additionalProperty;
    const at = googlePath(root, unknown.instancePath);
    const message = at
      ? `Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`
      : `Invalid JSON payload received. Unknown name "${name}": Cannot find field.`;
    return badRequest(message, at);
  }
  const typeErr = errors.find((e) => e.keyword === 'type') ?? errors[0];
  const at = googlePath(root, typeErr?.instancePath ?? '');
  const value = JSON.stringify(valueAt(body, typeErr?.instancePath ?? '')) ?? 'null';
  const message =
    typeErr?.keyword === 'type'
      ? `Invalid value at '${at}' (${protoType(typeErr)}), ${value}`
      : `Invalid JSON payload received. Invalid value at '${at}'.`;
  return badRequest(message, at);
}
