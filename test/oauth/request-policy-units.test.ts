/**
 * The request-policy pieces that need no server: token form rewriting, the window counters, and the one
 * OAuth error answer. The middlewares themselves are exercised end to end in registration, refresh-scopes,
 * security and oversized-bodies tests.
 */
import { expect } from 'chai';
import { jsonDepth } from '../../src/http/json-depth.js';
import { canonicalResource } from '../../src/oauth/request-policy/canonical-resource.js';
import { normalizeTokenParams } from '../../src/oauth/request-policy/token-params.js';
import { KeyedCounters, WindowCounter } from '../../src/oauth/request-policy/window-counter.js';

const MCP = 'https://mcp.example.com/mcp';
const KNOWN = ['openid', 'offline_access', 'email', 'profile', 'contacts'];

describe('request policy, unit', () => {
  describe('token form (normalizeTokenParams)', () => {
    it('RFC 8707: a resource with a trailing slash becomes the MCP URL', () => {
      const form = new URLSearchParams({ grant_type: 'refresh_token', resource: `${MCP}/` });
      expect(normalizeTokenParams(form, MCP, KNOWN)).to.equal(true);
      expect(form.get('resource')).to.equal(MCP);
    });

    it('RFC 6749 §6: unknown scopes are dropped, known ones kept; none left means no scope parameter', () => {
      const form = new URLSearchParams({ scope: 'claudeai contacts offline_access' });
      expect(normalizeTokenParams(form, MCP, KNOWN)).to.equal(true);
      expect(form.get('scope')).to.equal('contacts offline_access');
      const onlyUnknown = new URLSearchParams({ scope: 'claudeai' });
      expect(normalizeTokenParams(onlyUnknown, MCP, KNOWN)).to.equal(true);
      expect(onlyUnknown.has('scope')).to.equal(false);
    });

    it('leaves a form it has nothing to change alone, and a repeated scope for oidc-provider to refuse', () => {
      const clean = new URLSearchParams({ scope: 'contacts', resource: MCP });
      expect(normalizeTokenParams(clean, MCP, KNOWN)).to.equal(false);
      expect(clean.toString()).to.equal('scope=contacts&resource=https%3A%2F%2Fmcp.example.com%2Fmcp');
      const repeated = new URLSearchParams([
        ['scope', 'claudeai'],
        ['scope', 'contacts'],
      ]);
      expect(normalizeTokenParams(repeated, MCP, KNOWN)).to.equal(false);
      expect(repeated.getAll('scope')).to.deep.equal(['claudeai', 'contacts']);
    });

    it('a repeated resource is not rewritten (oidc-provider refuses it)', () => {
      const params = new URLSearchParams([
        ['resource', `${MCP}/`],
        ['resource', 'https://other.example/'],
      ]);
      canonicalResource(params, MCP);
      expect(params.getAll('resource')).to.deep.equal([`${MCP}/`, 'https://other.example/']);
    });
  });

  describe('window counters', () => {
    it('allow max hits per window, then say how many seconds to wait; the window slides', () => {
      let now = 1_000_000;
      const counter = new WindowCounter(2, 60_000, () => now);
      expect(counter.take()).to.equal(0);
      now += 10_000;
      expect(counter.take()).to.equal(0);
      now += 5_000;
      expect(counter.take()).to.equal(45); // the first hit leaves the window 45 s from now
      now += 45_000;
      expect(counter.take()).to.equal(0);
    });

    it('count each key on its own', () => {
      const counters = new KeyedCounters(1, 60_000);
      expect(counters.take('a')).to.equal(0);
      expect(counters.take('a')).to.be.greaterThan(0);
      expect(counters.take('b')).to.equal(0);
    });
  });

  it('jsonDepth counts nesting and stops one past its limit (enough to refuse, without walking the rest)', () => {
    expect(jsonDepth(1)).to.equal(0);
    expect(jsonDepth({ a: [1, { b: 2 }] })).to.equal(3);
    let deep: unknown = 0;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(jsonDepth(deep, 9)).to.equal(10);
  });
});
