// The tie rule (reports/noise.ts): Tukey's hinges, notched medians, and the verdict on a row. Exact inputs, exact outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_WINDOW_SECONDS, NOTCH_FACTOR, fiveNumber, notch, notchesOverlap, rankRow, separate } from '../reports/noise.ts';

test('fiveNumber is Tukey\'s five-number summary, as R\'s fivenum()', () => {
  assert.equal(fiveNumber([]), undefined);
  assert.deepEqual(fiveNumber([7]), [7, 7, 7, 7, 7]);
  assert.deepEqual(fiveNumber([3, 1, 2, 5, 4]), [1, 2, 3, 4, 5]);
  assert.deepEqual(fiveNumber([4, 1, 3, 2]), [1, 1.5, 2.5, 3.5, 4]);
  assert.deepEqual(fiveNumber([6, 5, 4, 3, 2, 1]), [1, 2, 3.5, 5, 6]);
  assert.deepEqual(fiveNumber([10, 11, 12]), [10, 10.5, 11, 11.5, 12]);
});

test('notch is median ± 1.58 · IQR / √n', () => {
  assert.equal(NOTCH_FACTOR, 1.58);
  assert.equal(MIN_WINDOW_SECONDS, 3);
  assert.equal(notch([]), undefined);
  // hinges 75 and 125, IQR 50, n 4: half-width 1.58 x 50 / 2 = 39.5
  assert.deepEqual(notch([125, 75, 125, 75]), { n: 4, median: 100, lowerHinge: 75, upperHinge: 125, lo: 60.5, hi: 139.5 });
  // no spread: the interval is the median itself
  assert.deepEqual(notch([5, 5, 5]), { n: 3, median: 5, lowerHinge: 5, upperHinge: 5, lo: 5, hi: 5 });
  const a = { n: 3, median: 2, lowerHinge: 2, upperHinge: 2, lo: 1, hi: 3 };
  assert.equal(notchesOverlap(a, { ...a, lo: 3, hi: 4 }), true, 'touching is a tie');
  assert.equal(notchesOverlap(a, { ...a, lo: 3.5, hi: 4 }), false);
});

test('separate: lower beyond noise, within noise, or too few seconds', () => {
  assert.equal(separate([100, 100, 100], [101, 101, 101]), 'a-lower');
  assert.equal(separate([101, 101, 101], [100, 100, 100]), 'b-lower');
  // [100, 110, 120]: median 110, IQR 10, half 9.12; [105, 115, 125]: 115 ± 9.12; they overlap
  assert.equal(separate([100, 110, 120], [105, 115, 125]), 'within');
  assert.equal(separate([100, 100], [200, 200, 200]), 'too-few-seconds');
});

test('rankRow: a winner, a joint first place, a tie, too few seconds', () => {
  const slow = { value: 50, seconds: [50, 50, 50] };
  // 11 ± 0.912 and 12 ± 0.912 overlap
  const fast = { value: 10, seconds: [10, 11, 12] };
  const close = { value: 11, seconds: [11, 12, 13] };
  assert.equal(rankRow([fast], 'lower'), undefined);
  assert.deepEqual(rankRow([slow, fast], 'lower'), { verdict: 'winner', best: [1], leader: 1, withinNoise: [] });
  assert.deepEqual(rankRow([slow, fast, close], 'lower'), { verdict: 'joint', best: [1, 2], leader: 1, withinNoise: [2] });
  assert.deepEqual(rankRow([fast, close], 'lower'), { verdict: 'tie', best: [], leader: 0, withinNoise: [1] });
  assert.deepEqual(rankRow([slow, { value: 10, seconds: [10, 10] }], 'lower'), { verdict: 'too-few-seconds', best: [], leader: 1, withinNoise: [0] });
  // more is better: the highest value leads
  assert.deepEqual(rankRow([slow, fast], 'higher'), { verdict: 'winner', best: [0], leader: 0, withinNoise: [] });
});

test('rankRow: a leader whose seconds say the opposite is not a winner', () => {
  // the leader's whole-window value is lower, but its typical second is higher beyond noise: a tie, not a win
  assert.deepEqual(rankRow([{ value: 10, seconds: [20, 20, 20] }, { value: 12, seconds: [5, 5, 5] }], 'lower'), { verdict: 'tie', best: [], leader: 0, withinNoise: [1] });
  // equal values: the first leads
  assert.deepEqual(rankRow([{ value: 7, seconds: [7, 7, 7] }, { value: 7, seconds: [7, 7, 7] }], 'lower'), { verdict: 'tie', best: [], leader: 0, withinNoise: [1] });
});
