// Two runs of one scenario, before and after: the change of each figure, and whether it lies beyond the per-second
// noise of both runs — never a verdict. One pair of runs cannot tell a real change from run-to-run noise; the gate's
// rounds can. Shared by the terminal, Markdown and HTML views. Pure.
import type { RunResult, TransportResult } from '../lib/result.ts';
import { NONE, formatDelta } from './format.ts';
import { cellText, type MetricDef } from './metrics.ts';
import { MIN_WINDOW_SECONDS, separate } from './noise.ts';
import { isComparable } from './ranking.ts';

/** How several results are shown together. */
export type Layout = 'single' | 'before-after' | 'side-by-side';

/** Two results of the same scenario are a before/after pair; anything else is shown side by side. */
export function layoutFor(results: readonly RunResult[]): Layout {
  if (results.length === 1) return 'single';
  const [a, b] = results;
  if (results.length === 2 && a && b && a.scenario === b.scenario) return 'before-after';
  return 'side-by-side';
}

/** Where a change lies against the two runs' per-second noise. */
export type NoiseTag = 'within' | 'beyond' | 'too-few-seconds';

/** How each view names a noise tag: a one-character mark (terminal), a label (cells) and its meaning (legends). */
export const NOISE_TAGS: Record<NoiseTag, { mark: string; label: string; meaning: string }> = {
  within: { mark: '~', label: 'within noise', meaning: "within noise: the two runs' notched medians of their window seconds overlap" },
  beyond: { mark: '>', label: 'beyond noise', meaning: 'beyond noise: they do not overlap (worth a gate run, still not a verdict)' },
  'too-few-seconds': { mark: '?', label: 'too few seconds', meaning: `too few seconds: a run has fewer than ${MIN_WINDOW_SECONDS} window seconds to tell` },
};

/** What a before/after cell holds and what its tags mean (Markdown and HTML; the terminal shows the marks). */
export const CHANGE_LEGEND = `Each cell: before → after and the change relative to before (one value when nothing changed). ${Object.values(NOISE_TAGS)
  .map((t) => `${(t.meaning[0] ?? '').toUpperCase()}${t.meaning.slice(1)}.`)
  .join(' ')} Without a tag: an exact count, a figure without a per-second series, or a side whose figures are invalid.`;

/** The sentence every before/after view ends with: where a verdict comes from. */
export const GATE_SENTENCE =
  'One pair of runs cannot tell a real change from run-to-run noise, so no change here is called an improvement or a regression. For a verdict, run `rtbench gate`: it repeats the scenario in rounds and compares the rounds with a Mann–Whitney U test (docs/gate.md).';

/** One metric of one transport, before and after: what every before/after view shows in its cell. */
export type BeforeAfterCell =
  /** Nothing comparable (a side missing or not measured): the two texts, or one when they agree. */
  | { kind: 'text'; text: string; bothMissing: boolean }
  /** The same value on both sides. */
  | { kind: 'same'; text: string }
  /** A change: its relative delta, and where it lies against the per-second noise when both runs have a series. */
  | { kind: 'changed'; before: number; after: number; beforeText: string; afterText: string; delta: string; noise?: NoiseTag };

/** Where the change of a per-second row lies; undefined for an exact row, one without a series, or an invalid side. */
export function noiseTag(def: MetricDef, b: TransportResult, a: TransportResult): NoiseTag | undefined {
  const series = def.noise;
  if (series === undefined || series === 'exact' || !isComparable(b) || !isComparable(a)) return undefined;
  const s = separate(series(b), series(a));
  return s === 'too-few-seconds' ? 'too-few-seconds' : s === 'within' ? 'within' : 'beyond';
}

/** Compares one metric of a transport before and after (either side may be missing). */
export function beforeAfterCell(def: MetricDef, b: TransportResult | undefined, a: TransportResult | undefined): BeforeAfterCell {
  const bv = b ? def.value(b) : undefined;
  const av = a ? def.value(a) : undefined;
  const bt = b ? cellText(def, b) : NONE;
  const at = a ? cellText(def, a) : NONE;
  if (bv === undefined && av === undefined) return { kind: 'text', text: bt === at ? at : `${bt} → ${at}`, bothMissing: true };
  if (bv === undefined || av === undefined || !b || !a) return { kind: 'text', text: `${bt} → ${at}`, bothMissing: false };
  if (bv === av) return { kind: 'same', text: at };
  const noise = noiseTag(def, b, a);
  return { kind: 'changed', before: bv, after: av, beforeText: bt, afterText: at, delta: formatDelta(bv, av), ...(noise ? { noise } : {}) };
}
