// --shard i/N of rtbench compare and run, and rtbench shard: bad combinations are refused with one sentence before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerCompare } from '../commands/compare.ts';
import { registerShard } from '../commands/shard.ts';
import { UsageError } from '../lib/errors.ts';

async function refused(args: string[], message: string, command = 'compare'): Promise<void> {
  const program = new Command('rtbench').exitOverride();
  registerCompare(program);
  registerShard(program);
  await assert.rejects(program.parseAsync(['node', 'rtbench', command, ...args]), (e: unknown) => e instanceof UsageError && e.message === message);
}

test('compare --shard: bad combinations get one sentence', { timeout: 30_000 }, async () => {
  await refused(['--shard', '0/2'], '--shard needs --target TRANSPORT=URL naming the shard server (rtbench shard-server), e.g. --target sse=http://10.0.0.5:8080');
  await refused(['--shard', '0/2', '--target', 'sse=http://127.0.0.1:1', '--target', 'ws=http://127.0.0.1:2'], '--shard runs against one shard server, so it takes one --target; got 2');
  await refused(['--shard', '0/2', '--server-cmd', 'node x.js', '--server-port', '1'], '--shard and --server-cmd exclude each other: a shard measures a shard server (rtbench shard-server) given by --target TRANSPORT=URL');
  await refused(['--shard', '2/2', '--target', 'sse=http://127.0.0.1:1'], '--shard must be i/N with 0 <= i < N <= 1000 (e.g. 0/3), got "2/2"');
  await refused(['--shard', '0/2', '--target', 'sse=http://127.0.0.1:1', '--scenario', 'churn'], '--shard runs fan-out scenarios only, but "churn" is a churn scenario');
  await refused(['--shard', '0/2', '--target', 'sse=http://127.0.0.1:1', '--http2', '--link', 'wan', '--inject-delay-ms', '5'], "a sharded run cannot take --tls, --http2, a --link, --inject-delay-ms: the shard server serves plain HTTP/1.1 to the shards' clients directly, with no test knobs");
  await refused(['--shard', '0/2', '--target', 'long-poll=http://127.0.0.1:1', '--no-keep-alive'], "a sharded long-poll run cannot take --no-keep-alive: the server counts every shard's pollers by their open connections");
  await refused(['0/2', 'http://127.0.0.1:1', '-t', 'sse', '--target', 'ws=http://127.0.0.1:2'], 'rtbench shard takes the shard server as its URL argument, so --target, --server-cmd, --server-url and --server-port do not apply', 'shard');
  await refused(['0/2', 'http://127.0.0.1:1'], 'a sharded run measures one transport (one shared server), named with -t (e.g. -t sse); got short-poll,long-poll,ws,sse,fetch-stream', 'shard');
});
