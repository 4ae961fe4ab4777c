// bench:browser's summary (bench/browser-summary.ts): medians and ranges over the repetitions, the difference,
// the separation rule (spread plus the clock's uncertainty) and the exact sentences, on hand-made results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientsIn } from '../lib/options.ts';
import type { TransportResult } from '../lib/result.ts';
import { browserMarkdownTable, browserRows, differenceSentence, median, separation, type BrowserBenchRun } from '../bench/browser-summary.ts';

/** A repetition with latency p50/p99 (µs), loss and duplicates, and (Chromium) the clock's uncertainty. */
function run(clientsIn: ClientsIn, repetition: number, p50Us: number, p99Us: number, extra: { lost?: number; duplicates?: number; uncertaintyUs?: number; invalid?: string[] } = {}): BrowserBenchRun {
  const result: TransportResult = {
    transport: 'ws',
    status: 'ok',
    wallMs: 1,
    latency: { count: 1000, minUs: 1, meanUs: p50Us, p50Us, p90Us: p99Us, p99Us, p999Us: p99Us, maxUs: p99Us },
    delivery: { publishedEvents: 600, expectedDeliveries: 12_000, deliveredEvents: 12_000, eventsPerSec: 1000, lost: extra.lost ?? 0, duplicates: extra.duplicates ?? 0, outOfOrder: 0, gaps: 0 },
    ...(extra.invalid ? { invalid: extra.invalid } : {}),
    ...(extra.uncertaintyUs === undefined
      ? {}
      : { browser: { version: '120', pages: 1, timerResolutionUs: 5, isolated: true, bestRttUs: 2 * (extra.uncertaintyUs - 5), uncertaintyUs: extra.uncertaintyUs, driftUs: 3, clampedLatencies: 0, eventSourceReconnects: 0 } }),
  };
  return { transport: 'ws', clientsIn, repetition, result };
}

test('median: odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('separation: clear only when every repetition of one side lies beyond the other by more than the uncertainty', () => {
  const node = { medianUs: 400, minUs: 380, maxUs: 420 };
  assert.equal(separation(node, { medianUs: 600, minUs: 550, maxUs: 650 }, 100), 'higher');
  assert.equal(separation(node, { medianUs: 600, minUs: 510, maxUs: 650 }, 100), 'within');
  assert.equal(separation(node, { medianUs: 200, minUs: 150, maxUs: 250 }, 100), 'lower');
});

test('rows and sentences: a resolved p50, an unresolved p99, an invalid repetition left out', () => {
  const runs = [
    run('node', 1, 400, 900),
    run('chromium', 1, 700, 1500, { uncertaintyUs: 60 }),
    run('node', 2, 420, 1200),
    run('chromium', 2, 650, 1100, { uncertaintyUs: 80, duplicates: 2 }),
    run('node', 3, 380, 1000, { lost: 1 }),
    run('chromium', 3, 9000, 90_000, { uncertaintyUs: 70, invalid: ['3 negative latencies'] }),
  ];
  const [row] = browserRows(runs);
  assert.ok(row);
  assert.deepEqual(row.node.p50, { medianUs: 400, minUs: 380, maxUs: 420 });
  assert.deepEqual(row.chromium.p50, { medianUs: 675, minUs: 650, maxUs: 700 });
  assert.equal(row.uncertaintyUs, 80);
  assert.equal(row.diffP50Us, 275);
  assert.equal(row.diffP99Us, 300);
  assert.deepEqual([row.node.lost, row.node.duplicates, row.chromium.lost, row.chromium.duplicates], [1, 0, 0, 2]);
  assert.deepEqual(row.chromium.leftOut, ['repetition 3: invalid: 3 negative latencies']);
  assert.equal(
    differenceSentence(row, 'p50'),
    "ws p50: Chromium's median p50 is 275 µs above Node's; every Chromium repetition was higher than every Node one by more than the ±80 µs clock alignment (Node 380–420 µs, Chromium 650–700 µs over 3 and 2 repetitions), so the difference exceeds the spread plus the uncertainty.",
  );
  assert.equal(
    differenceSentence(row, 'p99'),
    "ws p99: Chromium's median p99 is 300 µs above Node's, within the run-to-run spread (Node 900 µs–1.20 ms, Chromium 1.10–1.50 ms over 3 and 2 repetitions) plus the ±80 µs clock alignment: not resolved by this run.",
  );
  const md = browserMarkdownTable([row]).split('\n');
  assert.equal(md[2], '| ws | 400 µs (380–420 µs) | 675 µs (650–700 µs) | +275 µs | 1.00 ms (900 µs–1.20 ms) | 1.30 ms (1.10–1.50 ms) | +300 µs | ±80 µs | 1 / 0 | 0 / 2 | 3/3 / 2/3 |');
  assert.equal(md[5], 'Left out of ws\'s medians: Chromium repetition 3: invalid: 3 negative latencies.');
});

test('a side without a valid repetition is not compared', () => {
  const [row] = browserRows([run('node', 1, 400, 900), run('chromium', 1, 0, 0, { invalid: ['the browser failed'] })]);
  assert.ok(row);
  assert.equal(row.diffP50Us, undefined);
  assert.equal(differenceSentence(row, 'p50'), 'ws p50: not compared, no valid Chromium repetition.');
});
