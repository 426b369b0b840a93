/**
 * Logs: valid JSON lines with Cloud Logging's fields, trace correlation, audit events — and the
 * redaction guarantee: no token, code, secret, Google token or contact field ever reaches a log line.
 */
import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import {
  authorize,
  claudeRegistration,
  clientAuth,
  mcpPost,
  pkce,
  register,
  tokenRequest,
} from '../../standins/oauth-client.js';
import { UserAgent } from '../../standins/user-agent.js';
import { traceFields } from '../../src/logging/logger.js';

describe('logging', function () {
  let h: Harness;
  const secrets: string[] = [];
  before(async () => {
    h = await startHarness();
    // A full flow, recording every secret value seen on the wire.
    const reg = await register(h.baseUrl, claudeRegistration());
    secrets.push(reg.body.client_secret!);
    const { verifier, challenge } = pkce();
    secrets.push(verifier);
    const ua = new UserAgent();
    const hopsBefore = ua.hops.length;
    const { params } = await authorize(
      h.baseUrl,
      { client_id: reg.body.client_id, redirect_uri: reg.body.redirect_uris[0]! },
      { challenge, ua },
    );
    secrets.push(params.get('code')!);
    for (const hop of ua.hops.slice(hopsBefore)) {
      const u = new URL(hop.url);
      for (const k of ['code', 'state']) if (u.searchParams.get(k)) secrets.push(u.searchParams.get(k)!);
    }
    const t = await tokenRequest(h.baseUrl, {
      grant_type: 'authorization_code',
      code: params.get('code')!,
      code_verifier: verifier,
      redirect_uri: reg.body.redirect_uris[0],
      ...clientAuth(reg.body),
    });
    secrets.push(t.body.access_token!, t.body.refresh_token!);
    const r = await tokenRequest(h.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: t.body.refresh_token,
      ...clientAuth(reg.body),
    });
    secrets.push(r.body.access_token!, r.body.refresh_token!);
    // A refused replay and a bad token, so refusals are logged too.
    await tokenRequest(h.baseUrl, {
      grant_type: 'authorization_code',
      code: params.get('code')!,
      code_verifier: verifier,
      redirect_uri: reg.body.redirect_uris[0],
      ...clientAuth(reg.body),
    });
    await mcpPost(h.mcpUrl, `${r.body.access_token!.slice(0, -4)}AAAA`, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
    });
    // Tool calls that return contact data.
    const t2 = await (async () => {
      const { signIn } = await import('../../standins/oauth-client.js');
      return signIn(h.baseUrl, { loginHint: 'bob@acme.test' });
    })();
    secrets.push(t2.tokens.access_token!, t2.tokens.refresh_token!, t2.client.client_secret!);
    const list = await (
      await mcpPost(h.mcpUrl, t2.tokens.access_token, { jsonrpc: '2.0', id: 2, method: 'tools/list' })
    ).text();
    for (const name of ['list_contacts', 'search_contacts', 'whoami']) {
      if (!list.includes(`"${name}"`)) continue;
      const args = name === 'search_contacts' ? { query: 'Bob' } : {};
      await (
        await mcpPost(h.mcpUrl, t2.tokens.access_token, {
          jsonrpc: '2.0',
          id: 3,
          method: 'tools/call',
          params: { name, arguments: args },
        })
      ).text();
    }
    // Google's tokens, as the stand-in issued them.
    secrets.push(...h.google.issuedRefreshTokens);
    secrets.push('GOCSPX-test-google-client-secret');
  });
  after(async () => h?.close());

  it('every line is one JSON object with severity, message and time', () => {
    expect(h.logs.length).to.be.greaterThan(20);
    for (const line of h.logs) {
      const obj = JSON.parse(line) as Record<string, unknown>;
      expect(obj.severity, line).to.be.oneOf(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);
      expect(obj.message, line).to.be.a('string');
      expect(obj.time, line).to.be.a('string');
      expect(obj).not.to.have.property('httpRequest');
    }
  });

  it("audit events carry the user's email: user.signed_in, consent.granted, token.issued, token.refreshed, client.registered", () => {
    const events = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const by = (e: string) => events.filter((x) => x.event === e);
    expect(by('user.signed_in')[0]?.email).to.equal('alice@example.com');
    expect(by('consent.granted')[0]?.email).to.equal('alice@example.com');
    expect(by('token.issued')[0]?.email).to.equal('alice@example.com');
    expect(by('token.refreshed')[0]?.email).to.equal('alice@example.com');
    expect(by('client.registered').length).to.be.greaterThan(0);
    expect(by('consent.shown').length).to.be.greaterThan(0);
    expect(by('google.redirect').length).to.be.greaterThan(0);
    expect(by('mcp.challenge').some((e) => e.reason === 'token_bad_signature')).to.equal(true);
    expect(by('grant.revoked').length).to.be.greaterThan(0);
  });

  it('flow tracing: the browser steps of one sign-in share a flowId and clientId', () => {
    const events = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const shown = events.find((e) => e.event === 'consent.shown')!;
    const flow = events.filter((e) => e.flowId === shown.flowId).map((e) => e.event);
    expect(flow).to.include.members(['consent.shown', 'google.redirect', 'user.signed_in', 'consent.granted']);
    expect(events.filter((e) => e.flowId === shown.flowId).every((e) => e.clientId === shown.clientId)).to.equal(true);
  });

  it('redaction: no token, code, verifier, state, client secret or Google token appears in any log line', () => {
    const all = h.logs.join('\n');
    const leaked = secrets.filter((s) => s && s.length >= 8 && all.includes(s));
    expect(leaked).to.deep.equal([]);
    expect(all).not.to.match(/Bearer [\w-]{20,}/);
  });

  it('redaction: no contact field from the People API appears in any log line', () => {
    const all = h.logs.join('\n');
    const snap = h.people.snapshot('bob@acme.test')!;
    const values = new Set<string>();
    const walk = (v: unknown, key = '') => {
      if (
        typeof v === 'string' &&
        v.length >= 5 &&
        !['resourceName', 'etag', 'id', 'type', 'formattedType', 'sourcePrimary'].includes(key) &&
        !/^(people|contactGroups|otherContacts)\//.test(v) &&
        !/^[A-Z_]+$/.test(v)
      )
        values.add(v);
      else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'metadata') walk(x, k);
    };
    walk(snap.contacts);
    walk(snap.otherContacts);
    expect(values.size).to.be.greaterThan(10);
    const leaked = [...values].filter((v) => all.includes(v));
    expect(leaked).to.deep.equal([]);
  });

  it('trace correlation from traceparent and X-Cloud-Trace-Context', () => {
    expect(
      traceFields({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, 'proj'),
    ).to.deep.equal({
      'logging.googleapis.com/trace': 'projects/proj/traces/0af7651916cd43dd8448eb211c80319c',
      'logging.googleapis.com/spanId': 'b7ad6b7169203331',
      'logging.googleapis.com/trace_sampled': true,
    });
    const x = traceFields({ 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=0' }, 'proj');
    expect(x['logging.googleapis.com/trace']).to.equal('projects/proj/traces/105445aa7843bc8bf206b12000100000');
    expect(x['logging.googleapis.com/trace_sampled']).to.equal(false);
    expect(traceFields({}, 'proj')).to.deep.equal({});
  });

  it('a request with a trace header logs lines carrying the trace', async () => {
    await fetch(`${h.baseUrl}/healthz`, {
      headers: { traceparent: '00-11111111111111111111111111111111-2222222222222222-01' },
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(
      h.logs.some(
        (l) =>
          l.includes('traces/11111111111111111111111111111111') ||
          l.includes('"logging.googleapis.com/trace":"11111111111111111111111111111111"'),
      ),
    ).to.equal(true);
  });
});
