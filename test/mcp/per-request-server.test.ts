// The per-request MCP server (src/mcp/server.ts buildMcpServer): a single tools/call registers only the
// tool it calls; everything else (tools/list, unknown names) sees every tool, as before.
import { McpServer } from '@modelcontextprotocol/server';
import { expect } from 'chai';
import sinon from 'sinon';
import { ALL_TOOLS } from '../../src/mcp/tools/index.js';
import { calledToolName } from '../../src/mcp/http/messages.js';
import { startHarness, type Harness } from '../support/harness.js';
import { connect, ok, type Session } from './helpers.js';

describe('mcp: the per-request server registers only the called tool', function () {
  let h: Harness;
  let s: Session;
  let registered: sinon.SinonSpy;

  before(async () => {
    h = await startHarness();
    s = await connect(h, 'alice@example.com');
  });
  after(async () => {
    await s?.close();
    await h?.close();
  });
  beforeEach(() => {
    registered = sinon.spy(McpServer.prototype, 'registerTool');
  });
  afterEach(() => sinon.restore());

  const names = () => registered.getCalls().map((c) => c.args[0] as string);

  it('a tools/call of whoami registers whoami alone, and answers as before', async () => {
    const r = await ok<{ email: string }>(s, 'whoami');
    expect(r.structured.email).to.equal('alice@example.com');
    expect(names()).to.deep.equal(['whoami']);
  });

  it('a tools/call of search_contacts registers search_contacts alone', async () => {
    await ok(s, 'search_contacts', { query: 'bob' });
    expect(names()).to.deep.equal(['search_contacts']);
  });

  it('tools/list still lists every tool (all registered)', async () => {
    const listed = (await s.client.listTools()).tools.map((t) => t.name);
    expect(listed).to.have.members(ALL_TOOLS.map((t) => t.name));
    expect(names()).to.have.members(ALL_TOOLS.map((t) => t.name));
  });

  it('a tools/call of a tool we do not have registers every tool, so the SDK answers "not found" as always', async () => {
    let text = '';
    try {
      text = JSON.stringify(await s.client.callTool({ name: 'no_such_tool', arguments: {} }));
    } catch (err) {
      text = (err as Error).message;
    }
    expect(text).to.match(/Tool no_such_tool not found/);
    expect(names()).to.have.members(ALL_TOOLS.map((t) => t.name));
  });

  it('calledToolName: only a single tools/call request with a string name selects a tool', () => {
    const call = (params: unknown) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params });
    expect(calledToolName(call({ name: 'whoami', arguments: {} }))).to.equal('whoami');
    expect(calledToolName([call({ name: 'whoami' })])).to.equal(undefined);
    expect(calledToolName(call({ name: 42 }))).to.equal(undefined);
    expect(calledToolName(call(null))).to.equal(undefined);
    expect(calledToolName({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { name: 'whoami' } })).to.equal(
      undefined,
    );
    expect(calledToolName(null)).to.equal(undefined);
  });
});
