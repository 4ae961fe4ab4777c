// Runs every test file under test/ with node's test runner (Node 20 does not expand globs itself), then checks
// that no process started during the run survives it: every descendant inherits RTBENCH_TEST_RUN.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' || name === 'helpers' ? [] : find(p);
    return p.endsWith('.test.ts') ? [p] : [];
  });
}

/** Live processes (not zombies) whose environment carries `marker`, other than this one. */
function survivors(marker) {
  const found = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      found.push({ pid: Number(pid), cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').slice(0, 200) });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : find('test').sort();
if (files.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}
const marker = `RTBENCH_TEST_RUN=${process.pid}`;
// Every test has a time limit: a broken delivery fails its test instead of hanging the suite.
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=180000', ...files], {
  stdio: 'inherit',
  env: { ...process.env, RTBENCH_TEST_RUN: String(process.pid) },
});
// Give exiting processes a moment to be reaped before calling them survivors.
let left = survivors(marker);
for (let i = 0; i < 20 && left.length > 0; i++) {
  spawnSync('sleep', ['0.1']);
  left = survivors(marker);
}
if (left.length > 0) {
  console.error(`\nprocesses started by the test run survived it (a cleanup bug):\n${left.map((p) => `  ${p.pid} ${p.cmd}`).join('\n')}`);
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(1);
}
console.log(`no process started by the test run survived it`);
process.exit(r.status ?? 1);
