// The thin People API client (src/upstream/google/people-client.ts) against a recording loopback server,
// with @googleapis/people — the library it replaces — as the oracle for what goes on the wire.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { people as googlePeople, type people_v1 } from '@googleapis/people';
import { expect } from 'chai';
import { PeopleClient, PeopleHttpError, type PeopleApi } from '../../../src/upstream/google/people-client.js';
import { closeServer } from '../../../standins/http.js';

interface Seen {
  method: string;
  path: string;
  query: Array<[string, string]>;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback server that records every request and answers with `answer` (default: 200 {"ok":true}). */
async function recorder(): Promise<{
  url: string;
  seen: Seen[];
  connections: () => number;
  answer: (fn: Answer) => void;
  close: () => Promise<void>;
}> {
  const seen: Seen[] = [];
  let connections = 0;
  let answer: Answer = (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      const text = Buffer.concat(chunks).toString('utf8');
      seen.push({
        method: req.method!,
        path: url.pathname,
        query: [...url.searchParams.entries()],
        headers: req.headers,
        body: text ? (JSON.parse(text) as unknown) : undefined,
      });
      answer(req, res);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', (_s: Socket) => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    seen,
    connections: () => connections,
    answer: (fn) => (answer = fn),
    close: () => closeServer(server),
  };
}

const OPTIONS = { headers: { Authorization: 'Bearer ya29.test-token' }, timeout: 5_000 };
const PERSON = {
  names: [{ givenName: 'Ada', familyName: 'Lovelace' }],
  emailAddresses: [{ value: 'ada@example.com' }],
};

/** Every method our tools call, with parameters like theirs (arrays, dotted keys, bodies, reserved characters). */
const CALLS: Array<[string, (api: PeopleApi | people_v1.People, o: typeof OPTIONS) => Promise<unknown>]> = [
  ['people.get', (a, o) => a.people.get({ resourceName: 'people/me', personFields: 'names,emailAddresses' }, o)],
  [
    'people.get (sources, requestMask)',
    (a, o) =>
      a.people.get(
        {
          resourceName: 'people/c123',
          personFields: 'names',
          sources: ['READ_SOURCE_TYPE_CONTACT', 'READ_SOURCE_TYPE_PROFILE'],
          'requestMask.includeField': 'person.names',
        },
        o,
      ),
  ],
  [
    'people.getBatchGet',
    (a, o) =>
      a.people.getBatchGet({ resourceNames: ['people/c1', 'people/c2', 'people/c3'], personFields: 'names' }, o),
  ],
  [
    'people.searchContacts',
    (a, o) =>
      a.people.searchContacts({ query: 'Ada Lovelace & co/+?=#%', readMask: 'names,emailAddresses', pageSize: 30 }, o),
  ],
  [
    'people.searchContacts (warm-up)',
    (a, o) => a.people.searchContacts({ query: '', readMask: 'names', pageSize: 1 }, o),
  ],
  [
    'people.searchDirectoryPeople',
    (a, o) =>
      a.people.searchDirectoryPeople(
        {
          query: 'ada',
          readMask: 'names',
          sources: ['DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE', 'DIRECTORY_SOURCE_TYPE_DOMAIN_CONTACT'],
          pageSize: 10,
          pageToken: 'tok/en==',
        },
        o,
      ),
  ],
  ['people.createContact', (a, o) => a.people.createContact({ personFields: 'names', requestBody: PERSON }, o)],
  [
    'people.updateContact',
    (a, o) =>
      a.people.updateContact(
        {
          resourceName: 'people/c123',
          updatePersonFields: 'names',
          personFields: 'names,metadata',
          requestBody: { etag: '%EgUBAi43PRoEAQIFByIMN2h1', ...PERSON },
        },
        o,
      ),
  ],
  ['people.deleteContact', (a, o) => a.people.deleteContact({ resourceName: 'people/c123' }, o)],
  [
    'people.batchCreateContacts',
    (a, o) =>
      a.people.batchCreateContacts({ requestBody: { contacts: [{ contactPerson: PERSON }], readMask: 'names' } }, o),
  ],
  [
    'people.batchDeleteContacts',
    (a, o) => a.people.batchDeleteContacts({ requestBody: { resourceNames: ['people/c1', 'people/c2'] } }, o),
  ],
  [
    'people.connections.list',
    (a, o) =>
      a.people.connections.list(
        {
          resourceName: 'people/me',
          personFields: 'names',
          pageSize: 1000,
          pageToken: 'abc',
          sortOrder: 'LAST_NAME_ASCENDING',
        },
        o,
      ),
  ],
  [
    'contactGroups.get',
    (a, o) =>
      a.contactGroups.get(
        { resourceName: 'contactGroups/myContacts', maxMembers: 5, groupFields: 'name,memberCount' },
        o,
      ),
  ],
  [
    'contactGroups.batchGet',
    (a, o) =>
      a.contactGroups.batchGet({ resourceNames: ['contactGroups/a', 'contactGroups/b'], groupFields: 'name' }, o),
  ],
  [
    'contactGroups.list',
    (a, o) => a.contactGroups.list({ pageSize: 1000, groupFields: 'name,groupType,memberCount' }, o),
  ],
  [
    'contactGroups.create',
    (a, o) => a.contactGroups.create({ requestBody: { contactGroup: { name: 'Hiking' }, readGroupFields: 'name' } }, o),
  ],
  [
    'contactGroups.update',
    (a, o) =>
      a.contactGroups.update(
        {
          resourceName: 'contactGroups/abc',
          requestBody: { contactGroup: { name: 'Climbing', etag: 'e1' }, updateGroupFields: 'name' },
        },
        o,
      ),
  ],
  [
    'contactGroups.delete',
    (a, o) => a.contactGroups.delete({ resourceName: 'contactGroups/abc', deleteContacts: false }, o),
  ],
  [
    'contactGroups.members.modify',
    (a, o) =>
      a.contactGroups.members.modify(
        {
          resourceName: 'contactGroups/abc',
          requestBody: { resourceNamesToAdd: ['people/c1'], resourceNamesToRemove: [] },
        },
        o,
      ),
  ],
  ['otherContacts.list', (a, o) => a.otherContacts.list({ readMask: 'names', pageSize: 100, pageToken: 'p' }, o)],
  [
    'otherContacts.search',
    (a, o) => a.otherContacts.search({ query: 'bob', readMask: 'names,emailAddresses', pageSize: 10 }, o),
  ],
  [
    'otherContacts.copyOtherContactToMyContactsGroup',
    (a, o) =>
      a.otherContacts.copyOtherContactToMyContactsGroup(
        { resourceName: 'otherContacts/c987', requestBody: { copyMask: 'names,emailAddresses,phoneNumbers' } },
        o,
      ),
  ],
];

describe('the People API client (thin, on node:http)', function () {
  this.timeout(30_000);
  let r: Awaited<ReturnType<typeof recorder>>;
  let client: PeopleClient;
  beforeEach(async () => {
    r = await recorder();
    client = new PeopleClient({ rootUrl: r.url });
  });
  afterEach(async () => {
    client.close();
    await r.close();
  });

  describe('sends what @googleapis/people sends (the library is the oracle)', () => {
    for (const [name, call] of CALLS) {
      it(name, async () => {
        const library = googlePeople({ version: 'v1', rootUrl: r.url, retry: false } as Parameters<
          typeof googlePeople
        >[0]);
        await call(library, { ...OPTIONS });
        await call(client, OPTIONS);
        const [theirs, ours] = r.seen;
        expect(ours!.method).to.equal(theirs!.method);
        expect(ours!.path).to.equal(theirs!.path);
        expect(ours!.query).to.deep.equal(theirs!.query);
        expect(ours!.body).to.deep.equal(theirs!.body);
        expect(ours!.headers['content-type']).to.equal(theirs!.headers['content-type']);
        expect(ours!.headers.authorization).to.equal('Bearer ya29.test-token');
        // Google serves gzip only when asked and when the user agent says "gzip", as the library does.
        expect(ours!.headers['accept-encoding']).to.equal('gzip');
        expect(ours!.headers['user-agent']).to.match(/\bgzip\b/);
      });
    }
  });

  it('a 2xx answer resolves to { data }; an empty body (a delete) is {}', async () => {
    expect(await client.people.get({ resourceName: 'people/me', personFields: 'names' }, OPTIONS)).to.deep.equal({
      data: { ok: true },
    });
    r.answer((_req, res) => res.end());
    expect(await client.people.deleteContact({ resourceName: 'people/c1' }, OPTIONS)).to.deep.equal({ data: {} });
  });

  it('a gzip-encoded answer is decompressed', async () => {
    const person = { resourceName: 'people/c1', names: [{ displayName: 'Zoë 🌍 ' + 'x'.repeat(50_000) }] };
    r.answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify(person)));
    });
    expect((await client.people.get({ resourceName: 'people/c1', personFields: 'names' }, OPTIONS)).data).to.deep.equal(
      person,
    );
  });

  it("Google's error answer becomes a PeopleHttpError with its status, headers and error body", async () => {
    const body = {
      error: {
        code: 429,
        message: 'Quota exceeded',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ reason: 'RATE_LIMIT_EXCEEDED' }],
      },
    };
    r.answer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end(JSON.stringify(body));
    });
    const err = await client.people.searchContacts({ query: 'a', readMask: 'names' }, OPTIONS).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(PeopleHttpError);
    const e = err as PeopleHttpError;
    expect(e.status).to.equal(429);
    expect(e.headers['retry-after']).to.equal('7');
    expect(e.body).to.deep.equal(body);
  });

  it('an error answer that is not JSON still carries its status', async () => {
    r.answer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    });
    const err = (await client.contactGroups.list({}, OPTIONS).catch((e: unknown) => e)) as PeopleHttpError;
    expect(err).to.be.instanceOf(PeopleHttpError);
    expect(err.status).to.equal(502);
    expect(err.body).to.equal(undefined);
  });

  it('a 2xx answer that is not JSON is an error (a 502), never data', async () => {
    r.answer((_req, res) => res.end('<html>captive portal</html>'));
    const err = (await client.contactGroups.list({}, OPTIONS).catch((e: unknown) => e)) as PeopleHttpError;
    expect(err).to.be.instanceOf(PeopleHttpError);
    expect(err.status).to.equal(502);
  });

  it('no answer within the timeout: a PeopleHttpError without a status (code ETIMEDOUT), in about the timeout', async () => {
    r.answer(() => undefined); // never answers
    const started = Date.now();
    const err = (await client.people
      .get({ resourceName: 'people/me', personFields: 'names' }, { ...OPTIONS, timeout: 300 })
      .catch((e: unknown) => e)) as PeopleHttpError;
    expect(err).to.be.instanceOf(PeopleHttpError);
    expect(err.status).to.equal(undefined);
    expect(err.code).to.equal('ETIMEDOUT');
    expect(Date.now() - started).to.be.within(250, 5_000);
  });

  it('a connection closed mid-answer: a PeopleHttpError without a status', async () => {
    r.answer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"names":[');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const err = (await client.people
      .get({ resourceName: 'people/me', personFields: 'names' }, OPTIONS)
      .catch((e: unknown) => e)) as PeopleHttpError;
    expect(err).to.be.instanceOf(PeopleHttpError);
    expect(err.status).to.equal(undefined);
  });

  it('nothing listening: a PeopleHttpError without a status (code ECONNREFUSED)', async () => {
    const closed = new PeopleClient({ rootUrl: 'http://127.0.0.1:9/' });
    const err = (await closed.people
      .get({ resourceName: 'people/me', personFields: 'names' }, OPTIONS)
      .catch((e: unknown) => e)) as PeopleHttpError;
    closed.close();
    expect(err).to.be.instanceOf(PeopleHttpError);
    expect(err.status).to.equal(undefined);
    expect(err.code).to.equal('ECONNREFUSED');
  });

  it('an answer larger than the bound is refused (a runaway answer cannot exhaust memory)', async () => {
    const small = new PeopleClient({ rootUrl: r.url, maxResponseBytes: 10_000 });
    r.answer((_req, res) => res.end(JSON.stringify({ x: 'y'.repeat(50_000) })));
    const err = (await small.contactGroups.list({}, OPTIONS).catch((e: unknown) => e)) as PeopleHttpError;
    small.close();
    expect(err).to.be.instanceOf(PeopleHttpError);
    expect(err.status).to.equal(502);
  });

  it('a gzip bomb is refused by the same bound, counted on the decompressed answer', async () => {
    const small = new PeopleClient({ rootUrl: r.url, maxResponseBytes: 1_000_000 });
    const bomb = gzipSync(Buffer.alloc(50_000_000, 0x20)); // ~50 kB on the wire, 50 MB unpacked
    r.answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    const err = (await small.contactGroups.list({}, OPTIONS).catch((e: unknown) => e)) as PeopleHttpError;
    small.close();
    expect(bomb.length).to.be.below(100_000);
    expect(err).to.be.instanceOf(PeopleHttpError);
    expect(err.status).to.equal(502);
  });

  it('a resource name with "." or ".." segments is refused before anything is sent (no path traversal)', async () => {
    for (const resourceName of ['people/../contactGroups/abc', 'people/./c1', 'people//c1', '', '../x']) {
      const err = (await client.people
        .deleteContact({ resourceName }, OPTIONS)
        .catch((e: unknown) => e)) as PeopleHttpError;
      expect(err, resourceName).to.be.instanceOf(PeopleHttpError);
      expect(err.status, resourceName).to.equal(400);
    }
    expect(r.seen).to.deep.equal([]);
  });

  it('reserved characters in a resource name are percent-encoded within their segment', async () => {
    await client.people.get({ resourceName: 'people/c1?x=1#y', personFields: 'names' }, OPTIONS);
    expect(r.seen[0]!.path).to.equal('/v1/people/c1%3Fx%3D1%23y');
    expect(r.seen[0]!.query).to.deep.equal([['personFields', 'names']]);
  });

  it('connections are reused: 50 calls one after another use one connection', async () => {
    for (let i = 0; i < 50; i++) await client.people.get({ resourceName: 'people/me', personFields: 'names' }, OPTIONS);
    expect(r.connections()).to.equal(1);
  });

  it('bursts of 32 concurrent calls keep their connections for the next burst (no reconnects between bursts)', async () => {
    const burst = () =>
      Promise.all(
        Array.from({ length: 32 }, () =>
          client.people.get({ resourceName: 'people/me', personFields: 'names' }, OPTIONS),
        ),
      );
    await burst();
    const afterFirst = r.connections();
    expect(afterFirst).to.be.within(1, 32);
    for (let i = 0; i < 5; i++) await burst();
    expect(r.connections()).to.equal(afterFirst);
  });

  describe('the keep-alive race (Google closes an idle pooled connection as we send on it)', () => {
    /**
     * A raw HTTP/1.1 server: on each connection it answers the first request (keep-alive) and hangs up,
     * unanswered, on any later one — what a front end closing an idle connection looks like to us.
     */
    async function hangsUpOnReuse(): Promise<{
      url: string;
      requests: string[];
      connections: () => number;
      close: () => Promise<void>;
    }> {
      const requests: string[] = [];
      let connections = 0;
      const sockets = new Set<Socket>();
      const server = createTcpServer((socket) => {
        sockets.add(socket);
        connections++;
        socket.on('close', () => sockets.delete(socket));
        let served = 0;
        socket.on('data', (chunk: Buffer) => {
          const line = chunk.toString('latin1').split('\r\n')[0]!;
          requests.push(line);
          if (served++ === 0)
            socket.write(
              'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nkeep-alive: timeout=60\r\n\r\n{"ok":true}',
            );
          else socket.destroy();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}/`,
        requests,
        connections: () => connections,
        close: async () => {
          for (const s of sockets) s.destroy();
          await new Promise<void>((r) => server.close(() => r()));
        },
      };
    }

    it('a request that finds its reused connection closed is sent again on a new connection, once (even a create)', async () => {
      const srv = await hangsUpOnReuse();
      const c = new PeopleClient({ rootUrl: srv.url });
      try {
        await c.people.get({ resourceName: 'people/me', personFields: 'names' }, OPTIONS);
        const created = await c.people.createContact({ personFields: 'names', requestBody: PERSON }, OPTIONS);
        expect(created.data).to.deep.equal({ ok: true });
        // The first create went out on the reused connection and was dropped; the second on a new one.
        expect(srv.connections()).to.equal(2);
        expect(srv.requests).to.deep.equal([
          'GET /v1/people/me?personFields=names HTTP/1.1',
          'POST /v1/people:createContact?personFields=names HTTP/1.1',
          'POST /v1/people:createContact?personFields=names HTTP/1.1',
        ]);
      } finally {
        c.close();
        await srv.close();
      }
    });

    it('a fresh connection hung up on is not resent: the gateway decides (a PeopleHttpError without a status)', async () => {
      // A server that hangs up on the first request of every connection.
      const tcp = createTcpServer((socket) => socket.once('data', () => socket.destroy()));
      await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
      const c = new PeopleClient({ rootUrl: `http://127.0.0.1:${(tcp.address() as AddressInfo).port}/` });
      let connections = 0;
      tcp.on('connection', () => connections++);
      try {
        const err = (await c.people
          .createContact({ personFields: 'names', requestBody: PERSON }, OPTIONS)
          .catch((e: unknown) => e)) as PeopleHttpError;
        expect(err).to.be.instanceOf(PeopleHttpError);
        expect(err.status).to.equal(undefined);
        expect(err.code).to.equal('ECONNRESET');
        expect(connections).to.equal(1);
      } finally {
        c.close();
        await new Promise<void>((r) => tcp.close(() => r()));
      }
    });
  });
});
