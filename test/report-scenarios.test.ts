// Scenario sections (churn, chat, burst, stream, poll-ceiling), the capacity header, and RSS per connection
// "not measured" in every view. Fixtures result-{churn,chat,burst,stream,poll-ceiling}.json are real smoke runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunResult } from '../lib/result.ts';
import type { BarChartSpec, ChartSpec } from '../reports/charts.ts';
import { renderHtml } from '../reports/html.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { bestIndexes, metric, orderedTransports, warningsFor } from '../reports/metrics.ts';
import { sectionRow } from '../reports/scenarios.ts';
import { renderTerminal } from '../reports/terminal.ts';

function fixture(name: string): RunResult {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as RunResult;
}

function chartsOf(html: string): ChartSpec[] {
  const m = /<script type="application\/json" id="rtbench-charts">(.*?)<\/script>/s.exec(html);
  assert.ok(m?.[1], 'chart data embedded');
  return JSON.parse(m[1]) as ChartSpec[];
}

/** The <tr> of a row id in the HTML, cells only. */
function htmlRow(html: string, id: string): string {
  return new RegExp(`<tr id="row-${id}">(.*?)<td class="explain">`).exec(html)?.[1] ?? '';
}

test('RSS per connection below 1 000 clients is "not measured" everywhere and never wins', () => {
  const small = fixture('result-small.json');
  const ts = orderedTransports(small);
  assert.deepEqual(bestIndexes(metric('rssPerConnection'), ts), []);
  assert.ok(renderTerminal(small).split('\n').includes('RSS per connection    – (< 1 000 clients) for every transport'));
  assert.ok(renderMarkdown([small]).includes('| RSS per connection | – (< 1 000 clients) | – (< 1 000 clients) | – (< 1 000 clients) | – (< 1 000 clients) | – (< 1 000 clients) |'));
  const html = renderHtml([small], { generatedAt: 'x' });
  assert.equal(htmlRow(html, 'rssPerConnection'), `<td>RSS per connection</td>${'<td class="unmeasured">– (&lt; 1 000 clients)</td>'.repeat(5)}`);
  assert.ok(!html.includes('Least server memory per connection'), 'no card for an unmeasured metric');
  // no bar chart of noise: a note in its place, and no canvas
  assert.ok(!chartsOf(html).some((c) => c.id === 'r0-memory'));
  assert.ok(!html.includes('id="chart-r0-memory"'));
  assert.ok(html.includes('<figure class="chart not-measured" id="box-r0-memory"><h3>Server memory per connection</h3><p class="note">Not measured below 1 000 clients (this run: 50 per transport)'));
});

test('RSS per connection measured for some transports only: bars for those, "not measured" labels for the rest', () => {
  const mixed = structuredClone(fixture('result-small.json'));
  const [shortPoll, longPoll] = mixed.transports;
  assert.ok(shortPoll?.server && longPoll?.server);
  shortPoll.server.rssPerConnectionBytes = 21_504;
  longPoll.server.rssPerConnectionBytes = 24_576;
  assert.deepEqual(bestIndexes(metric('rssPerConnection'), orderedTransports(mixed)), [0]);
  const memory = chartsOf(renderHtml([mixed], { generatedAt: 'x' })).find((c) => c.id === 'r0-memory') as BarChartSpec;
  assert.deepEqual(memory.datasets[0]?.values, [21_504, 24_576, null, null, null]);
  assert.deepEqual(memory.datasets[0]?.labels, ['21.0 KiB ★', '24.0 KiB', '– (< 1 000 clients)', '– (< 1 000 clients)', '– (< 1 000 clients)']);
});

test('churn: reconnect section with connect and first-event times, rates, TIME_WAIT and the storm', () => {
  const churn = fixture('result-churn.json');
  const lines = renderTerminal(churn).split('\n');
  const at = lines.indexOf('Reconnections (churn):');
  assert.ok(at > 0);
  assert.deepEqual(lines.slice(at + 1, at + 14), [
    '  connect time p50             1.46 ms      1.15 ms *   1.46 ms     1.87 ms         2.11 ms',
    '  connect time p99             2.94 ms *    5.14 ms     3.83 ms     3.96 ms         4.33 ms',
    '  time to first event p50       102 ms      1.10 ms *   1.64 ms     2.03 ms         2.45 ms',
    '  time to first event p99       178 ms      19.8 ms     21.7 ms     17.2 ms *       17.3 ms',
    '  reconnects/s                  28.6/s       40.6/s      40.6/s      40.7/s          40.6/s',
    '  HTTP requests/s               55.9/s        182/s      40.0/s      40.0/s          39.9/s *',
    '  new TCP connections/s         28.0/s *     40.6/s      40.0/s      40.0/s          39.9/s',
    '  TIME_WAIT sockets left            49 *         72          72          72              72',
    '  server CPU per reconnect     1.45 ms      2.03 ms     1.50 ms     1.30 ms *       1.67 ms',
    '  storm: clients dropped             4            4           4           4               4',
    '  storm: all reconnected       6.00 ms *    6.00 ms *   9.00 ms     11.0 ms         10.0 ms',
    '  storm: connect time p99      4.42 ms      2.59 ms *   4.07 ms     6.35 ms         5.72 ms',
    '  storm: first event p99        178 ms      5.91 ms     5.51 ms *   6.40 ms         6.13 ms',
  ]);
  const md = renderMarkdown([churn]);
  assert.ok(md.includes('### Reconnections (churn)'));
  assert.ok(md.includes('| connect time p99 | **2.94 ms** | 5.14 ms | 3.83 ms | 3.96 ms | 4.33 ms |'));
  assert.ok(md.includes('**Who won:** connect time p99: **short-poll** (2.94 ms) · time to first event p99: **sse** (17.2 ms) ·'));
  const html = renderHtml([churn], { generatedAt: 'x' });
  assert.ok(html.includes('<h2 id="r0-section-connect">Reconnections (churn)</h2>'));
  assert.equal(htmlRow(html, 'newTcpPerSec'), '<td>new TCP connections/s</td><td class="best">28.0/s</td><td>40.6/s</td><td>40.0/s</td><td>40.0/s</td><td>39.9/s</td>');
  assert.ok(html.includes('<div class="what">Fastest reconnect (connect p99)</div>'));
  const ids = chartsOf(html).map((c) => c.id);
  assert.ok(ids.includes('r0-connect-times') && ids.includes('r0-connect-rates'));
  // a TIME_WAIT count is absent off Linux: said so, not a blank
  const offLinux = structuredClone(churn);
  for (const t of offLinux.transports) delete t.connect?.timeWaitSockets;
  assert.ok(renderTerminal(offLinux).includes('  TIME_WAIT sockets left    – (not Linux)    – (not Linux)'));
});

test('chat: round trip p50/p99 and upstream bytes and requests per message', () => {
  const chat = fixture('result-chat.json');
  const lines = renderTerminal(chat).split('\n');
  assert.ok(lines.includes('  round trip p99                     107 ms      4.65 ms *   16.6 ms     8.94 ms         8.99 ms'));
  assert.ok(lines.includes('  server bytes read per message       312 B        518 B       117 B *     237 B           237 B'));
  assert.ok(lines.includes('  HTTP requests per message            1.97         4.00           0 *      1.00            1.00'));
  assert.ok(lines[2]?.startsWith('3 clients per transport, 30.0 messages/s sent upstream (all clients), 100 B payload'));
  const md = renderMarkdown([chat]);
  assert.ok(md.includes('| round trip p50 | 95.2 ms | 2.80 ms | **1.09 ms** | 2.60 ms | 3.01 ms |'));
  const html = renderHtml([chat], { generatedAt: 'x' });
  assert.equal(htmlRow(html, 'roundTripP99'), '<td>round trip p99</td><td>107 ms</td><td class="best">4.65 ms</td><td>16.6 ms</td><td>8.94 ms</td><td>8.99 ms</td>');
  const roundTrip = chartsOf(html).find((c) => c.id === 'r0-round-trip') as BarChartSpec;
  assert.deepEqual(roundTrip.datasets.map((d) => d.label), ['round trip p50', 'round trip p99']);
});

test('burst: time until every client had the whole burst, p50/p99/max', () => {
  const burst = fixture('result-burst.json');
  const lines = renderTerminal(burst).split('\n');
  assert.ok(lines.includes('Bursts:'));
  assert.ok(lines.includes('  whole burst received p99      303 ms      22.0 ms      6.93 ms *    9.38 ms         9.03 ms'));
  assert.ok(lines.includes('  whole burst received max      303 ms      22.0 ms      6.93 ms *    9.38 ms         9.03 ms'));
  assert.ok(lines.includes('  client-bursts complete             6            6            6            6               6'));
  assert.ok(lines[2]?.startsWith('3 clients per transport, 2 bursts of 50 events,'));
  assert.ok(renderMarkdown([burst]).includes('| whole burst received p50 | 163 ms | 9.20 ms | 6.72 ms | 6.98 ms | **6.40 ms** |'));
  const chart = chartsOf(renderHtml([burst], { generatedAt: 'x' })).find((c) => c.id === 'r0-burst') as BarChartSpec;
  assert.equal(chart.datasets.length, 3);
});

test('stream: first token, inter-token, total and bytes per token', () => {
  const stream = fixture('result-stream.json');
  const lines = renderTerminal(stream).split('\n');
  assert.ok(lines.includes('  time to first token p99     87.3 ms      59.4 ms     33.2 ms *    109 ms         62.1 ms'));
  // inter-token p50 has no direction (0 means tokens arrived batched): no star
  assert.ok(lines.includes('  inter-token p50                0 µs      9.58 ms     9.66 ms     2.13 ms         9.65 ms'));
  assert.ok(lines.includes('  whole stream p99             323 ms       241 ms      217 ms *    249 ms          232 ms'));
  assert.ok(lines.includes('  bytes per token                95 B        413 B        52 B *      82 B            70 B'));
  assert.ok(lines[2]?.startsWith('3 streams per transport of 20 tokens each,'));
  const html = renderHtml([stream], { generatedAt: 'x' });
  assert.ok(html.includes('<div class="what">Fastest first token (p99)</div><div class="who"><span class="swatch" style="background:#4c78a8"></span>ws <span class="muted">33.2 ms</span>'));
});

test('poll-ceiling: more requests/s wins, autocannon connection counts get no "best"', () => {
  const pc = fixture('result-poll-ceiling.json');
  const ts = orderedTransports(pc);
  assert.deepEqual(bestIndexes(sectionRow('pollRequestsPerSec'), ts), [1]);
  const out = renderTerminal(pc);
  const lines = out.split('\n');
  assert.equal(lines[2], 'autocannon with 4 connections, pipelining 1, 500 ms per transport, poll interval 1,000 ms');
  assert.ok(lines.includes('  requests/s ceiling               1,172/s      2,544/s *'));
  assert.ok(lines.includes('  request latency p50              1.00 ms       < 1 ms *'));
  assert.ok(lines.includes('  pollers at a 1 s interval          1,171        2,544 *'));
  assert.ok(!lines.some((l) => /^(HTTP requests|connections opened|connections closed) /.test(l)), 'no lower-is-better request counts');
  const md = renderMarkdown([pc]);
  assert.ok(md.includes('**Who won:** requests/s ceiling: **long-poll** (2,544/s)'));
  assert.ok(md.includes('| requests/s ceiling | 1,172/s | **2,544/s** |'));
  const html = renderHtml([pc], { generatedAt: 'x' });
  assert.deepEqual(chartsOf(html).map((c) => c.id), ['r0-poll-ceiling']);
  assert.equal(htmlRow(html, 'pollRequestsPerSec'), '<td>requests/s ceiling</td><td>1,172/s</td><td class="best">2,544/s</td>');
  assert.ok(!html.includes('id="row-httpRequests"'));

  const saturated = structuredClone(pc);
  const lp = saturated.transports[1]?.pollCeiling;
  assert.ok(lp);
  lp.generatorSaturated = true;
  lp.generatorCpuPercent = 97;
  assert.deepEqual(bestIndexes(sectionRow('pollRequestsPerSec'), orderedTransports(saturated)), [], 'a saturated generator does not compete');
  assert.deepEqual(warningsFor(saturated).map((w) => w.message), ["long-poll: autocannon used 97.0% of a core, so 2,544 requests/s is a floor of the server's ceiling, not the ceiling."]);
});

test('capacity: the header shows the load steps and the SLO, not the base clients', () => {
  const cap = fixture('result-capacity.json');
  assert.equal(renderTerminal(cap).split('\n')[2], 'load steps 500, 1,000, 2,000, 4,000, 8,000, 16,000 clients at 10.0 events/s; SLO p99 ≤ 250 ms, 256 B payload, 2.00 s warm-up, 10.0 s measured, short-poll every 100 ms, 2 client processes');
  const html = renderHtml([cap], { generatedAt: 'x' });
  assert.ok(html.includes('<dt>load</dt><dd>load steps 500, 1,000, 2,000, 4,000, 8,000, 16,000 clients at 10.0 events/s; SLO p99 ≤ 250 ms</dd>'));
  assert.ok(!html.includes('500 clients per transport'));
  assert.equal(renderTerminal(fixture('result-idle.json')).split('\n')[2]?.startsWith('idle sweep of 0, 1,000, 2,000, 5,000, 10,000 connections, nothing published'), true);
});

test('before/after of two churn runs compares the scenario rows too', () => {
  const before = fixture('result-churn.json');
  const after = structuredClone(before);
  const ws = after.transports.find((t) => t.transport === 'ws')?.connect;
  assert.ok(ws);
  ws.connectTime.p99Us = 1_915; // was 3 829
  const md = renderMarkdown([before, after]);
  assert.ok(md.includes('| connect time p99 | 2.94 ms | 5.14 ms | 3.83 ms → 1.92 ms (**-50.0%**) | 3.96 ms | 4.33 ms |'));
  assert.ok(md.includes('| RSS per connection | – (< 1 000 clients) | – (< 1 000 clients) |'));
});
