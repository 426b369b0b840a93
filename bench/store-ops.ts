/**
 * Measures store operations (as Firestore bills them) for one sign-in, one refresh and steady tool calls.
 * `npm run bench` reports them; test/storage-docs/op-counts.test.ts holds docs/storage.md to them.
 */
import { CountingStore, type OperationCounts } from '../src/storage/counting.js';
import { MemoryStore } from '../src/storage/memory.js';
import { clientAuth, mcpPost, signIn, tokenRequest } from '../standins/oauth-client.js';
import { startServerOnStandins } from '../standins/wiring.js';

export interface StoreOps {
  signIn: OperationCounts;
  refresh: OperationCounts;
  /** Over `calls` steady-state tool calls (after the first one warmed the caches). */
  steady: OperationCounts;
  calls: number;
}

export async function measureStoreOps(calls = 10): Promise<StoreOps> {
  const counting = new CountingStore(new MemoryStore());
  const h = await startServerOnStandins({ store: counting, env: { LOG_LEVEL: 'silent' } });
  try {
    counting.reset();
    const { client, tokens } = await signIn(h.baseUrl, { loginHint: 'bob@acme.test' });
    const signInOps = counting.counts();
    counting.reset();
    const r = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      ...clientAuth(client),
    });
    const refresh = counting.counts();
    const call = () =>
      mcpPost(h.mcpUrl, r.body.access_token, {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'search_contacts', arguments: { query: 'Bob' } },
      }).then((x) => x.text());
    await call();
    counting.reset();
    for (let i = 0; i < calls; i++) await call();
    return { signIn: signInOps, refresh, steady: counting.counts(), calls };
  } finally {
    await h.close();
  }
}
