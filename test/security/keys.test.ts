import { expect } from 'chai';
import { SignJWT } from 'jose';
import { KeyRing, hashValue } from '../../src/security/keys.js';
import { AccessTokenVerifier } from '../../src/oauth/access-tokens.js';
import { loadConfig } from '../../src/config/config.js';
import { MemoryStore } from '../../src/storage/memory.js';

const OLD = 'o'.repeat(40);
const NEW = 'n'.repeat(40);

describe('keys derived from ACCESS_TOKEN_SECRET', () => {
  it('are deterministic per secret and differ per purpose', () => {
    const a = new KeyRing([OLD]);
    const b = new KeyRing([OLD]);
    expect(a.accessTokenKeys[0]!.equals(b.accessTokenKeys[0]!)).to.equal(true);
    expect(a.jwks.keys[0]!.kid).to.equal(b.jwks.keys[0]!.kid);
    expect(a.cookieKeys[0]).to.not.equal(a.accessTokenKeys[0]!.toString('base64url'));
  });

  it('AES-256-GCM: round-trips, is bound to its record (AAD), and detects tampering', () => {
    const k = new KeyRing([OLD]);
    const sealed = k.encrypt('ya29.google-access-token', 'google_tokens/123');
    expect(sealed).not.to.contain('ya29');
    expect(k.decrypt(sealed, 'google_tokens/123')).to.equal('ya29.google-access-token');
    expect(() => k.decrypt(sealed, 'google_tokens/456')).to.throw();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => k.decrypt(parts.join('.'), 'google_tokens/123')).to.throw();
  });

  it('rotation ("new,previous"): data sealed and tokens signed with the previous secret stay valid', async () => {
    const before = new KeyRing([OLD]);
    const after = new KeyRing([NEW, OLD]);
    expect(after.decrypt(before.encrypt('v', 'aad'), 'aad')).to.equal('v');
    const config = loadConfig({
      BASE_URL: 'https://x.example.com',
      ACCESS_TOKEN_SECRET: `${NEW},${OLD}`,
      GOOGLE_CLIENT_ID: 'a',
      GOOGLE_CLIENT_SECRET: 'b',
    });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ client_id: 'c', scope: 'contacts' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer('https://x.example.com')
      .setAudience('https://x.example.com/mcp')
      .setSubject('u1')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(before.accessTokenKeys[0]!);
    const verifier = new AccessTokenVerifier(config, after, new MemoryStore());
    expect((await verifier.verify(token)).accountId).to.equal('u1');
    // Without the previous secret it is refused.
    const strict = new AccessTokenVerifier(
      { ...config, accessTokenSecrets: [NEW] },
      new KeyRing([NEW]),
      new MemoryStore(),
    );
    let err: Error | undefined;
    try {
      await strict.verify(token);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).to.equal('InvalidTokenError');
  });

  it('hashValue is SHA-256 base64url (stored ids of bearer values)', () => {
    expect(hashValue('abc')).to.equal('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });
});
