import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const base = {
  BASE_URL: 'https://contacts.example.com',
  ACCESS_TOKEN_SECRET: 'x'.repeat(40),
  GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'secret',
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('derives the issuer and MCP URL from BASE_URL and applies defaults', () => {
    const c = loadConfig(base);
    expect(c.issuer).to.equal('https://contacts.example.com');
    expect(c.mcpUrl).to.equal('https://contacts.example.com/mcp');
    expect(c.port).to.equal(8080);
    expect(c.store).to.equal('memory');
    expect(c.googleIssuer).to.equal('https://accounts.google.com');
    expect(c.peopleApiRootUrl).to.equal('https://people.googleapis.com');
    expect(c.readOnly).to.equal(false);
    expect(c.refreshReuseGraceSeconds).to.equal(60);
  });

  it('lists every problem at once, each naming its variable with an example', () => {
    const p = problems({});
    expect(p.some((x) => x.startsWith('BASE_URL is required') && x.includes('Example'))).to.equal(true);
    expect(p.some((x) => x.startsWith('ACCESS_TOKEN_SECRET is required') && x.includes('openssl rand'))).to.equal(true);
    expect(p.some((x) => x.includes('GOOGLE_CLIENT_ID'))).to.equal(true);
  });

  it('refuses short secrets, non-origin BASE_URLs and http BASE_URLs', () => {
    expect(problems({ ...base, ACCESS_TOKEN_SECRET: 'short' }).join()).to.contain('at least 32');
    expect(problems({ ...base, BASE_URL: 'https://x.example.com/path' }).join()).to.contain('origin only');
    expect(problems({ ...base, BASE_URL: 'http://x.example.com' }).join()).to.contain('must use https');
    expect(problems({ ...base, BASE_URL: 'http://127.0.0.1:8080' }).join()).to.contain(
      'DANGEROUSLY_ALLOW_LOOPBACK_HTTP',
    );
  });

  it('DANGEROUSLY_ALLOW_LOOPBACK_HTTP allows loopback http only, and is refused on Cloud Run', () => {
    expect(
      problems({ ...base, BASE_URL: 'http://127.0.0.1:8080', DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'true' }),
    ).to.deep.equal([]);
    expect(
      problems({ ...base, BASE_URL: 'http://10.0.0.1:8080', DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'true' }).join(),
    ).to.contain('must use https');
    expect(problems({ ...base, DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'true', K_SERVICE: 'contacts-mcp' }).join()).to.contain(
      'refused on Cloud Run',
    );
  });

  it('CLIENT_ID_METADATA_DOCUMENTS defaults to true; false turns URL client ids off; anything else is an error', () => {
    expect(loadConfig(base).clientIdMetadataDocuments).to.equal(true);
    expect(loadConfig({ ...base, CLIENT_ID_METADATA_DOCUMENTS: '' }).clientIdMetadataDocuments).to.equal(true);
    expect(loadConfig({ ...base, CLIENT_ID_METADATA_DOCUMENTS: 'false' }).clientIdMetadataDocuments).to.equal(false);
    expect(loadConfig({ ...base, CLIENT_ID_METADATA_DOCUMENTS: 'true' }).clientIdMetadataDocuments).to.equal(true);
    expect(problems({ ...base, CLIENT_ID_METADATA_DOCUMENTS: 'off' }).join()).to.contain(
      'CLIENT_ID_METADATA_DOCUMENTS must be true or false',
    );
  });

  it('STORE=memory (also by default) is refused on Cloud Run; STORE=firestore is accepted there', () => {
    expect(problems({ ...base, K_SERVICE: 'contacts-mcp' }).join()).to.contain(
      'STORE=memory (the default) is refused on Cloud Run',
    );
    expect(problems({ ...base, STORE: 'memory', K_SERVICE: 'contacts-mcp' }).join()).to.contain(
      'STORE=memory is refused on Cloud Run',
    );
    expect(
      problems({ ...base, STORE: 'firestore', GOOGLE_CLOUD_PROJECT: 'p', K_SERVICE: 'contacts-mcp' }),
    ).to.deep.equal([]);
    expect(problems({ ...base, STORE: 'memory' }), 'memory stays the local default').to.deep.equal([]);
  });

  it('reads the Google client JSON file the console downloads', () => {
    const c = loadConfig({
      BASE_URL: base.BASE_URL,
      ACCESS_TOKEN_SECRET: base.ACCESS_TOKEN_SECRET,
      GOOGLE_OAUTH_CLIENT: JSON.stringify({
        web: { client_id: 'a.apps.googleusercontent.com', client_secret: 'GOCSPX-b', redirect_uris: [] },
      }),
    });
    expect(c.google).to.deep.equal({ clientId: 'a.apps.googleusercontent.com', clientSecret: 'GOCSPX-b' });
    expect(problems({ ...base, GOOGLE_OAUTH_CLIENT: '{not json' }).join()).to.contain('not valid JSON');
  });

  it('parses allow-lists, booleans, store and rotation lists', () => {
    const c = loadConfig({
      ...base,
      ALLOWED_DOMAINS: 'Example.com, @acme.test',
      ALLOWED_EMAILS: 'A@b.com',
      READ_ONLY: 'TRUE',
      ACCESS_TOKEN_SECRET: `${'n'.repeat(32)},${'o'.repeat(32)}`,
    });
    expect(c.allowedDomains).to.deep.equal(['example.com', 'acme.test']);
    expect(c.allowedEmails).to.deep.equal(['a@b.com']);
    expect(c.readOnly).to.equal(true);
    expect(c.accessTokenSecrets).to.have.length(2);
    expect(problems({ ...base, READ_ONLY: 'maybe' }).join()).to.contain('READ_ONLY must be true or false');
    expect(problems({ ...base, STORE: 'redis' }).join()).to.contain('STORE must be');
    expect(problems({ ...base, STORE: 'firestore' }).join()).to.contain('GOOGLE_CLOUD_PROJECT is required');
    expect(problems({ ...base, ALLOWED_EMAILS: 'not-an-email' }).join()).to.contain('ALLOWED_EMAILS');
  });

  it('TRASH_DAYS: 30 by default, a whole number of days from 1 to 365', () => {
    expect(loadConfig(base).trashDays).to.equal(30);
    expect(loadConfig({ ...base, TRASH_DAYS: '7' }).trashDays).to.equal(7);
    expect(problems({ ...base, TRASH_DAYS: '0' }).join()).to.contain('TRASH_DAYS must be a positive integer');
    expect(problems({ ...base, TRASH_DAYS: 'a week' }).join()).to.contain('TRASH_DAYS must be a positive integer');
    expect(problems({ ...base, TRASH_DAYS: '400' }).join()).to.contain('TRASH_DAYS must be at most 365');
  });
});
