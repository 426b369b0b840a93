/**
 * Replays of what real clients put on the wire (hand-written requests, not the SDK client, so the exact
 * headers are under test): claude.ai connectors' 2026-07-28 bodies under a 2025-11-25 header
 * (anthropics/claude-code#93290), Claude Code's legacy `initialize` after `server/discover`
 * (anthropics/claude-code#96183), `Mcp-Method`/`Mcp-Name` on legacy requests, and what must stay refused.
 */
import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { signIn } from '../../standins/oauth-client.js';

const MODERN = '2026-07-28';
const PROTOCOL_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';

function envelope(version = MODERN): Record<string, unknown> {
  return {
    [PROTOCOL_VERSION_KEY]: version,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'claude-ai', version: '0.1.0' },
  };
}

interface Answer {
  status: number;
  /** The JSON-RPC message, from a JSON body or the last SSE `data:` line. */
  message:
    | { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown }; id?: unknown }
    | undefined;
}

async function post(h: Harness, token: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(h.mcpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let message: Answer['message'];
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const data = text
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim())
      .filter(Boolean);
    message = data.length ? (JSON.parse(data[data.length - 1]!) as Answer['message']) : undefined;
  } else {
    message = text ? (JSON.parse(text) as Answer['message']) : undefined;
  }
  return { status: res.status, message };
}

/** Log lines as objects. */
function events(h: Harness, name: string): Array<Record<string, unknown>> {
  return h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === name);
}

describe('mcp wire patterns of real clients', function () {
  this.timeout(60_000);
  let h: Harness;
  let token = '';
  let clientId = '';
  before(async () => {
    h = await startHarness();
    const { tokens, client } = await signIn(h.baseUrl, { loginHint: 'alice@example.com' });
    token = tokens.access_token!;
    clientId = client.client_id;
  });
  after(async () => h?.close());

  describe('claude.ai connector: 2026-07-28 body under an MCP-Protocol-Version: 2025-11-25 header (anthropics/claude-code#93290)', () => {
    const connectorHeaders = (method: string, name?: string) => ({
      'mcp-protocol-version': '2025-11-25',
      'mcp-method': method,
      ...(name ? { 'mcp-name': name } : {}),
    });

    it('serves initialize-less server/discover, tools/list and tools/call by the body version', async () => {
      const discover = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: envelope() } },
        connectorHeaders('server/discover'),
      );
      expect(discover.status, JSON.stringify(discover.message)).to.equal(200);
      expect(discover.message?.result?.supportedVersions).to.include(MODERN);

      const list = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: envelope() } },
        connectorHeaders('tools/list'),
      );
      expect(list.status, JSON.stringify(list.message)).to.equal(200);
      expect((list.message?.result?.tools as Array<{ name: string }>).map((t) => t.name)).to.include('whoami');

      const call = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {}, _meta: envelope() } },
        connectorHeaders('tools/call', 'whoami'),
      );
      expect(call.status, JSON.stringify(call.message)).to.equal(200);
      expect(call.message?.result?.isError).to.not.equal(true);
      expect(call.message?.result?.structuredContent).to.include({ email: 'alice@example.com' });
    });

    it('serves a 2026-07-28 notification under the same header (202, not -32020)', async () => {
      const res = await fetch(h.mcpUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${token}`,
          'mcp-protocol-version': '2025-11-25',
          'mcp-method': 'notifications/cancelled',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: 99, _meta: envelope() },
        }),
      });
      expect(res.status, await res.text()).to.equal(202);
    });

    it('also tolerates the other earlier revisions we serve in the header (2025-06-18, 2025-03-26)', async () => {
      for (const header of ['2025-06-18', '2025-03-26']) {
        const r = await post(
          h,
          token,
          { jsonrpc: '2.0', id: 4, method: 'tools/list', params: { _meta: envelope() } },
          { 'mcp-protocol-version': header, 'mcp-method': 'tools/list' },
        );
        expect(r.status, `${header}: ${JSON.stringify(r.message)}`).to.equal(200);
      }
    });

    it('logs exactly one mcp.header_version_mismatch WARNING per client, with the client id and both versions', async () => {
      for (let i = 0; i < 3; i++) {
        await post(
          h,
          token,
          { jsonrpc: '2.0', id: 10 + i, method: 'tools/list', params: { _meta: envelope() } },
          connectorHeaders('tools/list'),
        );
      }
      const warnings = events(h, 'mcp.header_version_mismatch').filter((e) => e.clientId === clientId);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include({
        severity: 'WARNING',
        clientId,
        headerVersion: '2025-11-25',
        bodyVersion: MODERN,
      });
      // A second client gets its own (single) warning.
      const other = await signIn(h.baseUrl, { loginHint: 'alice@example.com' });
      for (let i = 0; i < 2; i++) {
        const r = await post(
          h,
          other.tokens.access_token!,
          { jsonrpc: '2.0', id: 20 + i, method: 'tools/list', params: { _meta: envelope() } },
          connectorHeaders('tools/list'),
        );
        expect(r.status).to.equal(200);
      }
      expect(
        events(h, 'mcp.header_version_mismatch').filter((e) => e.clientId === other.client.client_id),
      ).to.have.length(1);
    });

    it('logs no mismatch warning for a client whose headers agree with its bodies', async () => {
      const agreeing = await signIn(h.baseUrl, { loginHint: 'alice@example.com' });
      const r = await post(
        h,
        agreeing.tokens.access_token!,
        { jsonrpc: '2.0', id: 25, method: 'tools/list', params: { _meta: envelope() } },
        { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
      );
      expect(r.status).to.equal(200);
      expect(
        events(h, 'mcp.header_version_mismatch').filter((e) => e.clientId === agreeing.client.client_id),
      ).to.have.length(0);
    });
  });

  describe('what stays refused (SEP-2243 header validation stays strict)', () => {
    it('an unknown body version (v999) under a 2026-07-28 header is refused', async () => {
      const r = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 30, method: 'tools/list', params: { _meta: envelope('9999-01-01') } },
        { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
      );
      expect(r.status).to.equal(400);
      expect(r.message?.error?.code).to.equal(-32020);
      expect(r.message?.result).to.equal(undefined);
    });

    it('an unknown body version under a tolerated 2025-11-25 header is refused', async () => {
      const r = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 31, method: 'tools/list', params: { _meta: envelope('9999-01-01') } },
        { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/list' },
      );
      expect(r.status).to.equal(400);
      expect(r.message?.error?.code).to.equal(-32020);
      expect(r.message?.result).to.equal(undefined);
    });

    it('an Mcp-Method header that disagrees with the body is refused with -32020', async () => {
      for (const header of [MODERN, '2025-11-25']) {
        const r = await post(
          h,
          token,
          {
            jsonrpc: '2.0',
            id: 32,
            method: 'tools/call',
            params: { name: 'whoami', arguments: {}, _meta: envelope() },
          },
          { 'mcp-protocol-version': header, 'mcp-method': 'tools/list', 'mcp-name': 'whoami' },
        );
        expect(r.status, header).to.equal(400);
        expect(r.message?.error?.code, header).to.equal(-32020);
      }
    });

    it('an Mcp-Name header that disagrees with the tool called is refused with -32020', async () => {
      const r = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 33, method: 'tools/call', params: { name: 'whoami', arguments: {}, _meta: envelope() } },
        { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/call', 'mcp-name': 'delete_contact' },
      );
      expect(r.status).to.equal(400);
      expect(r.message?.error?.code).to.equal(-32020);
    });

    it('a missing Mcp-Method header on a 2026-07-28 request is refused with -32020, whatever the version header', async () => {
      const r = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 34, method: 'tools/list', params: { _meta: envelope() } },
        { 'mcp-protocol-version': '2025-11-25' },
      );
      expect(r.status).to.equal(400);
      expect(r.message?.error?.code).to.equal(-32020);
    });

    it('an envelope missing a required key (clientCapabilities) is refused with -32602', async () => {
      const meta = envelope();
      delete meta['io.modelcontextprotocol/clientCapabilities'];
      for (const header of [MODERN, '2025-11-25']) {
        const r = await post(
          h,
          token,
          { jsonrpc: '2.0', id: 35, method: 'tools/list', params: { _meta: meta } },
          { 'mcp-protocol-version': header, 'mcp-method': 'tools/list' },
        );
        expect(r.status, header).to.equal(400);
        expect(r.message?.error?.code, header).to.equal(-32602);
      }
    });

    it('an unknown header version (1999-01-01) with a 2026-07-28 body is refused with -32020', async () => {
      const r = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 36, method: 'tools/list', params: { _meta: envelope() } },
        { 'mcp-protocol-version': '1999-01-01', 'mcp-method': 'tools/list' },
      );
      expect(r.status).to.equal(400);
      expect(r.message?.error?.code).to.equal(-32020);
    });

    it('a header naming an old revision we do not tolerate (2024-11-05) with a 2026-07-28 body is refused', async () => {
      const r = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 37, method: 'tools/list', params: { _meta: envelope() } },
        { 'mcp-protocol-version': '2024-11-05', 'mcp-method': 'tools/list' },
      );
      expect(r.status).to.equal(400);
      expect(r.message?.error?.code).to.equal(-32020);
    });

    it('a header carrying two versions (a proxy joined duplicates) is not tolerated', async () => {
      const r = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 38, method: 'tools/list', params: { _meta: envelope() } },
        { 'mcp-protocol-version': '2025-11-25, 2026-07-28', 'mcp-method': 'tools/list' },
      );
      expect(r.status).to.equal(400);
      expect(r.message?.error?.code).to.equal(-32020);
    });
  });

  describe('Claude Code: server/discover first, then a legacy initialize (anthropics/claude-code#96183)', () => {
    it('answers both, and the legacy session then serves tools/list', async () => {
      const discover = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 0, method: 'server/discover', params: { _meta: envelope() } },
        { 'mcp-protocol-version': MODERN, 'mcp-method': 'server/discover' },
      );
      expect(discover.status, JSON.stringify(discover.message)).to.equal(200);
      expect(discover.message?.result?.supportedVersions).to.include(MODERN);
      const initParams = {
        protocolVersion: '2025-11-25',
        capabilities: { roots: {} },
        clientInfo: { name: 'claude-code', version: '2.1.280' },
      };
      // As the SDK client sends it (no version header yet), and as a connector sends it (2025-11-25 + Mcp-Method).
      for (const headers of [{}, { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'initialize' }] as Array<
        Record<string, string>
      >) {
        const init = await post(h, token, { jsonrpc: '2.0', id: 1, method: 'initialize', params: initParams }, headers);
        expect(init.status, JSON.stringify(init.message)).to.equal(200);
        expect(init.message?.result?.protocolVersion).to.equal('2025-11-25');
      }
      const list = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/list' },
      );
      expect(list.status).to.equal(200);
      expect(list.message?.result?.tools).to.be.an('array').that.is.not.empty;
    });

    it('serves legacy requests that carry Mcp-Method/Mcp-Name headers (connectors send them on every request)', async () => {
      const call = await post(
        h,
        token,
        { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
        { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/call', 'mcp-name': 'whoami' },
      );
      expect(call.status, JSON.stringify(call.message)).to.equal(200);
      expect(call.message?.result?.structuredContent).to.include({ email: 'alice@example.com' });
      // No mismatch warning for legacy traffic.
      expect(events(h, 'mcp.header_version_mismatch').filter((e) => e.clientId === clientId).length).to.be.at.most(1);
    });
  });

  describe('mcp.connected', () => {
    it('is logged at INFO once per (client, account) per instance, however many initialize/discover requests come', async () => {
      const { tokens, client } = await signIn(h.baseUrl, { loginHint: 'bob@acme.test' });
      const t = tokens.access_token!;
      for (let i = 0; i < 4; i++) {
        const d = await post(
          h,
          t,
          { jsonrpc: '2.0', id: i, method: 'server/discover', params: { _meta: envelope() } },
          { 'mcp-protocol-version': MODERN, 'mcp-method': 'server/discover' },
        );
        expect(d.status).to.equal(200);
        const init = await post(
          h,
          t,
          {
            jsonrpc: '2.0',
            id: 100 + i,
            method: 'initialize',
            params: {
              protocolVersion: '2025-11-25',
              capabilities: {},
              clientInfo: { name: 'claude-code', version: '2.1.280' },
            },
          },
          {},
        );
        expect(init.status).to.equal(200);
      }
      const connected = events(h, 'mcp.connected').filter((e) => e.clientId === client.client_id);
      expect(connected).to.have.length(1);
      expect(connected[0]!.severity).to.equal('INFO');
      // The repeats are still visible at debug level.
      const repeats = events(h, 'mcp.request').filter(
        (e) =>
          e.clientId === client.client_id &&
          (e.methods as string[]).some((m) => m === 'initialize' || m === 'server/discover'),
      );
      expect(repeats.length).to.equal(7);
    });
  });
});
