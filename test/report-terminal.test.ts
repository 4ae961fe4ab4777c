// Terminal, JSON and Markdown renderers over the committed fixtures: exact lines, no timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunResult } from '../lib/result.ts';
import { renderJson } from '../reports/json.ts';
import { layoutFor, renderMarkdown } from '../reports/markdown.ts';
import { bestIndexes, metric, orderedTransports, warningsFor, winners } from '../reports/metrics.ts';
import { renderTerminal } from '../reports/terminal.ts';

function fixture(name: string): RunResult {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as RunResult;
}

const small = fixture('result-small.json');
const warnings = fixture('result-warnings.json');

test('terminal table has one column per transport and the best value of each row marked', () => {
  const lines = renderTerminal(small).split('\n');
  assert.equal(lines[0], 'rtbench fanout-small: short-poll, long-poll, ws, sse, fetch-stream');
  assert.equal(lines[5], '                      short-poll    long-poll          ws         sse    fetch-stream');
  assert.ok(lines.includes('status                        ok           ok          ok          ok              ok'));
  assert.ok(lines.includes('latency p50              50.7 ms      1.40 ms      421 µs *    522 µs          560 µs'));
  assert.ok(lines.includes('latency p99               100 ms      4.35 ms     1.11 ms *   1.44 ms         1.53 ms'));
  assert.ok(lines.includes('requests per event         0.100        0.970     0.00100 *   0.00100 *       0.00100 *'));
  assert.ok(lines.includes('driver saturated              no           no          no          no              no'));
  // every value equal: nobody wins the row
  assert.ok(lines.includes('delivered events/s       5,000/s      5,000/s     5,000/s     5,000/s         5,000/s'));
  assert.ok(lines.includes('* = best in row (lowest, or highest where more is better)'));
  assert.ok(!lines.includes('Warnings:'));
  assert.ok(lines.every((l) => !l.endsWith(' ')), 'no trailing spaces');
  for (const label of ['latency p90', 'latency p99.9', 'latency max', 'lost', 'duplicates', 'out of order', 'connections opened', 'connections closed', 'HTTP requests', 'bytes per event', 'server peak RSS', 'server CPU', 'CPU ms per 1k events']) {
    assert.ok(lines.some((l) => l.startsWith(`${label} `)), `row ${label}`);
  }
});

test('terminal colour marks the best value green instead of with a star', () => {
  const out = renderTerminal(small, { color: true });
  assert.ok(out.includes('\x1b[32m\x1b[1m'));
  assert.ok(!out.includes(' *'));
  assert.equal(renderTerminal(small, { color: false }).includes('\x1b['), false);
});

test('errored, saturated, lossy and interrupted transports are shown and warned about', () => {
  const out = renderTerminal(warnings);
  const lines = out.split('\n');
  assert.ok(lines[1]?.endsWith('(interrupted)'));
  const status = lines.find((l) => l.startsWith('status '));
  assert.ok(status?.includes('errored: server did n…'));
  assert.ok(status?.includes('interrupted: stopped …'));
  const warningLines = lines.slice(lines.indexOf('Warnings:') + 1).filter((l) => l !== '');
  assert.deepEqual(warningLines, [
    '  WARNING The run was interrupted before it finished; figures cover only what was measured.',
    '  WARNING long-poll lost 1,250 of 60,000 expected deliveries (2.08%); the server announced 1 retention gap.',
    '  WARNING long-poll delivered 3 duplicate and 0 out-of-order events.',
    '  ERROR ws errored: server did not answer /healthz within 5000 ms (port 41233).',
    "  INVALID sse: the load generator was saturated (client process 2 used 99% of a core (limit 90%); client event-loop delay p99 48 ms (limit 20 ms)), so these figures show the generator's limits, not the transport's; rerun with more --workers or less load.",
    '  WARNING fetch-stream was interrupted: stopped by SIGINT; its figures are partial.',
  ]);
});

test('best values skip errored, interrupted and saturated transports', () => {
  const ts = orderedTransports(warnings);
  assert.deepEqual(ts.map((t) => t.transport), ['short-poll', 'long-poll', 'ws', 'sse', 'fetch-stream']);
  // sse (saturated) and fetch-stream (interrupted) have lower p99 than long-poll, but do not compete
  assert.deepEqual(bestIndexes(metric('p99'), ts), [1]);
  assert.deepEqual(bestIndexes(metric('lost'), ts), [0]);
  assert.deepEqual(warningsFor(warnings).map((w) => `${w.level}:${w.transport ?? 'run'}`), ['warning:run', 'warning:long-poll', 'warning:long-poll', 'error:ws', 'invalid:sse', 'warning:fetch-stream']);
});

test('winners name the transport that won each row', () => {
  const byId = Object.fromEntries(winners(small).map((w) => [w.metric.id, `${w.transports.join(',')} ${w.value}`]));
  assert.equal(byId.p99, 'ws 1.11 ms');
  assert.equal(byId.requestsPerEvent, 'ws,sse,fetch-stream 0.00100');
  assert.equal(byId.eventsPerSec, undefined);
});

test('idle and capacity runs show only the rows they measured, plus their own', () => {
  const idle = renderTerminal(fixture('result-idle.json')).split('\n');
  assert.ok(!idle.some((l) => l.startsWith('latency')));
  assert.ok(!idle.some((l) => l.startsWith('requests per event')));
  assert.ok(idle.some((l) => /^idle RSS \/ connection +2\.10 KiB +6\.80 KiB +9\.50 KiB +7\.40 KiB +7\.90 KiB$/.test(l)));
  const capacity = renderTerminal(fixture('result-capacity.json')).split('\n');
  assert.ok(capacity.includes('capacity knee  1,000 clients    2,000 clients    16,000 clients    8,000 clients    8,000 clients'));
});

test('renderJson is stable 2-space JSON with a trailing newline', () => {
  const text = readFileSync(new URL('./fixtures/result-small.json', import.meta.url), 'utf8');
  assert.equal(renderJson(small), text);
  assert.deepEqual(JSON.parse(renderJson(warnings)), warnings);
});

test('markdown: one table with bold winners, alerts for warnings', () => {
  const md = renderMarkdown([small]);
  const lines = md.split('\n');
  assert.equal(lines[0], '## rtbench fanout-small: short-poll vs long-poll vs ws vs sse vs fetch-stream');
  assert.ok(lines.includes('| metric | short-poll | long-poll | ws | sse | fetch-stream | what it means |'));
  assert.ok(lines.includes('| latency p99 | 100 ms | 4.35 ms | **1.11 ms** | 1.44 ms | 1.53 ms | Tail latency users notice: 1 in 100 is slower; lower is better. |'));
  assert.ok(!md.includes('[!WARNING]'));
  const warned = renderMarkdown([warnings]);
  assert.ok(warned.includes('> [!CAUTION]\n> - The run was interrupted'));
  assert.ok(warned.includes('> - **Error:** ws errored: server did not answer /healthz within 5000 ms (port 41233).'));
  assert.ok(warned.includes('| status | ok | ok | errored: server did not answer /healthz within 5000 ms (port 41233) | ok | interrupted: stopped by SIGINT |'));
});

test('markdown: two runs of one scenario are before/after, others side by side', () => {
  const after = fixture('result-after.json');
  assert.equal(layoutFor([small]), 'single');
  assert.equal(layoutFor([small, after]), 'before-after');
  assert.equal(layoutFor([small, fixture('result-idle.json')]), 'side-by-side');
  assert.equal(layoutFor([small, after, small]), 'side-by-side');
  const md = renderMarkdown([small, after]);
  assert.ok(md.startsWith('## rtbench fanout-small: before → after\n'));
  assert.ok(md.includes('| latency p99 | 100 ms | 4.35 ms → 5.00 ms (_+14.9%_) | 1.11 ms → 880 µs (**-20.6%**) | 1.44 ms → 1.29 ms (**-10.3%**) | 1.53 ms → 1.53 ms (+0.1%) |'));
  assert.ok(md.includes('| HTTP requests | 5,000 | 48,500 | 50 | 50 | 50 |'));
  const sbs = renderMarkdown([small, fixture('result-idle.json')]);
  assert.ok(sbs.includes('## Run 1 of 2: rtbench fanout-small'));
  assert.ok(sbs.includes('## Run 2 of 2: rtbench idle'));
});
