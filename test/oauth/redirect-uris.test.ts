/** The redirect-URI rule on its own (OAuth 2.1 §2.3.1, RFC 8252 §7.1 and §7.3), without a server. */
import { expect } from 'chai';
import { applicationTypeFor, checkRedirectUri, redirectTargetLabel } from '../../src/oauth/redirect-uris.js';

describe('redirect URI rule (unit)', () => {
  it('RFC 8252 §7.3: http only on localhost, 127.0.0.1 or [::1], any port, any case', () => {
    for (const uri of ['http://localhost/cb', 'http://LOCALHOST:8080/cb', 'http://127.0.0.1:1/cb', 'http://[::1]/cb'])
      expect(checkRedirectUri(uri), uri).to.include({ ok: true, kind: 'loopback' });
    for (const uri of [
      'http://127.0.0.1.nip.io/cb',
      'http://localhost.evil.example/cb',
      'http://10.0.0.1/cb',
      'http://[::2]/cb',
      'http://evil.example/cb',
    ])
      expect(checkRedirectUri(uri).ok, uri).to.equal(false);
  });

  it('RFC 8252 §7.1: private-use schemes, short or reverse-domain, with a path; script, data and local schemes refused whatever their case', () => {
    for (const uri of [
      'com.example.app:/oauth2redirect',
      'cursor://anysphere.cursor-retrieval/oauth/callback',
      'vscode://publisher.ext/cb',
      'my-app+dev.1:/cb',
    ])
      expect(checkRedirectUri(uri), uri).to.include({ ok: true, kind: 'private-use' });
    for (const uri of [
      'JavaScript:alert(1)',
      'DATA:text/html,x',
      'vbscript:x',
      'file:///c',
      'blob:https://a.example/x',
      'about:blank',
      'view-source:https://a.example',
      'filesystem:https://a.example/x',
      'ws://a.example/cb',
      'mailto:a@b.example',
      'com.example.app:',
      'com.example.app:/',
    ])
      expect(checkRedirectUri(uri).ok, uri).to.equal(false);
  });

  it('refuses fragments, user information, spaces, control and non-ASCII characters, non-strings and oversized values', () => {
    for (const uri of [
      'https://a.example/cb#x',
      'https://a.example/cb#',
      'https://u:p@a.example/cb',
      'https://a.example/c b',
      'https://a.example/\u0000',
      'https://ａ.example/cb',
      'https://a.example/\u202ecb',
      `https://a.example/${'x'.repeat(2000)}`,
      42,
      null,
    ])
      expect(checkRedirectUri(uri).ok, String(uri)).to.equal(false);
  });

  it('application_type: native when every redirect is on the device or any is private-use; a stated type is kept otherwise', () => {
    const ok = (uri: string) => checkRedirectUri(uri) as Extract<ReturnType<typeof checkRedirectUri>, { ok: true }>;
    expect(applicationTypeFor(undefined, [ok('http://127.0.0.1/cb')])).to.equal('native');
    expect(applicationTypeFor(undefined, [ok('cursor://x/cb'), ok('https://a.example/cb')])).to.equal('native');
    expect(applicationTypeFor('web', [ok('com.example.app:/cb')])).to.equal('native');
    expect(applicationTypeFor(undefined, [ok('https://a.example/cb'), ok('http://127.0.0.1/cb')])).to.equal(undefined);
    expect(applicationTypeFor('web', [ok('http://127.0.0.1/cb')])).to.equal('web');
    expect(applicationTypeFor('native', [ok('https://a.example/cb')])).to.equal('native');
  });

  it('the consent page label names the host, or the app scheme of a private-use redirect', () => {
    expect(redirectTargetLabel('https://claude.ai/api/mcp/auth_callback')).to.deep.equal({
      label: 'claude.ai',
      onDevice: false,
    });
    expect(redirectTargetLabel('http://127.0.0.1:3000/cb')).to.deep.equal({ label: '127.0.0.1:3000', onDevice: true });
    expect(redirectTargetLabel('com.example.app:/cb')).to.deep.equal({
      label: 'com.example.app: (an app on this device)',
      onDevice: true,
    });
    expect(redirectTargetLabel('cursor://anysphere.cursor-retrieval/oauth/callback').label).to.equal(
      'cursor: (an app on this device)',
    );
  });
});
