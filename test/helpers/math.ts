// Small helpers the statistics tests share.
import assert from 'node:assert/strict';

/** Asserts |actual - expected| <= tol. */
export function near(actual: number, expected: number, tol: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);
}

/** Every way to choose k of the indexes 0..n-1. */
export function* combinations(n: number, k: number, start = 0, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === k) {
    yield prefix;
    return;
  }
  for (let i = start; i <= n - (k - prefix.length); i += 1) yield* combinations(n, k, i + 1, [...prefix, i]);
}

/** U of x against y by direct pair counting (ties 1/2). */
export function directU(x: readonly number[], y: readonly number[]): number {
  let u = 0;
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0;
  return u;
}
