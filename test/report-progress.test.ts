// Live progress: the exact line, and silence unless on a TTY without --quiet or NO_COLOR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Progress } from '../lib/result.ts';
import { createProgressDisplay, formatProgress, formatProgressDone, progressBar, progressEnabled, type ProgressStream } from '../reports/progress.ts';

const sample: Progress = { transport: 'ws', index: 2, total: 5, phase: 'measuring', elapsedMs: 8_000, plannedMs: 12_000, delivered: 40_000, currentP99Us: 1_110 };

/** A fake terminal that records what is written. */
function tty(isTTY = true, columns = 200): ProgressStream & { chunks: string[] } {
  const chunks: string[] = [];
  return { chunks, isTTY, columns, write: (s: string) => chunks.push(s) };
}

test('formatProgress shows transport, phase, bar, elapsed/total, delivered and current p99', () => {
  assert.equal(formatProgress(sample), '[3/5] ws  measuring  [█████████████░░░░░░░]  8.0 s / 12.0 s  40,000 delivered  p99 1.11 ms');
  assert.equal(
    formatProgress({ ...sample, transport: 'short-poll', index: 0, phase: 'connecting', elapsedMs: 0, delivered: 0, currentP99Us: 0 }),
    '[1/5] short-poll  connecting  [░░░░░░░░░░░░░░░░░░░░]  0.0 s / 12.0 s  0 delivered  p99 –',
  );
  assert.equal(formatProgress({ ...sample, elapsedMs: 90_000, plannedMs: 120_000 }), '[3/5] ws  measuring  [███████████████░░░░░]  1m 30s / 2m 00s  40,000 delivered  p99 1.11 ms');
  assert.equal(formatProgressDone({ ...sample, phase: 'done', elapsedMs: 12_000, delivered: 60_000 }), '✓ [3/5] ws  60,000 delivered  p99 1.11 ms  in 12.0 s');
});

test('progressBar clamps to 0..1', () => {
  assert.equal(progressBar(-1, 4), '[░░░░]');
  assert.equal(progressBar(0.5, 4), '[██░░]');
  assert.equal(progressBar(7, 4), '[████]');
  assert.equal(progressBar(Number.NaN, 4), '[░░░░]');
});

test('the display redraws one line with \\r, keeps a line per finished transport, and clears on done()', () => {
  const out = tty();
  const display = createProgressDisplay(out, { env: {} });
  assert.equal(display.enabled, true);
  display.update(sample);
  display.update({ ...sample, elapsedMs: 9_000 });
  display.update({ ...sample, phase: 'done', elapsedMs: 12_000 });
  display.update({ ...sample, transport: 'sse', index: 3, phase: 'warmup', elapsedMs: 500, delivered: 0 });
  display.done();
  display.done();
  assert.deepEqual(out.chunks, [
    `\r${formatProgress(sample)}\x1b[K`,
    `\r${formatProgress({ ...sample, elapsedMs: 9_000 })}\x1b[K`,
    '\r✓ [3/5] ws  40,000 delivered  p99 1.11 ms  in 12.0 s\x1b[K\n',
    `\r${formatProgress({ ...sample, transport: 'sse', index: 3, phase: 'warmup', elapsedMs: 500, delivered: 0 })}\x1b[K`,
    '\r\x1b[K',
  ]);
});

test('the live line is cut to the terminal width', () => {
  const out = tty(true, 30);
  createProgressDisplay(out, { env: {} }).update(sample);
  assert.equal(out.chunks[0], `\r${[...formatProgress(sample)].slice(0, 29).join('')}\x1b[K`);
});

test('nothing is written when not a TTY, with --quiet, or with NO_COLOR set', () => {
  for (const [stream, opts] of [
    [tty(false), { env: {} }],
    [tty(true), { quiet: true, env: {} }],
    [tty(true), { env: { NO_COLOR: '1' } }],
  ] as const) {
    const display = createProgressDisplay(stream, opts);
    assert.equal(display.enabled, false);
    display.update(sample);
    display.done();
    assert.deepEqual(stream.chunks, []);
  }
  // an empty NO_COLOR does not count (no-color.org)
  assert.equal(progressEnabled(tty(true), { env: { NO_COLOR: '' } }), true);
  assert.equal(progressEnabled({ write: () => true }, { env: {} }), false);
});
