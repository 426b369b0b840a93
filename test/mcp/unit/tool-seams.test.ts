// The seams between the tools and the rest (no servers; milliseconds): the read-only set comes from the
// annotations, the context is bound to one account, a storage outage reads as one, and the People API
// gateway works from any access-token source.
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config/config.js';
import { ContactTrash } from '../../../src/contacts/trash.js';
import { createLogger, setRootLogger } from '../../../src/logging/logger.js';
import { errorResult, toolsFor } from '../../../src/mcp/server.js';
import { isJoinable, isJoinableByName, requireJoinable, requireUserGroup } from '../../../src/mcp/tools/groups.js';
import { ALL_TOOLS } from '../../../src/mcp/tools/index.js';
import { listDeletedContacts } from '../../../src/mcp/tools/list-deleted-contacts.js';
import { isReadOnlyTool, ToolError } from '../../../src/mcp/tools/types.js';
import { KeyRing } from '../../../src/security/keys.js';
import { MemoryStore } from '../../../src/storage/memory.js';
import { StoreUnavailableError } from '../../../src/storage/port.js';
import type { GoogleAccessTokens } from '../../../src/upstream/google/access-tokens.js';
import { GoogleReauthRequired, PeopleGateway } from '../../../src/upstream/google/people.js';
import { PeopleHttpError } from '../../../src/upstream/google/people-client.js';
import { fakeToolContext } from '../../support/fake-people.js';
import { flaky } from '../../support/flaky-store.js';
import { READ_TOOLS, WRITE_TOOLS } from '../helpers.js';

const ENV = {
  BASE_URL: 'https://contacts.example.com',
  ACCESS_TOKEN_SECRET: 'x'.repeat(40),
  GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'secret',
};

/** Captures log lines (as parsed JSON) while `fn` runs. */
async function capturingLogs<T>(
  fn: () => Promise<T> | T,
): Promise<{ result: T; lines: Array<Record<string, unknown>> }> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  setRootLogger(createLogger({ level: 'debug', destination: sink }));
  try {
    return { result: await fn(), lines };
  } finally {
    setRootLogger(pino({ level: 'silent' }));
  }
}

describe('tool seams (unit)', () => {
  describe('read-only comes from the annotations', () => {
    it('READ_ONLY=true keeps exactly the tools whose readOnlyHint is true', () => {
      const readOnly = toolsFor(loadConfig({ ...ENV, READ_ONLY: 'true' })).map((t) => t.name);
      expect(readOnly).to.have.members(READ_TOOLS);
      expect(ALL_TOOLS.filter(isReadOnlyTool).map((t) => t.name)).to.have.members(READ_TOOLS);
      expect(toolsFor(loadConfig(ENV)).map((t) => t.name)).to.have.members([...READ_TOOLS, ...WRITE_TOOLS]);
    });

    it('every tool declares readOnlyHint explicitly (the READ_ONLY filter depends on it)', () => {
      for (const t of ALL_TOOLS) expect(t.annotations.readOnlyHint, t.name).to.be.a('boolean');
    });
  });

  describe('the tool context is bound to one account', () => {
    it('a tool’s trash sees only its own account’s entries', async () => {
      const store = new MemoryStore();
      const trash = new ContactTrash(store, new KeyRing(['unit-test-secret-0123456789abcdef0123']), 30);
      await trash
        .forAccount('someone-else')
        .put({ person: { resourceName: 'people/c9', names: [{ givenName: 'Eve' }] }, groups: [] }, 'delete');
      const { ctx } = fakeToolContext({ store, accountId: 'me' });
      const out = await listDeletedContacts.run({ pageSize: 25 }, ctx);
      expect(out.structured.contacts).to.deep.equal([]);
      expect(await trash.forAccount('someone-else').list()).to.have.length(1);
    });
  });

  describe('a storage outage during a tool call', () => {
    it('the trash unavailable: the tool’s error reaches the server as a StoreUnavailableError', async () => {
      const store = flaky(new MemoryStore());
      const { ctx } = fakeToolContext({ store });
      store.down = true;
      const err = await listDeletedContacts.run({ pageSize: 25 }, ctx).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(StoreUnavailableError);
    });

    it('answers "temporarily unavailable, try again in a moment", logged as store.unavailable, not as a tool failure', async () => {
      const outcome = { reauthRequired: false };
      const { result, lines } = await capturingLogs(() =>
        errorResult(
          new StoreUnavailableError('Firestore did not answer within 5000 ms (get)'),
          outcome,
          'list_deleted_contacts',
        ),
      );
      expect(result.isError).to.equal(true);
      expect(result.content).to.deep.equal([
        { type: 'text', text: 'This server’s storage is temporarily unavailable. Try again in a moment.' },
      ]);
      expect(outcome.reauthRequired).to.equal(false);
      expect(lines.map((l) => l.event)).to.deep.equal(['store.unavailable']);
      expect(lines[0]).to.include({ tool: 'list_deleted_contacts', severity: 'ERROR' });
      expect(lines.some((l) => String(l.message).includes('failed unexpectedly'))).to.equal(false);
    });

    it('(control) any other error still says the tool failed unexpectedly, and is logged with its stack trace', async () => {
      const { result, lines } = await capturingLogs(() =>
        errorResult(new TypeError('x is undefined'), { reauthRequired: false }, 'get_contact'),
      );
      expect((result.content[0] as { text: string }).text).to.match(/^The tool failed unexpectedly/);
      expect(lines[0]).to.include({ message: 'tool failed unexpectedly', tool: 'get_contact' });
      expect(lines[0]!.stack_trace).to.be.a('string');
    });
  });

  describe('built-in group guards (groups.ts)', () => {
    const group = (resourceName: string, system: boolean) => ({
      ref: resourceName,
      resourceName,
      name: resourceName.replace('contactGroups/', ''),
      system,
    });

    it('contacts may join their own groups, My Contacts and Starred, and no other built-in group', () => {
      expect(isJoinable(group('contactGroups/abc123', false))).to.equal(true);
      expect(isJoinable(group('contactGroups/myContacts', true))).to.equal(true);
      expect(isJoinable(group('contactGroups/starred', true))).to.equal(true);
      expect(isJoinable(group('contactGroups/friends', true))).to.equal(false);
      expect(isJoinableByName('contactGroups/family')).to.equal(false);
      expect(isJoinableByName('contactGroups/starred')).to.equal(true);
      expect(isJoinableByName('contactGroups/5f0e1d')).to.equal(true);
      expect(() => requireJoinable(group('contactGroups/all', true))).to.throw(
        ToolError,
        'Contacts can\'t be added to the built-in group "all"; only to your own groups, My Contacts and Starred.',
      );
    });

    it('built-in groups cannot be renamed or deleted; the user’s own can', () => {
      const starred = { resourceName: 'contactGroups/starred', groupType: 'SYSTEM_CONTACT_GROUP' };
      expect(() => requireUserGroup(starred, 'Starred', 'deleted')).to.throw(
        ToolError,
        '"Starred" is one of Google’s built-in groups and can’t be deleted.',
      );
      expect(() => requireUserGroup(starred, 'Starred', 'renamed')).to.throw(ToolError, 'can’t be renamed');
      expect(() =>
        requireUserGroup({ resourceName: 'contactGroups/abc', groupType: 'USER_CONTACT_GROUP' }, 'Hiking', 'deleted'),
      ).to.not.throw();
    });
  });

  describe('the People API gateway over any access-token source', () => {
    /** A token source that hands out numbered tokens and records what it was asked. */
    function tokenSource(fail?: Error): GoogleAccessTokens & { asked: string[]; stale: string[] } {
      let n = 0;
      const asked: string[] = [];
      const stale: string[] = [];
      return {
        asked,
        stale,
        accessToken: async (accountId) => {
          asked.push(accountId);
          if (fail) throw fail;
          return `token-${++n}`;
        },
        markStale: (accountId) => void stale.push(accountId),
        grantedScopes: async () => undefined,
      };
    }
    const googleAnswers = (status: number) =>
      new PeopleHttpError(`Google answered ${status}`, status, {}, { error: { message: 'no' } });

    it('forAccount binds the account: tokens are asked for that account, and sent as a Bearer header', async () => {
      const tokens = tokenSource();
      const google = new PeopleGateway({ rootUrl: 'http://127.0.0.1:9/', tokens }).forAccount('account-a');
      const seen: string[] = [];
      const data = await google.call(async (_api, options) => {
        seen.push(options.headers.Authorization!);
        return { data: 'ok' };
      });
      expect(data).to.equal('ok');
      expect(tokens.asked).to.deep.equal(['account-a']);
      expect(seen).to.deep.equal(['Bearer token-1']);
    });

    it('a Google 401: the token is marked stale and the call retried once with a fresh one; a second 401 ends the sign-in', async () => {
      const tokens = tokenSource();
      const reauth: string[] = [];
      const gateway = new PeopleGateway({
        rootUrl: 'http://127.0.0.1:9/',
        tokens,
        onReauthRequired: async (id) => void reauth.push(id),
      });
      const seen: string[] = [];
      const err = await gateway
        .forAccount('account-a')
        .call(async (_api, options) => {
          seen.push(options.headers.Authorization!);
          throw googleAnswers(401);
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).to.be.instanceOf(GoogleReauthRequired);
      expect(seen).to.deep.equal(['Bearer token-1', 'Bearer token-2']);
      expect(tokens.stale).to.deep.equal(['account-a']);
      expect(reauth).to.deep.equal(['account-a']);
    });

    it('a token source whose storage is down: the StoreUnavailableError reaches the tool unchanged (no Google call)', async () => {
      const tokens = tokenSource(new StoreUnavailableError('down'));
      let called = false;
      const err = await new PeopleGateway({ rootUrl: 'http://127.0.0.1:9/', tokens })
        .forAccount('account-a')
        .call(async () => {
          called = true;
          return { data: 1 };
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).to.be.instanceOf(StoreUnavailableError);
      expect(called).to.equal(false);
    });
  });
});
