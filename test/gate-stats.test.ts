// The one-sided statistics of the gate (tests against the floor and their confidence bounds) against a published
// value, brute-force enumeration of every relabelling, and inversion of the test they come from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mannWhitneyOneSided,
  mannWhitneyU,
  minRoundsFor,
  moreRoundsForSignificance,
  normalIsf,
  oneSidedBounds,
  pairwiseDifferences,
  pairwiseRatios,
} from '../gate/stats.ts';
import { changeModelOf, moveBaseline } from '../gate/compare.ts';
import { seededRandom } from './helpers/synthetic.ts';
import { combinations, directU, near } from './helpers/math.ts';

/** U of y against x by direct pair counting (ties 1/2). */
const uOfY = (x: readonly number[], y: readonly number[]): number => directU(y, x);

/** Exact one-sided p by enumerating every relabelling of the pooled values: P(U_y >= u) or P(U_y <= u). */
function bruteForceOneSided(x: readonly number[], y: readonly number[], alternative: 'greater' | 'less'): number {
  const all = [...x, ...y];
  const observed = uOfY(x, y);
  let hits = 0;
  let count = 0;
  for (const pick of combinations(all.length, x.length)) {
    const chosen = new Set(pick);
    const u = uOfY(
      all.filter((_, i) => chosen.has(i)),
      all.filter((_, i) => !chosen.has(i)),
    );
    if (alternative === 'greater' ? u >= observed - 1e-9 : u <= observed + 1e-9) hits += 1;
    count += 1;
  }
  return hits / count;
}

test('published example: R wilcox.test docs (Hollander & Wolfe 1973, p. 69), one-sided p = 0.1272', () => {
  // R: wilcox.test(x, y, alternative = "greater") tests x larger than y; here y is the group tested as larger.
  const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
  const y = [1.15, 0.88, 0.9, 0.74, 1.21];
  const r = mannWhitneyOneSided(y, x, 'greater');
  assert.equal(r.u2, 35);
  assert.equal(r.method, 'exact');
  near(r.pValue, 382 / 3003, 1e-15);
  near(r.pValue, 0.1272, 5e-5);
  near(mannWhitneyOneSided(y, x, 'greater').pValue, bruteForceOneSided(y, x, 'greater'), 1e-15);
  near(mannWhitneyOneSided(y, x, 'less').pValue, bruteForceOneSided(y, x, 'less'), 1e-15);
});

test('exact one-sided p-values equal brute-force enumeration, with and without ties', () => {
  const rand = seededRandom(7);
  for (let k = 0; k < 40; k += 1) {
    const n1 = 2 + Math.floor(rand() * 5);
    const n2 = 2 + Math.floor(rand() * 5);
    // every third case draws from few values, so ties across and within groups are common
    const draw = (): number => (k % 3 === 0 ? Math.floor(rand() * 4) : Math.round(rand() * 1000) / 10);
    const x = Array.from({ length: n1 }, draw);
    const y = Array.from({ length: n2 }, draw);
    for (const alt of ['greater', 'less'] as const) {
      near(mannWhitneyOneSided(x, y, alt).pValue, bruteForceOneSided(x, y, alt), 1e-12, `${alt} p of ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    }
  }
});

test('without ties the two-sided p is twice the smaller one-sided p; the normal approximation halves it likewise', () => {
  const x = [19, 22, 16, 29, 24];
  const y = [20, 11, 17, 12];
  const two = mannWhitneyU(x, y).pValue;
  assert.equal(Math.min(1, 2 * Math.min(mannWhitneyOneSided(x, y, 'greater').pValue, mannWhitneyOneSided(x, y, 'less').pValue)), two);
  // asymptotic: scipy's two-sided 0.11134688653314041 is 2 P(Z > (|U - mu| - 1/2) / sigma); y is the smaller group here
  const less = mannWhitneyOneSided(x, y, 'less', 0);
  assert.equal(less.method, 'normal');
  near(less.pValue, 0.11134688653314041 / 2, 1e-12);
  assert.ok(mannWhitneyOneSided(x, y, 'greater', 0).pValue > 0.9);
  assert.equal(mannWhitneyOneSided([5, 5, 5], [5, 5], 'greater', 0).pValue, 1);
  assert.throws(() => mannWhitneyOneSided([], [1], 'greater'), RangeError);
});

test('exact and normal one-sided p agree closely just above the exact limit (21 per group)', () => {
  const rand = seededRandom(11);
  const x = Array.from({ length: 21 }, () => rand() * 100);
  const y = Array.from({ length: 21 }, () => rand() * 100 + 15);
  const exact = mannWhitneyOneSided(x, y, 'greater', 21);
  const normal = mannWhitneyOneSided(x, y, 'greater');
  assert.equal(exact.method, 'exact');
  assert.equal(normal.method, 'normal');
  near(normal.pValue, exact.pValue, 0.002);
});

test('one-sided bounds of a ratio invert the scaled test: just inside is not rejected at alpha, just outside is', () => {
  const x = [12, 15, 9, 20, 17, 11, 14, 13];
  const y = [19, 25, 16, 28, 22, 30, 21, 18];
  const alpha = 0.05;
  const b = oneSidedBounds(pairwiseRatios(x, y), x.length, y.length, alpha);
  const pGreater = (k: number): number => mannWhitneyOneSided(x.map((v) => v * k), y, 'greater').pValue;
  const pLess = (k: number): number => mannWhitneyOneSided(x.map((v) => v * k), y, 'less').pValue;
  assert.ok(pGreater(b.lower * 0.999) <= alpha, `y > x * (just below the lower bound): p ${pGreater(b.lower * 0.999)}`);
  assert.ok(pGreater(b.lower * 1.001) > alpha, `y > x * (just above the lower bound): p ${pGreater(b.lower * 1.001)}`);
  assert.ok(pLess(b.upper * 1.001) <= alpha);
  assert.ok(pLess(b.upper * 0.999) > alpha);
  // the same for a shift, with differences
  const d = oneSidedBounds(pairwiseDifferences(x, y), x.length, y.length, alpha);
  const pShift = (s: number): number => mannWhitneyOneSided(x.map((v) => v + s), y, 'greater').pValue;
  assert.ok(pShift(d.lower - 0.01) <= alpha && pShift(d.lower + 0.01) > alpha);
  assert.deepEqual(oneSidedBounds(pairwiseRatios([1, 2], [3, 4]), 2, 2, 0.01), { lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY });
});

test('the baseline moved by the floor: scaled when every round is positive, shifted by a share of the median otherwise', () => {
  assert.equal(changeModelOf([1, 2, 3]), 'ratio');
  assert.equal(changeModelOf([0, 2, 3]), 'shift');
  assert.equal(changeModelOf([-5, 2, 3]), 'shift');
  assert.deepEqual(moveBaseline([100, 200], 10, 'ratio'), [110.00000000000001, 220.00000000000003]);
  assert.deepEqual(moveBaseline([100, 200], -10, 'ratio'), [90, 180]);
  assert.deepEqual(moveBaseline([100, 200], -150, 'ratio'), [0, 0]);
  assert.deepEqual(moveBaseline([-100, 0, 300], 10, 'shift'), [-100, 0, 300]);
  assert.deepEqual(moveBaseline([-100, 50, 300], 10, 'shift'), [-95, 55, 305]);
});

test('rounds needed and more rounds for a one-sided test', () => {
  assert.equal(minRoundsFor(0.01, 1), 5); // 1 / C(10, 5) = 0.004; 1 / C(8, 4) = 0.014
  assert.equal(minRoundsFor(0.01 / 25, 1), 7); // 1 / C(14, 7) = 0.00029
  assert.equal(minRoundsFor(0.01 / 25), 8); // two-sided: 2 / C(16, 8) = 0.00016
  const zCrit = normalIsf(0.01);
  assert.equal(moreRoundsForSignificance(zCrit / 2, 10, 10, 0.01, 1), 30);
  assert.equal(moreRoundsForSignificance(zCrit + 0.1, 10, 10, 0.01, 1), 0);
  assert.equal(moreRoundsForSignificance(-zCrit * 2, 10, 10, 0.01, 1), null); // the wrong way: more rounds do not help
});
