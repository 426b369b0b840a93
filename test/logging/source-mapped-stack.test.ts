// Stack traces in error logs are mapped back to src/ when logged (src/logging/source-mapped-stack.ts); frames
// it cannot map stay exactly as they were. The bundle end to end: test/process/bundle.test.ts.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sourceMappedStack } from '../../src/logging/source-mapped-stack.js';

describe('logging: source-mapped stack traces', function () {
  const dir = mkdtempSync(join(process.cwd(), '.test-dist-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // A one-line "bundle" whose map of our own code (chunk.js.src.map) says: generated line 1, columns 0 and 10
  // come from ../src/a.ts line 3, column 5.
  const chunk = join(dir, 'chunk.js');
  writeFileSync(chunk, 'x();      y();\n');
  writeFileSync(
    `${chunk}.src.map`,
    JSON.stringify({ version: 3, sources: ['../src/a.ts'], names: [], mappings: 'AAEK,UAAA' }),
  );
  const url = pathToFileURL(chunk).href;

  it('maps a frame of a file with a source map next to it to the original file, line and column', function () {
    const stack = `Error: boom\n    at run (${url}:1:1)\n    at ${url}:1:11`;
    const mapped = sourceMappedStack(stack);
    const original = join(dir, '..', 'src', 'a.ts').slice(process.cwd().length + 1);
    expect(mapped).to.equal(`Error: boom\n    at run (${original}:3:6)\n    at ${original}:3:6`);
  });

  it('leaves frames without a map, in node_modules, or of Node itself as they were', function () {
    const stack = [
      'Error: boom',
      `    at a (${pathToFileURL(join(dir, 'no-map.js')).href}:1:1)`,
      `    at b (${pathToFileURL(join(process.cwd(), 'node_modules', 'x', 'index.js')).href}:4:2)`,
      '    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)',
    ].join('\n');
    expect(sourceMappedStack(stack)).to.equal(stack);
  });

  it('never throws, whatever the text', function () {
    for (const text of ['', 'no frames at all', `at (${url}:999999:1)`, 'file:///%%%.js:1:1'])
      expect(() => sourceMappedStack(text)).to.not.throw();
    expect(sourceMappedStack('no frames at all')).to.equal('no frames at all');
  });
});
