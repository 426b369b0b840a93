// Cold start: what the first tool call needs is loaded right after listen, not inside that call.
import { expect } from 'chai';
import sinon from 'sinon';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { GoogleOAuth } from '../../src/upstream/google/oauth.js';
import { GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, TEST_SECRET } from '../support/harness.js';
import { spawn } from 'node:child_process';
import { freeLoopbackPort } from '../../standins/http.js';
import { jsonLines, loopbackEnv, startEntry } from './entry.js';

function app() {
  // A People API root nothing listens on: warming up loads and builds the client, it sends nothing.
  const config = loadConfig({
    BASE_URL: 'https://mcp.example.test',
    ACCESS_TOKEN_SECRET: TEST_SECRET,
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    PEOPLE_API_ROOT_URL: 'http://127.0.0.1:9/',
    DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'true',
    LOG_LEVEL: 'silent',
  });
  return createApp({ config, store: new MemoryStore(), logger: createLogger({ level: 'silent' }) });
}

describe('warm-up after listen (cold start)', function () {
  this.timeout(30_000);
  afterEach(() => sinon.restore());

  it('warmUp() loads the Google sign-in library the first tool call needs to refresh an expired Google token', async () => {
    const a = app();
    const preload = sinon.spy(GoogleOAuth.prototype, 'preload');
    await a.warmUp();
    expect(preload.callCount).to.equal(1);
    await preload.firstCall.returnValue;
  });

  it('warmUp() never rejects: a failed load is left for the tool call to report', async () => {
    const a = app();
    sinon.stub(GoogleOAuth.prototype, 'preload').rejects(new Error('module not found'));
    await a.warmUp();
  });

  it('with STORE=firestore the Firestore client library loads only after the server listens', async () => {
    // A module hook in the server process reports when the client library's first file loads.
    const hook = `data:text/javascript,${encodeURIComponent(`
      import { registerHooks } from 'node:module';
      let seen = false;
      registerHooks({ load(url, context, next) {
        if (!seen && url.includes('/node_modules/@google-cloud/firestore/')) {
          seen = true;
          process.stdout.write(JSON.stringify({ event: 'test.firestore_loaded', at: Date.now() }) + '\\n');
        }
        return next(url, context);
      } });`)}`;
    const port = await freeLoopbackPort();
    const child = spawn(process.execPath, ['--import', hook, '--import', 'tsx', 'src/index.ts'], {
      env: {
        ...loopbackEnv(port),
        STORE: 'firestore',
        // Nothing listens there: the ping fails (store.unavailable), after the client library has loaded.
        FIRESTORE_EMULATOR_HOST: '127.0.0.1:9',
        METADATA_SERVER_DETECTION: 'none',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const until = Date.now() + 25_000;
      const events = () => jsonLines(output);
      while (!events().some((l) => l.event === 'store.unavailable' || l.event === 'store.ready') && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      const started = events().find((l) => l.event === 'server.started');
      const loaded = events().find((l) => l.event === 'test.firestore_loaded');
      expect(started, output).to.not.equal(undefined);
      expect(loaded, output).to.not.equal(undefined);
      expect(Number(loaded!.at)).to.be.at.least(Date.parse(String(started!.time)));
      expect(
        events().some((l) => l.event === 'store.unavailable'),
        'the failed ping is reported',
      ).to.equal(true);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('the production entry starts the warm-up after it listens, and /health answers meanwhile', async () => {
    const entry = await startEntry({ LOG_LEVEL: 'debug' });
    try {
      const until = Date.now() + 20_000;
      while (!jsonLines(entry.output()).some((l) => l.event === 'server.warm') && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      const events = jsonLines(entry.output()).map((l) => l.event);
      expect(events).to.include('server.warm');
      expect(events.indexOf('server.started')).to.be.lessThan(events.indexOf('server.warm'));
      expect((await fetch(`${entry.baseUrl}/health`)).status).to.equal(200);
    } finally {
      entry.child.kill('SIGTERM');
      await entry.exited;
    }
  });
});
