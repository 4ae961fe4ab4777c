// HTML report: a pure function of the results (byte-for-byte snapshot apart from the generated-at line),
// self-contained (no network references), with the charts each kind of run needs.
// Regenerate the snapshot with: UPDATE_SNAPSHOTS=1 node --import tsx --test test/report-html.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { RunResult } from '../lib/result.ts';
import type { ChartSpec, LineChartSpec } from '../reports/charts.ts';
import { GENERATED_AT_MARKER, renderHtml } from '../reports/html.ts';
import { percentileCurve, percentileCurveFromHistogram } from '../reports/percentiles.ts';

function fixture(name: string): RunResult {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as RunResult;
}

/** The report without its generated-at line. */
function stripGenerated(html: string): string {
  return html
    .split('\n')
    .filter((l) => !l.startsWith(GENERATED_AT_MARKER))
    .join('\n');
}

/** The chart descriptions embedded in a report. */
function chartsOf(html: string): ChartSpec[] {
  const m = /<script type="application\/json" id="rtbench-charts">(.*?)<\/script>/s.exec(html);
  assert.ok(m?.[1], 'chart data embedded');
  return JSON.parse(m[1]) as ChartSpec[];
}

const small = fixture('result-small.json');
const SNAPSHOT = new URL('./fixtures/report-small.html', import.meta.url);

test('the small fixture renders the committed report byte for byte (apart from the generated-at line)', () => {
  const html = renderHtml([small], { generatedAt: '2025-06-01T12:05:00.000Z' });
  if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(SNAPSHOT, html);
  const expected = readFileSync(SNAPSHOT, 'utf8');
  assert.equal(stripGenerated(html), stripGenerated(expected));
  assert.equal(html.split('\n').filter((l) => l.startsWith(GENERATED_AT_MARKER)).length, 1);
});

test('rendering is pure: only the generated-at line differs between renders', () => {
  const a = renderHtml([small], { generatedAt: '2025-01-01T00:00:00.000Z' });
  const b = renderHtml([structuredClone(small)], { generatedAt: '2030-12-31T23:59:59.999Z' });
  assert.notEqual(a, b);
  assert.equal(stripGenerated(a), stripGenerated(b));
});

test('the report is self-contained: Chart.js inlined, nothing fetched from the network', () => {
  const html = renderHtml([small], { generatedAt: 'x' });
  assert.ok(html.includes('Chart.js v4.'), 'Chart.js inlined');
  assert.equal(/<(script|link|img|iframe|source)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html), false);
  assert.equal(/@import|url\(\s*["']?https?:/i.test(html), false);
  // three scripts: the chart data, Chart.js, the report's own script; no closing tag hides inside them
  assert.equal(html.match(/<script\b/g)?.length, 3);
  assert.equal(html.match(/<\/script>/g)?.length, 3);
});

test('the summary table lists every transport and highlights the best of each row', () => {
  const html = renderHtml([small], { generatedAt: 'x' });
  const table = /<table class="summary">(.*?)<\/table>/s.exec(html)?.[1] ?? '';
  for (const t of ['short-poll', 'long-poll', 'ws', 'sse', 'fetch-stream']) assert.ok(table.includes(`</span>${t}</th>`), t);
  assert.ok(table.includes('<tr id="row-p99"><td>latency p99</td><td>103 ms</td><td>4.62 ms</td><td class="best">1.13 ms</td><td>1.43 ms</td><td>1.60 ms</td>'));
  // sse delivered the most per second, but within the others' per-second noise: no highlight, and a tie card
  assert.ok(table.includes('<tr id="row-eventsPerSec"><td>delivered events/s</td><td>4,996/s</td><td>4,994/s</td><td>5,000/s</td><td>5,002/s</td><td>5,000/s</td>'));
  assert.ok(html.includes(`<div class="card no-winner"><div class="what">Most events delivered per second</div><div class="who">tie</div><div class="why"><span class="swatch" style="background:#54a24b"></span>sse leads with 5,002/s, but short-poll, long-poll, ws and fetch-stream are within this run's per-second noise</div></div>`));
  assert.ok(html.includes('<div class="what">Lowest tail latency (p99)</div><div class="who"><span class="swatch" style="background:#4c78a8"></span>ws <span class="muted">1.13 ms</span></div>'));
  // the new rows, the instrument floor under the table
  assert.ok(table.includes('<tr id="row-publisherP99"><td>publisher lateness p99</td><td>46 µs</td><td>38 µs</td><td>39 µs</td><td>43 µs</td><td>44 µs</td>'));
  assert.ok(table.includes('<tr id="row-bound"><td>bound by</td><td class="status">none</td>'));
  assert.ok(html.includes('<p class="floor">Instrument floor in this run (lowest–highest of 5 transports): publisher lateness p50 4–8 µs, p99 38–46 µs (part of every latency);'));
});

test('a fan-out run gets percentile, timeline and per-transport bar charts', () => {
  const charts = chartsOf(renderHtml([small], { generatedAt: 'x' }));
  assert.deepEqual(
    charts.map((c) => c.id),
    ['r0-percentiles', 'r0-timeline', 'r0-throughput', 'r0-bytes', 'r0-requests', 'r0-connections', 'r0-cpu'],
  );
  const percentiles = charts[0] as LineChartSpec;
  assert.deepEqual(percentiles.series.map((s) => s.label), ['short-poll', 'long-poll', 'ws', 'sse', 'fetch-stream']);
  const timeline = charts[1] as LineChartSpec;
  assert.equal(timeline.series.length, 10);
  // 2 warm-up seconds and 10 window seconds; dots on the window's
  assert.equal(timeline.series[0]?.points.length, 12);
  assert.deepEqual(timeline.series[0]?.pointRadii, [0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
});

test('percentile curves come from the histogram and agree with the latency summary', () => {
  for (const t of small.transports) {
    const curve = percentileCurve(t);
    const at = (p: number): number | undefined => curve.find((c) => Math.abs(c.percentile - p) < 1e-9)?.valueUs;
    assert.equal(at(50), t.latency?.p50Us, `${t.transport} p50`);
    assert.equal(at(90), t.latency?.p90Us, `${t.transport} p90`);
    assert.equal(at(99), t.latency?.p99Us, `${t.transport} p99`);
    assert.equal(at(99.9), t.latency?.p999Us, `${t.transport} p99.9`);
    assert.equal(curve[curve.length - 1]?.valueUs, t.latency?.maxUs);
    assert.equal(curve[curve.length - 1]?.x, t.latency?.count);
    assert.equal(curve[0]?.x, 1);
  }
  const noHistogram = { ...small.transports[2]!, histogram: undefined };
  assert.deepEqual(
    percentileCurve(noHistogram).map((p) => p.percentile),
    // the last point is the count's: 1 / (1 - p) = 50 003
    [0, 50, 90, 99, 99.9, 99.99800012],
  );
  // a damaged histogram falls back to the summary; an empty one has no curve
  assert.deepEqual(percentileCurve({ ...noHistogram, histogram: 'not base64 at all' }), percentileCurve(noHistogram));
  const empty = build({ useWebAssembly: false });
  assert.deepEqual(percentileCurveFromHistogram(encodeIntoCompressedBase64(empty)), []);
  empty.destroy();
});

test('idle and capacity runs chart memory versus connections and latency versus load with the knee', () => {
  const idleCharts = chartsOf(renderHtml([fixture('result-idle.json')], { generatedAt: 'x' }));
  assert.deepEqual(idleCharts.map((c) => c.id), ['r0-idle', 'r0-connections', 'r0-memory']);
  const idle = idleCharts[0] as LineChartSpec;
  assert.equal(idle.series[2]?.label, 'ws: 9.50 KiB/conn');
  assert.deepEqual(idle.series[2]?.points.map((p) => p[0]), [0, 1000, 2000, 5000, 10000]);

  const capHtml = renderHtml([fixture('result-capacity.json')], { generatedAt: 'x' });
  const capacity = chartsOf(capHtml).find((c) => c.id === 'r0-capacity') as LineChartSpec;
  const knee = capacity.series.find((s) => s.label.startsWith('knee'));
  assert.deepEqual(knee?.points.map((p) => p[0]), [1000, 2000, 16000, 8000, 8000]);
  assert.equal(capacity.series[0]?.label, 'short-poll: knee at 1,000 clients');
  assert.ok(capacity.series.some((s) => s.label === 'SLO: p99 ≤ 250 ms'));
  assert.ok(capHtml.includes('<td class="best">16,000 clients</td>'));
});

test('warnings appear for loss, invalid figures, a server-bound run, an errored transport and an interruption', () => {
  const html = renderHtml([fixture('result-warnings.json')], { generatedAt: 'x' });
  const list = /<ul class="warnings">(.*?)<\/ul>/s.exec(html)?.[1] ?? '';
  assert.ok(list.includes('<li class="warning"><strong>Warning:</strong>The run was interrupted'));
  assert.ok(list.includes('<li class="warning"><strong>Warning:</strong>Before the run: sse: 5000 deliveries/s need about 7.50 cores of client CPU'));
  assert.ok(list.includes('<li class="note"><strong>Note:</strong>short-poll was server-bound, which is valid: the server used 96% of a core over the window'));
  assert.ok(list.includes(`<li class="invalid"><strong>Invalid:</strong>long-poll's figures cannot be trusted: 1 client(s) failed (400 events never received): socket hang up;`));
  assert.ok(list.includes('<li class="warning"><strong>Warning:</strong>long-poll lost 1,250 of 80,000 expected deliveries (1.56%)'));
  assert.ok(list.includes('<li class="error"><strong>Errored:</strong>ws errored: server did not answer /healthz'));
  assert.ok(list.includes('<li class="invalid"><strong>Invalid:</strong>sse was generator-bound (a client process used 99% of a core'));
  assert.ok(html.includes('<tr id="row-valid"><td>valid</td><td class="status">yes</td><td class="status bad">no (2 reasons)</td><td class="status">–</td><td class="status bad">no (2 reasons)</td><td class="status">partial</td>'));
  assert.ok(html.includes('<td class="status errored">errored: server did not answer /healthz within 5000 ms (port 41233)</td>'));
  assert.equal(/<ul class="warnings">/.test(renderHtml([small], { generatedAt: 'x' })), false);
});

test('two runs of one scenario render as before/after; different scenarios side by side', () => {
  const ba = renderHtml([small, fixture('result-after.json')], { generatedAt: 'x' });
  assert.ok(ba.includes('<h1>rtbench fanout-small: before → after</h1>'));
  assert.ok(ba.includes('<td class="changed beyond">1.13 ms → 934 µs<span class="delta">-17.3% · beyond noise</span></td>'));
  assert.ok(ba.includes('<td class="changed within">4.62 ms → 4.93 ms<span class="delta">+6.8% · within noise</span></td>'));
  const baCharts = chartsOf(ba);
  assert.equal((baCharts[0] as LineChartSpec).series.length, 10);
  assert.equal((baCharts[0] as LineChartSpec).series[0]?.label, 'short-poll (before)');
  assert.equal((baCharts[0] as LineChartSpec).series[0]?.dashed, true);

  const sbs = renderHtml([small, fixture('result-idle.json'), fixture('result-capacity.json')], { generatedAt: 'x' });
  assert.ok(sbs.includes('<h2>Run 1: fanout-small'));
  assert.ok(sbs.includes('<h2>Run 3: capacity'));
  const ids = chartsOf(sbs).map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, 'chart ids are unique');
  for (const id of ids) assert.ok(sbs.includes(`<canvas id="chart-${id}"`), id);
});

test('text from a result is escaped', () => {
  const evil = structuredClone(fixture('result-warnings.json'));
  evil.transports[2]!.error = '</script><script>alert(1)</script>';
  evil.scenario = '<b>x</b>';
  const html = renderHtml([evil], { generatedAt: '<now>' });
  assert.equal(html.includes('<script>alert(1)'), false);
  assert.equal(html.includes('<b>x</b>'), false);
  assert.ok(html.includes('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('Generated at &lt;now&gt;'));
});
