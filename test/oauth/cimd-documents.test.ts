/**
 * The stored-copy rules of CimdDocuments.fetchThrough, one by one, with a fake network and a fixed clock:
 * which failures a stored copy may cover (network ones, for 7 days) and which it must never cover (SSRF
 * refusals, TLS failures, answers from the host such as 404, oversized documents).
 */
import { expect } from 'chai';
import {
  CIMD_STALE_IF_ERROR_MS,
  CimdDocuments,
  CimdDocumentTooLargeError,
  CimdFetchError,
  classifyFetchError,
  freshnessSeconds,
} from '../../src/oauth/cimd-documents.js';
import { CIMD_MAX_BYTES } from '../../src/oauth/cimd.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { StoreUnavailableError, type Store } from '../../src/storage/port.js';

const URL_ = 'https://app.example/oauth/client.json';
const DOC = {
  client_id: URL_,
  client_name: 'Example',
  redirect_uris: ['https://app.example/cb'],
  token_endpoint_auth_method: 'none',
};
// The memory store checks expiry against the real clock, so the fake one starts at the real now.
const T0 = Date.now();
const DAY = 24 * 60 * 60 * 1000;

function netError(code: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}
function json(body: unknown, headers: Record<string, string> = {}, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

describe('CIMD stale-if-error rules (CimdDocuments)', () => {
  let now = T0;
  let store: MemoryStore;
  let documents: CimdDocuments;
  let calls = 0;
  const network = (result: () => Response | Promise<Response>) => async () => {
    calls++;
    return result();
  };
  beforeEach(() => {
    now = T0;
    calls = 0;
    store = new MemoryStore();
    documents = new CimdDocuments(store, () => now);
  });

  /** A copy fetched at T0 with a 5-minute max-age. */
  async function storeCopy() {
    const first = await documents.fetchThrough(
      URL_,
      network(() => json(DOC, { 'cache-control': 'max-age=300' })),
    );
    expect(first.source).to.equal('network');
    expect(await first.response.json()).to.deep.equal(DOC);
  }

  it('HTTP caching: a copy fresh by its max-age is served from the store without a network call', async () => {
    await storeCopy();
    now = T0 + 299_000;
    const again = await documents.fetchThrough(
      URL_,
      network(() => {
        throw new Error('must not fetch');
      }),
    );
    expect(again.source).to.equal('store');
    expect(calls).to.equal(1);
    expect(again.response.headers.get('cache-control')).to.equal('max-age=1');
  });

  it('HTTP caching: once stale, a reachable host is asked again and the new document replaces the copy', async () => {
    await storeCopy();
    now = T0 + 301_000;
    const changed = { ...DOC, client_name: 'Renamed' };
    const again = await documents.fetchThrough(
      URL_,
      network(() => json(changed, { 'cache-control': 'max-age=600' })),
    );
    expect(again.source).to.equal('network');
    expect((await documents.read(URL_))!.document).to.deep.equal(changed);
    expect((await documents.read(URL_))!.freshUntil).to.equal(now + 600_000);
  });

  for (const [name, fail] of [
    [
      'DNS failure (ENOTFOUND)',
      () => {
        throw netError('ENOTFOUND');
      },
    ],
    [
      'DNS did not answer (EAI_AGAIN)',
      () => {
        throw netError('EAI_AGAIN');
      },
    ],
    [
      'connection refused',
      () => {
        throw netError('ECONNREFUSED');
      },
    ],
    [
      'connection reset',
      () => {
        throw netError('ECONNRESET');
      },
    ],
    [
      'timeout',
      () => {
        throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      },
    ],
    ['HTTP 503', () => new Response('down', { status: 503 })],
    ['HTTP 500', () => new Response('oops', { status: 500 })],
  ] as Array<[string, () => Response]>) {
    it(`CIMD stale-if-error: ${name} → the stored copy (under 7 days old) is used`, async () => {
      await storeCopy();
      now = T0 + 3 * DAY;
      const result = await documents.fetchThrough(URL_, network(fail));
      expect(result.source).to.equal('stale');
      expect(await result.response.json()).to.deep.equal(DOC);
      expect(result.response.headers.get('cache-control'), 'cached briefly, then retried').to.equal('max-age=0');
    });
  }

  it('CIMD stale-if-error: a copy older than 7 days is not used; the failure says unreachable', async () => {
    await storeCopy();
    now = T0 + CIMD_STALE_IF_ERROR_MS + 1;
    const err = await documents
      .fetchThrough(
        URL_,
        network(() => {
          throw netError('ECONNREFUSED');
        }),
      )
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CimdFetchError);
    expect((err as CimdFetchError).kind).to.equal('unreachable');
    expect((err as CimdFetchError).detail).to.equal('econnrefused');
  });

  it('CIMD stale-if-error: no copy and a network failure → unreachable', async () => {
    const err = await documents
      .fetchThrough(
        URL_,
        network(() => new Response('x', { status: 502 })),
      )
      .catch((e: unknown) => e);
    expect((err as CimdFetchError).kind).to.equal('unreachable');
    expect((err as CimdFetchError).detail).to.equal('http_502');
  });

  it('CIMD stale-if-error: a failed pre-flight DNS lookup counts as a network failure without a second fetch', async () => {
    await storeCopy();
    now = T0 + DAY;
    const result = await documents.fetchThrough(
      URL_,
      network(() => {
        throw new Error('must not fetch');
      }),
      'dns_failed',
    );
    expect(result.source).to.equal('stale');
    expect(calls).to.equal(1);
  });

  it('SSRF: a connection destroyed by the special-use address guard is refused, never covered by the copy', async () => {
    await storeCopy();
    now = T0 + DAY;
    const ssrf = () => {
      throw new TypeError('fetch failed', { cause: new Error('hostname resolves to a special-use IP address') });
    };
    const err = await documents.fetchThrough(URL_, network(ssrf)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CimdFetchError);
    expect((err as CimdFetchError).kind).to.equal('refused');
    expect((err as CimdFetchError).detail).to.equal('non_public_address');
  });

  it('a TLS failure is not a network outage: no copy is used', async () => {
    await storeCopy();
    now = T0 + DAY;
    const tls = () => {
      throw netError('CERT_HAS_EXPIRED');
    };
    const err = await documents.fetchThrough(URL_, network(tls)).catch((e: unknown) => e);
    expect((err as CimdFetchError).kind).to.equal('unreachable');
    expect((err as CimdFetchError).detail).to.equal('cert_has_expired');
  });

  it('an answer from the host (404, redirect) is passed on as it is: the copy does not hide it', async () => {
    await storeCopy();
    now = T0 + DAY;
    for (const status of [404, 301]) {
      const result = await documents.fetchThrough(
        URL_,
        network(
          () => new Response(null, { status, headers: status === 301 ? { location: 'https://x.example/' } : {} }),
        ),
      );
      expect(result.source).to.equal('network');
      expect(result.response.status).to.equal(status);
    }
  });

  it('an oversized document is refused (not stored, no copy used)', async () => {
    await storeCopy();
    now = T0 + DAY;
    const big = { ...DOC, padding: 'x'.repeat(CIMD_MAX_BYTES) };
    const err = await documents
      .fetchThrough(
        URL_,
        network(() => json(big)),
      )
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CimdDocumentTooLargeError);
    expect((await documents.read(URL_))!.document).to.deep.equal(DOC);
  });

  it('a document that does not name its own URL, or holds a secret, is passed on but not stored', async () => {
    for (const bad of [
      { ...DOC, client_id: 'https://other.example/c.json' },
      { ...DOC, client_secret: 's3cret' },
    ]) {
      const result = await documents.fetchThrough(
        URL_,
        network(() => json(bad)),
      );
      expect(result.source).to.equal('network');
      expect(await documents.read(URL_)).to.equal(undefined);
    }
  });

  it('a store outage while reading the copy does not block a reachable host', async () => {
    const failing = {
      get: async () => {
        throw new StoreUnavailableError('down');
      },
      put: async () => {
        throw new StoreUnavailableError('down');
      },
    } as unknown as Store;
    const result = await new CimdDocuments(failing, () => now).fetchThrough(
      URL_,
      network(() => json(DOC)),
    );
    expect(result.source).to.equal('network');
  });

  it('freshness follows Cache-Control max-age, else Expires, else 5 minutes; bounded to 5 minutes – 1 day', () => {
    expect(freshnessSeconds(new Headers({ 'cache-control': 'public, max-age=3600' }), T0)).to.equal(3600);
    expect(freshnessSeconds(new Headers({ 'cache-control': 'max-age=1' }), T0)).to.equal(300);
    expect(freshnessSeconds(new Headers({ 'cache-control': 'max-age=9999999' }), T0)).to.equal(86_400);
    const second = Math.floor(T0 / 1000) * 1000; // HTTP dates have whole seconds
    expect(freshnessSeconds(new Headers({ expires: new Date(second + 7200_000).toUTCString() }), second)).to.equal(
      7200,
    );
    expect(freshnessSeconds(new Headers(), T0)).to.equal(300);
  });

  it('classifies fetch errors: special-use refusal before any network code', () => {
    const both = new TypeError('fetch failed', {
      cause: Object.assign(new Error('hostname resolves to a special-use IP address'), { code: 'ECONNRESET' }),
    });
    expect(classifyFetchError(both).kind).to.equal('refused');
    expect(classifyFetchError(netError('ENOTFOUND'))).to.deep.equal({ kind: 'network', detail: 'enotfound' });
    expect(classifyFetchError(new Error('weird')).kind).to.equal('other');
  });
});
