// --shard i/N of rtbench compare and run: bad combinations are refused with one sentence before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerCompare } from '../commands/compare.ts';
import { UsageError } from '../lib/errors.ts';

async function refused(args: string[], message: string): Promise<void> {
  const program = new Command('rtbench').exitOverride();
  registerCompare(program);
  await assert.rejects(program.parseAsync(['node', 'rtbench', 'compare', ...args]), (e: unknown) => e instanceof UsageError && e.message === message);
}

test('compare --shard: bad combinations get one sentence', { timeout: 30_000 }, async () => {
  await refused(['--shard', '0/2'], '--shard needs --target TRANSPORT=URL naming the shard server (rtbench shard-server), e.g. --target sse=http://10.0.0.5:8080');
  await refused(['--shard', '0/2', '--target', 'sse=http://127.0.0.1:1', '--target', 'ws=http://127.0.0.1:2'], '--shard runs against one shard server, so it takes one --target; got 2');
  await refused(['--shard', '0/2', '--server-cmd', 'node x.js', '--server-port', '1'], '--shard and --server-cmd exclude each other: a shard measures a shard server (rtbench shard-server) given by --target TRANSPORT=URL');
  await refused(['--shard', '2/2', '--target', 'sse=http://127.0.0.1:1'], '--shard must be i/N with 0 <= i < N <= 1000 (e.g. 0/3), got "2/2"');
  await refused(['--shard', '0/2', '--target', 'sse=http://127.0.0.1:1', '--scenario', 'churn'], '--shard runs fan-out scenarios only, but "churn" is a churn scenario');
});
