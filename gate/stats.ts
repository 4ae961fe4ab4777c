// Statistics of the gate: the Mann–Whitney U test, two-sided and one-sided (exact for small samples, normal
// approximation with tie and continuity corrections otherwise), the Hodges–Lehmann estimate of a shift or ratio
// with its distribution-free confidence bounds, Holm's adjustment, and how many more rounds would settle an
// undecided comparison. Pure functions, no dependencies.

/** Largest group size for which p-values are exact (counts stay below 2^53: C(40, 20) ≈ 1.4e11). */
export const EXACT_MAX_N = 20;

/** Median of `values` (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Ranks of `values` (1-based) with tied values given the mean of their ranks (midranks). */
export function midranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length).fill(0);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && (order[end + 1] as { v: number }).v === (order[start] as { v: number }).v) end += 1;
    const rank = (start + end + 2) / 2;
    for (let k = start; k <= end; k += 1) ranks[(order[k] as { i: number }).i] = rank;
    start = end + 1;
  }
  return ranks;
}

/** Sizes of the groups of tied values in `values` (only groups of 2 or more). */
export function tieGroups(values: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.values()].filter((t) => t > 1);
}

/** erfc(x), accurate to about 1e-14 relative: a positive-term series below 2, a continued fraction above. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)); all terms positive
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && term > sum * 1e-17; n += 1) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  if (x > 27) return 0;
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), modified Lentz
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n += 1) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? 1 / tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Upper tail of the standard normal distribution, P(Z > z). */
export function normalSf(z: number): number {
  return erfc(z / Math.SQRT2) / 2;
}

/** The z with P(Z > z) = p, for 0 < p < 1 (bisection on normalSf; error below 1e-12). */
export function normalIsf(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalIsf needs 0 < p < 1, got ${p}`);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-13; i += 1) {
    const mid = (lo + hi) / 2;
    if (normalSf(mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const uCountCache = new Map<string, Float64Array>();

/**
 * Null distribution of U for groups of sizes m and n without ties: element u is the number of the C(m+n, m)
 * orderings with U = u (u = 0..m*n), by the recurrence f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u)
 * (Mann & Whitney 1947). Exact for m + n <= 2 * EXACT_MAX_N.
 */
export function uDistribution(m: number, n: number): Float64Array {
  const key = `${m},${n}`;
  const cached = uCountCache.get(key);
  if (cached) return cached;
  let out: Float64Array;
  if (m === 0 || n === 0) {
    out = new Float64Array([1]);
  } else {
    out = new Float64Array(m * n + 1);
    const takeX = uDistribution(m - 1, n); // the largest value is an x: it beats all n ys
    const takeY = uDistribution(m, n - 1); // the largest value is a y: it adds nothing to U
    takeX.forEach((c, u) => {
      out[u + n] = (out[u + n] as number) + c;
    });
    takeY.forEach((c, u) => {
      out[u] = (out[u] as number) + c;
    });
  }
  uCountCache.set(key, out);
  return out;
}

/** Binomial coefficient C(n, k) as a double (exact while below 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  const kk = Math.min(k, n - k);
  for (let i = 1; i <= kk; i += 1) r = (r * (n - kk + i)) / i;
  return Math.round(r);
}

/** How a p-value was computed. */
export type PMethod = 'exact' | 'normal';

/** Result of a two-sided Mann–Whitney U test of x against y. */
export interface MannWhitneyResult {
  n1: number;
  n2: number;
  /** U of x: pairs (x_i, y_j) with x_i > y_j, ties counting 1/2. */
  u1: number;
  /** U of y: n1*n2 - u1. */
  u2: number;
  /** Normal score (u2 - n1*n2/2) / sigma with the tie correction, no continuity correction; positive when y tends to be larger. */
  z: number;
  /** Two-sided p-value. */
  pValue: number;
  method: PMethod;
  /** True when x and y share at least one tied value across or within groups. */
  ties: boolean;
}

/**
 * Two-sided Mann–Whitney U test of x against y (Wilcoxon rank-sum).
 * Exact when both groups have at most `exactMaxN` values: the permutation distribution of U (no ties) or of
 * the midrank sum (ties, counted by dynamic programming), p = P(|W - E W| >= |w - E W|).
 * Otherwise the normal approximation with the tie-corrected variance and a continuity correction of 1/2,
 * p = 2 * P(Z > (|U - n1 n2 / 2| - 1/2) / sigma), as scipy.stats.mannwhitneyu(method="asymptotic").
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], exactMaxN = EXACT_MAX_N): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU needs at least one value in each group');
  const all = [...x, ...y];
  const ranks = midranks(all);
  let r1 = 0;
  for (let i = 0; i < n1; i += 1) r1 += ranks[i] as number;
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const ties = tieGroups(all);
  const tieTerm = ties.reduce((s, t) => s + t * t * t - t, 0);
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const sigma = Math.sqrt(Math.max(0, variance));
  const z = sigma > 0 ? (u2 - mu) / sigma : 0;
  const base = { n1, n2, u1, u2, z, ties: ties.length > 0 };
  if (n1 <= exactMaxN && n2 <= exactMaxN) {
    const p = ties.length === 0 ? exactPNoTies(u1, n1, n2) : exactPTies(ranks, n1, r1);
    return { ...base, pValue: p, method: 'exact' };
  }
  if (sigma === 0) return { ...base, pValue: 1, method: 'normal' };
  const zc = (Math.abs(u1 - mu) - 0.5) / sigma;
  return { ...base, pValue: Math.min(1, 2 * normalSf(zc)), method: 'normal' };
}

/** Exact two-sided p without ties: 2 * P(U <= min(u1, u2)), capped at 1 (the distribution is symmetric). */
function exactPNoTies(u1: number, n1: number, n2: number): number {
  const counts = uDistribution(n1, n2);
  const total = binomial(n1 + n2, n1);
  const low = Math.min(u1, n1 * n2 - u1);
  let tail = 0;
  for (let u = 0; u <= low; u += 1) tail += counts[u] as number;
  return Math.min(1, (2 * tail) / total);
}

/**
 * Exact two-sided p with ties: counts the C(n, n1) ways to pick n1 of the midranks by their doubled sum
 * (an integer), then sums the probability of sums at least as far from the mean as the observed one.
 */
function exactPTies(ranks: readonly number[], n1: number, r1: number): number {
  const { counts, total, mean } = tiedSumCounts(ranks, n1);
  const observed = Math.abs(2 * r1 - mean);
  let tail = 0;
  for (let s = 0; s < counts.length; s += 1) {
    // a small tolerance keeps the observed sum itself in the tail despite floating-point noise in the mean
    if (Math.abs(s - mean) >= observed - 1e-9) tail += counts[s] as number;
  }
  return Math.min(1, tail / total);
}

/**
 * Null distribution of the doubled midrank sum of x (n1 of the ranks picked at random): element s counts the
 * subsets with doubled sum s, by dynamic programming; `total` is C(n, n1) and `mean` the expected doubled sum.
 */
function tiedSumCounts(ranks: readonly number[], n1: number): { counts: Float64Array; total: number; mean: number } {
  const doubled = ranks.map((r) => Math.round(2 * r));
  const maxSum = doubled.reduce((s, r) => s + r, 0);
  // ways[k * (maxSum + 1) + s]: subsets of size k with doubled sum s
  const width = maxSum + 1;
  const ways = new Float64Array((n1 + 1) * width);
  ways[0] = 1;
  let reach = 0;
  for (const r of doubled) {
    reach += r;
    for (let k = n1; k >= 1; k -= 1) {
      const row = k * width;
      const prev = (k - 1) * width;
      for (let s = Math.min(reach, maxSum); s >= r; s -= 1) {
        const add = ways[prev + s - r] as number;
        if (add !== 0) ways[row + s] = (ways[row + s] as number) + add;
      }
    }
  }
  return { counts: ways.subarray(n1 * width, (n1 + 1) * width), total: binomial(ranks.length, n1), mean: (n1 * maxSum) / ranks.length };
}

/** Direction of a one-sided test: y tends to be larger than x (`greater`) or smaller (`less`). */
export type Alternative = 'greater' | 'less';

/** Result of a one-sided Mann–Whitney U test of y against x. */
export interface OneSidedResult {
  n1: number;
  n2: number;
  /** U of y: pairs (x_i, y_j) with y_j > x_i, ties counting 1/2. */
  u2: number;
  /** Normal score (u2 - n1*n2/2) / sigma with the tie correction, no continuity correction; positive when y tends to be larger. */
  z: number;
  /** One-sided p-value: P(U of y >= u2) for `greater`, P(U of y <= u2) for `less`, under exchangeability of x and y. */
  pValue: number;
  method: PMethod;
}

/**
 * One-sided Mann–Whitney U test of y against x. Exact when both groups have at most `exactMaxN` values (the
 * permutation distribution of U, or of the midrank sum when there are ties); otherwise the normal approximation
 * with the tie-corrected variance and a continuity correction of 1/2, p = P(Z > (u2 - n1 n2 / 2 - 1/2) / sigma)
 * for `greater` (as scipy.stats.mannwhitneyu(method="asymptotic", alternative="greater") with the groups swapped).
 */
export function mannWhitneyOneSided(x: readonly number[], y: readonly number[], alternative: Alternative, exactMaxN = EXACT_MAX_N): OneSidedResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyOneSided needs at least one value in each group');
  const all = [...x, ...y];
  const ranks = midranks(all);
  let r1 = 0;
  for (let i = 0; i < n1; i += 1) r1 += ranks[i] as number;
  const u2 = n1 * n2 - (r1 - (n1 * (n1 + 1)) / 2);
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const ties = tieGroups(all);
  const tieTerm = ties.reduce((s, t) => s + t * t * t - t, 0);
  const sigma = Math.sqrt(Math.max(0, ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)))));
  const z = sigma > 0 ? (u2 - mu) / sigma : 0;
  const base = { n1, n2, u2, z };
  if (n1 <= exactMaxN && n2 <= exactMaxN) {
    let tail = 0;
    let total: number;
    if (ties.length === 0) {
      // U of y >= u2 is U of x <= n1 n2 - u2; U of y <= u2 is U of x >= n1 n2 - u2, i.e. U of y <= u2 by symmetry
      const counts = uDistribution(n1, n2);
      total = binomial(n, n1);
      const upTo = alternative === 'greater' ? n1 * n2 - u2 : u2;
      for (let u = 0; u <= upTo; u += 1) tail += counts[u] as number;
    } else {
      // y larger means a smaller rank sum of x
      const dist = tiedSumCounts(ranks, n1);
      total = dist.total;
      const observed = 2 * r1;
      for (let s = 0; s < dist.counts.length; s += 1) {
        if (alternative === 'greater' ? s <= observed + 1e-9 : s >= observed - 1e-9) tail += dist.counts[s] as number;
      }
    }
    return { ...base, pValue: Math.min(1, tail / total), method: 'exact' };
  }
  if (sigma === 0) return { ...base, pValue: 1, method: 'normal' };
  const excess = alternative === 'greater' ? u2 - mu : mu - u2;
  return { ...base, pValue: Math.min(1, normalSf((excess - 0.5) / sigma)), method: 'normal' };
}

/** Hodges–Lehmann estimate of the shift from x to y: the median of all n1*n2 differences y_j - x_i. */
export function hodgesLehmann(x: readonly number[], y: readonly number[]): number {
  return median(pairwiseDifferences(x, y));
}

/** All differences y_j - x_i, sorted ascending. */
export function pairwiseDifferences(x: readonly number[], y: readonly number[]): number[] {
  const out: number[] = [];
  for (const b of y) for (const a of x) out.push(b - a);
  return out.sort((a, b) => a - b);
}

/**
 * Largest c with P(U <= c) <= alpha / 2 under the null (no ties), or -1 when no such c exists (samples too
 * small for this alpha). Exact for small groups, normal approximation with continuity correction otherwise.
 */
export function uCriticalValue(n1: number, n2: number, alpha: number, exactMaxN = EXACT_MAX_N): number {
  if (n1 <= exactMaxN && n2 <= exactMaxN) {
    const counts = uDistribution(n1, n2);
    const total = binomial(n1 + n2, n1);
    let cum = 0;
    let c = -1;
    for (let u = 0; u < counts.length; u += 1) {
      cum += counts[u] as number;
      if (cum / total <= alpha / 2) c = u;
      else break;
    }
    return c;
  }
  const sigma = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  return Math.max(-1, Math.floor((n1 * n2) / 2 - 0.5 - normalIsf(alpha / 2) * sigma));
}

/**
 * Distribution-free 1 - alpha confidence interval of the shift from x to y (Moses 1965; Hollander & Wolfe,
 * Nonparametric Statistical Methods, §4.3): [D(c+1), D(n1 n2 - c)] of the sorted differences y_j - x_i, with c
 * from uCriticalValue. Bounds are -Infinity/Infinity when the samples are too small for this alpha.
 */
export function shiftInterval(x: readonly number[], y: readonly number[], alpha: number): { lower: number; upper: number } {
  const d = pairwiseDifferences(x, y);
  const c = uCriticalValue(x.length, y.length, alpha);
  if (c < 0) return { lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY };
  return { lower: d[c] as number, upper: d[d.length - 1 - c] as number };
}

/** All ratios y_j / x_i, sorted ascending; every x_i must be positive. */
export function pairwiseRatios(x: readonly number[], y: readonly number[]): number[] {
  const out: number[] = [];
  for (const b of y) for (const a of x) out.push(b / a);
  return out.sort((a, b) => a - b);
}

/**
 * One-sided 1 - alpha confidence bounds from the sorted pairwise comparisons `sorted` (differences y_j - x_i
 * for a shift, ratios y_j / x_i for a scale change) of groups of n1 and n2: `lower` is D(c+1) and `upper`
 * D(n1 n2 - c), with c the largest value with P(U <= c) <= alpha. Each bound alone holds with confidence
 * 1 - alpha (together they are a 1 - 2 alpha interval): `lower` is the smallest change the one-sided test of
 * "y is larger than x changed by it" does not reject at alpha, `upper` likewise for "smaller". Bounds are
 * -Infinity/Infinity when the groups are too small for this alpha.
 */
export function oneSidedBounds(sorted: readonly number[], n1: number, n2: number, alpha: number): { lower: number; upper: number } {
  const c = uCriticalValue(n1, n2, 2 * alpha);
  if (c < 0 || sorted.length !== n1 * n2) return { lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY };
  return { lower: sorted[c] as number, upper: sorted[sorted.length - 1 - c] as number };
}

/**
 * Smallest equal group size n for which the exact test can reach p < alpha: two-sided, 2 / C(2n, n) < alpha;
 * one-sided (`sides` 1), 1 / C(2n, n) < alpha.
 */
export function minRoundsFor(alpha: number, sides: 1 | 2 = 2): number {
  let n = 1;
  while (sides / binomial(2 * n, n) >= alpha && n < 1000) n += 1;
  return n;
}

/** Effective group size of two groups for scaling arguments: 2 n1 n2 / (n1 + n2) (= n when both are n). */
export function effectiveN(n1: number, n2: number): number {
  return (2 * n1 * n2) / (n1 + n2);
}

/** Above this, "more rounds" estimates are reported as undecidable (null). */
export const MAX_MORE_ROUNDS = 1000;

/**
 * Extra rounds per group that would make an effect with normal score `z`, seen at group sizes n1 and n2,
 * significant at `alpha` (two-sided; one-sided with `sides` 1, where only a positive z counts), assuming it is
 * real: z grows with sqrt(n), so n_needed = n_eff * (z_crit / z)^2. Returns 0 when already significant, null
 * when z is 0 (or, one-sided, not positive) or the estimate exceeds MAX_MORE_ROUNDS.
 */
export function moreRoundsForSignificance(z: number, n1: number, n2: number, alpha: number, sides: 1 | 2 = 2): number | null {
  const zCrit = normalIsf(alpha / sides);
  if (sides === 1 && !(z > 0)) return null;
  if (Math.abs(z) >= zCrit) return 0;
  if (z === 0 || !Number.isFinite(z)) return null;
  return roundsFromRatio(effectiveN(n1, n2), zCrit / Math.abs(z));
}

/**
 * Extra rounds per group that would shrink a confidence half-width `halfWidth` (seen at group sizes n1, n2)
 * to `target`, since the width falls with 1/sqrt(n): n_needed = n_eff * (halfWidth / target)^2.
 * Returns 0 when already narrow enough, null when target <= 0, halfWidth is infinite, or the estimate
 * exceeds MAX_MORE_ROUNDS.
 */
export function moreRoundsForWidth(halfWidth: number, target: number, n1: number, n2: number): number | null {
  if (halfWidth <= target) return 0;
  if (!(target > 0) || !Number.isFinite(halfWidth)) return null;
  return roundsFromRatio(effectiveN(n1, n2), halfWidth / target);
}

function roundsFromRatio(nEff: number, ratio: number): number | null {
  const more = Math.ceil(nEff * ratio * ratio - nEff - 1e-9);
  return more > MAX_MORE_ROUNDS ? null : Math.max(1, more);
}

/**
 * Holm–Bonferroni adjusted p-values (Holm 1979), in the input order: sorted ascending, the i-th smallest
 * (0-based) becomes max over j <= i of min(1, (m - j) p_(j)). Rejecting where adjusted p < alpha keeps the
 * chance of any false positive among the m tests below alpha.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const out = new Array<number>(m).fill(1);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
