/** What the account page says about a grant: app facts from the store, access, and "last used" to the day. */
import { expect } from 'chai';
import { describeGrant, listConnectedApps } from '../../src/account/connected-apps.js';
import { lastUsedText } from '../../src/account/pages.js';
import { cimdDocumentKey } from '../../src/oauth/cimd-documents.js';
import { GRANT_TTL } from '../../src/oauth/constants.js';
import { MemoryStore } from '../../src/storage/memory.js';

const DAY = 24 * 3600 * 1000;
const NOW = Date.UTC(2026, 5, 15, 12);

describe('connected apps (account page data)', () => {
  it('"last used" is the last renewal that slid the grant (expiry − 90 days), said to the day', () => {
    const iat = Math.floor((NOW - 40 * DAY) / 1000);
    const slidTenDaysAgo = describeGrant(
      'g',
      {
        data: { iat, resources: { 'https://x/mcp': 'contacts' } },
        clientId: 'c',
        expiresAt: NOW - 10 * DAY + GRANT_TTL * 1000,
      },
      { name: 'App', redirectUris: [] },
    );
    expect(slidTenDaysAgo.lastRenewedAt).to.equal(NOW - 10 * DAY);
    expect(slidTenDaysAgo.connectedAt).to.equal(iat * 1000);
    // A renewal less than a day after the last slide does not move the expiry: "about 10 days" is 9.5–10.
    expect(lastUsedText(slidTenDaysAgo.lastRenewedAt, NOW)).to.equal('about 10 days ago');
    expect(lastUsedText(NOW - 3 * 3600 * 1000, NOW)).to.equal('within the last day');
    expect(lastUsedText(NOW - 1.2 * DAY, NOW)).to.equal('about 1 day ago');
    expect(lastUsedText(NOW - 2 * DAY, NOW)).to.equal('about 2 days ago');
  });

  it('access follows the grant’s resource scope: contacts → read-write, contacts.readonly → read-only', () => {
    const base = { clientId: 'c', expiresAt: NOW + GRANT_TTL * 1000 };
    expect(
      describeGrant('g', { ...base, data: { resources: { 'https://x/mcp': 'contacts' } } }, { redirectUris: [] })
        .access,
    ).to.equal('read-write');
    expect(
      describeGrant(
        'g',
        { ...base, data: { resources: { 'https://x/mcp': 'contacts.readonly' } } },
        { redirectUris: [] },
      ).access,
    ).to.equal('read-only');
  });

  it('names the app from its registration or its stored metadata document, and its redirect hosts; never fetches', async () => {
    const store = new MemoryStore(() => NOW);
    const accountId = 'acc';
    const cimd = 'https://apps.example/claude-code.json';
    await store.put('Client', 'dcr-1', {
      data: {
        client_name: 'Claude',
        redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'],
      },
      expiresAt: NOW + DAY,
    });
    await store.put('CimdDocument', cimdDocumentKey(cimd), {
      data: {
        url: cimd,
        document: {
          client_id: cimd,
          client_name: 'Claude Code',
          redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
        },
        fetchedAt: NOW,
        freshUntil: NOW,
      },
      expiresAt: NOW + DAY,
    });
    const grant = (clientId: string, slid: number) => ({
      data: {
        accountId,
        clientId,
        iat: Math.floor((NOW - 5 * DAY) / 1000),
        resources: { 'https://x/mcp': 'contacts' },
      },
      accountId,
      clientId,
      expiresAt: NOW - slid + GRANT_TTL * 1000,
    });
    await store.put('Grant', 'g-dcr', grant('dcr-1', 2 * DAY));
    await store.put('Grant', 'g-cimd', grant(cimd, 0));
    await store.put('Grant', 'g-gone', grant('https://gone.example/doc.json', 3 * DAY));
    await store.put('Grant', 'g-other', {
      ...grant('dcr-1', 0),
      accountId: 'someone-else',
      data: { accountId: 'someone-else', clientId: 'dcr-1' },
    });
    const apps = await listConnectedApps(store, accountId);
    expect(
      apps.map((a) => a.grantId),
      'most recently used first; only this account',
    ).to.deep.equal(['g-cimd', 'g-dcr', 'g-gone']);
    expect(apps[0]).to.include({ name: 'Claude Code', onDevice: true });
    expect(apps[0]!.destinations).to.deep.equal(['localhost', '127.0.0.1']);
    expect(apps[1]).to.include({ name: 'Claude', onDevice: false });
    expect(apps[1]!.destinations).to.deep.equal(['claude.ai', 'claude.com']);
    // No stored document (and no fetch): the client id URL is the name, as on the consent page.
    expect(apps[2]).to.include({ name: 'https://gone.example/doc.json' });
    expect(apps[2]!.destinations).to.deep.equal([]);
  });
});
