// Terminal, JSON and Markdown renderers over the committed fixtures: exact lines, no timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunResult } from '../lib/result.ts';
import { renderJson } from '../reports/json.ts';
import { layoutFor, renderMarkdown } from '../reports/markdown.ts';
import { metric, orderedTransports } from '../reports/metrics.ts';
import { bestIndexes, rankMetric, winners } from '../reports/ranking.ts';
import { renderTerminal } from '../reports/terminal.ts';
import { warningsFor } from '../reports/warnings.ts';

function fixture(name: string): RunResult {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as RunResult;
}

const small = fixture('result-small.json');
const warnings = fixture('result-warnings.json');

test('terminal table has one column per transport and the best value of each row marked', () => {
  const lines = renderTerminal(small).split('\n');
  assert.equal(lines[0], 'rtbench fanout-small: short-poll, long-poll, ws, sse, fetch-stream');
  assert.equal(lines[5], '                                 short-poll         long-poll                ws               sse      fetch-stream');
  assert.ok(lines.includes('status                                   ok                ok                ok                ok                ok'));
  assert.ok(lines.includes('latency p50                         50.8 ms           1.44 ms            422 µs *          507 µs            565 µs'));
  assert.ok(lines.includes('latency p99                          103 ms           4.62 ms           1.13 ms *         1.43 ms           1.60 ms'));
  assert.ok(lines.includes('requests per event                    0.100             0.971           0.00100 *         0.00100 *         0.00100 *'));
  // a timed row without a per-second series is never marked
  assert.ok(lines.includes('latency p90                         91.3 ms           2.59 ms            718 µs            882 µs            983 µs'));
  assert.ok(lines.includes('bound by                               none              none              none              none              none'));
  assert.ok(lines.includes('valid                                   yes               yes               yes               yes               yes'));
  assert.ok(lines.every((l) => !l.endsWith(' ')), 'no trailing spaces');
  assert.ok(!lines.includes('Warnings:'));
});

test('terminal: steady state beside the window, publisher lateness under the latency, warm-up, lag, stragglers, client CPU', () => {
  const lines = renderTerminal(small).split('\n');
  const labels = lines.slice(6).map((l) => l.split(/ {2,}/)[0]);
  assert.deepEqual(labels.slice(0, 21), [
    'status',
    'latency p50',
    'steady-state p50',
    'latency p90',
    'latency p99',
    'steady-state p99',
    'latency p99.9',
    'latency max',
    'publisher lateness p50',
    'publisher lateness p99',
    'warm-up',
    'delivered events/s',
    'delivery lag',
    'lost',
    'straggling clients',
    'failed clients',
    'duplicates',
    'out of order',
    'connections opened',
    'connections closed',
    'HTTP requests',
  ]);
  assert.ok(lines.includes('steady-state p50                    51.6 ms           1.40 ms            412 µs *          527 µs            549 µs'));
  assert.ok(lines.includes('publisher lateness p99                46 µs             38 µs             39 µs             43 µs             44 µs'));
  assert.ok(lines.includes('warm-up                      2.00 s settled    2.00 s settled    2.00 s settled    2.00 s settled    2.00 s settled'));
  assert.ok(lines.includes('delivery lag                        96.2 ms           3.23 ms           3.40 ms           3.07 ms           2.89 ms'));
  assert.ok(lines.includes('straggling clients                        0                 0                 0                 0                 0'));
  const cpu = lines.findIndex((l) => l.startsWith('server CPU per 1k events '));
  assert.equal(lines[cpu], 'server CPU per 1k events            37.5 ms           65.9 ms           12.4 ms *         14.8 ms           14.0 ms');
  assert.equal(lines[cpu + 1], 'client CPU per 1k events             122 ms            131 ms            141 ms            151 ms            160 ms');
  // rows that are normally 0 appear only when they are not
  assert.ok(!lines.some((l) => /^(negative latencies|events stragglers lacked|events failed clients missed) /.test(l)));
});

test('terminal: the instrument floor, the tie rule and the ties of the run under the table', () => {
  const lines = renderTerminal(small).split('\n');
  const at = lines.findIndex((l) => l.startsWith('Instrument floor'));
  assert.deepEqual(lines.slice(at, at + 4), [
    'Instrument floor in this run (lowest–highest of 5 transports): publisher lateness p50 4–8 µs, p99',
    '  38–46 µs (part of every latency); one client clock reading 27–31 ns; a loopback round trip min',
    '  46–58 µs, p50 61–77 µs; clock offset within ±1 µs. Differences smaller than these are below what',
    '  rtbench resolves in this run.',
  ]);
  assert.deepEqual(lines.slice(at + 5), [
    '* = best in row (lowest, or highest where more is wanted); a timed row\'s best must stand clear of',
    "  this run's per-second noise (notched medians of the window seconds, docs/reports.md); timed rows",
    '  without a per-second series are not ranked.',
    // every transport delivered what was published: the highest events/s is within the others' noise
    'delivered events/s: a tie: sse (5,002/s) leads, but short-poll, long-poll, ws and fetch-stream are',
    "  within this run's per-second noise.",
    '',
  ]);
});

test('terminal colour marks the best value green instead of with a star', () => {
  const out = renderTerminal(small, { color: true });
  assert.ok(out.includes('\x1b[32m\x1b[1m'));
  assert.ok(!out.includes(' *'));
  assert.equal(renderTerminal(small, { color: false }).includes('\x1b['), false);
});

test('errored, invalid, server-bound, lossy and interrupted transports are shown and warned about', () => {
  const out = renderTerminal(warnings);
  const lines = out.split('\n');
  assert.ok(lines[1]?.endsWith('(interrupted)'));
  assert.equal(lines[4], 'Invalid: long-poll, sse (generator-bound) — their figures cannot be trusted (the warnings say why).');
  const row = (label: string): string | undefined => lines.find((l) => l.startsWith(`${label} `));
  assert.ok(row('status')?.includes('errored: server did n…'));
  assert.ok(row('status')?.includes('interrupted: stopped …'));
  assert.equal(row('warm-up'), 'warm-up                            2.00 s settled          6.00 s capped                         –         2.00 s settled            2.00 s settled');
  assert.equal(row('lost'), 'lost                                            0                  1,250                         –                      0                         0');
  assert.equal(row('straggling clients'), 'straggling clients                              0                      1                         –                      0                         0');
  assert.equal(row('events stragglers lacked'), 'events stragglers lacked                        0                    120                         –                      0                         0');
  assert.equal(row('failed clients'), 'failed clients                                  0                      1                         –                      0                         0');
  assert.equal(row('events failed clients missed'), 'events failed clients missed                    0                    400                         –                      0                         0');
  assert.equal(row('bound by'), 'bound by                           server (valid)                   none                         –    generator (invalid)                      none');
  assert.equal(row('valid'), 'valid                                         yes         no (2 reasons)                         –         no (2 reasons)                   partial');
  const warningLines = lines.slice(lines.indexOf('Warnings:') + 1).filter((l) => l !== '');
  assert.deepEqual(warningLines, [
    '  WARNING The run was interrupted before it finished; figures cover only what was measured.',
    '  WARNING Before the run: sse: 5000 deliveries/s need about 7.50 cores of client CPU (1500 µs each),',
    '      but this 8-core machine leaves 7 beside the server: expect a saturated generator (clients on',
    '      another machine would help).',
    '  NOTE short-poll was server-bound, which is valid: the server used 96% of a core over the window:',
    '      these figures show the server at its limit.',
    "  INVALID long-poll's figures cannot be trusted: 1 client(s) failed (400 events never received):",
    '      socket hang up; 1 client(s) were still 120 events behind when the 2000 ms drain ended.',
    '  WARNING long-poll lost 1,250 of 80,000 expected deliveries (1.56%); the server announced 1',
    '      retention gap.',
    '  WARNING long-poll delivered 3 duplicate and 0 out-of-order events.',
    '  ERROR ws errored: server did not answer /healthz within 5000 ms (port 41233).',
    '  INVALID sse was generator-bound (a client process used 99% of a core over the window (limit 90%);',
    "      a client process's event loop was late by 48.0 ms at p99, 25% or more of the 1.46 ms latency",
    "      p99 it reports (limit 1.00 ms): its own delay, not the transport's, shapes the tail), so its",
    "      figures show the load generator's limits, not the transport's; rerun with more --workers or",
    '      less load.',
    '  WARNING fetch-stream was interrupted: stopped by SIGINT; its figures are partial.',
  ]);
});

test('best values skip errored, interrupted and invalid transports', () => {
  const ts = orderedTransports(warnings);
  assert.deepEqual(ts.map((t) => t.transport), ['short-poll', 'long-poll', 'ws', 'sse', 'fetch-stream']);
  // only short-poll (server-bound: valid) competes; one competitor wins nothing
  assert.deepEqual(bestIndexes(metric('p99'), ts), []);
  assert.deepEqual(rankMetric(metric('p99'), ts).kind, 'none');
  // long-poll made valid competes again, and its lower p99 wins beyond noise
  const valid = structuredClone(warnings);
  const lp = valid.transports[1];
  assert.ok(lp?.delivery);
  lp.invalid = [];
  assert.deepEqual(bestIndexes(metric('p99'), orderedTransports(valid)), [1]);
  assert.deepEqual(warningsFor(warnings).map((w) => `${w.level}:${w.transport ?? 'run'}`), [
    'warning:run',
    'warning:run',
    'note:short-poll',
    'invalid:long-poll',
    'warning:long-poll',
    'warning:long-poll',
    'error:ws',
    'invalid:sse',
    'warning:fetch-stream',
  ]);
});

test('a negative latency shows its own row and invalidates the transport', () => {
  const neg = structuredClone(small);
  const ws = neg.transports[2];
  assert.ok(ws?.delivery);
  ws.delivery.negativeLatencies = 2;
  ws.invalid = ['2 latencies came out negative: the clocks disagree, so no latency of this run can be trusted'];
  const lines = renderTerminal(neg).split('\n');
  assert.ok(lines.includes('negative latencies                        0                 0                 2                 0                 0'));
  assert.ok(lines.includes("  INVALID ws's figures cannot be trusted: 2 latencies came out negative: the clocks disagree, so no"));
  // ws no longer competes: sse leads the p50 row, and fetch-stream is within its noise
  assert.ok(lines.includes('latency p50                         50.8 ms           1.44 ms            422 µs            507 µs *          565 µs *'));
});

test('winners name the transport that won each row beyond noise; exact rows tie at display precision', () => {
  const byId = Object.fromEntries(winners(small).map((w) => [w.metric.id, `${w.transports.join(',')} ${w.value}`]));
  assert.equal(byId.p99, 'ws 1.13 ms');
  assert.equal(byId.requestsPerEvent, 'ws,sse,fetch-stream 0.00100');
  assert.equal(byId.eventsPerSec, undefined);
  assert.equal(byId.p90, undefined, 'no per-second series: not ranked');
});

test('a row whose runner-up is within the per-second noise is a tie, not a win', () => {
  // sse's window seconds made equal to ws's: ws still has the lower whole-window p99, but no one can tell them apart
  const close = structuredClone(small);
  const [ws, sse] = [close.transports[2], close.transports[3]];
  assert.ok(ws?.timeline && sse);
  sse.timeline = ws.timeline.map((p) => ({ ...p }));
  const ts = orderedTransports(close);
  assert.deepEqual(rankMetric(metric('p99'), ts), { kind: 'joint', best: [2, 3], leader: 2, withinNoise: [3], seconds: 10 });
  const lines = renderTerminal(close).split('\n');
  assert.ok(lines.includes('latency p99                          103 ms           4.62 ms           1.13 ms *         1.43 ms *         1.60 ms'));
  assert.ok(renderMarkdown([close]).includes('latency p99: **ws, sse** (1.13 ms; tied within noise, clear of the rest)'));

  // two window seconds only: nothing can be told from noise
  const short = structuredClone(small);
  for (const t of short.transports) t.timeline = t.timeline?.filter((p) => p.window === true).slice(0, 2);
  assert.equal(rankMetric(metric('p99'), orderedTransports(short)).kind, 'too-few-seconds');
  const out = renderTerminal(short).split('\n');
  assert.ok(out.includes('latency p99                          103 ms           4.62 ms           1.13 ms           1.43 ms           1.60 ms'));
  assert.ok(out.includes('No winner, the window has too few whole seconds to judge its noise (2 of 3 needed): latency p50 (ws'));
});

test('idle and capacity runs show only the rows they measured, plus their own', () => {
  const idle = renderTerminal(fixture('result-idle.json')).split('\n');
  assert.ok(!idle.some((l) => l.startsWith('latency')));
  assert.ok(!idle.some((l) => l.startsWith('requests per event')));
  assert.ok(!idle.some((l) => l.startsWith('Instrument floor')), 'nothing published: no floor to state');
  assert.ok(idle.some((l) => /^idle RSS \/ connection +2\.10 KiB +6\.80 KiB +9\.50 KiB +7\.40 KiB +7\.90 KiB$/.test(l)));
  const capacity = renderTerminal(fixture('result-capacity.json')).split('\n');
  assert.ok(capacity.includes('capacity knee  1,000 clients    2,000 clients    16,000 clients    8,000 clients    8,000 clients'));
  assert.ok(capacity.includes('Instrument floor: not measured in this run, so how small a difference rtbench resolves here is'));
});

test('renderJson is stable 2-space JSON with a trailing newline', () => {
  const text = readFileSync(new URL('./fixtures/result-small.json', import.meta.url), 'utf8');
  assert.equal(renderJson(small), text);
  assert.deepEqual(JSON.parse(renderJson(warnings)), warnings);
});

test('markdown: one table with bold winners, who won or why nobody did, the floor, alerts for warnings', () => {
  const md = renderMarkdown([small]);
  const lines = md.split('\n');
  assert.equal(lines[0], '## rtbench fanout-small: short-poll vs long-poll vs ws vs sse vs fetch-stream');
  assert.ok(lines.includes('| metric | short-poll | long-poll | ws | sse | fetch-stream | what it means |'));
  assert.ok(lines.includes('| latency p99 | 103 ms | 4.62 ms | **1.13 ms** | 1.43 ms | 1.60 ms | Tail latency users notice: 1 in 100 is slower. Lower is better. |'));
  assert.ok(lines.includes("| publisher lateness p50 | 4 µs | 5 µs | 6 µs | 7 µs | 8 µs | How late the server's publisher handed events to the transport after their due time; part of every latency above, so server-side delay shows here and transport delay does not. |"));
  assert.ok(lines.includes('| client CPU per 1k events | 122 ms | 131 ms | 141 ms | 151 ms | 160 ms | CPU of all client processes per 1 000 deliveries they received in the window: what receiving costs the client side. Lower is better. |'));
  assert.ok(lines.some((l) => l.startsWith('| bound by | none | none | none | none | none | What limited the run over the window')));
  assert.ok(
    lines.includes(
      "**Who won:** latency p50: **ws** (422 µs) · latency p99: **ws** (1.13 ms) · delivered events/s: a tie: sse (5,002/s) leads, but short-poll, long-poll, ws and fetch-stream are within this run's per-second noise · requests per event: **ws, sse, fetch-stream** (0.00100) · bytes per event: **ws** (302 B) · server CPU per 1k events: **ws** (12.4 ms)",
    ),
  );
  assert.ok(lines.some((l) => l.startsWith('Instrument floor in this run (lowest–highest of 5 transports): publisher lateness p50 4–8 µs')));
  assert.ok(!md.includes('[!WARNING]'));
  const warned = renderMarkdown([warnings]);
  assert.ok(warned.includes('> [!CAUTION]\n> - The run was interrupted'));
  assert.ok(warned.includes('> - **Note:** short-poll was server-bound, which is valid: the server used 96% of a core over the window: these figures show the server at its limit.'));
  assert.ok(warned.includes("> - **Invalid:** long-poll's figures cannot be trusted: 1 client(s) failed (400 events never received): socket hang up;"));
  assert.ok(warned.includes('> - **Error:** ws errored: server did not answer /healthz within 5000 ms (port 41233).'));
  assert.ok(warned.includes('| status | ok | ok | errored: server did not answer /healthz within 5000 ms (port 41233) | ok | interrupted: stopped by SIGINT |'));
  assert.ok(warned.includes('| bound by | server (valid) | none | – | generator (invalid) | none |'));
});

test('markdown: two runs of one scenario are before/after, others side by side', () => {
  const after = fixture('result-after.json');
  assert.equal(layoutFor([small]), 'single');
  assert.equal(layoutFor([small, after]), 'before-after');
  assert.equal(layoutFor([small, fixture('result-idle.json')]), 'side-by-side');
  assert.equal(layoutFor([small, after, small]), 'side-by-side');
  const md = renderMarkdown([small, after]);
  assert.ok(md.startsWith('## rtbench fanout-small: before → after\n'));
  assert.ok(md.includes('| latency p99 | 103 ms → 103 ms (-0.3%, within noise) | 4.62 ms → 4.93 ms (+6.8%, within noise) | 1.13 ms → 934 µs (-17.3%, beyond noise) | 1.43 ms → 1.37 ms (-4.0%, within noise) | 1.60 ms → 1.55 ms (-3.2%, within noise) |'));
  assert.ok(md.includes('| HTTP requests | 5,000 | 48,500 | 50 | 50 | 50 |'));
  const sbs = renderMarkdown([small, fixture('result-idle.json')]);
  assert.ok(sbs.includes('## Run 1 of 2: rtbench fanout-small'));
  assert.ok(sbs.includes('## Run 2 of 2: rtbench idle'));
});
