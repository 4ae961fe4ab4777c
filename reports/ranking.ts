// Which transport won each row of one run, or why none did: a count compared as displayed, a timed figure
// compared with the tie rule of reports/noise.ts over the window's seconds, or a timed figure without a
// per-second series, which is never ranked. Pure.
import type { RunResult, TransportResult } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import { METRICS, invalidReasonsOf, orderedTransports, type MetricDef } from './metrics.ts';
import { MIN_WINDOW_SECONDS, rankRow } from './noise.ts';

/** True when a transport's figures may compete for "best": it finished, its generator kept up, and nothing invalidates it. */
export function isComparable(t: TransportResult): boolean {
  return t.status === 'ok' && t.driver?.saturated !== true && t.pollCeiling?.generatorSaturated !== true && invalidReasonsOf(t).length === 0;
}

/**
 * The verdict on a row. winner / joint: `best` won beyond noise; tie: the leader is within the others' noise;
 * too-few-seconds: a transport has fewer than MIN_WINDOW_SECONDS window seconds; unranked: a timed figure without a
 * per-second series (or a result without timelines); none: no direction, fewer than two comparable values, or every value looks the same.
 */
export interface Ranking {
  kind: 'winner' | 'joint' | 'tie' | 'too-few-seconds' | 'unranked' | 'none';
  /** Indexes (into the transports) marked best. */
  best: number[];
  /** The index with the best value, when any transport competed. */
  leader?: number;
  /** Indexes the leader cannot be told from (tie, joint, too-few-seconds). */
  withinNoise: number[];
  /** Fewest window seconds of the compared transports (per-second rows only). */
  seconds?: number;
}

const NONE: Ranking = { kind: 'none', best: [], withinNoise: [] };

/** Ranks one row of `transports`; transports that are not comparable do not compete. */
export function rankMetric(def: MetricDef, transports: readonly TransportResult[]): Ranking {
  if (def.better === null) return NONE;
  const values: Array<{ i: number; v: number }> = [];
  transports.forEach((t, i) => {
    const v = def.value(t);
    if (isComparable(t) && v !== undefined && Number.isFinite(v)) values.push({ i, v });
  });
  if (values.length < 2) return NONE;
  const nums = values.map((x) => x.v);
  const best = def.better === 'lower' ? Math.min(...nums) : Math.max(...nums);
  const worst = def.better === 'lower' ? Math.max(...nums) : Math.min(...nums);
  // equal as displayed counts as equal: 199.7/s and 200.1/s both show "200/s", and neither won
  const bestText = def.format(best);
  if (best === worst || def.format(worst) === bestText) return NONE;
  const leader = values.find((x) => x.v === best)?.i;
  const noise = def.noise;
  if (noise === undefined) return { kind: 'unranked', best: [], ...(leader === undefined ? {} : { leader }), withinNoise: [] };
  if (noise === 'exact') {
    const tied = values.filter((x) => x.v === best || def.format(x.v) === bestText).map((x) => x.i);
    return { kind: tied.length === 1 ? 'winner' : 'joint', best: tied, ...(leader === undefined ? {} : { leader }), withinNoise: tied.filter((i) => i !== leader) };
  }
  const entries = values.map((x) => ({ value: x.v, seconds: noise(transports[x.i] as TransportResult) }));
  // a result without any per-second series (an idle sweep, a capacity search) is not "too few seconds": it has none
  if (entries.every((e) => e.seconds.length === 0)) return { kind: 'unranked', best: [], ...(leader === undefined ? {} : { leader }), withinNoise: [] };
  const r = rankRow(entries, def.better);
  if (!r) return NONE;
  const at = (j: number): number => (values[j] as { i: number }).i;
  return { kind: r.verdict, best: r.best.map(at), leader: at(r.leader), withinNoise: r.withinNoise.map(at), seconds: Math.min(...entries.map((e) => e.seconds.length)) };
}

/** Indexes (into `transports`) marked best in a row: the winner, or those sharing first place beyond the rest. */
export function bestIndexes(def: MetricDef, transports: readonly TransportResult[]): number[] {
  return rankMetric(def, transports).best;
}

/** A row's verdict with names: who won, or who leads and whom it cannot be told from. */
export interface Verdict {
  metric: MetricDef;
  kind: Ranking['kind'];
  /** The winners (empty when nobody won). */
  transports: Transport[];
  /** The transport with the best value, and that value formatted. */
  leader: Transport;
  value: string;
  /** The transports the leader cannot be told from. */
  withinNoise: Transport[];
  /** Fewest window seconds compared (per-second rows). */
  seconds?: number;
}

/** The verdict of every row of `defs` (default the summary rows) that has a leader. */
export function verdicts(result: RunResult, defs: readonly MetricDef[] = METRICS): Verdict[] {
  const ts = orderedTransports(result);
  const out: Verdict[] = [];
  for (const def of defs) {
    const r = rankMetric(def, ts);
    const lead = r.leader === undefined ? undefined : ts[r.leader];
    const v = lead ? def.value(lead) : undefined;
    if (r.kind === 'none' || !lead || v === undefined) continue;
    const names = (idx: number[]): Transport[] => idx.map((i) => ts[i]?.transport).filter((x): x is Transport => x !== undefined);
    out.push({ metric: def, kind: r.kind, transports: names(r.best), leader: lead.transport, value: def.format(v), withinNoise: names(r.withinNoise), ...(r.seconds === undefined ? {} : { seconds: r.seconds }) });
  }
  return out;
}

/** The rows somebody won, for "who won what" summaries. */
export function winners(result: RunResult, defs: readonly MetricDef[] = METRICS): Verdict[] {
  return verdicts(result, defs).filter((v) => v.transports.length > 0);
}

/** "a", "a and b", "a, b and c". */
export function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

/** Why a row has no winner, in words after its label: "a tie: ws (1.11 ms) leads, but sse is within this run's per-second noise". */
export function noWinnerText(v: Verdict): string {
  const lead = `${v.leader} (${v.value}) leads`;
  if (v.kind === 'tie') return `a tie: ${lead}, but ${listText(v.withinNoise)} ${v.withinNoise.length === 1 ? 'is' : 'are'} within this run's per-second noise`;
  if (v.kind === 'too-few-seconds') return `cannot tell: ${lead}, but ${TOO_FEW_TEXT} (${secondsNeededText(v.seconds ?? 0)})`;
  if (v.kind === 'unranked') return `not ranked: ${lead}, but this figure has no per-second series to tell it from noise`;
  return '';
}

/** Why a row with too few window seconds has no winner. */
export const TOO_FEW_TEXT = 'the window has too few whole seconds to judge its noise';

/** "1 of 3 needed". */
export function secondsNeededText(n: number): string {
  return `${n} of ${MIN_WINDOW_SECONDS} needed`;
}

/** What a "joint" verdict adds to its winners: "(tied within noise, clear of the rest)". */
export const JOINT_TEXT = 'tied within noise, clear of the rest';
