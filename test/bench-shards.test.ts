// bench:shards' summary (bench/shards-summary.ts): medians and ranges per layout, the single run's noise band, where
// each sharded layout's median lies against it, saturated shards and invalid repetitions, and the exact sentences,
// on hand-made results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TransportResult } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import { bandSentence, listText, outside, shardsMarkdown, shardsRows, type LayoutRow, type ShardsBenchRun } from '../bench/shards-summary.ts';

interface Figures {
  count?: number;
  p50?: number;
  p99?: number;
  bytesPerEvent?: number;
  cpuMs?: number;
  lost?: number;
  duplicates?: number;
  invalid?: string[];
  saturatedShards?: number[];
  error?: string;
}

/** A repetition of `shards` (0: the single run) with the given figures; an `error` makes it errored with nothing measured. */
function run(transport: Transport, shards: number, repetition: number, f: Figures): ShardsBenchRun {
  if (f.error !== undefined) return { transport, shards, repetition, result: { transport, status: 'errored', error: f.error, wallMs: 1 } };
  const p50Us = f.p50 ?? 400;
  const p99Us = f.p99 ?? 1000;
  const count = f.count ?? 6000;
  const result: TransportResult = {
    transport,
    status: 'ok',
    wallMs: 1,
    latency: { count, minUs: 1, meanUs: p50Us, p50Us, p90Us: p99Us, p99Us, p999Us: p99Us, maxUs: p99Us },
    delivery: { publishedEvents: 1200, expectedDeliveries: 72_000, deliveredEvents: 72_000, eventsPerSec: 600, lost: f.lost ?? 0, duplicates: f.duplicates ?? 0, outOfOrder: 0, gaps: 0 },
    wire: { serverBytesWritten: 1, serverBytesRead: 1, bytesPerEvent: f.bytesPerEvent ?? 151 },
    ...(f.cpuMs === undefined ? {} : { server: { peakRssBytes: 1, baselineRssBytes: 1, connectedRssBytes: 1, heapUsedBytes: 1, cpuSeconds: 1, cpuMsPer1kEvents: f.cpuMs, eventLoopDelayP99Us: 1 } }),
    driver: { saturated: f.invalid !== undefined, bound: f.invalid !== undefined ? 'generator' : 'none', reasons: f.invalid ?? [], maxCpuPercent: 50, maxEventLoopDelayP99Us: 100, processes: 1 },
    ...(f.invalid ? { invalid: f.invalid } : {}),
  };
  return { transport, shards, repetition, result, ...(f.saturatedShards ? { saturatedShards: f.saturatedShards } : {}) };
}

/** ws: three repetitions of the single run and of 1, 2 and 3 shards, interleaved as the bench runs them. */
const WS: ShardsBenchRun[] = [
  run('ws', 0, 1, { p50: 400, p99: 1000, bytesPerEvent: 150, cpuMs: 20 }),
  run('ws', 1, 1, { p50: 410, p99: 1100, cpuMs: 21 }),
  run('ws', 2, 1, { p50: 450, p99: 800, cpuMs: 30 }),
  run('ws', 3, 1, { p50: 400, p99: 1000 }),
  run('ws', 0, 2, { p50: 420, p99: 1200, bytesPerEvent: 152, cpuMs: 24 }),
  run('ws', 1, 2, { p50: 405, p99: 1150, cpuMs: 23 }),
  run('ws', 2, 2, { p50: 460, p99: 850, cpuMs: 31 }),
  run('ws', 3, 2, { p50: 900, p99: 9000, duplicates: 2, invalid: ['shard 2: client CPU 100%'], saturatedShards: [2] }),
  run('ws', 0, 3, { count: 5994, p50: 380, p99: 900, lost: 6, cpuMs: 22 }),
  run('ws', 1, 3, { p50: 415, p99: 1050, cpuMs: 22 }),
  run('ws', 2, 3, { p50: 440, p99: 820, cpuMs: 29 }),
  run('ws', 3, 3, { error: 'rtbench shard 1/3: boom' }),
];

test('listText and outside', () => {
  assert.equal(listText([]), '');
  assert.equal(listText(['a']), 'a');
  assert.equal(listText(['a', 'b', 'c']), 'a, b and c');
  const b = { median: 400, min: 380, max: 420, count: 3 };
  assert.deepEqual([outside(b, 380), outside(b, 420), outside(b, 450), outside(b, 350)], [0, 0, 30, -30]);
});

test('rows: medians and ranges of the valid repetitions, sums over all, bounds and saturated shards per repetition', () => {
  const rows = shardsRows(WS);
  assert.deepEqual(rows.map((r) => r.shards), [0, 1, 2, 3]);
  const [single, , , three] = rows as [LayoutRow, LayoutRow, LayoutRow, LayoutRow];
  assert.deepEqual(single.figures.p50, { median: 400, min: 380, max: 420, count: 3 });
  assert.deepEqual(single.figures.delivered, { median: 6000, min: 5994, max: 6000, count: 3 });
  assert.deepEqual([single.valid, single.runs, single.lost, single.fromInvalid], [3, 3, 6, false]);
  assert.deepEqual([three.valid, three.runs, three.duplicates], [1, 3, 2]);
  assert.deepEqual(three.figures.p99, { median: 1000, min: 1000, max: 1000, count: 1 });
  assert.equal(three.figures.serverCpu, undefined);
  assert.deepEqual(three.bounds, ['none', 'generator', 'not measured']);
  assert.deepEqual(three.saturated, ['repetition 2: shard 2 saturated']);
  assert.deepEqual(three.leftOut, ['repetition 2: invalid: shard 2: client CPU 100%', 'repetition 3: errored: rtbench shard 1/3: boom']);
});

test('sentences: each sharded median within the single-run band, or how far above or below it', () => {
  const [single, ...sharded] = shardsRows(WS) as [LayoutRow, ...LayoutRow[]];
  assert.equal(
    bandSentence(single, sharded, 'delivered'),
    'ws window deliveries: single run 6,000 (5,994–6,000) over 3 repetitions, a run-to-run spread of 6 (0.100%); 1 shard (6,000), 2 shards (6,000) and 3 shards (6,000) lie within that band.',
  );
  assert.equal(
    bandSentence(single, sharded, 'p50'),
    'ws p50: single run 400 µs (380–420 µs) over 3 repetitions, a run-to-run spread of 40 µs (10.0%); 1 shard (410 µs) and 3 shards (400 µs) lie within that band; 2 shards (450 µs) lies 30 µs above it (7.50% of the single-run median).',
  );
  assert.equal(
    bandSentence(single, sharded, 'p99'),
    'ws p99: single run 1.00 ms (900 µs–1.20 ms) over 3 repetitions, a run-to-run spread of 300 µs (30.0%); 1 shard (1.10 ms) and 3 shards (1.00 ms) lie within that band; 2 shards (820 µs) lies 80 µs below it (8.00% of the single-run median).',
  );
  assert.equal(
    bandSentence(single, sharded, 'bytesPerEvent'),
    'ws bytes per event: single run 151 B (150–152 B) over 3 repetitions, a run-to-run spread of 2.00 B (1.32%); 1 shard (151 B), 2 shards (151 B) and 3 shards (151 B) lie within that band.',
  );
  assert.equal(
    bandSentence(single, sharded, 'serverCpu'),
    'ws server CPU per 1 000 deliveries: single run 22.0 ms (20.0–24.0 ms) over 3 repetitions, a run-to-run spread of 4.00 ms (18.2%); 1 shard (22.0 ms) lies within that band; 2 shards (30.0 ms) lies 6.00 ms above it (27.3% of the single-run median); not compared: 3 shards (not measured).',
  );
});

test('the Markdown: one row per layout, the noise table, the sentences and the invalid repetitions', () => {
  const md = shardsMarkdown(shardsRows(WS), 6000).split('\n');
  assert.equal(md[2], '| ws | single run | 3/3 | 6,000 (5,994–6,000) of 6,000 | 6 / 0 / 0 | 400 µs (380–420 µs) | 1.00 ms (900 µs–1.20 ms) | 151 B (150–152 B) | 22.0 ms (20.0–24.0 ms) | none ×3 |');
  assert.equal(md[5], '| ws | 3 shards | 1/3 | 6,000 of 6,000 | 0 / 2 / 0 | 400 µs | 1.00 ms | 151 B | not measured | none ×1, generator ×1, not measured ×1; repetition 2: shard 2 saturated |');
  assert.equal(md[11], '| ws | 3/3 | 6 (0.100%) | 40 µs (10.0%) | 300 µs (30.0%) | 2.00 B (1.32%) | 4.00 ms (18.2%) |');
  assert.match(md[13] ?? '', /^ws window deliveries: single run .* ws server CPU per 1 000 deliveries: .*not compared: 3 shards \(not measured\)\.$/);
  assert.equal(md[14], 'Invalid or failed repetitions of ws: 3 shards repetition 2: invalid: shard 2: client CPU 100%; 3 shards repetition 3: errored: rtbench shard 1/3: boom.');
});

test('no valid repetition: the figures of the invalid ones, marked; a single run that measured nothing is not compared', () => {
  const rows = shardsRows([
    run('sse', 0, 1, { p50: 500, invalid: ['client event loop late'] }),
    run('sse', 1, 1, { p50: 520 }),
    run('sse', 2, 1, { p50: 700, invalid: ['shard 0: client event loop late'], saturatedShards: [0, 1] }),
  ]);
  const [single, one, two] = rows as [LayoutRow, LayoutRow, LayoutRow];
  assert.deepEqual([single.fromInvalid, one.fromInvalid, two.fromInvalid], [true, false, true]);
  assert.equal(
    bandSentence(single, [one, two], 'p50'),
    'sse p50: single run [invalid] 500 µs over 1 repetition, so no run-to-run spread measured; 1 shard (520 µs) lies 20 µs above it (4.00% of the single-run median); 2 shards [invalid] (700 µs) lies 200 µs above it (40.0% of the single-run median).',
  );
  const md = shardsMarkdown(rows, 6000).split('\n');
  assert.equal(md[4], '| sse | 2 shards [invalid] | 0/1 | 6,000 of 6,000 | 0 / 0 / 0 | 700 µs | 1.00 ms | 151 B | not measured | generator ×1; repetition 1: shards 0 and 1 saturated |');
  assert.match(md[6] ?? '', /^\[invalid\]: no valid repetition; /);
  const [errored, shard] = shardsRows([run('sse', 0, 1, { error: 'the server did not start' }), run('sse', 1, 1, {})]) as [LayoutRow, LayoutRow];
  assert.equal(bandSentence(errored, [shard], 'p50'), 'sse p50: not compared, no single-run repetition measured.');
});

test('the control: a single run with as many client processes as the largest sharded layout, after the shards and compared like them', () => {
  const control = (repetition: number, p99: number): ShardsBenchRun => ({ ...run('ws', 0, repetition, { p99 }), processes: 3 });
  const rows = shardsRows([control(1, 3000), ...WS.slice(0, 4), control(2, 3200)]);
  assert.deepEqual(rows.map((r) => [r.shards, r.processes]), [[0, undefined], [1, undefined], [2, undefined], [3, undefined], [0, 3]]);
  const [single, ...others] = rows as [LayoutRow, ...LayoutRow[]];
  assert.deepEqual(single.figures.p99, { median: 1000, min: 1000, max: 1000, count: 1 });
  assert.equal(
    bandSentence(single, others, 'p99'),
    'ws p99: single run 1.00 ms over 1 repetition, so no run-to-run spread measured; 3 shards (1.00 ms) lies within that band; 1 shard (1.10 ms) lies 100 µs above it (10.0% of the single-run median); 2 shards (800 µs) lies 200 µs below it (20.0% of the single-run median); single run, 3 client processes (3.10 ms) lies 2.10 ms above it (210% of the single-run median).',
  );
  const md = shardsMarkdown(rows, 6000).split('\n');
  assert.equal(md[6], '| ws | single run, 3 client processes | 2/2 | 6,000 of 6,000 | 0 / 0 / 0 | 400 µs | 3.10 ms (3.00–3.20 ms) | 151 B | not measured | none ×2 |');
  // The noise table has the ordinary single run only.
  assert.deepEqual(md.filter((l) => l.startsWith('| ws | 1/1 |')).length, 1);
});
