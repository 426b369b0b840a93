// On Cloud Run (K_SERVICE set) the process refuses settings that only make sense locally: a CRITICAL JSON
// line naming the variable on stderr (Cloud Logging shows it as the revision's start-up error), exit 78.
import { expect } from 'chai';
import { freeLoopbackPort } from '../../standins/http.js';
import { jsonLines, loopbackEnv, spawnEntry } from './entry.js';

const CLOUD_RUN = { K_SERVICE: 'contacts-mcp', K_REVISION: 'contacts-mcp-00001-abc', K_CONFIGURATION: 'contacts-mcp' };

async function refusal(
  env: Record<string, string>,
): Promise<{ code: number | string; critical: Record<string, unknown> | undefined; output: string }> {
  const port = await freeLoopbackPort();
  const entry = spawnEntry({ ...env, PORT: String(port) }, port);
  const timer = setTimeout(() => entry.child.kill('SIGKILL'), 20_000);
  const code = await entry.exited;
  clearTimeout(timer);
  return { code, critical: jsonLines(entry.output()).find((l) => l.severity === 'CRITICAL'), output: entry.output() };
}

describe('Cloud Run refuses local-only settings at start-up (exit 78)', function () {
  this.timeout(30_000);
  // A real https BASE_URL, so that only the variable under test is wrong.
  const cloudEnv = (port: number): Record<string, string> => ({
    ...loopbackEnv(port),
    BASE_URL: 'https://contacts-mcp-123.europe-west1.run.app',
    DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'false',
    ...CLOUD_RUN,
  });

  it('STORE=memory: every instance would lose its sign-ins', async function () {
    const r = await refusal(cloudEnv(0));
    expect(r.code, r.output).to.equal(78);
    expect(r.critical, r.output).to.not.equal(undefined);
    expect(String(r.critical!.message)).to.match(/STORE=memory is refused on Cloud Run/);
    expect(String(r.critical!.message)).to.contain('STORE=firestore');
    expect(r.output, 'no stack trace').to.not.match(/\n\s+at /);
  });

  it('STORE unset (the default, memory) is refused too', async function () {
    const { STORE: _unset, ...env } = cloudEnv(0);
    const r = await refusal(env);
    expect(r.code, r.output).to.equal(78);
    expect(String(r.critical?.message)).to.match(/STORE=memory \(the default\) is refused on Cloud Run/);
  });

  it('DANGEROUSLY_ALLOW_LOOPBACK_HTTP=true is refused (as before), naming the variable', async function () {
    const r = await refusal({ ...cloudEnv(0), DANGEROUSLY_ALLOW_LOOPBACK_HTTP: 'true' });
    expect(r.code, r.output).to.equal(78);
    expect(String(r.critical?.message)).to.contain('DANGEROUSLY_ALLOW_LOOPBACK_HTTP=true is refused on Cloud Run');
  });
});
