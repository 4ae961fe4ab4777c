// rtbench merge: shards' partial results built from subsets of the same raw deliveries merge into exactly the
// result built from all of them (histograms bucket for bucket, counts, every second); bad shard sets get one sentence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { createHistogram, encodeHistogram, mergeEncoded } from '../lib/histogram.ts';
import { parseResult, type RunResult, type TimelinePoint, type TransportResult } from '../lib/result.ts';
import { LatencyRecorder } from '../clients/recorder.ts';
import { mergeShards } from '../driver/merge.ts';
import { steadyStateOf } from '../driver/pipeline.ts';
import { UsageError } from '../lib/errors.ts';
import { SYNTHETIC_OPTIONS, seededRandom, syntheticRun } from './helpers/synthetic.ts';
import { runCli } from './helpers/cli.ts';
import { GENERATED_AT_MARKER, renderHtml } from '../reports/html.ts';

/** Raw deliveries of one client: per second (1..SECONDS) its latencies, µs. */
type RawClient = number[][];
const SECONDS = 6;
const WINDOW = [3, 5]; // seconds 3..5 are the window

function rawClients(n: number, seed: number): RawClient[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: SECONDS }, () => Array.from({ length: 20 + Math.floor(rnd() * 10) }, () => 50 + Math.floor(rnd() ** 3 * 200_000))));
}

/** What the pipeline would report for `clients` (a whole run, or a shard's share with per-second histograms). */
function figuresOf(clients: RawClient[], shard: boolean, saturated = false): TransportResult {
  const window = createHistogram();
  const timeline: TimelinePoint[] = [];
  for (let s = 0; s < SECONDS; s++) {
    const h = createHistogram();
    for (const c of clients) for (const v of c[s] as number[]) h.recordValue(v);
    const inWindow = s + 1 >= (WINDOW[0] as number) && s + 1 <= (WINDOW[1] as number);
    if (inWindow) window.add(h);
    // As the pool does: the processes' encoded seconds, merged.
    const d = mergeEncoded([encodeHistogram(h)]);
    const n = d.totalCount;
    timeline.push({
      tMs: (s + 1) * 1000,
      delivered: n,
      p50Us: n === 0 ? 0 : d.getValueAtPercentile(50),
      p99Us: n === 0 ? 0 : d.getValueAtPercentile(99),
      maxUs: n === 0 ? 0 : d.maxValue,
      ...(inWindow ? { window: true } : {}),
      ...(shard ? { histogram: encodeHistogram(h) } : {}),
    });
  }
  const delivered = clients.reduce((a, c) => a + c.reduce((b, s) => b + s.length, 0), 0);
  const windowDeliveries = window.totalCount;
  const base = syntheticRun({ sse: { p50Us: 1, p99Us: 1, eventsPerSec: 1, cpuMsPer1kEvents: 1, rssPerConnectionBytes: 1, bytesPerEvent: 1, requestsPerEvent: 1, saturated } }).transports[0] as TransportResult;
  const histogram = encodeHistogram(window);
  return {
    ...base,
    latency: LatencyRecorder.summarizeEncoded([histogram]),
    histogram,
    timeline,
    steadyState: steadyStateOf(timeline),
    delivery: {
      publishedEvents: 1000,
      expectedDeliveries: clients.length * 1000,
      deliveredEvents: delivered,
      windowDeliveries,
      eventsPerSec: windowDeliveries / (SYNTHETIC_OPTIONS.durationMs / 1000),
      deliveryLagUs: Math.max(...clients.map((c) => c[SECONDS - 1]?.at(-1) ?? 0)),
      lost: clients.length,
      stragglers: 0,
      behind: 0,
      failedClients: 0,
      failedMissed: 0,
      negativeLatencies: 0,
      duplicates: clients.reduce((a, c) => a + ((c[0]?.length ?? 0) % 3), 0),
      outOfOrder: 0,
      gaps: 0,
    },
  };
}

function run(clients: RawClient[], shard?: { index: number; count: number }, saturated = false): RunResult {
  const r = syntheticRun({ sse: { p50Us: 1, p99Us: 1, eventsPerSec: 1, cpuMsPer1kEvents: 1, rssPerConnectionBytes: 1, bytesPerEvent: 1, requestsPerEvent: 1 } }, { clients: 60 });
  return { ...r, ...(shard ? { shard } : {}), transports: [figuresOf(clients, shard !== undefined, saturated)] };
}

/** Splits `all` the way --shard i/N does: clients i*C/N .. (i+1)*C/N - 1. */
function shardsOf(all: RawClient[], n: number): RunResult[] {
  return Array.from({ length: n }, (_, i) => run(all.slice(Math.floor((i * all.length) / n), Math.floor(((i + 1) * all.length) / n)), { index: i, count: n }));
}

function buckets(encoded: string): string {
  const h = decodeFromCompressedBase64(encoded);
  // The full percentile distribution (every recorded bucket) and the totals.
  return `${h.totalCount}|${h.minNonZeroValue}|${h.maxValue}\n${h.outputPercentileDistribution(10, 1)}`;
}

for (const n of [2, 3]) {
  test(`${n} shards' partials merge into exactly the single run of the same raw deliveries`, () => {
    const all = rawClients(60, 7 + n);
    const single = run(all).transports[0] as TransportResult;
    // Given in any order.
    const merged = mergeShards(shardsOf(all, n).reverse());
    const t = merged.transports[0] as TransportResult;
    assert.deepEqual(t.latency, single.latency);
    assert.equal(buckets(t.histogram as string), buckets(single.histogram as string));
    assert.deepEqual(t.delivery, single.delivery);
    assert.deepEqual(t.steadyState, single.steadyState);
    assert.deepEqual(t.timeline, single.timeline);
    assert.equal(merged.merged?.shards, n);
    assert.equal(merged.shard, undefined);
    assert.equal(t.driver?.saturated, false);
    assert.equal(t.driver?.processes, n);
  });
}

/**
 * The single run of `all` as the pipeline would report it: the server's ratios derived from the raw counts the way
 * driver/pipeline.ts derives them (the synthetic base holds placeholders), and no per-connection RSS (60 clients).
 */
function singleRun(all: RawClient[]): RunResult {
  const r = run(all);
  const t = r.transports[0] as TransportResult;
  const d = t.delivery as NonNullable<TransportResult['delivery']>;
  const windowDeliveries = d.windowDeliveries ?? 0;
  const { rssPerConnectionBytes: _perConnection, ...server } = t.server as NonNullable<TransportResult['server']>;
  const churn = t.churn as NonNullable<TransportResult['churn']>;
  const wire = t.wire as NonNullable<TransportResult['wire']>;
  t.server = { ...server, cpuMsPer1kEvents: (server.cpuSeconds * 1e6) / windowDeliveries };
  t.churn = { ...churn, requestsPerEvent: churn.httpRequests / windowDeliveries };
  t.wire = { ...wire, bytesPerEvent: wire.serverBytesWritten / d.deliveredEvents };
  return r;
}

/**
 * What may differ between the HTML report of merged shards and of the single run, each replaced explicitly:
 * - the generated-at line (the time of rendering; both rendered with one value here, the line is dropped anyway);
 * - the client process count ("N client processes per transport"): each shard ran its own processes, a shard annotation.
 * - "(merged from N shards)" after the clients per transport: the merge saying what it is, a shard annotation.
 * Nothing else: no file names appear in the report, and the start/finish timestamps are the same raw data's.
 */
function normaliseReport(html: string): string {
  return html
    .split('\n')
    .filter((line) => !line.includes(GENERATED_AT_MARKER))
    .join('\n')
    .replace(/\d+ client process(es)? per transport/g, 'N client processes per transport')
    .replace(/ \(merged from \d+ shards\)/g, '');
}

for (const n of [2, 3]) {
  test(`the HTML report of ${n} merged shards is the single run's report (modulo the listed normalisations)`, () => {
    const all = rawClients(60, 21 + n);
    const opts = { generatedAt: '2026-01-01T00:00:00.000Z' };
    const single = normaliseReport(renderHtml([singleRun(all)], opts));
    const merged = normaliseReport(renderHtml([mergeShards(shardsOf(all, n))], opts));
    assert.ok(single.includes('N client processes per transport'), 'the process line is where the normalisation expects it');
    assert.ok(renderHtml([mergeShards(shardsOf(all, n))], opts).includes(`clients per transport (merged from ${n} shards)`), 'the merge says what it is');
    assert.equal(merged, single);
  });
}

test("a shard's own report says it is one shard's share and that the server's figures are the shared server's", () => {
  const [, second] = shardsOf(rawClients(60, 5), 2) as [RunResult, RunResult];
  const html = renderHtml([second], { generatedAt: '2026-01-01T00:00:00.000Z' });
  assert.ok(html.includes('60 clients per transport (shard 1 of 2: its 30 of them)'));
  assert.ok(
    html.includes(
      "This is shard 1 of 2's partial result: its latencies and deliveries are its own clients', but the server's figures (bytes and CPU per event, requests, connections, memory) are the shared server's, divided by this shard's deliveries where per event; rtbench merge gives the run's figures.",
    ),
  );
});

test('a saturated shard marks the merged result saturated and says which shard', () => {
  const all = rawClients(12, 3);
  const parts = shardsOf(all, 3);
  parts[1] = run(all.slice(4, 8), { index: 1, count: 3 }, true);
  const t = mergeShards(parts).transports[0] as TransportResult;
  assert.equal(t.driver?.saturated, true);
  assert.deepEqual(t.driver?.reasons, ['shard 1: a client process used 95% of a core (limit 90%)']);
});

test('shard sets that are not one whole run are refused with one sentence', () => {
  const all = rawClients(6, 1);
  const [a, b, c] = shardsOf(all, 3) as [RunResult, RunResult, RunResult];
  assert.throws(() => mergeShards([a, c], ['a.json', 'c.json']), (e: unknown) => e instanceof UsageError && e.message === 'shard(s) 1/3 missing: merge needs all 3');
  assert.throws(() => mergeShards([a, a, b, c], ['a.json', 'a2.json', 'b.json', 'c.json']), /shard 0\/3 is given twice \("a2.json"\)/);
  assert.throws(() => mergeShards([a, run(all)], ['a.json', 'whole.json']), /"whole.json" is a whole run, not a shard's partial result/);
  assert.throws(() => mergeShards([a, { ...b, options: { ...b.options, rate: 7 } }, c], ['a.json', 'b.json', 'c.json']), /"b.json" ran with --rate 7 but "a.json" with/);
  assert.throws(
    () => mergeShards([a, { ...b, options: { ...b.options, warmupMs: 3000 } }, c], ['a.json', 'b.json', 'c.json']),
    (e: unknown) => e instanceof UsageError && e.message === `"b.json" ran with --warmup 3000 ms but "a.json" with ${a.options.warmupMs} ms: shards of one run share every option`,
  );
});

test('rtbench merge writes the merged result and its HTML report', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-merge-'));
  try {
    const all = rawClients(10, 5);
    const files = shardsOf(all, 2).map((r, i) => {
      const f = join(dir, `shard-${i}.json`);
      writeFileSync(f, JSON.stringify(r));
      return f;
    });
    const out = join(dir, 'merged.json');
    const r = await runCli(['merge', ...files, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const merged = parseResult(readFileSync(out, 'utf8'), out);
    assert.deepEqual(merged.transports[0]?.latency, run(all).transports[0]?.latency);
    assert.match(readFileSync(join(dir, 'merged.html'), 'utf8'), /<html/i);
    const bad = await runCli(['merge', files[0] as string, '-o', out]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'rtbench: shard(s) 1/2 missing: merge needs all 2\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
