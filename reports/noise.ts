// The tie rule: does a difference between two figures stand out from the run's own second-to-second noise?
// Each figure is judged on the values of the measured window's seconds (one per second of the timeline). A
// difference counts only when the two notched-median intervals, median ± 1.58 · IQR / √n, do not overlap
// (McGill, Tukey and Larsen 1978; hinges and IQR as Tukey's five-number summary, which R's boxplot.stats uses).
// Otherwise it is a tie. Fewer than MIN_WINDOW_SECONDS seconds cannot be told from noise at all. Pure.

/** Half-width of a notch in IQR / √n: non-overlapping notches differ at roughly the 5% level. */
export const NOTCH_FACTOR = 1.58;

/** Fewest window seconds a figure needs before a difference in it can be told from noise. */
export const MIN_WINDOW_SECONDS = 3;

/** Tukey's five-number summary [min, lower hinge, median, upper hinge, max] (R's fivenum); undefined when empty. */
export function fiveNumber(values: readonly number[]): [number, number, number, number, number] | undefined {
  const x = [...values].sort((a, b) => a - b);
  const n = x.length;
  if (n === 0) return undefined;
  const n4 = Math.floor((n + 3) / 2) / 2;
  // 1-based positions; a half position averages its two neighbours
  const at = (d: number): number => ((x[Math.floor(d) - 1] as number) + (x[Math.ceil(d) - 1] as number)) / 2;
  return [at(1), at(n4), at((n + 1) / 2), at(n + 1 - n4), at(n)];
}

/** The notched-median interval of some values. */
export interface Notch {
  n: number;
  median: number;
  lowerHinge: number;
  upperHinge: number;
  /** median - NOTCH_FACTOR x IQR / √n */
  lo: number;
  /** median + NOTCH_FACTOR x IQR / √n */
  hi: number;
}

/** The notch of `values` (undefined when empty). */
export function notch(values: readonly number[]): Notch | undefined {
  const f = fiveNumber(values);
  if (!f) return undefined;
  const [, lowerHinge, median, upperHinge] = f;
  const half = (NOTCH_FACTOR * (upperHinge - lowerHinge)) / Math.sqrt(values.length);
  return { n: values.length, median, lowerHinge, upperHinge, lo: median - half, hi: median + half };
}

/** True when the two intervals share a point (touching counts as overlapping: a tie). */
export function notchesOverlap(a: Notch, b: Notch): boolean {
  return a.lo <= b.hi && b.lo <= a.hi;
}

/** How two series of window seconds compare: one lower beyond noise, within noise, or too few seconds to tell. */
export type Separation = 'a-lower' | 'b-lower' | 'within' | 'too-few-seconds';

/** Compares the window seconds of two figures with the notch rule. */
export function separate(a: readonly number[], b: readonly number[]): Separation {
  if (a.length < MIN_WINDOW_SECONDS || b.length < MIN_WINDOW_SECONDS) return 'too-few-seconds';
  const na = notch(a);
  const nb = notch(b);
  if (!na || !nb || notchesOverlap(na, nb)) return 'within';
  return na.hi < nb.lo ? 'a-lower' : 'b-lower';
}

/** One transport's figure in a row: the value shown, and the values of its window seconds. */
export interface RowEntry {
  value: number;
  seconds: readonly number[];
}

/** The verdict on one row of transports. Indexes point into the entries. */
export interface RowRanking {
  /**
   * winner: the leader is clear of every other entry; joint: the leader and `withinNoise` are clear of the rest;
   * tie: every entry is within the leader's noise; too-few-seconds: some entry has fewer than MIN_WINDOW_SECONDS.
   */
  verdict: 'winner' | 'joint' | 'tie' | 'too-few-seconds';
  /** The entries that share first place (empty for a tie or too few seconds). */
  best: number[];
  /** The entry with the best value (the first of equal ones). */
  leader: number;
  /** The other entries the leader cannot be told from. */
  withinNoise: number[];
}

/**
 * Ranks a row: the leader is the best value in the row's direction; an entry is behind it only when its notch
 * lies wholly on the worse side of the leader's. Undefined for fewer than two entries.
 */
export function rankRow(entries: readonly RowEntry[], better: 'lower' | 'higher'): RowRanking | undefined {
  if (entries.length < 2) return undefined;
  let leader = 0;
  entries.forEach((e, i) => {
    const lead = entries[leader] as RowEntry;
    if (better === 'lower' ? e.value < lead.value : e.value > lead.value) leader = i;
  });
  const others = entries.map((_, i) => i).filter((i) => i !== leader);
  if (entries.some((e) => e.seconds.length < MIN_WINDOW_SECONDS)) return { verdict: 'too-few-seconds', best: [], leader, withinNoise: others };
  const lead = (entries[leader] as RowEntry).seconds;
  const behind = (i: number): boolean => {
    const s = separate(lead, (entries[i] as RowEntry).seconds);
    return better === 'lower' ? s === 'a-lower' : s === 'b-lower';
  };
  const withinNoise = others.filter((i) => !behind(i));
  if (withinNoise.length === 0) return { verdict: 'winner', best: [leader], leader, withinNoise };
  if (withinNoise.length === others.length) return { verdict: 'tie', best: [], leader, withinNoise };
  return { verdict: 'joint', best: [leader, ...withinNoise].sort((a, b) => a - b), leader, withinNoise };
}
