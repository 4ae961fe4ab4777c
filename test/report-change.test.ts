// Before/after without false verdicts: two runs of one scenario show the change of every row, whether it lies beyond
// the per-second noise of both runs, and where a verdict comes from (the gate) — never "better" or "worse".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunResult } from '../lib/result.ts';
import { GATE_SENTENCE, beforeAfterCell, noiseTag } from '../reports/change.ts';
import { renderHtml } from '../reports/html.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { metric } from '../reports/metrics.ts';
import { renderTerminalChanges, renderTerminalRuns } from '../reports/terminal.ts';

function fixture(name: string): RunResult {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as RunResult;
}

const small = fixture('result-small.json');
/** The same commit a few minutes later: it differs from result-small by less than the per-second noise. */
const rerun = fixture('result-rerun.json');
/** A later run with real changes (ws 20% faster, long-poll 15% slower). */
const after = fixture('result-after.json');

const VERDICT = /\b(better|worse)\b/i;

test('two runs that differ by less than their noise: no "better" or "worse" in any output', () => {
  const terminal = renderTerminalRuns([small, rerun]);
  const md = renderMarkdown([small, rerun]);
  const html = renderHtml([small, rerun], { generatedAt: 'x' });
  for (const [name, text] of [['terminal', terminal], ['markdown', md], ['html', html]] as const) {
    assert.equal(VERDICT.exec(text)?.[0], undefined, `${name} names no verdict`);
  }
  // every per-second row of every transport is within noise
  assert.equal(/beyond noise|too few seconds/.test(md), false);
  assert.ok(md.includes('| latency p50 | 50.8 ms → 50.9 ms (+0.1%, within noise) | 1.44 ms → 1.40 ms (-2.2%, within noise) | 422 µs → 413 µs (-2.1%, within noise) | 507 µs → 545 µs (+7.5%, within noise) | 565 µs → 543 µs (-3.9%, within noise) |'));
  // a figure without a per-second series shows its change bare
  assert.ok(md.includes('| latency p99.9 | 110 ms → 111 ms (+0.5%) |'));
  assert.ok(html.includes('<tr id="row-p50"><td>latency p50</td><td class="changed within">50.8 ms → 50.9 ms<span class="delta">+0.1% · within noise</span></td>'));
  // every output says where a verdict comes from
  assert.ok(md.includes(GATE_SENTENCE));
  assert.ok(html.includes('<p class="gate">One pair of runs cannot tell a real change from run-to-run noise, so no change here is called an improvement or a regression. For a verdict, run <code>rtbench gate</code>: it repeats the scenario in rounds and compares the rounds with a Mann–Whitney U test (docs/gate.md).</p>'));
  assert.ok(terminal.replace(/\n {2}/g, ' ').includes(GATE_SENTENCE));
});

test('a change beyond the noise of both runs is said so, still without a verdict', () => {
  const md = renderMarkdown([small, after]);
  const html = renderHtml([small, after], { generatedAt: 'x' });
  const terminal = renderTerminalRuns([small, after]);
  for (const text of [md, html, terminal]) assert.equal(VERDICT.exec(text)?.[0], undefined);
  assert.ok(md.includes('| latency p99 | 103 ms → 103 ms (-0.3%, within noise) | 4.62 ms → 4.93 ms (+6.8%, within noise) | 1.13 ms → 934 µs (-17.3%, beyond noise) |'));
  assert.ok(html.includes('<td class="changed beyond">1.13 ms → 934 µs<span class="delta">-17.3% · beyond noise</span></td>'));
  assert.ok(md.includes('Before: Instrument floor in this run (lowest–highest of 5 transports):'));
  assert.ok(md.includes('After: Instrument floor in this run (lowest–highest of 5 transports):'));
});

test('the terminal shows the change of every row with a noise mark after both tables', () => {
  const lines = renderTerminalChanges(small, after).split('\n');
  assert.equal(lines[0], 'rtbench fanout-small: before → after');
  assert.equal(lines[3], '                             short-poll  long-poll        ws      sse  fetch-stream');
  assert.ok(lines.includes('latency p50                     -2.8% ~   +10.7% >  -17.1% >  -3.4% ~       -1.4% ~'));
  assert.ok(lines.includes('latency p90                     -2.9%     +10.7%    -17.5%    -3.2%         -1.9%'));
  assert.ok(lines.includes('HTTP requests                     ±0%        ±0%       ±0%      ±0%           ±0%'));
  assert.ok(lines.includes('RSS per connection                  –          –         –        –             –'));
  const runs = renderTerminalRuns([small, after]);
  assert.equal(runs.split('rtbench fanout-small: short-poll, long-poll, ws, sse, fetch-stream').length, 3, 'both runs\' tables first');
  assert.ok(runs.endsWith(renderTerminalChanges(small, after)));
  // runs of different scenarios get no change block
  assert.ok(!renderTerminalRuns([small, fixture('result-idle.json')]).includes('before → after'));
});

test('beforeAfterCell: noise tags for per-second rows, none for exact rows or an invalid side', () => {
  const [b, a] = [small.transports[2], after.transports[2]];
  assert.ok(b && a);
  assert.deepEqual(beforeAfterCell(metric('p99'), b, a), { kind: 'changed', before: 1129, after: 934, beforeText: '1.13 ms', afterText: '934 µs', delta: '-17.3%', noise: 'beyond' });
  assert.equal(noiseTag(metric('bytesPerEvent'), b, a), undefined, 'exact');
  assert.equal(noiseTag(metric('p90'), b, a), undefined, 'no per-second series');
  assert.equal(noiseTag(metric('p99'), b, { ...a, invalid: ['a client process was stalled'] }), undefined, 'an invalid side is not judged');
  assert.equal(noiseTag(metric('p99'), b, { ...a, timeline: a.timeline?.filter((p) => p.window === true).slice(0, 2) }), 'too-few-seconds');
  assert.deepEqual(beforeAfterCell(metric('p99'), b, undefined), { kind: 'text', text: '1.13 ms → –', bothMissing: false });
  assert.deepEqual(beforeAfterCell(metric('httpRequests'), b, a), { kind: 'same', text: '50' });
});
