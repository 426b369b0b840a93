/**
 * One narrow tolerance in MCP's standard-header validation (SEP-2243), for Claude's connectors.
 *
 * claude.ai connectors (claude.ai, Claude Desktop, Claude Code through a connector) negotiate 2026-07-28
 * with `server/discover` and then send every request with the body envelope
 * `_meta["io.modelcontextprotocol/protocolVersion"] = "2026-07-28"` but the header
 * `MCP-Protocol-Version: 2025-11-25` (anthropics/claude-code#93290). The SDK's handler (createMcpHandler,
 * classifyInboundRequest: "header-body-version-mismatch") answers each with 400 / -32020, so every tool
 * call fails. The spec classifies a request by its body, and both versions are ones we serve, so we serve
 * it by the body: the header is rewritten to the body's version before the SDK sees the request, and only
 * in that case. Every other check stays the SDK's, unchanged: Mcp-Method / Mcp-Name mismatches, missing
 * envelope keys, unknown versions on either side, duplicated headers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { PROTOCOL_VERSION_META_KEY, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';

/** The body version whose requests we serve despite an earlier header. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** Earlier revisions tolerated in the header of a 2026-07-28 request: those we also serve on the legacy path. */
export const TOLERATED_HEADER_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26'].filter((v) =>
  SUPPORTED_PROTOCOL_VERSIONS.includes(v),
);

export interface ToleratedMismatch {
  headerVersion: string;
  bodyVersion: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The envelope's protocol version of a single JSON-RPC request or notification (not a batch). */
function envelopeVersion(body: unknown): string | undefined {
  if (!isPlainObject(body) || typeof body.method !== 'string' || !isPlainObject(body.params)) return undefined;
  const meta = body.params._meta;
  if (!isPlainObject(meta)) return undefined;
  const version = meta[PROTOCOL_VERSION_META_KEY];
  return typeof version === 'string' ? version : undefined;
}

/** RFC 9110 optional whitespace around a field value (the SDK strips it too). */
function stripOws(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, '');
}

/**
 * Rewrites `mcp-protocol-version` in `headers` to the body's version when the body names 2026-07-28 and
 * the header one of TOLERATED_HEADER_VERSIONS; returns what was tolerated, or undefined when the headers
 * were left alone.
 */
export function tolerateEarlierHeaderVersion(
  headers: IncomingHttpHeaders,
  body: unknown,
): ToleratedMismatch | undefined {
  const raw = headers['mcp-protocol-version'];
  if (typeof raw !== 'string') return undefined;
  const headerVersion = stripOws(raw);
  if (!TOLERATED_HEADER_VERSIONS.includes(headerVersion)) return undefined;
  const bodyVersion = envelopeVersion(body);
  if (bodyVersion !== MODERN_PROTOCOL_VERSION) return undefined;
  headers['mcp-protocol-version'] = bodyVersion;
  return { headerVersion, bodyVersion };
}
