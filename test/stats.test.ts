// Statistics of the gate against published values and brute-force enumeration (no scipy here: the exact
// permutation distributions of tiny samples are enumerated in this file as an independent cross-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binomial,
  erfc,
  hodgesLehmann,
  holmAdjust,
  mannWhitneyU,
  median,
  midranks,
  minRoundsFor,
  moreRoundsForSignificance,
  moreRoundsForWidth,
  normalIsf,
  normalSf,
  shiftInterval,
  uCriticalValue,
  uDistribution,
} from '../gate/stats.ts';
import { combinations, directU, near } from './helpers/math.ts';


/**
 * Exact two-sided permutation p-value by enumerating every relabelling of the pooled values:
 * P(|U - n1 n2 / 2| >= |u_obs - n1 n2 / 2|). Also returns the permutation mean and variance of U.
 */
function bruteForce(x: readonly number[], y: readonly number[]): { p: number; mean: number; variance: number } {
  const all = [...x, ...y];
  const mu = (x.length * y.length) / 2;
  const observed = Math.abs(directU(x, y) - mu);
  let hits = 0;
  let count = 0;
  let sum = 0;
  let sumSq = 0;
  for (const pick of combinations(all.length, x.length)) {
    const chosen = new Set(pick);
    const xs = all.filter((_, i) => chosen.has(i));
    const ys = all.filter((_, i) => !chosen.has(i));
    const u = directU(xs, ys);
    count += 1;
    sum += u;
    sumSq += u * u;
    if (Math.abs(u - mu) >= observed - 1e-9) hits += 1;
  }
  const mean = sum / count;
  return { p: hits / count, mean, variance: sumSq / count - mean * mean };
}

/** Deterministic pseudo-random integers in [0, range) (LCG from Numerical Recipes). */
function lcg(seed: number): (range: number) => number {
  let state = seed >>> 0;
  return (range) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % range;
  };
}

test('erfc and the normal tail match tabulated values (Abramowitz & Stegun, table 7.1 and 26.1)', () => {
  near(erfc(0), 1, 1e-15);
  near(erfc(0.5), 0.4795001221869535, 1e-15);
  near(erfc(1), 0.1572992070502851, 1e-15);
  near(erfc(2), 0.004677734981047266, 1e-17);
  near(erfc(3), 2.209049699858544e-5, 1e-19);
  near(erfc(5), 1.537459794428035e-12, 1e-25);
  near(erfc(-1), 1.842700792949715, 1e-15);
  near(normalSf(1.959963984540054), 0.025, 1e-15);
  near(normalSf(2.5758293035489), 0.005, 1e-15);
  near(normalIsf(0.025), 1.959963984540054, 1e-11);
  near(normalIsf(0.005), 2.5758293035489, 1e-11);
  near(normalIsf(0.5), 0, 1e-11);
});

test('median and midranks', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.deepEqual(midranks([10, 20, 20, 30, 20]), [1, 3, 3, 5, 3]);
});

test('U null distribution: tiny cases by hand, totals C(m+n, m), symmetry', () => {
  assert.deepEqual(Array.from(uDistribution(2, 2)), [1, 1, 2, 1, 1]);
  assert.deepEqual(Array.from(uDistribution(3, 2)), [1, 1, 2, 2, 2, 1, 1]);
  for (const [m, n] of [[5, 4], [10, 10], [20, 20], [7, 13]] as const) {
    const counts = Array.from(uDistribution(m, n));
    assert.equal(counts.reduce((s, c) => s + c, 0), binomial(m + n, m));
    assert.deepEqual(counts, [...counts].reverse());
  }
  assert.equal(binomial(40, 20), 137846528820);
});

test('published example: scipy.stats.mannwhitneyu docs (BU School of Public Health lecture notes), ages at diagnosis', () => {
  // males [19, 22, 16, 29, 24], females [20, 11, 17, 12]: U1 = 17; exact p = 0.1111111111111111,
  // asymptotic (continuity-corrected) p = 0.11134688653314041, both as printed in the scipy documentation.
  const males = [19, 22, 16, 29, 24];
  const females = [20, 11, 17, 12];
  const exact = mannWhitneyU(males, females);
  assert.equal(exact.u1, 17);
  assert.equal(exact.u2, 3);
  assert.equal(exact.method, 'exact');
  near(exact.pValue, 14 / 126, 1e-15); // 2 * P(U <= 3) = 2 * 7 / C(9, 4)
  const asymptotic = mannWhitneyU(males, females, 0);
  assert.equal(asymptotic.method, 'normal');
  near(asymptotic.pValue, 0.11134688653314041, 1e-12);
  near(exact.pValue, bruteForce(males, females).p, 1e-15);
});

test('published example: R wilcox.test docs (Hollander & Wolfe 1973, p. 69), permeability constants', () => {
  // R prints W = 35, one-sided ("greater") p-value = 0.1272; the two-sided exact p is twice that: 764 / 3003.
  const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
  const y = [1.15, 0.88, 0.9, 0.74, 1.21];
  const r = mannWhitneyU(x, y);
  assert.equal(r.u1, 35);
  assert.equal(r.ties, false);
  near(r.pValue, 764 / 3003, 1e-15);
  near(r.pValue / 2, 0.1272, 5e-5);
  near(r.pValue, bruteForce(x, y).p, 1e-15);
});

test('published example: Wikipedia "Mann–Whitney U test", tortoise and hare finishing order THHHHHTTTTTH', () => {
  // Finishing positions: tortoises 1, 7, 8, 9, 10, 11; hares 2, 3, 4, 5, 6, 12. The article gives
  // U_T = 25 and U_H = 11 counted on finishing order (a lower position = ahead), i.e. U of the hares here.
  const tortoise = [1, 7, 8, 9, 10, 11];
  const hare = [2, 3, 4, 5, 6, 12];
  const r = mannWhitneyU(tortoise, hare);
  assert.equal(r.u1, 25);
  assert.equal(r.u2, 11);
  near(r.pValue, 286 / 924, 1e-15); // 2 * P(U <= 11) = 2 * 143 / C(12, 6); not significant, as the article says
  near(r.pValue, bruteForce(tortoise, hare).p, 1e-15);
});

test('exact p-values equal brute-force enumeration on tiny samples, with and without ties', () => {
  const rand = lcg(20240601);
  for (let trial = 0; trial < 60; trial += 1) {
    const n1 = 1 + rand(6);
    const n2 = 1 + rand(6);
    const spread = trial % 2 === 0 ? 1000 : 4; // odd trials draw from 4 values: many ties
    const shift = rand(3);
    const x = Array.from({ length: n1 }, () => rand(spread));
    const y = Array.from({ length: n2 }, () => rand(spread) + shift);
    const r = mannWhitneyU(x, y);
    const b = bruteForce(x, y);
    assert.equal(r.method, 'exact');
    assert.equal(r.u1, directU(x, y), `U of ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    near(r.pValue, b.p, 1e-12, `p of ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  }
});

test('ties: normal approximation with tie and continuity corrections, computed by hand', () => {
  // x = [1, 2, 2, 3, 4], y = [2, 3, 3, 5, 6, 6]. Midranks: 1 -> 1, 2 -> 3, 3 -> 6, 4 -> 8, 5 -> 9, 6 -> 10.5.
  // R1 = 1 + 3 + 3 + 6 + 8 = 21, U1 = 21 - 15 = 6, U2 = 24, mean 15. Tie groups 3, 3, 2: sum(t^3 - t) = 54.
  // var = (5*6/12) * (12 - 54/110) = 28.772727..., z = (|6 - 15| - 0.5) / sqrt(var) = 1.584632..., p = 0.11305.
  const x = [1, 2, 2, 3, 4];
  const y = [2, 3, 3, 5, 6, 6];
  const r = mannWhitneyU(x, y, 0);
  assert.equal(r.u1, 6);
  assert.equal(r.ties, true);
  assert.equal(r.method, 'normal');
  const variance = 2.5 * (12 - 54 / 110);
  near(variance, 28.772727272727273, 1e-12);
  near(r.pValue, 2 * normalSf(8.5 / Math.sqrt(variance)), 1e-15);
  near(r.pValue, 0.11305, 5e-6);
  near(r.z, 9 / Math.sqrt(variance), 1e-12);
  // the tie-corrected variance is exactly the permutation variance of U given these midranks
  const b = bruteForce(x, y);
  near(b.mean, 15, 1e-12);
  near(b.variance, variance, 1e-9);
  // and the exact test with ties agrees with enumeration
  near(mannWhitneyU(x, y).pValue, b.p, 1e-15);
});

test('degenerate samples: all values tied gives p = 1; a single value per group', () => {
  assert.equal(mannWhitneyU([5, 5, 5], [5, 5]).pValue, 1);
  assert.equal(mannWhitneyU([5, 5, 5], [5, 5], 0).pValue, 1);
  const r = mannWhitneyU([1], [2]);
  assert.equal(r.u1, 0);
  assert.equal(r.pValue, 1); // 2 * P(U <= 0) = 2 * 1/2
  assert.throws(() => mannWhitneyU([], [1]), RangeError);
});

test('large samples use the normal approximation and agree with the exact value closely', () => {
  const x = Array.from({ length: 21 }, (_, i) => i * 3);
  const y = Array.from({ length: 21 }, (_, i) => i * 3 + 10);
  const normal = mannWhitneyU(x, y);
  assert.equal(normal.method, 'normal');
  const exact = mannWhitneyU(x, y, 21);
  assert.equal(exact.method, 'exact');
  near(normal.pValue, exact.pValue, 0.002);
});

test('U critical values match published two-sided tables (e.g. Zar, Biostatistical Analysis, table B.11)', () => {
  assert.equal(uCriticalValue(5, 5, 0.05), 2);
  assert.equal(uCriticalValue(8, 8, 0.01), 7);
  assert.equal(uCriticalValue(10, 10, 0.05), 23);
  assert.equal(uCriticalValue(10, 10, 0.01), 16);
  assert.equal(uCriticalValue(20, 20, 0.05), 127);
  assert.equal(uCriticalValue(3, 3, 0.05), -1); // too small: no U reaches p <= 0.05
  assert.equal(minRoundsFor(0.01), 5); // 2 / C(10, 5) = 0.0079
  assert.equal(minRoundsFor(0.05), 4); // 2 / C(8, 4) = 0.029
});

test('Hodges–Lehmann shift and its confidence interval, checked by inverting the exact test', () => {
  assert.equal(hodgesLehmann([1, 2, 3], [4, 5, 6]), 3);
  assert.equal(hodgesLehmann([10, 10, 10], [10, 10, 10]), 0);
  const x = [12, 15, 9, 20, 17, 11, 14];
  const y = [19, 25, 16, 28, 22, 30, 21];
  const alpha = 0.05;
  const ci = shiftInterval(x, y, alpha);
  assert.ok(ci.lower <= hodgesLehmann(x, y) && hodgesLehmann(x, y) <= ci.upper);
  // Shifts strictly inside the interval are not rejected; shifts just outside are (Moses' construction).
  const pAt = (shift: number): number => mannWhitneyU(x, y.map((v) => v - shift)).pValue;
  assert.ok(pAt(ci.lower + 0.01) > alpha, `p just inside the lower bound is ${pAt(ci.lower + 0.01)}`);
  assert.ok(pAt(ci.upper - 0.01) > alpha, `p just inside the upper bound is ${pAt(ci.upper - 0.01)}`);
  assert.ok(pAt(ci.lower - 0.01) <= alpha, `p just outside the lower bound is ${pAt(ci.lower - 0.01)}`);
  assert.ok(pAt(ci.upper + 0.01) <= alpha, `p just outside the upper bound is ${pAt(ci.upper + 0.01)}`);
  assert.deepEqual(shiftInterval([1, 2], [3, 4], 0.01), { lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY });
});

test('more rounds: z grows with sqrt(n), a confidence width shrinks with 1/sqrt(n)', () => {
  const zCrit = normalIsf(0.005);
  assert.equal(moreRoundsForSignificance(zCrit / 2, 10, 10, 0.01), 30); // needs 4x the rounds: 40 - 10
  assert.equal(moreRoundsForSignificance(-zCrit / 2, 10, 10, 0.01), 30);
  assert.equal(moreRoundsForSignificance(zCrit + 0.1, 10, 10, 0.01), 0);
  assert.equal(moreRoundsForSignificance(0, 10, 10, 0.01), null);
  assert.equal(moreRoundsForSignificance(zCrit / 100, 10, 10, 0.01), null); // 100 000 rounds: undecidable
  assert.equal(moreRoundsForWidth(0.2, 0.1, 10, 10), 30);
  assert.equal(moreRoundsForWidth(0.05, 0.1, 10, 10), 0);
  assert.equal(moreRoundsForWidth(0.2, 0, 10, 10), null);
  assert.equal(moreRoundsForWidth(Number.POSITIVE_INFINITY, 0.1, 2, 2), null);
});

test('Holm adjustment, by hand: p = [0.01, 0.04, 0.03, 0.005]', () => {
  // sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max 0.02, 0.03, 0.06, 0.06
  const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  [0.03, 0.06, 0.06, 0.02].forEach((expected, i) => near(adjusted[i] as number, expected, 1e-15, `adjusted[${i}]`));
  assert.deepEqual(holmAdjust([0.5, 0.9]), [1, 1]);
  assert.deepEqual(holmAdjust([]), []);
});
