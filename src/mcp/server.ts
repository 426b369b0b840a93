/**
 * One McpServer per request (stateless): the same factory serves the 2025-11-25 `initialize` flow and
 * 2026-07-28 requests. Tool failures become tool results with `isError` and a message a model can act
 * on — never a stack trace or a raw Google payload.
 */
import { McpServer, type CallToolResult } from '@modelcontextprotocol/server';
import type { Config } from '../config/config.js';
import type { ContactTrash } from '../contacts/trash.js';
import { log } from '../logging/logger.js';
import { isStoreUnavailable } from '../storage/port.js';
import {
  GoogleReauthRequired,
  GoogleUnavailable,
  MissingGooglePermission,
  PeopleApiError,
  type PeopleGateway,
} from '../upstream/google/people.js';
import {
  PERMISSION_LABELS,
  SCOPE,
  missingOptionalPermissionText,
  optionalPermissionFor,
} from '../upstream/google/scopes.js';
import type { Principal } from '../auth/token-verifier.js';
import { ALL_TOOLS } from './tools/index.js';
import { isReadOnlyTool, ToolError, type ToolContext, type ToolDefinition } from './tools/types.js';

export const SERVER_INFO = { name: 'google-contacts-mcp', version: '0.1.0' };

export interface McpDeps {
  config: Config;
  people: PeopleGateway;
  trash: ContactTrash;
  tools?: ToolDefinition[];
}

/** Per-request flags the HTTP layer reads after the call (e.g. to answer 401 instead of a tool error). */
export interface RequestOutcome {
  reauthRequired: boolean;
}

export function toolsFor(config: Config, tools: ToolDefinition[] = ALL_TOOLS): ToolDefinition[] {
  return config.readOnly ? tools.filter(isReadOnlyTool) : tools;
}

const GOOGLE_SCOPE_PREFIX = 'https://www.googleapis.com/auth/';

/** "…needs the Google permission “X”" for the scopes Google named (any one of which would do). */
function missingPermissionText(requiredScopes: string[] | undefined): string {
  const names = (requiredScopes ?? [])
    .map((s) => (s.includes('/') ? s : `${GOOGLE_SCOPE_PREFIX}${s}`))
    .filter((s) => PERMISSION_LABELS[s]);
  // Google names one optional permission (other contacts, directory): the user unticked it when signing in.
  const optional = names.length === 1 ? optionalPermissionFor(names[0]!) : undefined;
  if (optional) return missingOptionalPermissionText(optional);
  // Google lists every scope that would do; the read-only one is the least the user has to grant.
  const wanted =
    names.includes(SCOPE.contacts) && names.includes(SCOPE.contactsReadonly)
      ? names.filter((n) => n !== SCOPE.contacts)
      : names;
  const how =
    wanted.length > 1
      ? 'To grant them, reconnect this connector (sign in with Google again) and, on Google’s consent screen, tick the boxes for those permissions.'
      : 'To grant it, reconnect this connector (sign in with Google again) and, on Google’s consent screen, tick the box for that permission.';
  if (wanted.length === 0) {
    return 'This connector is missing a Google permission needed for this action. Reconnect the connector and, on Google’s consent screen, tick every Google Contacts permission it asks for.';
  }
  const labels = wanted.map((n) => `“${PERMISSION_LABELS[n]}”`).join(' and ');
  return wanted.length > 1
    ? `This action needs the Google permissions ${labels}, and this connector was not granted all of them. ${how}`
    : `This action needs the Google permission ${labels}, which this connector was not granted. ${how}`;
}

export function errorResult(err: unknown, outcome: RequestOutcome, toolName: string): CallToolResult {
  let text: string;
  if (err instanceof ToolError) {
    text = err.message;
  } else if (err instanceof MissingGooglePermission) {
    text = missingOptionalPermissionText(err.permission);
  } else if (err instanceof GoogleReauthRequired) {
    outcome.reauthRequired = true;
    text =
      'Your Google sign-in for this connector has expired or was revoked. Reconnect the connector (sign in with Google again) and retry.';
  } else if (err instanceof GoogleUnavailable) {
    text = 'Google is temporarily unavailable. Try again in a minute.';
  } else if (isStoreUnavailable(err)) {
    // Our storage (the Google token store, the trash) did not answer: our outage, not a bug in the call.
    log().error({ event: 'store.unavailable', tool: toolName }, 'storage unavailable during a tool call');
    text = 'This server’s storage is temporarily unavailable. Try again in a moment.';
  } else if (err instanceof PeopleApiError) {
    switch (err.kind) {
      case 'not_found':
        text = err.message.startsWith('No ')
          ? err.message
          : 'Google Contacts has no such contact or group (it may have been deleted). Search again to get a current resource name.';
        break;
      case 'permission':
        text =
          err.reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' || /scope/i.test(err.message)
            ? missingPermissionText(err.requiredScopes)
            : `Google refused this action: ${err.message}`;
        break;
      case 'rate_limited':
        text = 'Google Contacts is rate limiting requests right now. Wait a minute and try again.';
        break;
      case 'unavailable':
        text = err.message.includes('may or may not') ? `${err.message}.` : `${err.message}. Try again later.`;
        break;
      case 'precondition':
        text = 'The contact changed while it was being updated. Fetch it again and retry.';
        break;
      case 'busy':
        text = err.message;
        break;
      default:
        text = `Google rejected the request: ${err.message}`;
    }
  } else {
    log().error({ err, tool: toolName }, 'tool failed unexpectedly');
    text =
      'The tool failed unexpectedly. Try again; if it keeps failing, tell the administrator the time of this request.';
  }
  return { content: [{ type: 'text', text }], isError: true };
}

type JsonSchemaOptions = { target: string; libraryOptions?: Record<string, unknown> };
interface StandardWithJson {
  '~standard': {
    version: 1;
    vendor: string;
    validate: (value: unknown, options?: unknown) => unknown;
    jsonSchema: {
      input: (o: JsonSchemaOptions) => Record<string, unknown>;
      output: (o: JsonSchemaOptions) => Record<string, unknown>;
    };
    types?: unknown;
  };
}
const schemaCache = new WeakMap<object, StandardWithJson>();

/**
 * A per-request server registers every tool again, and the SDK converts each zod schema to JSON Schema
 * on every registration: a sixth of the CPU of a tool call. The schemas never change, so convert once.
 */
function withCachedJsonSchema<T extends object>(schema: T): T {
  let wrapped = schemaCache.get(schema);
  if (!wrapped) {
    const std = (schema as unknown as StandardWithJson)['~standard'];
    const memo = new Map<string, Record<string, unknown>>();
    const convert = (kind: 'input' | 'output') => (o: JsonSchemaOptions) => {
      const key = `${kind}:${o.target}:${JSON.stringify(o.libraryOptions ?? null)}`;
      let v = memo.get(key);
      if (!v) {
        v = std.jsonSchema[kind](o);
        memo.set(key, v);
      }
      return v;
    };
    wrapped = {
      '~standard': {
        version: std.version,
        vendor: std.vendor,
        validate: (value, options) => std.validate(value, options),
        jsonSchema: { input: convert('input'), output: convert('output') },
        types: std.types,
      },
    };
    schemaCache.set(schema, wrapped);
  }
  return wrapped as unknown as T;
}

/**
 * The server for one request. `onlyTool`: the request is a single tools/call of that tool, so only it is
 * registered (the answer is the same; registering all sixteen cost ~7 % of a tool call's CPU). A name we
 * don't have registers them all, so the SDK answers an unknown tool exactly as it always does.
 */
export function buildMcpServer(
  deps: McpDeps,
  principal: Principal,
  outcome: RequestOutcome,
  onlyTool?: string,
): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: { listChanged: false }, logging: {} },
    instructions:
      'Tools to read and manage the signed-in user’s Google Contacts. Search before creating to avoid duplicates; confirm with the user before deleting anything.',
  });
  // The tools see the user's Google Contacts and trash already bound to the signed-in account.
  const ctx: ToolContext = {
    google: deps.people.forAccount(principal.accountId),
    trash: deps.trash.forAccount(principal.accountId),
  };
  const available = toolsFor(deps.config, deps.tools);
  const called = onlyTool === undefined ? undefined : available.find((t) => t.name === onlyTool);
  for (const tool of called ? [called] : available) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: withCachedJsonSchema(tool.inputSchema),
        outputSchema: withCachedJsonSchema(tool.outputSchema),
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args) => {
        try {
          const out = await tool.run(args, ctx);
          return { content: [{ type: 'text', text: out.text }], structuredContent: out.structured };
        } catch (err) {
          return errorResult(err, outcome, tool.name);
        }
      },
    );
  }
  return server;
}
