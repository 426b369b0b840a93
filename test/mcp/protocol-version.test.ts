/**
 * The one tolerance in MCP standard-header validation (anthropics/claude-code#93290): which requests get
 * their MCP-Protocol-Version header rewritten to the body's version, and — as important — which do not.
 */
import { expect } from 'chai';
import type { IncomingHttpHeaders } from 'node:http';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import {
  MODERN_PROTOCOL_VERSION,
  TOLERATED_HEADER_VERSIONS,
  tolerateEarlierHeaderVersion,
} from '../../src/mcp/protocol-version.js';

const KEY = 'io.modelcontextprotocol/protocolVersion';
const request = (version: unknown, extra: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/list',
  params: { _meta: { [KEY]: version, 'io.modelcontextprotocol/clientCapabilities': {} } },
  ...extra,
});

describe('MCP-Protocol-Version tolerance (body 2026-07-28, header an earlier revision we serve)', () => {
  it('tolerates exactly 2025-11-25, 2025-06-18 and 2025-03-26, all of which the SDK serves on the legacy path', () => {
    expect(TOLERATED_HEADER_VERSIONS).to.deep.equal(['2025-11-25', '2025-06-18', '2025-03-26']);
    for (const v of TOLERATED_HEADER_VERSIONS) expect(SUPPORTED_PROTOCOL_VERSIONS).to.include(v);
    expect(MODERN_PROTOCOL_VERSION).to.equal('2026-07-28');
  });

  it('rewrites the header to the body version and reports both', () => {
    for (const header of TOLERATED_HEADER_VERSIONS) {
      const headers: IncomingHttpHeaders = { 'mcp-protocol-version': header };
      expect(tolerateEarlierHeaderVersion(headers, request('2026-07-28'))).to.deep.equal({
        headerVersion: header,
        bodyVersion: '2026-07-28',
      });
      expect(headers['mcp-protocol-version']).to.equal('2026-07-28');
    }
    // Notifications too, and optional whitespace around the header value (RFC 9110).
    const headers: IncomingHttpHeaders = { 'mcp-protocol-version': ' 2025-11-25\t' };
    expect(
      tolerateEarlierHeaderVersion(headers, {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { _meta: { [KEY]: '2026-07-28' } },
      }),
    ).to.not.equal(undefined);
    expect(headers['mcp-protocol-version']).to.equal('2026-07-28');
  });

  it('leaves everything else alone, for the SDK to judge strictly', () => {
    const untouched: Array<[string, string | undefined, unknown]> = [
      ['headers agree', '2026-07-28', request('2026-07-28')],
      ['no header', undefined, request('2026-07-28')],
      ['unknown header version', '1999-01-01', request('2026-07-28')],
      ['earlier revision we do not tolerate', '2024-11-05', request('2026-07-28')],
      ['two header values joined by a proxy', '2025-11-25, 2026-07-28', request('2026-07-28')],
      ['unknown body version', '2025-11-25', request('9999-01-01')],
      ['legacy body (no envelope)', '2025-11-25', { jsonrpc: '2.0', id: 1, method: 'tools/list' }],
      ['body version not a string', '2025-11-25', request(20260728)],
      ['batch', '2025-11-25', [request('2026-07-28')]],
      ['no method', '2025-11-25', { jsonrpc: '2.0', id: 1, params: { _meta: { [KEY]: '2026-07-28' } } }],
      [
        '_meta not an object',
        '2025-11-25',
        { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: '2026-07-28' } },
      ],
    ];
    for (const [name, header, body] of untouched) {
      const headers: IncomingHttpHeaders = header === undefined ? {} : { 'mcp-protocol-version': header };
      expect(tolerateEarlierHeaderVersion(headers, body), name).to.equal(undefined);
      expect(headers['mcp-protocol-version'], name).to.equal(header);
    }
  });
});
