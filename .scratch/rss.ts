// Scratch: where idle RSS goes (not committed).
import { readFileSync } from 'node:fs';
import { signIn } from '../standins/oauth-client.js';
import { closedLoop, toolCall } from '../bench/lib/load.js';
import { freePort, sleep, stopAll, rssMb } from '../bench/lib/proc.js';
import { ourEnv, startOurs, startStandins } from '../bench/lib/servers.js';
import { InspectorSession } from '../bench/lib/inspector.js';

const variant = process.argv[2] ?? '';
const port = await freePort();
const standins = await startStandins([`http://127.0.0.1:${port}/oauth/google/callback`]);
const extra = variant ? variant.split(' ') : [];
const ours = await startOurs(ourEnv({ port, standins }), ['--inspect=127.0.0.1:0', ...extra]);
try {
  const { tokens } = await signIn(ours.url, { loginHint: 'alice@example.com' });
  const t = toolCall(`${ours.url}/mcp`, tokens.access_token!, 'search_contacts', { query: 'Bob', maxResults: 10 }, 'Bob');
  await closedLoop(t, { concurrency: 1, requests: 1 });
  await sleep(1000);
  const pid = ours.child.proc.pid!;
  const insp = await InspectorSession.attach(ours.child);
  const mem = async () =>
    JSON.parse(
      (await insp.send<{ result: { value: string } }>('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())' })).result.value,
    );
  const smaps = () => readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n').filter((l) => /^(Rss|Anonymous|Private_Clean|Shared_Clean|Private_Dirty):/.test(l)).join(' | ');
  console.log(variant || '(default)', 'idle RSS', rssMb(pid).toFixed(1), JSON.stringify(await mem()));
  console.log(smaps());
  await insp.send('HeapProfiler.collectGarbage');
  await sleep(500);
  const spaces = JSON.parse((await insp.send<{ result: { value: string } }>('Runtime.evaluate', { expression: "JSON.stringify(process.getBuiltinModule('v8').getHeapSpaceStatistics().map(s=>[s.space_name, Math.round(s.space_used_size/1e5)/10, Math.round(s.physical_space_size/1e5)/10]))" })).result.value);
  console.log('spaces used/physical MB', JSON.stringify(spaces));
  const code = JSON.parse((await insp.send<{ result: { value: string } }>('Runtime.evaluate', { expression: "JSON.stringify(process.getBuiltinModule('v8').getHeapCodeStatistics())" })).result.value);
  console.log('code stats', JSON.stringify(code));
  console.log('after GC RSS', rssMb(pid).toFixed(1), JSON.stringify(await mem()));
} finally {
  await stopAll([ours.child]); await standins.close();
}
