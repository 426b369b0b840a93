import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { mcpPost, signIn } from '../../standins/oauth-client.js';

describe('smoke: sign in and call whoami', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs.join('\n'));
  });

  it('signs in through consent + stand-in Google and calls whoami', async () => {
    const { tokens } = await signIn(h.baseUrl);
    expect(tokens.access_token).to.be.a('string');
    expect(tokens.refresh_token).to.be.a('string');
    const init = await mcpPost(h.mcpUrl, tokens.access_token, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    expect(init.status, await init.clone().text()).to.equal(200);
    const call = await mcpPost(h.mcpUrl, tokens.access_token, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    });
    const text = await call.text();
    expect(call.status, text).to.equal(200);
    expect(text).to.contain('alice@example.com');
  });
});
