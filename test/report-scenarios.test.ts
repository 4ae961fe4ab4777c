// Scenario sections (churn, chat, burst, stream, poll-ceiling, slow-consumer, browser-limits), the capacity header, and RSS per
// connection "not measured" in every view. Fixtures result-{churn,chat,burst,stream,poll-ceiling,slow-consumer,browser-limits}.json
// are real smoke runs (see the header of test/fixtures/make-fixture.ts); their values are what that run measured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunResult } from '../lib/result.ts';
import type { BarChartSpec, ChartSpec } from '../reports/charts.ts';
import { renderHtml } from '../reports/html.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { metric, orderedTransports } from '../reports/metrics.ts';
import { bestIndexes, rankMetric } from '../reports/ranking.ts';
import { warningsFor } from '../reports/warnings.ts';
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
  assert.ok(renderTerminal(small).split('\n').includes('RSS per connection           – (< 1 000 clients) for every transport'));
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
  // one reading per transport and no per-second series: the lower one leads, but nobody is marked best
  assert.deepEqual(rankMetric(metric('rssPerConnection'), orderedTransports(mixed)), { kind: 'unranked', best: [], leader: 0, withinNoise: [] });
  const memory = chartsOf(renderHtml([mixed], { generatedAt: 'x' })).find((c) => c.id === 'r0-memory') as BarChartSpec;
  assert.deepEqual(memory.datasets[0]?.values, [21_504, 24_576, null, null, null]);
  assert.deepEqual(memory.datasets[0]?.labels, ['21.0 KiB', '24.0 KiB', '– (< 1 000 clients)', '– (< 1 000 clients)', '– (< 1 000 clients)']);
});

test('churn (real smoke run): reconnect section with connect and first-event times, rates, TIME_WAIT and the storm', () => {
  const churn = fixture('result-churn.json');
  const lines = renderTerminal(churn).split('\n');
  const at = lines.indexOf('Reconnections (churn):');
  assert.ok(at > 0);
  // timed rows have no per-second series: not ranked; exact counts are
  assert.deepEqual(lines.slice(at + 1, at + 14), [
    '  connect time p50                        1.33 ms          1.90 ms          1.41 ms          2.22 ms          2.05 ms',
    '  connect time p99                        4.55 ms          23.9 ms          4.68 ms          8.13 ms          9.05 ms',
    '  time to first event p50                 4.49 ms          2.09 ms          1.49 ms          2.35 ms          2.13 ms',
    '  time to first event p99                  178 ms          23.9 ms          20.2 ms          19.9 ms          21.6 ms',
    '  reconnects/s                             28.0/s           40.1/s           40.7/s           40.7/s           40.7/s',
    '  HTTP requests/s                          55.4/s            178/s           40.0/s *         40.0/s *         40.0/s *',
    '  new TCP connections/s                    27.4/s *         40.1/s           40.0/s           40.0/s           40.0/s',
    '  TIME_WAIT sockets left                       68 *            101              101              101              100',
    '  server CPU per reconnect                2.72 ms          2.53 ms          2.09 ms          2.21 ms          2.40 ms',
    '  storm: clients dropped                        4                4                4                4                4',
    '  storm: all reconnected                  3.00 ms          6.00 ms          8.00 ms          20.0 ms          12.0 ms',
    '  storm: connect time p99                 1.53 ms          2.62 ms          3.45 ms          10.7 ms          6.86 ms',
    '  storm: first event p99                   178 ms          11.2 ms          6.86 ms          12.8 ms          8.62 ms',
  ]);
  // a smoke window holds at most one whole second: no timed winner can be told from noise
  assert.ok(lines.includes('No winner, the window has too few whole seconds to judge its noise (0 of 3 needed): latency p50 (ws'));
  const md = renderMarkdown([churn]);
  assert.ok(md.includes('### Reconnections (churn)'));
  assert.ok(md.includes('| connect time p99 | 4.55 ms | 23.9 ms | 4.68 ms | 8.13 ms | 9.05 ms | Slowest 1 in 100 reconnections. Lower is better. |'));
  assert.ok(md.includes('**Who won:** connect time p99: not ranked: short-poll (4.55 ms) leads, but this figure has no per-second series to tell it from noise ·'));
  assert.ok(md.includes('latency p50: cannot tell: ws (637 µs) leads, but the window has too few whole seconds to judge its noise (0 of 3 needed)'));
  const html = renderHtml([churn], { generatedAt: 'x' });
  assert.ok(html.includes('<h2 id="r0-section-connect">Reconnections (churn)</h2>'));
  assert.equal(htmlRow(html, 'newTcpPerSec'), '<td>new TCP connections/s</td><td class="best">27.4/s</td><td>40.1/s</td><td>40.0/s</td><td>40.0/s</td><td>40.0/s</td>');
  assert.ok(
    html.includes(
      '<div class="card no-winner"><div class="what">Fastest reconnect (connect p99)</div><div class="who">not ranked</div><div class="why"><span class="swatch" style="background:#e45756"></span>short-poll leads with 4.55 ms, but no per-second series to tell it from noise</div></div>',
    ),
  );
  const ids = chartsOf(html).map((c) => c.id);
  assert.ok(ids.includes('r0-connect-times') && ids.includes('r0-connect-rates'));
  // a TIME_WAIT count is absent off Linux: said so, not a blank
  const offLinux = structuredClone(churn);
  for (const t of offLinux.transports) delete t.connect?.timeWaitSockets;
  assert.ok(renderTerminal(offLinux).includes('  TIME_WAIT sockets left            – (not Linux)    – (not Linux)'));
});

test('chat (real smoke run): round trip p50/p99 and upstream bytes and requests per message', () => {
  const chat = fixture('result-chat.json');
  const lines = renderTerminal(chat).split('\n');
  assert.ok(lines.includes('  round trip p99                    79.4 ms                4.21 ms                3.75 ms                3.86 ms                5.67 ms'));
  assert.ok(lines.includes('  server bytes read per message       312 B                  515 B                  117 B                  237 B                  237 B'));
  assert.ok(lines.includes('  HTTP requests per message            1.97                   3.97                      0                   1.00                   1.00'));
  assert.ok(lines[2]?.startsWith('3 clients per transport, 30.0 messages/s sent upstream (all clients), 100 B payload'));
  assert.ok(lines[2]?.endsWith(', 1 client process per transport (sized from the load)'));
  // chat publishes nothing on a schedule: its publisher lateness is not measured, not zero
  assert.ok(!lines.some((l) => l.startsWith('publisher lateness')));
  assert.ok(lines.includes('Instrument floor in this run (lowest–highest of 5 transports): no publisher lateness measured'));
  const md = renderMarkdown([chat]);
  assert.ok(md.includes('| round trip p50 | 59.7 ms | 2.63 ms | 1.55 ms | 2.74 ms | 2.64 ms | Typical send-to-receive-back time. Lower is better. |'));
  const html = renderHtml([chat], { generatedAt: 'x' });
  assert.equal(htmlRow(html, 'roundTripP99'), '<td>round trip p99</td><td>79.4 ms</td><td>4.21 ms</td><td>3.75 ms</td><td>3.86 ms</td><td>5.67 ms</td>');
  const roundTrip = chartsOf(html).find((c) => c.id === 'r0-round-trip') as BarChartSpec;
  assert.deepEqual(roundTrip.datasets.map((d) => d.label), ['round trip p50', 'round trip p99']);
});

test('burst (real smoke run): time until every client had the whole burst, p50/p99/max', () => {
  const burst = fixture('result-burst.json');
  const lines = renderTerminal(burst).split('\n');
  assert.ok(lines.includes('Bursts:'));
  assert.ok(lines.includes('  whole burst received p99       158 ms      11.2 ms                10.7 ms                 12.8 ms                8.12 ms'));
  assert.ok(lines.includes('  whole burst received max       158 ms      11.2 ms                10.7 ms                 12.8 ms                8.12 ms'));
  assert.ok(lines.includes('  client-bursts complete              6            6                      6                       6                      6'));
  assert.ok(lines[2]?.startsWith('3 clients per transport, 2 bursts of 50 events,'));
  assert.ok(renderMarkdown([burst]).includes('| whole burst received p50 | 83.3 ms | 9.18 ms | 5.78 ms | 6.70 ms | 7.00 ms |'));
  const chart = chartsOf(renderHtml([burst], { generatedAt: 'x' })).find((c) => c.id === 'r0-burst') as BarChartSpec;
  assert.equal(chart.datasets.length, 3);
});

test('stream (real smoke run): first token (warm and cold), inter-token, total and bytes per token', () => {
  const stream = fixture('result-stream.json');
  const lines = renderTerminal(stream).split('\n');
  assert.ok(lines.includes('  time to first token p99           185 ms      13.4 ms     12.9 ms     15.2 ms           13.1 ms'));
  assert.ok(lines.includes('  first token, cold client p50      145 ms      44.2 ms     31.3 ms     56.2 ms           46.1 ms'));
  // inter-token p50 has no direction (0 means tokens arrived batched): no star
  assert.ok(lines.includes('  inter-token p50                     0 µs      9.91 ms     9.94 ms     9.94 ms           9.96 ms'));
  assert.ok(lines.includes('  whole stream p99                  287 ms       197 ms      199 ms      200 ms            199 ms'));
  assert.ok(lines.includes('  bytes per token                    101 B        357 B        52 B *      81 B              68 B'));
  assert.ok(lines[2]?.startsWith('3 streams per transport of 20 tokens each,'));
  const html = renderHtml([stream], { generatedAt: 'x' });
  assert.ok(
    html.includes(
      '<div class="card no-winner"><div class="what">Fastest first token (p99)</div><div class="who">not ranked</div><div class="why"><span class="swatch" style="background:#4c78a8"></span>ws leads with 12.9 ms, but no per-second series to tell it from noise</div></div>',
    ),
  );
  assert.ok(html.includes('<div class="what">Fewest bytes per token</div><div class="who"><span class="swatch" style="background:#4c78a8"></span>ws <span class="muted">52 B</span>'));
});

test('poll-ceiling (real smoke run): more requests/s leads, autocannon connection counts get no "best"', () => {
  const pc = fixture('result-poll-ceiling.json');
  const ts = orderedTransports(pc);
  // one autocannon figure per transport and no per-second series: the higher one leads, unranked
  assert.deepEqual(rankMetric(sectionRow('pollRequestsPerSec'), ts), { kind: 'unranked', best: [], leader: 1, withinNoise: [] });
  const out = renderTerminal(pc);
  const lines = out.split('\n');
  assert.equal(lines[2], 'autocannon with 4 connections, pipelining 1, 500 ms per transport, poll interval 1,000 ms');
  assert.ok(lines.includes('  requests/s ceiling                  10,048/s          13,953/s'));
  assert.ok(lines.includes('  request latency p50                   < 1 ms            < 1 ms'));
  assert.ok(lines.includes('  errors + timeouts + non-2xx                0                 0'));
  assert.ok(lines.includes('bound by                        server (valid)    server (valid)'));
  assert.ok(!lines.some((l) => /^(HTTP requests|connections opened|connections closed|server CPU, share of a core|busiest client process CPU) /.test(l)), 'no autocannon load rows');
  const md = renderMarkdown([pc]);
  assert.ok(md.includes('**Who won:** requests/s ceiling: not ranked: long-poll (13,953/s) leads, but this figure has no per-second series to tell it from noise'));
  assert.ok(md.includes('| requests/s ceiling | 10,048/s | 13,953/s |'));
  assert.ok(md.includes('> - **Note:** short-poll was server-bound, which is valid: the server used 92% of a core over the window: these figures show the server at its limit.'));
  const html = renderHtml([pc], { generatedAt: 'x' });
  assert.deepEqual(chartsOf(html).map((c) => c.id), ['r0-poll-ceiling']);
  assert.equal(htmlRow(html, 'pollRequestsPerSec'), '<td>requests/s ceiling</td><td>10,048/s</td><td>13,953/s</td>');
  assert.ok(!html.includes('id="row-httpRequests"'));

  const saturated = structuredClone(pc);
  const lp = saturated.transports[1];
  assert.ok(lp?.pollCeiling && lp.driver);
  lp.pollCeiling.generatorSaturated = true;
  lp.pollCeiling.generatorCpuPercent = 97;
  lp.driver = { ...lp.driver, saturated: true, bound: 'generator', reasons: ['a client process used 97% of a core over the window (limit 90%)'] };
  lp.invalid = ['a client process used 97% of a core over the window (limit 90%)'];
  assert.deepEqual(rankMetric(sectionRow('pollRequestsPerSec'), orderedTransports(saturated)).kind, 'none', 'a saturated generator does not compete');
  assert.deepEqual(
    warningsFor(saturated).filter((w) => w.transport === 'long-poll').map((w) => w.message),
    ["long-poll: autocannon used 97.0% of a core, so 13,953 requests/s is a floor of the server's ceiling, not the ceiling."],
  );
});

test('slow-consumer (real smoke run): the pollings immune, the streams cutting, what the cut clients got back, and why', () => {
  const sc = fixture('result-slow-consumer.json');
  const lines = renderTerminal(sc).split('\n');
  assert.equal(lines[2], '10 clients per transport (2 slow: stopped reading), 200 events/s, 16.0 KiB payload, 0.300 s warm-up, 2.00 s measured, short-poll every 100 ms, 1 client process per transport (sized from the load)');
  const at = lines.indexOf('Slow consumers:');
  assert.ok(at > 0, 'the section heading');
  assert.deepEqual(lines.slice(at + 1, at + 11), [
    '  slow clients                                  2 stopped                   2 stopped              2 stopped               2 stopped              2 stopped',
    '  queue bound per subscriber     – (pull: nothing queued)    – (pull: nothing queued)                256 KiB                 256 KiB                256 KiB',
    '  healthy clients: lost                                 0                           0                      0                       0                      0',
    '  slow consumers cut                     0 (pull: immune)            0 (pull: immune)                      2                       2                      2',
    '  cut clients resumed                 – (pull: never cut)         – (pull: never cut)                      2                       2                      2',
    '  events got back on resume           – (pull: never cut)         – (pull: never cut)                    674                     668                    670',
    '  slow clients: lost to the gap                         0                           0                      0                       0                      0',
    "  slow clients' latency p50                        1.20 s                      1.11 s                 1.03 s                  1.08 s                 1.03 s",
    "  slow clients' latency p99                        2.19 s                      2.09 s                 1.99 s                  2.00 s                 1.99 s",
    '  server RSS growth                              38.4 MiB                    46.1 MiB               30.5 MiB                28.1 MiB               27.5 MiB',
  ]);
  // the findings, under the table, say what the rows mean for this run
  const findings =
    "Slow consumers: 2 of the 10 clients stopped reading from the first event until the window closed, then read at full speed; the latency above is the other 8's. " +
    'short-poll and long-poll: immune by construction. The server queues nothing between polls, so a slow poller only polls less and falls behind; there is nothing to cut (server RSS growth 38.4 MiB / 46.1 MiB). ' +
    'ws, sse and fetch-stream: past the 256 KiB queue bound the server cut 2 slow consumers (RSS growth 30.5 MiB / 28.1 MiB / 27.5 MiB). ' +
    "That is what the policy costs them: they reconnected with their cursor, got back 674 / 668 / 670 events from the server's retention (10,000 events) and lost 0 to the gap.";
  assert.ok(renderTerminal(sc).replace(/\n {2}/g, ' ').includes(`\n${findings}\n`), 'the terminal prints the findings');
  const md = renderMarkdown([sc]);
  assert.ok(md.includes('### Slow consumers\n\nA share of the clients reads slowly or not at all'), 'the Markdown section and its note');
  assert.ok(md.includes('Pull transports (short-poll, long-poll) are immune by construction: the server queues nothing between polls'), 'the note says the pollings are immune');
  assert.ok(md.includes('| slow consumers cut | 0 (pull: immune) | 0 (pull: immune) | 2 | 2 | 2 | Subscribers the server cut as slow consumers over the whole run (warm-up, window and drain); the pollings have nothing to cut. |'), 'the cuts row');
  assert.ok(md.includes(`\n${findings.slice('Slow consumers: '.length)}\n`), 'the Markdown findings');
  const html = renderHtml([sc], { generatedAt: 'x' });
  assert.ok(html.includes('<h2 id="r0-section-slowConsumer">Slow consumers</h2>'), 'the HTML section');
  assert.equal(htmlRow(html, 'slowCuts'), `<td>slow consumers cut</td>${'<td class="unmeasured">0 (pull: immune)</td>'.repeat(2)}${'<td>2</td>'.repeat(3)}`);
  assert.equal(htmlRow(html, 'rssGrowth'), '<td>server RSS growth</td><td>38.4 MiB</td><td>46.1 MiB</td><td>30.5 MiB</td><td>28.1 MiB</td><td>27.5 MiB</td>');
  assert.ok(html.includes(`<p class="findings">${findings.slice('Slow consumers: '.length)}</p>`), 'the HTML findings');
  const charts = chartsOf(html);
  const resume = charts.find((c) => c.id === 'r0-slow-resume') as BarChartSpec;
  assert.deepEqual(resume.datasets.map((d) => d.values), [[null, null, 674, 668, 670], [0, 0, 0, 0, 0]]);
  assert.ok(charts.some((c) => c.id === 'r0-slow-memory'), 'the memory chart');

  // without a bound nothing is cut and the server holds the queues; slow clients' loss is named in the warning
  const unbounded = structuredClone(sc);
  for (const t of unbounded.transports) {
    const s = t.slowConsumer;
    assert.ok(s && t.delivery, t.transport);
    if (!s.pull) Object.assign(s, { maxQueuedBytes: 0, cuts: 0, cutClients: 0, resumes: 0, recoveredEvents: 0 });
    else Object.assign(s, { slowLost: 900, slowGaps: 2 });
    if (s.pull) Object.assign(t.delivery, { lost: 900, gaps: 2 });
  }
  const text = renderTerminal(unbounded).replace(/\n {2}/g, ' ');
  assert.ok(text.includes('ws, sse and fetch-stream: no bound (maxQueuedBytes 0), so nothing was cut and the server held every event the slow clients had not read: its RSS grew 30.5 MiB / 28.1 MiB / 27.5 MiB over the window.'), 'the unbounded finding');
  assert.ok(renderTerminal(unbounded).includes('  queue bound per subscriber     – (pull: nothing queued)    – (pull: nothing queued)                   none                    none                   none'), 'no bound shows as none');
  assert.deepEqual(
    warningsFor(unbounded).filter((w) => w.transport === 'short-poll').map((w) => w.message),
    ['short-poll lost 900 of 5,810 expected deliveries (15.5%); the server announced 2 retention gaps; 900 of them at the slow clients, lost to the gap when they came back (see Slow consumers).'],
  );
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
  ws.connectTime.p99Us = 2_340; // was 4 680
  const md = renderMarkdown([before, after]);
  // no per-second series for connect times: the change, bare
  assert.ok(md.includes('| connect time p99 | 4.55 ms | 23.9 ms | 4.68 ms → 2.34 ms (-50.0%) | 8.13 ms | 9.05 ms |'));
  assert.ok(md.includes('| RSS per connection | – (< 1 000 clients) | – (< 1 000 clients) |'));
});

test('browser-limits (real smoke run): which subscriptions stalled behind the six per origin, WebSocket unlimited, HTTP/2 not measured in that run', () => {
  const bl = fixture('result-browser-limits.json');
  const lines = renderTerminal(bl).split('\n');
  assert.equal(lines[2], '8 subscriptions from one Chromium page to one origin per transport, held 1.00 s, 16 B payload, short-poll every 200 ms');
  // The poll interval is short-poll's setting: a run without short-poll does not state it.
  const noPoll = { ...bl, options: { ...bl.options, transports: bl.options.transports.filter((t) => t !== 'short-poll') } };
  assert.equal(renderTerminal(noPoll).split('\n')[2], '8 subscriptions from one Chromium page to one origin per transport, held 1.00 s, 16 B payload');
  const md = renderMarkdown([bl]);
  assert.ok(md.includes('### Browser connection limits\n\nOne headless Chromium page opens more subscriptions'), 'the Markdown section and its note');
  assert.ok(md.includes('| held at the server | 0 | 6 | 8 | 6 | 6 |'), 'the server held six streams or polls, and every WebSocket');
  assert.ok(md.includes('| stalled | **0** | 2 | **0** | 2 | 2 |'), 'the stalled row');
  assert.ok(md.includes('| got exactly 1..M in order | 6 | 6 | 6 | 6 | 6 |'), 'the delivery row');
  assert.ok(md.includes('sse: 6 reached the server at once (the server held 6); #7 and #8 stalled, waiting 972 ms, 990 ms for a connection until earlier ones let one go'), 'the SSE finding');
  assert.ok(md.includes('ws: all 8 reached the server (the server held 8): WebSocket is not subject to the per-origin limit of HTTP connections'), 'the WebSocket finding');
  assert.ok(md.includes('Over HTTP/2 (one connection carrying every subscription): not measured in this run; run it with --http2.'), 'HTTP/2 said to be unmeasured');
  const html = renderHtml([bl], { generatedAt: 'x' });
  assert.ok(html.includes('<h2 id="r0-section-browserLimits">Browser connection limits</h2>'), 'the HTML section');
  assert.equal(htmlRow(html, 'limitStalled'), '<td>stalled</td><td class="best">0</td><td>2</td><td class="best">0</td><td>2</td><td>2</td>');
});
