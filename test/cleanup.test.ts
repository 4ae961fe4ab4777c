// lib/cleanup.ts in a fresh Node process each: the cleanups run on exit, once; an unhandled SIGTERM/SIGINT runs
// them and still ends the process by that signal; a signal some other handler takes runs none of them.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const CLEANUP = new URL('../lib/cleanup.ts', import.meta.url).href;

/** Runs `body` (after `onCleanup` is imported) in a child; its exit signal or code, and what it printed. */
function child(body: string): { signal: NodeJS.Signals | null; code: number | null; stdout: string } {
  const script = `import { onCleanup } from ${JSON.stringify(CLEANUP)};\n${body}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { signal: r.signal, code: r.status, stdout: r.stdout };
}

it('cleanups run once on exit, in order; registering one twice or unregistering it counts', () => {
  const r = child(`const a = () => console.log('a'); onCleanup(a); onCleanup(a); onCleanup(() => console.log('b'))(); onCleanup(() => console.log('c'));`);
  assert.deepEqual([r.signal, r.code, r.stdout], [null, 0, 'a\nc\n']);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  it(`an unhandled ${signal} runs the cleanups, then the process dies of ${signal}`, () => {
    const r = child(`onCleanup(() => console.log('cleaned')); setInterval(() => {}, 1000); process.kill(process.pid, '${signal}');`);
    assert.deepEqual([r.signal, r.stdout], [signal, 'cleaned\n']);
  });
}

it('a SIGTERM another handler takes runs no cleanup until the exit', () => {
  const r = child(`onCleanup(() => console.log('cleaned')); setInterval(() => {}, 1000); process.on('SIGTERM', () => { console.log('handled'); process.exit(3); }); process.kill(process.pid, 'SIGTERM');`);
  assert.deepEqual([r.signal, r.code, r.stdout], [null, 3, 'handled\ncleaned\n']);
});
