// A sharded run proved on this machine: the server and each shard are separate processes in their own network
// namespaces, joined by veth pairs (their own addresses, as separate hosts would have). A two- and a three-shard
// run, merged, deliver exactly what one run of the same clients delivers (counts and histogram totals); one shard's
// clock shifted by a known amount is aligned back (its latencies on the server's clock, none negative or shifted).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResult, type RunResult, type TransportResult } from '../lib/result.ts';
import { mergeShards } from '../driver/merge.ts';
import { mergeEncoded } from '../lib/histogram.ts';
import { canCreateNamespaces, createStar, type Star } from './helpers/netns.ts';
import { createNamespacePair } from '../net/netns.ts';
import { BIN, TAG_VAR, runCli } from './helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLIENTS = 6;
const RATE = 50;
// 1 s warm-up, 1 s window: seqs 51..100 are the window, 100 events in all.
const FLAGS = ['-t', 'sse', '--clients', String(CLIENTS), '--rate', String(RATE), '--warmup', '1s', '--duration', '1s', '--drain', '5s', '--workers', '1'];
const SKEW_US = 30_000_000;

/** Runs `rtbench ...args` inside namespace `ns`; resolves with stdout once it exits 0 (rejects otherwise, or at the deadline). */
function inNamespace(ns: string, args: string[], env: Record<string, string> = {}, onStdout?: (text: string) => void): { done: Promise<string>; kill: () => void } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', [TAG_VAR]: `shards-${process.pid}`, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    onStdout?.(stdout);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('close', (code, signal) => {
      clearTimeout(deadline);
      if (code === 0) resolve(stdout);
      else reject(new Error(`rtbench ${args[0]} in ${ns} exited ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
  return { done, kill: () => child.kill('SIGTERM') };
}

/**
 * One sharded run: a fresh shard server in the hub (beyond loopback, so it prints a control token), shard k in spoke
 * k presenting the token (shard 0 by RTBENCH_CONTROL_TOKEN, the others by --control-token); the shards' partial
 * results. With `tokenless`, a shard without the token runs first and must be refused in one sentence.
 */
async function shardedRun(star: Star, count: number, skewShard?: number, tokenless = false): Promise<RunResult[]> {
  let ready!: (v: { port: string; token: string }) => void;
  const started = new Promise<{ port: string; token: string }>((resolve) => (ready = resolve));
  const server = inNamespace(star.hub, ['shard-server', ...FLAGS, '--host', '0.0.0.0', '--port', '0'], {}, (out) => {
    const m = /^url: http:\/\/127\.0\.0\.1:(\d+)$/m.exec(out);
    const t = /^control token: (\S+)$/m.exec(out);
    if (m && t) ready({ port: m[1] as string, token: t[1] as string });
  });
  try {
    const { port: p, token } = await Promise.race([started, server.done.then(() => Promise.reject(new Error('the shard server exited before printing its url and token')))]);
    assert.match(token, /^[A-Za-z0-9_-]{22}$/);
    if (tokenless) {
      const refused = inNamespace(star.spokes[0] as string, ['shard', `0/${count}`, `http://${star.hubAddress(0)}:${p}`, ...FLAGS, '--json', '-q', '--no-html', '-o', '/tmp'], { RTBENCH_CONTROL_TOKEN: '' });
      // A transport that fails is recorded as errored (the run goes on), with the one sentence.
      const t = parseResult(await refused.done, 'tokenless shard').transports[0];
      assert.equal(t?.status, 'errored');
      assert.match(t.error ?? '', /refused \/stats: it needs the control token rtbench shard-server printed/);
    }
    const shards = Array.from({ length: count }, (_, k) =>
      inNamespace(
        star.spokes[k] as string,
        ['shard', `${k}/${count}`, `http://${star.hubAddress(k)}:${p}`, ...FLAGS, '--json', '-q', '--no-html', '-o', '/tmp', ...(k === 0 ? [] : ['--control-token', token])],
        { ...(k === skewShard ? { RTBENCH_TEST_CLOCK_SKEW_US: String(SKEW_US) } : {}), ...(k === 0 ? { RTBENCH_CONTROL_TOKEN: token } : {}) },
      ),
    );
    const outs = await Promise.all(shards.map((s) => s.done));
    // The server exits once every shard's clients have left.
    await server.done;
    return outs.map((o, k) => parseResult(o, `shard ${k}`));
  } catch (err) {
    server.kill();
    await server.done.catch(() => undefined);
    throw err;
  }
}

const skip = canCreateNamespaces() ? false : 'needs root and iproute2 to create network namespaces';
let star: Star | undefined;
before(() => {
  if (!skip) star = createStar(3);
});
after(() => star?.remove());

/** What must be identical between runs of the same clients: every count, and the histogram totals. */
function delivered(t: TransportResult): Record<string, number> {
  assert.equal(t.status, 'ok', t.error);
  const d = t.delivery;
  assert.ok(d && t.histogram !== undefined);
  return {
    publishedEvents: d.publishedEvents,
    expectedDeliveries: d.expectedDeliveries,
    deliveredEvents: d.deliveredEvents,
    lost: d.lost,
    duplicates: d.duplicates,
    outOfOrder: d.outOfOrder,
    negativeLatencies: d.negativeLatencies ?? -1,
    latencyCount: t.latency?.count ?? -1,
    histogramTotal: mergeEncoded([t.histogram]).totalCount,
  };
}

test('a single run, a two- and a three-shard run across namespaces deliver the same (the control token required beyond loopback), and a shifted shard clock is aligned back', { skip, timeout: 170_000 }, async () => {
  const s = star as Star;
  const single = mergeShards(await shardedRun(s, 1, undefined, true));
  const expected = { publishedEvents: 100, expectedDeliveries: CLIENTS * 100, deliveredEvents: CLIENTS * 100, lost: 0, duplicates: 0, outOfOrder: 0, negativeLatencies: 0, latencyCount: CLIENTS * 50, histogramTotal: CLIENTS * 50 };
  assert.deepEqual(delivered(single.transports[0] as TransportResult), expected);
  const two = mergeShards(await shardedRun(s, 2));
  assert.deepEqual(delivered(two.transports[0] as TransportResult), expected);
  assert.equal(two.merged?.shards, 2);
  // Each shard records the URL it reached the shared server at (each spoke by its own veth), the merge both.
  assert.match(single.targets?.sse ?? '', /^http:\/\/[\d.]+:\d+$/);
  assert.match(two.targets?.sse ?? '', /^http:\/\/[\d.]+:\d+, http:\/\/[\d.]+:\d+$/);
  // Shard 1 of 3 reads its clock 30 s ahead: unaligned, every one of its latencies would read over 30 s.
  const parts = await shardedRun(s, 3, 1);
  const three = mergeShards(parts);
  const t = three.transports[0] as TransportResult;
  assert.deepEqual(delivered(t), expected);
  assert.ok(mergeEncoded([t.histogram as string]).maxValue < SKEW_US, 'a latency still carries the shifted clock');
  const clocks = t.clock?.processes ?? [];
  assert.deepEqual([...new Set(clocks.map((c) => c.shard))], [0, 1, 2]);
  for (const c of clocks) {
    const truth = c.shard === 1 ? -SKEW_US : 0;
    assert.ok(Math.abs(c.offsetUs - truth) <= c.uncertaintyUs, `shard ${c.shard}: ${c.offsetUs} ± ${c.uncertaintyUs} µs misses ${truth}`);
    if (c.shard !== 1) assert.equal(c.appliedOffsetUs, 0);
    else assert.ok(Math.abs(c.appliedOffsetUs - truth) <= c.uncertaintyUs + 1);
  }
  // The latencies state what they inherit from the shifted shard's alignment.
  assert.ok((t.clock?.latencyUncertaintyUs ?? 0) > 0);
  // Seconds counted from the one publisher's start line up across shards: each second's deliveries add up.
  const perShard = parts.map((p) => p.transports[0]?.timeline ?? []);
  for (const point of t.timeline ?? []) {
    assert.equal(point.delivered, perShard.reduce((a, tl) => a + (tl.find((q) => q.tMs === point.tMs)?.delivered ?? 0), 0));
  }
});

test('a --target run against rtbench serve --host in another namespace: exact delivery, the target recorded, the clock offset ~0, 401 without the token', { skip, timeout: 120_000 }, async () => {
  const pair = await createNamespacePair();
  let ready!: (v: { port: string; token: string }) => void;
  const started = new Promise<{ port: string; token: string }>((resolve) => (ready = resolve));
  const serve = inNamespace(pair.name, ['serve', '--host', '0.0.0.0', '--rate', '0', 'sse'], {}, (out) => {
    const port = /^\s+sse\s+http:\/\/[\d.]+:(\d+)/m.exec(out);
    const token = /control token: (\S+)/.exec(out);
    if (port && token) ready({ port: port[1] as string, token: token[1] as string });
  });
  try {
    const { port, token } = await Promise.race([started, serve.done.then(() => Promise.reject(new Error('serve exited before printing its token')))]);
    const url = `http://${pair.nsAddress}:${port}`;
    // From the host namespace, across the veth: control without the token is refused and changes nothing.
    assert.equal((await fetch(`${url}/publish`, { method: 'POST', body: '{"data":"x"}' })).status, 401);
    assert.equal((await fetch(`${url}/stats`)).status, 401);
    assert.equal((await fetch(`${url}/time`)).status, 200);
    const stats = (await (await fetch(`${url}/stats`, { headers: { authorization: `Bearer ${token}` } })).json()) as { lastSeq: number };
    assert.equal(stats.lastSeq, 0, 'the refused publish published nothing');
    const out = mkdtempSync(join(tmpdir(), 'rtbench-netns-target-'));
    const run = await runCli(['compare', '--target', `sse=${url}`, '--control-token', token, '--clients', '3', '--rate', '50', '--warmup', '0ms', '--duration', '500ms', '--drain', '2s', '--workers', '1', '--json', '--quiet', '--no-html', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    const result = parseResult(run.stdout, 'compare --target');
    assert.deepEqual(result.targets, { sse: url });
    const t = result.transports[0] as TransportResult;
    assert.equal(t.status, 'ok', t.error);
    const d = t.delivery;
    assert.ok(d && d.publishedEvents > 0);
    assert.equal(d.deliveredEvents, d.publishedEvents * 3);
    assert.deepEqual([d.lost, d.duplicates, d.outOfOrder, d.gaps], [0, 0, 0, 0]);
    // One host clock on both sides of the veth: each client process's estimated offset is 0 within its bound.
    const clocks = t.clock?.processes ?? [];
    assert.ok(clocks.length > 0, 'the result carries the client processes\' clock offsets');
    for (const c of clocks) assert.ok(Math.abs(c.offsetUs) <= c.uncertaintyUs, `offset ${c.offsetUs} ± ${c.uncertaintyUs} µs misses 0`);
  } finally {
    serve.kill();
    await serve.done.catch(() => undefined);
    await pair.stop();
  }
});
