/**
 * Hostile input: hundreds of generated malformed or hostile requests across every endpoint. Each must get
 * a 4xx with a spec-shaped body (OAuth error JSON, JSON-RPC error, or our HTML error page), never a 5xx,
 * a stack trace, or a redirect anywhere but to a registered redirect URI or our own origin; and the server
 * must keep serving.
 */
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { UnsecuredJWT } from 'jose';
import { startHarness, type Harness } from '../support/harness.js';
import {
  claudeRegistration,
  CLAUDE_REDIRECT,
  pkce,
  register,
  signIn,
  type Registered,
} from '../../standins/oauth-client.js';
import { UserAgent } from '../../standins/user-agent.js';

interface Case {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Extra acceptable statuses besides 4xx (e.g. an OAuth error redirect to the registered URI). */
  allow?: number[];
  /** Node's HTTP parser answers 431 and drops the socket; the client may see a reset instead. */
  allowReset?: boolean;
}

interface Outcome {
  status: number;
  location?: string;
  body: string;
}

/** Raw HTTP so malformed requests go out exactly as written (fetch would normalise some). */
function send(base: URL, c: Case): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: c.method,
        path: c.path,
        headers: c.headers,
        timeout: 10_000,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (c.body !== undefined) req.end(c.body);
    else req.end();
  });
}

const q = (params: Record<string, string | string[]>) => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) u.append(k, x);
  return u.toString();
};

describe('hostile input', function () {
  this.timeout(120_000);
  let h: Harness;
  let client: Registered;
  let token: string;
  const cases: Case[] = [];

  before(async () => {
    h = await startHarness({
      env: {
        LOG_LEVEL: 'warn',
        REGISTRATIONS_PER_HOUR: '100000',
        TOKEN_REQUESTS_PER_CLIENT_PER_MINUTE: '100000',
        TOKEN_REQUESTS_PER_MINUTE: '100000',
      },
    });
    client = (await register(h.baseUrl, claudeRegistration())).body;
    token = (await signIn(h.baseUrl)).tokens.access_token!;
    const { challenge } = pkce();
    const good = {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: CLAUDE_REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };

    // /authorize
    const badRedirects = [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'https://evil.test/cb',
      '//evil.test/cb',
      'https://claude.ai/api/mcp/auth_callback\u0000.evil.test',
      'https://claude.ai%2eevil.test/api/mcp/auth_callback',
      'https://claude.ai\\@evil.test/',
      'https://ⅽlaude.ai/api/mcp/auth_callback',
      'https://claude.ai/api/mcp/auth_callback/%2e%2e/%2e%2e/x',
      'https://claude.ai/api/mcp/auth_callback%0d%0aSet-Cookie:%20x=1',
      'http://claude.ai/api/mcp/auth_callback',
      'HTTPS://CLAUDE.AI/API/MCP/AUTH_CALLBACK',
      'https://claude.ai:443/api/mcp/auth_callback/',
      'file:///etc/passwd',
      ' https://claude.ai/api/mcp/auth_callback',
    ];
    for (const r of badRedirects)
      cases.push({
        name: `authorize redirect_uri ${JSON.stringify(r)}`,
        method: 'GET',
        path: `/authorize?${q({ ...good, redirect_uri: r })}`,
      });
    const authorizeMutations: Array<[string, Record<string, string | string[]>]> = [
      ['no params', {}],
      ['missing client_id', { ...good, client_id: [] as unknown as string }],
      ['unknown client', { ...good, client_id: 'nope' }],
      ['client_id array', { ...good, client_id: [client.client_id, 'x'] }],
      ['duplicated redirect_uri', { ...good, redirect_uri: [CLAUDE_REDIRECT, 'https://evil.test/'] }],
      ['duplicated state', { ...good, state: ['a', 'b'] }],
      ['response_type token', { ...good, response_type: 'token' }],
      ['response_type id_token', { ...good, response_type: 'id_token' }],
      ['response_type empty', { ...good, response_type: '' }],
      ['plain pkce', { ...good, code_challenge_method: 'plain' }],
      ['no pkce', { ...good, code_challenge: [] as unknown as string, code_challenge_method: [] as unknown as string }],
      ['short challenge', { ...good, code_challenge: 'abc' }],
      ['challenge with bad chars', { ...good, code_challenge: '<script>'.repeat(8) }],
      ['wrong resource', { ...good, resource: 'https://evil.test/mcp' }],
      ['resource with fragment', { ...good, resource: `${h.mcpUrl}#x` }],
      ['two resources', { ...good, resource: [h.mcpUrl, 'https://evil.test/'] }],
      ['relative resource', { ...good, resource: '/mcp' }],
      ['request object', { ...good, request: 'eyJhbGciOiJub25lIn0.e30.' }],
      ['request_uri', { ...good, request_uri: 'https://evil.test/req' }],
      ['prompt none', { ...good, prompt: 'none' }],
      ['max_age garbage', { ...good, max_age: 'abc' }],
      ['response_mode fragment', { ...good, response_mode: 'web_message' }],
      ['claims garbage', { ...good, claims: '{not json' }],
      ['huge state', { ...good, state: 'x'.repeat(8000) }],
      ['unicode state', { ...good, state: '\u202e\u0000\ud800' }],
      ['scope with html', { ...good, scope: '<img src=x onerror=alert(1)>' }],
      ['id_token_hint garbage', { ...good, id_token_hint: 'garbage' }],
      ['registration param', { ...good, registration: '{}' }],
      ['login_hint html', { ...good, login_hint: '"><script>alert(1)</script>' }],
    ];
    for (const [name, params] of authorizeMutations)
      cases.push({ name: `authorize ${name}`, method: 'GET', path: `/authorize?${q(params)}`, allow: [302, 303] });
    cases.push({
      name: 'authorize POST garbage',
      method: 'POST',
      path: '/authorize',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '%%%&&&===',
      allow: [302, 303],
    });
    cases.push({ name: 'authorize PUT', method: 'PUT', path: `/authorize?${q(good)}` });
    cases.push({ name: 'authorize/:uid forged', method: 'GET', path: '/authorize/forged-uid' });

    // /token
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const tokenBodies: Array<[string, string, Record<string, string>?]> = [
      ['empty', ''],
      ['no grant_type', q({ client_id: client.client_id })],
      [
        'password grant',
        q({
          grant_type: 'password',
          username: 'a',
          password: 'b',
          client_id: client.client_id,
          client_secret: client.client_secret!,
        }),
      ],
      [
        'client_credentials',
        q({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret! }),
      ],
      ['implicit', q({ grant_type: 'implicit', client_id: client.client_id })],
      [
        'device_code',
        q({
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: 'x',
          client_id: client.client_id,
        }),
      ],
      ['jwt-bearer', q({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: 'x.y.z' })],
      [
        'token-exchange',
        q({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: 'x',
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        }),
      ],
      [
        'code missing',
        q({
          grant_type: 'authorization_code',
          client_id: client.client_id,
          client_secret: client.client_secret!,
          redirect_uri: CLAUDE_REDIRECT,
          code_verifier: 'x'.repeat(43),
        }),
      ],
      [
        'forged code',
        q({
          grant_type: 'authorization_code',
          code: 'forged',
          client_id: client.client_id,
          client_secret: client.client_secret!,
          redirect_uri: CLAUDE_REDIRECT,
          code_verifier: 'x'.repeat(43),
        }),
      ],
      [
        'code array',
        `grant_type=authorization_code&code=a&code=b&client_id=${client.client_id}&client_secret=${client.client_secret}`,
      ],
      [
        'refresh forged',
        q({
          grant_type: 'refresh_token',
          refresh_token: 'forged',
          client_id: client.client_id,
          client_secret: client.client_secret!,
        }),
      ],
      [
        'refresh huge',
        q({
          grant_type: 'refresh_token',
          refresh_token: 'a'.repeat(20000),
          client_id: client.client_id,
          client_secret: client.client_secret!,
        }),
      ],
      [
        'wrong secret',
        q({ grant_type: 'refresh_token', refresh_token: 'x', client_id: client.client_id, client_secret: 'wrong' }),
      ],
      ['unknown client', q({ grant_type: 'refresh_token', refresh_token: 'x', client_id: 'nope' })],
      ['client_id html', q({ grant_type: 'refresh_token', refresh_token: 'x', client_id: '<script>' })],
      ['null bytes', 'grant_type=refresh_token%00&refresh_token=%00'],
      ['percent garbage', '%%%&&&=='],
      ['unicode', q({ grant_type: 'refresh_token', refresh_token: '\u202e\ud83d', client_id: client.client_id })],
      [
        'two auth methods',
        q({
          grant_type: 'refresh_token',
          refresh_token: 'x',
          client_id: client.client_id,
          client_secret: client.client_secret!,
        }),
        { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
      ],
      [
        'basic garbage',
        q({ grant_type: 'refresh_token', refresh_token: 'x' }),
        { authorization: 'Basic %%%not-base64' },
      ],
      [
        'basic no colon',
        q({ grant_type: 'refresh_token', refresh_token: 'x' }),
        { authorization: `Basic ${Buffer.from('justid').toString('base64')}` },
      ],
      ['bearer auth', q({ grant_type: 'refresh_token', refresh_token: 'x' }), { authorization: 'Bearer x' }],
      [
        'code_verifier too short',
        q({
          grant_type: 'authorization_code',
          code: 'x',
          code_verifier: 'short',
          client_id: client.client_id,
          client_secret: client.client_secret!,
        }),
      ],
      [
        'scope escalation',
        q({
          grant_type: 'refresh_token',
          refresh_token: 'x',
          scope: 'admin',
          client_id: client.client_id,
          client_secret: client.client_secret!,
        }),
      ],
    ];
    for (const [name, body, extra] of tokenBodies)
      cases.push({ name: `token ${name}`, method: 'POST', path: '/token', headers: { ...form, ...extra }, body });
    cases.push({
      name: 'token JSON body',
      method: 'POST',
      path: '/token',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token' }),
    });
    cases.push({ name: 'token no content-type', method: 'POST', path: '/token', body: 'grant_type=refresh_token' });
    cases.push({
      name: 'token oversized body',
      method: 'POST',
      path: '/token',
      headers: form,
      body: `grant_type=refresh_token&refresh_token=${'a'.repeat(200_000)}`,
    });
    cases.push({ name: 'token GET', method: 'GET', path: '/token?grant_type=refresh_token' });

    // /register
    const json = { 'content-type': 'application/json' };
    const regBodies: Array<[string, string]> = [
      ['not json', '{not json'],
      ['array', '[]'],
      ['string', '"x"'],
      ['null', 'null'],
      ['empty object', '{}'],
      ['redirect_uris not array', JSON.stringify({ redirect_uris: 'https://x/cb' })],
      ['redirect_uris empty', JSON.stringify({ redirect_uris: [] })],
      ['redirect javascript', JSON.stringify({ redirect_uris: ['javascript:alert(1)'] })],
      ['redirect data', JSON.stringify({ redirect_uris: ['data:text/html,x'] })],
      ['redirect with fragment', JSON.stringify({ redirect_uris: ['https://x.example/cb#f'] })],
      ['redirect relative', JSON.stringify({ redirect_uris: ['/cb'] })],
      ['redirect number', JSON.stringify({ redirect_uris: [42] })],
      ['redirect unicode RTL', JSON.stringify({ redirect_uris: ['https://x.example/\u202ecb'] })],
      [
        'auth method jwt',
        JSON.stringify({ redirect_uris: ['https://x.example/cb'], token_endpoint_auth_method: 'private_key_jwt' }),
      ],
      [
        'auth method unknown',
        JSON.stringify({ redirect_uris: ['https://x.example/cb'], token_endpoint_auth_method: 'magic' }),
      ],
      [
        'grant type implicit',
        JSON.stringify({
          redirect_uris: ['https://x.example/cb'],
          grant_types: ['implicit'],
          response_types: ['token'],
        }),
      ],
      ['response type token', JSON.stringify({ redirect_uris: ['https://x.example/cb'], response_types: ['token'] })],
      [
        'sector identifier with RTL redirect',
        JSON.stringify({
          redirect_uris: ['https://x.example/\u202ecb'],
          sector_identifier_uri: 'https://169.254.169.254/',
        }),
      ],
      [
        'jwks_uri internal with bad auth method',
        JSON.stringify({
          redirect_uris: ['https://x.example/cb'],
          jwks_uri: 'http://169.254.169.254/',
          token_endpoint_auth_method: 'private_key_jwt',
        }),
      ],
      [
        'client_id chosen with bad redirect',
        JSON.stringify({ redirect_uris: ['javascript:x'], client_id: 'admin', client_secret_expires_at: 'x' }),
      ],
      ['logo javascript', JSON.stringify({ redirect_uris: ['https://x.example/cb'], logo_uri: 'javascript:alert(1)' })],
      ['client_name object', JSON.stringify({ redirect_uris: ['https://x.example/cb'], client_name: { a: 1 } })],
      ['deep nesting', `{"redirect_uris":["https://x.example/cb"],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`],
      ['oversized', JSON.stringify({ redirect_uris: ['https://x.example/cb'], client_name: 'x'.repeat(100_000) })],
      ['proto pollution', '{"__proto__":{"admin":true},"redirect_uris":"x"}'],
      ['application_type weird', JSON.stringify({ redirect_uris: ['https://x.example/cb'], application_type: 'root' })],
    ];
    for (const [name, body] of regBodies)
      cases.push({ name: `register ${name}`, method: 'POST', path: '/register', headers: json, body });
    cases.push({
      name: 'register form body',
      method: 'POST',
      path: '/register',
      headers: form,
      body: 'redirect_uris=https://x/cb',
    });
    cases.push({ name: 'register GET', method: 'GET', path: '/register' });
    cases.push({ name: 'register read forged', method: 'GET', path: '/register/some-client' });

    // /revoke and /introspect
    for (const ep of ['/revoke', '/introspect']) {
      cases.push({ name: `${ep} no auth`, method: 'POST', path: ep, headers: form, body: 'token=x' });
      cases.push({
        name: `${ep} no token`,
        method: 'POST',
        path: ep,
        headers: form,
        body: q({ client_id: client.client_id, client_secret: client.client_secret! }),
      });
      cases.push({
        name: `${ep} wrong secret`,
        method: 'POST',
        path: ep,
        headers: form,
        body: q({ token: 'x', client_id: client.client_id, client_secret: 'no' }),
      });
      cases.push({
        name: `${ep} JWT token`,
        method: 'POST',
        path: ep,
        headers: form,
        body: q({ token: token, client_id: client.client_id, client_secret: client.client_secret! }),
        allow: [200],
      });
      cases.push({
        name: `${ep} bad hint`,
        method: 'POST',
        path: ep,
        headers: form,
        body: q({
          token: 'x',
          token_type_hint: '<script>',
          client_id: client.client_id,
          client_secret: client.client_secret!,
        }),
        allow: [200],
      });
      cases.push({ name: `${ep} GET`, method: 'GET', path: `${ep}?token=x` });
    }

    // Consent form and Google callback
    cases.push({ name: 'consent GET forged uid', method: 'GET', path: '/interaction/forged' });
    cases.push({
      name: 'consent POST forged uid',
      method: 'POST',
      path: '/interaction/forged/decision',
      headers: form,
      body: 'decision=approve&csrf=x',
    });
    cases.push({
      name: 'consent POST huge',
      method: 'POST',
      path: '/interaction/forged/decision',
      headers: form,
      body: `decision=${'a'.repeat(100_000)}`,
    });
    cases.push({
      name: 'consent POST json',
      method: 'POST',
      path: '/interaction/forged/decision',
      headers: json,
      body: '{"decision":"approve"}',
    });
    cases.push({ name: 'consent path traversal', method: 'GET', path: '/interaction/..%2f..%2fetc%2fpasswd' });
    const cb = (params: Record<string, string>) => `/oauth/google/callback?${q(params)}`;
    for (const [name, params] of [
      ['no params', {}],
      ['forged state', { state: 'forged', code: 'x' }],
      ['no state', { code: 'x' }],
      ['error with html', { state: 'forged', error: '<script>alert(1)</script>' }],
      ['huge state', { state: 'x'.repeat(5000), code: 'x' }],
      ['state array', { state: 'a' }],
      ['unicode', { state: '\u0000\u202e', code: '\ud800' }],
    ] as Array<[string, Record<string, string>]>)
      cases.push({ name: `google callback ${name}`, method: 'GET', path: cb(params) });

    // /mcp
    const mcpHeaders = (t?: string) => ({
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(t ? { authorization: `Bearer ${t}` } : {}),
    });
    const forged = [
      ['none', new UnsecuredJWT({ sub: 'x', aud: h.mcpUrl, iss: h.baseUrl, client_id: 'c' }).encode()],
      ['garbage', 'abc'],
      ['empty', ''],
      ['three dots', 'a.b.c'],
      ['huge', 'a'.repeat(5000)],
      ['header only', 'eyJhbGciOiJIUzI1NiJ9..'],
      [
        'swapped alg',
        `${Buffer.from('{"alg":"RS256","typ":"at+jwt"}').toString('base64url')}.${token.split('.')[1]}.${token.split('.')[2]}`,
      ],
      [
        'tampered',
        `${token.split('.')[0]}.${Buffer.from('{"sub":"other"}').toString('base64url')}.${token.split('.')[2]}`,
      ],
    ];
    for (const [name, t] of forged)
      cases.push({
        name: `mcp forged token ${name}`,
        method: 'POST',
        path: '/mcp',
        headers: mcpHeaders(t),
        body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
      });
    cases.push({
      name: 'mcp lowercase scheme garbage',
      method: 'POST',
      path: '/mcp',
      headers: { ...mcpHeaders(), authorization: 'Basic abc' },
      body: '{}',
    });
    cases.push({
      name: 'mcp two bearer',
      method: 'POST',
      path: '/mcp',
      headers: { ...mcpHeaders(), authorization: `Bearer ${token} Bearer ${token}` },
      body: '{}',
    });
    const mcpBodies: Array<[string, string]> = [
      ['bad json', '{"jsonrpc":'],
      ['empty body', ''],
      ['null', 'null'],
      ['number', '42'],
      ['string', '"x"'],
      ['empty batch', '[]'],
      ['no jsonrpc field', '{"id":1,"method":"tools/list"}'],
      ['wrong version', '{"jsonrpc":"1.0","id":1,"method":"tools/list"}'],
      ['method not string', '{"jsonrpc":"2.0","id":1,"method":42}'],
      ['id object', '{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}'],
      ['params array for tools/call', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1,2]}'],
      [
        'tools/call unknown tool',
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"rm_rf","arguments":{}}}',
      ],
      [
        'tools/call bad args',
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":"x"}}',
      ],
      [
        'deep nesting',
        `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`,
      ],
      ['proto pollution', '{"jsonrpc":"2.0","id":1,"method":"tools/list","__proto__":{"x":1}}'],
      [
        'oversized',
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(2_000_000) } }),
      ],
      ['response posted', '{"jsonrpc":"2.0","id":1,"result":{}}'],
    ];
    for (const [name, body] of mcpBodies)
      cases.push({
        name: `mcp ${name}`,
        method: 'POST',
        path: '/mcp',
        headers: mcpHeaders(token),
        body,
        allow: [200, 202],
      });
    cases.push({
      name: 'mcp wrong content-type',
      method: 'POST',
      path: '/mcp',
      headers: { ...mcpHeaders(token), 'content-type': 'text/plain' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    cases.push({
      name: 'mcp accept html only',
      method: 'POST',
      path: '/mcp',
      headers: { ...mcpHeaders(token), accept: 'text/html' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    cases.push({
      name: 'mcp foreign origin',
      method: 'POST',
      path: '/mcp',
      headers: { ...mcpHeaders(token), origin: 'https://evil.test' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    cases.push({
      name: 'mcp null origin',
      method: 'POST',
      path: '/mcp',
      headers: { ...mcpHeaders(token), origin: 'null' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    cases.push({
      name: 'mcp GET',
      method: 'GET',
      path: '/mcp',
      headers: { ...mcpHeaders(token), accept: 'text/event-stream' },
    });
    cases.push({
      name: 'mcp DELETE',
      method: 'DELETE',
      path: '/mcp',
      headers: { ...mcpHeaders(token), 'mcp-session-id': 'x' },
    });
    cases.push({ name: 'mcp PUT', method: 'PUT', path: '/mcp', headers: mcpHeaders(token), body: '{}' });
    cases.push({
      name: 'mcp bad protocol version header',
      method: 'POST',
      path: '/mcp',
      headers: { ...mcpHeaders(token), 'mcp-protocol-version': '1999-01-01' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    cases.push({
      name: 'mcp oversized header',
      method: 'GET',
      path: '/mcp',
      headers: { ...mcpHeaders(token), 'x-pad': 'x'.repeat(70_000) },
      allowReset: true,
    });

    // Generated: /authorize and /token with parameters swapped for hostile values (seeded, reproducible).
    let seed = 20261122;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const hostileValues = [
      '',
      ' ',
      '\u0000',
      '\r\nX-Injected: 1',
      '<script>alert(1)</script>',
      "' OR 1=1 --",
      '../../etc/passwd',
      'javascript:alert(1)',
      '\u202e',
      'x'.repeat(3000),
      '%00',
      '{"a":1}',
      '[]',
      'null',
      '-1',
      '1e309',
      '\ud800',
      'ｈｔｔｐｓ://claude.ai/',
      'https://evil.test/',
    ];
    const keys = Object.keys(good);
    for (let i = 0; i < 30; i++) {
      const params: Record<string, string> = { ...good };
      const k = keys[Math.floor(rnd() * keys.length)]!;
      params[k] = hostileValues[Math.floor(rnd() * hostileValues.length)]!;
      if (rnd() < 0.5) {
        const k2 = keys[Math.floor(rnd() * keys.length)]!;
        params[k2] = hostileValues[Math.floor(rnd() * hostileValues.length)]!;
      }
      if (
        params.redirect_uri === CLAUDE_REDIRECT &&
        params.client_id === client.client_id &&
        params.code_challenge === challenge &&
        params.code_challenge_method === 'S256' &&
        params.response_type === 'code'
      )
        continue;
      cases.push({
        name: `authorize fuzz #${i} ${k}`,
        method: 'GET',
        path: `/authorize?${q(params)}`,
        allow: [302, 303],
      });
    }
    const tokenKeys = [
      'grant_type',
      'code',
      'code_verifier',
      'redirect_uri',
      'client_id',
      'client_secret',
      'refresh_token',
    ];
    for (let i = 0; i < 20; i++) {
      const params: Record<string, string> = {
        grant_type: rnd() < 0.5 ? 'authorization_code' : 'refresh_token',
        code: 'x',
        code_verifier: 'v'.repeat(43),
        redirect_uri: CLAUDE_REDIRECT,
        client_id: client.client_id,
        client_secret: client.client_secret!,
        refresh_token: 'r',
      };
      const k = tokenKeys[Math.floor(rnd() * tokenKeys.length)]!;
      params[k] = hostileValues[Math.floor(rnd() * hostileValues.length)]!;
      cases.push({ name: `token fuzz #${i} ${k}`, method: 'POST', path: '/token', headers: form, body: q(params) });
    }

    // Misc
    for (const p of [
      '/.well-known/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/../src/app.ts',
      '/.env',
      '/node_modules/oidc-provider/package.json',
      '/jwks?x=<script>',
      '/session/end',
      '/userinfo',
      '/device',
      '/backchannel',
      '/request',
    ])
      cases.push({ name: `GET ${p}`, method: 'GET', path: p, allow: [200] });
    cases.push({
      name: 'userinfo with token',
      method: 'GET',
      path: '/userinfo',
      headers: { authorization: `Bearer ${token}` },
    });
    cases.push({ name: 'TRACE', method: 'TRACE', path: '/', allow: [200] });
  });
  after(async () => h?.close());

  it('has at least 200 cases', () => {
    expect(cases.length).to.be.at.least(200);
  });

  it('every case gets a clean 4xx (or an allowed answer), no 5xx, no stack trace, no foreign redirect; the server keeps serving', async () => {
    const base = new URL(h.baseUrl);
    const failures: string[] = [];
    for (const c of cases) {
      let out: Outcome;
      try {
        out = await send(base, c);
      } catch (err) {
        if (!(c.allowReset && /ECONNRESET|socket hang up/.test((err as Error).message)))
          failures.push(`${c.name}: request failed: ${(err as Error).message}`);
        continue;
      }
      const ok4xx = out.status >= 400 && out.status < 500;
      if (!ok4xx && !(c.allow ?? []).includes(out.status))
        failures.push(`${c.name}: status ${out.status} ${out.body.slice(0, 120)}`);
      if (out.status >= 500) failures.push(`${c.name}: 5xx`);
      if (/at [\w.<>]+ \(|node_modules\/|\.ts:\d+:\d+/.test(out.body)) failures.push(`${c.name}: stack trace in body`);
      if (out.location) {
        const loc = new URL(out.location, h.baseUrl);
        const fine = loc.origin === base.origin || out.location.startsWith(CLAUDE_REDIRECT);
        if (!fine) failures.push(`${c.name}: redirect to ${out.location}`);
      }
      if (ok4xx && out.body) {
        const shaped =
          /"error"\s*:/.test(out.body) ||
          /<!doctype html>/i.test(out.body) ||
          /Bad Request|Request Header Fields Too Large|Payload Too Large/i.test(out.body) ||
          out.body.trim() === '';
        if (!shaped) failures.push(`${c.name}: unshaped ${out.status} body ${out.body.slice(0, 80)}`);
      }
    }
    const health = await fetch(`${h.baseUrl}/healthz`);
    expect(health.status).to.equal(200);
    expect(failures, failures.join('\n')).to.deep.equal([]);
    expect(h.logs.filter((l) => l.includes('"severity":"ERROR"')).slice(0, 3)).to.deep.equal([]);
  });

  it('CSRF-less consent posts and state replay at the Google callback are refused', async () => {
    const ua = new UserAgent();
    const { challenge } = pkce();
    const r = await ua.run(
      `${h.baseUrl}/authorize?${q({ response_type: 'code', client_id: client.client_id, redirect_uri: CLAUDE_REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' })}`,
      CLAUDE_REDIRECT,
      () => 'stop',
    );
    const action = new URL(/action="([^"]+)"/.exec(r.stoppedAt!.html)![1]!, h.baseUrl).toString();
    for (const body of [
      new URLSearchParams({ decision: 'approve' }),
      new URLSearchParams({ decision: 'approve', csrf: '' }),
      new URLSearchParams({ decision: 'approve', csrf: 'a'.repeat(43) }),
    ]) {
      expect((await ua.request(action, { method: 'POST', body })).status).to.equal(403);
    }
  });
});
