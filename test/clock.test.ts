// The client clock is the servers' clock: in a freshly forked process, nowUs() reads what process.hrtime reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLIENT = fileURLToPath(new URL('../clients/client.ts', import.meta.url));

test('a freshly forked client process: nowUs() agrees with process.hrtime within 5 µs, from its first call on', { timeout: 30_000 }, () => {
  // The child's very first clock reading is checked too (the old offset-based clock was furthest off there).
  const script = `
    const { nowUs } = await import(${JSON.stringify(CLIENT)});
    const hr = () => Number(process.hrtime.bigint() / 1000n);
    let worst = 0, first;
    for (let i = 0; i < 20000; i++) {
      const before = hr();
      const n = nowUs();
      const after = hr();
      const off = n < before ? before - n : n > after ? n - after : 0;
      if (first === undefined) first = off;
      if (off > worst) worst = off;
    }
    process.stdout.write(JSON.stringify({ first, worst }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  const { first, worst } = JSON.parse(out) as { first: number; worst: number };
  assert.ok(first <= 5, `the first reading was ${first} µs outside the hrtime readings around it`);
  assert.ok(worst <= 5, `a reading was ${worst} µs outside the hrtime readings around it`);
});
