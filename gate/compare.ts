// The gate's decision: baseline rounds versus current rounds, per scenario x transport x metric. Pure: the same
// rounds and config always give the same report. Verdicts: pass, regression, improvement, inconclusive (with
// how many more rounds would decide), fail (an exact or zero gate), skipped (nothing to compare).
import type { FanoutOptions, RunResult, TransportResult } from '../lib/result.ts';
import { UsageError } from '../lib/errors.ts';
import { TRANSPORTS, type Transport } from '../lib/transports.ts';
import type { Correction, GateConfig } from './config.ts';
import { metricValue, type Direction, type GateKind, type MetricRule } from './metrics.ts';
import {
  holmAdjust,
  mannWhitneyOneSided,
  median,
  minRoundsFor,
  moreRoundsForSignificance,
  moreRoundsForWidth,
  oneSidedBounds,
  pairwiseDifferences,
  pairwiseRatios,
  type OneSidedResult,
  type PMethod,
} from './stats.ts';

/** Outcome of one metric of one transport. */
export type Verdict = 'pass' | 'regression' | 'improvement' | 'inconclusive' | 'fail' | 'skipped';

/** Every verdict, in report order of severity. */
export const VERDICTS: readonly Verdict[] = ['fail', 'regression', 'inconclusive', 'improvement', 'pass', 'skipped'];

/** One row of the gate report. Numbers are JSON-safe: null where undefined or unbounded. */
export interface GateRow {
  scenario: string;
  transport: Transport;
  /** Metric path ("latency.p99Us"), or "status" for a transport that errored or is missing. */
  metric: string;
  gate: GateKind;
  direction: Direction;
  verdict: Verdict;
  /** Baseline figure: median over the compared rounds (statistical, exact) or worst round (zero). */
  baseline: number | null;
  /** Current figure, same summary as `baseline`; for an exact gate from a zero baseline, the worst current round. */
  current: number | null;
  /**
   * Change, percent: statistical gates, the Hodges–Lehmann estimate (median of the ratios current / baseline
   * minus 1 under the ratio model, median of the differences over the baseline median under the shift model);
   * exact gates, the change of the medians.
   */
  changePercent: number | null;
  /** Statistical gates: the one-sided 1 - alpha confidence bounds of the change, percent (each alone; together a 1 - 2 alpha interval); null bounds are unbounded. */
  ciPercent: { lower: number | null; upper: number | null } | null;
  /** Statistical gates: one-sided p-value of the regression test (current worse than the baseline moved by the floor), this comparison alone. */
  pValue: number | null;
  /** Statistical gates: pValue Holm-adjusted over the report's regression tests (= pValue without correction); a regression when below alpha. */
  pAdjusted: number | null;
  /** Statistical gates: one-sided p-value of the improvement test (current better than the baseline moved by the floor the other way). */
  pImprovement: number | null;
  /** Statistical gates: pImprovement Holm-adjusted over the report's improvement tests; an improvement when below alpha. */
  pImprovementAdjusted: number | null;
  pMethod: PMethod | null;
  /** Statistical gates: `ratio` (the baseline scaled by the floor; every baseline round above 0) or `shift` (moved by the floor's share of its median). */
  changeModel: ChangeModel | null;
  /** The floor (statistical) or tolerance (exact) that applied, percent; 0 for zero gates. */
  thresholdPercent: number;
  nBaseline: number;
  nCurrent: number;
  /** Inconclusive rows: about how many more rounds per side would decide; null when more rounds are unlikely to. */
  moreRounds: number | null;
  /** One sentence saying why. */
  reason: string;
}

/** How a statistical gate models a change: the baseline scaled (`ratio`) or moved by a share of its median (`shift`). */
export type ChangeModel = 'ratio' | 'shift';

/** Rounds of one transport left out of the exact and statistical gates, per reason and side. */
export interface GateExclusion {
  scenario: string;
  transport: Transport;
  /** Rounds whose load generator was saturated (driver.saturated): their figures are the generator's, not the server's. */
  saturated: { baseline: number; current: number };
  /** Rounds in which the transport errored: they have no figures. */
  errored: { baseline: number; current: number };
}

/** A compared scenario and how many rounds each side had. */
export interface GateScenarioSummary {
  name: string;
  baselineRounds: number;
  currentRounds: number;
}

/** The whole gate decision. */
export interface GateReport {
  kind: 'rtbench-gate-report';
  schemaVersion: 1;
  /** `regression` when any row failed or regressed (or, when strict, was inconclusive). */
  outcome: 'pass' | 'regression';
  alpha: number;
  strict: boolean;
  /** Multiple-comparison correction of the statistical gates. */
  correction: Correction;
  /** Statistical comparisons in the family (rows with a p-value): the regression tests Holm adjusts over, and separately the improvement tests. */
  comparisons: number;
  scenarios: GateScenarioSummary[];
  /** Per scenario and transport with any: the rounds left out of the exact and statistical gates, and why. */
  exclusions: GateExclusion[];
  /** Rows per verdict. */
  counts: Record<Verdict, number>;
  rows: GateRow[];
  /** One sentence each: different machines, rounds left out (saturated or errored), injected test knobs, unmatched results. */
  warnings: string[];
}

/** What compareRuns needs of the config. */
export type CompareConfig = Pick<GateConfig, 'alpha' | 'strict' | 'rules' | 'correction'> & { scenarios?: GateConfig['scenarios'] };

/** Options that define a workload: two runs are comparable only when these match (test knobs excluded). */
export const WORKLOAD_KEYS = ['scenario', 'clients', 'rate', 'payloadBytes', 'warmupMs', 'durationMs', 'pollIntervalMs', 'longPollWaitMs', 'workers', 'wsCompression'] as const satisfies readonly (keyof FanoutOptions)[];

/** Identity of a workload, for grouping rounds. */
export function workloadKey(o: FanoutOptions): string {
  return WORKLOAD_KEYS.map((k) => `${k}=${String(o[k])}`).join(' ');
}

/** The workload options that differ between two runs, as "clients: baseline 100, current 50; ...". */
export function describeWorkloadDiff(baseline: FanoutOptions, current: FanoutOptions): string {
  return WORKLOAD_KEYS.filter((k) => baseline[k] !== current[k])
    .map((k) => `${k}: baseline ${String(baseline[k])}, current ${String(current[k])}`)
    .join('; ');
}

interface Group {
  key: string;
  label: string;
  options: FanoutOptions;
  rounds: RunResult[];
}

function groupRounds(rounds: readonly RunResult[], config: CompareConfig): Group[] {
  const groups = new Map<string, Group>();
  for (const r of rounds) {
    const key = workloadKey(r.options);
    let g = groups.get(key);
    if (!g) {
      const named = config.scenarios?.find((s) => workloadKey(s.options) === key);
      g = { key, label: named?.name ?? r.scenario, options: r.options, rounds: [] };
      groups.set(key, g);
    }
    g.rounds.push(r);
  }
  return [...groups.values()];
}

const blank = {
  ciPercent: null,
  pValue: null,
  pAdjusted: null,
  pImprovement: null,
  pImprovementAdjusted: null,
  pMethod: null,
  changeModel: null,
  moreRounds: null,
  changePercent: null,
} as const;

/**
 * Compares baseline rounds with current rounds. Rounds are grouped by workload (scenario options); each group
 * of the current side is compared with the baseline group of the same workload. Interrupted runs are ignored.
 * Throws UsageError when no current group has a matching baseline group.
 */
export function compareRuns(baseline: readonly RunResult[], current: readonly RunResult[], config: CompareConfig): GateReport {
  const warnings: string[] = [];
  const usable = (rs: readonly RunResult[], side: string): RunResult[] => {
    const kept = rs.filter((r) => !r.interrupted);
    if (kept.length < rs.length) warnings.push(`${rs.length - kept.length} interrupted ${side} run(s) were left out.`);
    return kept;
  };
  const baseGroups = groupRounds(usable(baseline, 'baseline'), config);
  const curGroups = groupRounds(usable(current, 'current'), config);
  const pairs: Array<{ base: Group; cur: Group }> = [];
  for (const cur of curGroups) {
    const base = baseGroups.find((b) => b.key === cur.key);
    if (base) pairs.push({ base, cur });
    else if (baseGroups.length > 0) {
      const nearest = baseGroups.find((b) => b.options.scenario === cur.options.scenario) ?? baseGroups[0];
      warnings.push(`Current results of "${cur.label}" have no baseline with the same options (${nearest ? describeWorkloadDiff(nearest.options, cur.options) : 'none'}); they were not gated.`);
    }
  }
  for (const base of baseGroups) {
    if (!curGroups.some((c) => c.key === base.key)) warnings.push(`Baseline scenario "${base.label}" has no current results; it was not gated.`);
  }
  if (pairs.length === 0) {
    const [b] = baseGroups;
    const [c] = curGroups;
    if (!b || !c) throw new UsageError(`nothing to compare: the ${b ? 'current' : 'baseline'} side has no complete (uninterrupted) runs`);
    throw new UsageError(`the current results were run with other options than the baseline (${describeWorkloadDiff(b.options, c.options)}); re-save the baseline or align the config`);
  }

  const rows: GateRow[] = [];
  const pending: PendingTest[] = [];
  const scenarios: GateScenarioSummary[] = [];
  const exclusions: GateExclusion[] = [];
  const labels = new Set<string>();
  for (const { base, cur } of pairs) {
    // two workloads of one scenario name (no config names them) get "fanout", "fanout#2", ...
    let label = cur.label;
    for (let n = 2; labels.has(label); n += 1) label = `${cur.label}#${n}`;
    labels.add(label);
    cur.label = label;
    scenarios.push({ name: cur.label, baselineRounds: base.rounds.length, currentRounds: cur.rounds.length });
    warnings.push(...environmentWarnings(cur.label, base.rounds, cur.rounds));
    warnings.push(...knobWarnings(cur.label, base.rounds, cur.rounds));
    for (const transport of TRANSPORTS) {
      const b = base.rounds.flatMap((r) => r.transports.filter((t) => t.transport === transport));
      const c = cur.rounds.flatMap((r) => r.transports.filter((t) => t.transport === transport));
      if (b.length === 0 && c.length === 0) continue;
      const excluded = exclusionOf(cur.label, transport, b, c);
      if (excluded) {
        exclusions.push(excluded);
        warnings.push(exclusionWarning(excluded));
      }
      rows.push(...compareTransport(cur.label, transport, b, c, config, pending));
    }
  }
  // Statistical rows are decided together: the regression tests are Holm-adjusted over the run's comparisons, and
  // the improvement tests separately (an improvement never fails the gate, so it does not spend the regressions' alpha).
  const holm = (ps: number[]): number[] => (config.correction === 'holm' ? holmAdjust(ps) : ps);
  const regression = holm(pending.map((t) => t.regression.pValue));
  const improvement = holm(pending.map((t) => t.improvement.pValue));
  const family = pending.length;
  pending.forEach((t, i) => Object.assign(t.row, statisticalGate(t, regression[i] ?? 1, improvement[i] ?? 1, config, family)));
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const r of rows) counts[r.verdict] += 1;
  const failed = counts.fail + counts.regression > 0 || (config.strict && counts.inconclusive > 0);
  return {
    kind: 'rtbench-gate-report',
    schemaVersion: 1,
    outcome: failed ? 'regression' : 'pass',
    alpha: config.alpha,
    strict: config.strict,
    correction: config.correction,
    comparisons: family,
    scenarios,
    exclusions,
    counts,
    rows,
    warnings,
  };
}

/** A statistical row waiting for the family's adjusted p-values. */
interface PendingTest {
  row: GateRow;
  rule: MetricRule;
  x: readonly number[];
  y: readonly number[];
  model: ChangeModel;
  /** One-sided test of "current is worse than the baseline moved by the floor". */
  regression: OneSidedResult;
  /** One-sided test of "current is better than the baseline moved by the floor the other way". */
  improvement: OneSidedResult;
}

/** A round whose load generator was saturated: its figures are the generator's. */
const isSaturated = (t: TransportResult): boolean => t.driver?.saturated === true;

/** The rounds of one transport that the exact and statistical gates leave out, or undefined when none. */
function exclusionOf(scenario: string, transport: Transport, base: readonly TransportResult[], cur: readonly TransportResult[]): GateExclusion | undefined {
  const count = (ts: readonly TransportResult[], pick: (t: TransportResult) => boolean): number => ts.filter(pick).length;
  const errored = (t: TransportResult): boolean => t.status === 'errored';
  const saturated = (t: TransportResult): boolean => t.status === 'ok' && isSaturated(t);
  const e: GateExclusion = {
    scenario,
    transport,
    saturated: { baseline: count(base, saturated), current: count(cur, saturated) },
    errored: { baseline: count(base, errored), current: count(cur, errored) },
  };
  return e.saturated.baseline + e.saturated.current + e.errored.baseline + e.errored.current > 0 ? e : undefined;
}

/** "fanout/ws: left out of the exact and statistical gates: 2 of 10 baseline and 1 of 10 current rounds, ...". */
function exclusionWarning(e: GateExclusion): string {
  const parts: string[] = [];
  if (e.saturated.baseline + e.saturated.current > 0) {
    parts.push(`${e.saturated.baseline} baseline and ${e.saturated.current} current rounds because the load generator was saturated (their figures show the generator's limits, not the server's; the zero gates still count them)`);
  }
  if (e.errored.baseline + e.errored.current > 0) parts.push(`${e.errored.baseline} baseline and ${e.errored.current} current rounds because the transport errored`);
  return `${e.scenario}/${e.transport}: left out of the exact and statistical gates: ${parts.join('; ')}.`;
}

function compareTransport(
  scenario: string,
  transport: Transport,
  base: readonly TransportResult[],
  cur: readonly TransportResult[],
  config: CompareConfig,
  pending: PendingTest[],
): GateRow[] {
  const statusRow = (verdict: Verdict, reason: string): GateRow => ({
    scenario,
    transport,
    metric: 'status',
    gate: 'zero',
    direction: 'higher-is-worse',
    verdict,
    baseline: null,
    current: null,
    ...blank,
    thresholdPercent: 0,
    nBaseline: base.length,
    nCurrent: cur.length,
    reason,
  });
  if (cur.length === 0) return [statusRow('skipped', `${transport} is in the baseline but was not run now.`)];
  if (base.length === 0) return [statusRow('skipped', `${transport} has no baseline to compare with.`)];
  const rows: GateRow[] = [];
  const errored = cur.filter((t) => t.status === 'errored');
  if (errored.length > 0) {
    rows.push(statusRow('fail', `${transport} errored in ${errored.length} of ${cur.length} current rounds: ${errored[0]?.error ?? 'no reason recorded'}.`));
  }
  // Zero gates count every round with figures, saturated or not: a loss is a loss. The others leave saturated rounds out.
  const measuredB = base.filter((t) => t.status === 'ok');
  const measuredC = cur.filter((t) => t.status === 'ok');
  const usableB = measuredB.filter((t) => !isSaturated(t));
  const usableC = measuredC.filter((t) => !isSaturated(t));
  for (const rule of config.rules) {
    const values = (ts: readonly TransportResult[]): number[] => ts.map((t) => metricValue(t, rule.metric)).filter((v): v is number => v !== undefined);
    const zero = rule.gate === 'zero';
    const x = values(zero ? measuredB : usableB);
    const y = values(zero ? measuredC : usableC);
    const row: Omit<GateRow, 'verdict' | 'baseline' | 'current' | 'reason' | 'thresholdPercent' | keyof typeof blank> = {
      scenario,
      transport,
      metric: rule.metric,
      gate: rule.gate,
      direction: rule.direction,
      nBaseline: x.length,
      nCurrent: y.length,
    };
    if (y.length === 0 || (x.length === 0 && !zero)) {
      const side = y.length === 0 ? 'current' : 'baseline';
      const leftOut = values(side === 'current' ? measuredC : measuredB).length;
      const summary = { baseline: x.length > 0 ? median(x) : null, current: y.length > 0 ? median(y) : null };
      if (leftOut > 0) {
        // measured, but every round of that side had a saturated load generator
        const reason = `${rule.metric}: all ${leftOut} ${side} rounds were left out because the load generator was saturated; nothing to compare.`;
        rows.push({ ...row, ...blank, ...summary, verdict: 'inconclusive', thresholdPercent: 0, reason });
      } else {
        rows.push({ ...row, ...blank, ...summary, verdict: 'skipped', thresholdPercent: 0, reason: `${rule.metric} was not measured in any ${side} round.` });
      }
      continue;
    }
    if (zero) {
      const saturatedBad = measuredC.filter((t) => isSaturated(t) && (metricValue(t, rule.metric) ?? 0) > 0).length;
      rows.push({ ...row, ...zeroGate(rule, x, y, saturatedBad) });
    } else if (rule.gate === 'exact') rows.push({ ...row, ...exactGate(rule, transport, x, y) });
    else {
      const placeholder: GateRow = { ...row, ...blank, verdict: 'skipped', baseline: null, current: null, thresholdPercent: 0, reason: '' };
      rows.push(placeholder);
      pending.push({ row: placeholder, rule, x, y, ...floorTests(rule, x, y) });
    }
  }
  return rows;
}

/** The level one test must reach to be a finding: alpha, or under Holm alpha / m (Bonferroni's bound on Holm's first step). */
function alphaPerTest(config: Pick<CompareConfig, 'alpha' | 'correction'>, family: number): number {
  return config.correction === 'holm' ? config.alpha / Math.max(1, family) : config.alpha;
}

/** 1 when higher is worse, -1 when lower is worse: multiplies a change into "how much worse". */
const worseSign = (rule: MetricRule): 1 | -1 => (rule.direction === 'higher-is-worse' ? 1 : -1);

/**
 * The baseline moved by `percent` (of itself): scaled by (1 + percent/100) under the ratio model (never below 0),
 * shifted by that share of its median under the shift model.
 */
export function moveBaseline(x: readonly number[], percent: number, model: ChangeModel): number[] {
  if (model === 'ratio') {
    const k = Math.max(0, 1 + percent / 100);
    return x.map((v) => v * k);
  }
  const d = (percent / 100) * Math.abs(median(x));
  return x.map((v) => v + d);
}

/** The ratio model when every baseline round is above 0 (a relative change is then a scale), the shift model otherwise. */
export function changeModelOf(x: readonly number[]): ChangeModel {
  return x.length > 0 && x.every((v) => v > 0) ? 'ratio' : 'shift';
}

/**
 * The two one-sided tests against the floor f: regression, current worse than the baseline moved f% the worse
 * way (higher-is-worse: y > x (1 + f/100)); improvement, current better than the baseline moved f% the better way.
 */
function floorTests(rule: MetricRule, x: readonly number[], y: readonly number[]): Pick<PendingTest, 'model' | 'regression' | 'improvement'> {
  const model = changeModelOf(x);
  const sign = worseSign(rule);
  const f = rule.floorPercent;
  const up = sign === 1 ? 'greater' : 'less';
  const down = sign === 1 ? 'less' : 'greater';
  return {
    model,
    regression: mannWhitneyOneSided(moveBaseline(x, sign * f, model), y, up),
    improvement: mannWhitneyOneSided(moveBaseline(x, -sign * f, model), y, down),
  };
}

type Decision = Pick<GateRow, 'verdict' | 'baseline' | 'current' | 'reason' | 'thresholdPercent' | keyof typeof blank>;

const finiteOrNull = (n: number): number | null => (Number.isFinite(n) ? n : null);
const pct = (n: number): string => `${n > 0 ? '+' : ''}${Number(n.toPrecision(3))}%`;
const pText = (p: number): string => (p < 0.0001 ? 'p < 0.0001' : `p = ${Number(p.toPrecision(2))}`);

/** Correctness counters: every current round must be 0, saturated or not. */
function zeroGate(rule: MetricRule, x: readonly number[], y: readonly number[], saturatedBad: number): Decision {
  const worst = Math.max(...y);
  const bad = y.filter((v) => v > 0).length;
  const baseWorst = x.length > 0 ? Math.max(...x) : null;
  const verdict: Verdict = bad > 0 ? 'fail' : 'pass';
  const saturated = saturatedBad > 0 ? `, ${saturatedBad} of them with a saturated load generator` : '';
  const reason =
    bad > 0
      ? `${rule.metric} was above 0 in ${bad} of ${y.length} current rounds (worst ${worst}${saturated})${baseWorst !== null && baseWorst > 0 ? `, as in the baseline (worst ${baseWorst})` : ''}; it must be 0.`
      : `${rule.metric} was 0 in every current round.`;
  return { ...blank, verdict, baseline: baseWorst, current: worst, thresholdPercent: 0, reason };
}

/**
 * Deterministic figures, unrounded. A higher-is-worse figure that was 0 in every baseline round (requests of a
 * stream) must stay 0 in every current round: one round above 0 fails. Otherwise the medians must match within
 * the transport's tolerance.
 */
function exactGate(rule: MetricRule, transport: Transport, x: readonly number[], y: readonly number[]): Decision {
  const tolerance = rule.tolerancePercent[transport];
  if (rule.direction === 'higher-is-worse' && x.every((v) => v === 0)) {
    const bad = y.filter((v) => v > 0);
    const worst = Math.max(...y);
    if (bad.length === 0) return { ...blank, verdict: 'pass', baseline: 0, current: worst, changePercent: 0, thresholdPercent: tolerance, reason: `${rule.metric} was 0 in every baseline and current round.` };
    return {
      ...blank,
      verdict: 'fail',
      baseline: 0,
      current: worst,
      thresholdPercent: tolerance,
      reason: `${rule.metric} was 0 in every baseline round but above 0 in ${bad.length} of ${y.length} current rounds (worst ${worst}); from a zero baseline any increase fails.`,
    };
  }
  const mb = median(x);
  const mc = median(y);
  const sign = worseSign(rule);
  const diff = mc - mb;
  const allowed = (tolerance / 100) * Math.abs(mb) + 1e-9 * Math.max(1, Math.abs(mb));
  const worse = sign * diff;
  const changePercent = mb !== 0 ? (diff / Math.abs(mb)) * 100 : diff === 0 ? 0 : null;
  const change = changePercent === null ? `from ${mb} to ${mc}` : pct(changePercent);
  let verdict: Verdict = 'pass';
  let reason = diff === 0 ? `${rule.metric} matches the baseline exactly.` : `${rule.metric} changed ${change}, within the ${tolerance}% tolerance for ${transport}.`;
  if (worse > allowed) {
    verdict = 'fail';
    reason = `${rule.metric} changed ${change}, beyond the ${tolerance}% tolerance for ${transport}.`;
  } else if (worse < -allowed) {
    verdict = 'improvement';
    reason = `${rule.metric} improved ${change}, beyond the ${tolerance}% tolerance for ${transport}; re-save the baseline to lock it in.`;
  }
  return { ...blank, verdict, baseline: mb, current: mc, changePercent, thresholdPercent: tolerance, reason };
}

/**
 * Noisy figures, against the floor f. Regression: the one-sided test of "current worse than the baseline moved
 * f% the worse way" rejects at the Holm-adjusted level (adjusted p < alpha). Improvement: the same the better
 * way (its own Holm family). Pass: the worse-side one-sided 1 - alpha bound of the change is within the floor (a
 * regression beyond the floor is ruled out). Otherwise inconclusive, with how many more rounds would decide.
 */
function statisticalGate(t: PendingTest, pRegression: number, pImprovement: number, config: CompareConfig, family: number): Decision {
  const { rule, x, y, model } = t;
  const { alpha } = config;
  const alphaEach = alphaPerTest(config, family);
  const mb = median(x);
  const mc = median(y);
  const floor = rule.floorPercent;
  const n1 = x.length;
  const n2 = y.length;
  let change: number;
  let lower: number;
  let upper: number;
  if (model === 'ratio') {
    const ratios = pairwiseRatios(x, y);
    const b = oneSidedBounds(ratios, n1, n2, alpha);
    change = (median(ratios) - 1) * 100;
    lower = (b.lower - 1) * 100;
    upper = (b.upper - 1) * 100;
  } else {
    const ref = Math.abs(mb);
    const rel = (d: number): number => (d === 0 ? 0 : ref === 0 ? Math.sign(d) * Number.POSITIVE_INFINITY : (d / ref) * 100);
    const diffs = pairwiseDifferences(x, y);
    const b = oneSidedBounds(diffs, n1, n2, alpha);
    change = rel(median(diffs));
    lower = rel(b.lower);
    upper = rel(b.upper);
  }
  const sign = worseSign(rule);
  const worse = sign * change;
  const worseBound = sign === 1 ? upper : -lower;
  const level = `one-sided ${Number(((1 - alpha) * 100).toPrecision(4))}%`;
  const base = {
    baseline: mb,
    current: mc,
    changePercent: finiteOrNull(change),
    ciPercent: { lower: finiteOrNull(lower), upper: finiteOrNull(upper) },
    pValue: t.regression.pValue,
    pAdjusted: pRegression,
    pImprovement: t.improvement.pValue,
    pImprovementAdjusted: pImprovement,
    pMethod: t.regression.method,
    changeModel: model,
    thresholdPercent: floor,
  };
  const adjusted = config.correction === 'holm' ? 'adjusted ' : '';
  if (pRegression < alpha) {
    return { ...base, verdict: 'regression', moreRounds: null, reason: `${rule.metric} got worse by ${pct(change)}, beyond the ${floor}% floor (${adjusted}${pText(pRegression)} against the floor).` };
  }
  if (pImprovement < alpha) {
    return { ...base, verdict: 'improvement', moreRounds: null, reason: `${rule.metric} improved by ${pct(change)}, beyond the ${floor}% floor (${adjusted}${pText(pImprovement)} against the floor).` };
  }
  const bound = pct(sign === 1 ? upper : lower);
  if (worseBound <= floor) {
    return { ...base, verdict: 'pass', moreRounds: null, reason: `${rule.metric} changed ${pct(change)}; its ${level} bound, ${bound}, rules out a regression beyond the ${floor}% floor.` };
  }
  const need = minRoundsFor(alphaEach, 1);
  if (Math.min(n1, n2) < need) {
    const at = config.correction === 'holm' && family > 1 ? `alpha ${alpha} over ${family} comparisons` : `alpha ${alpha}`;
    return { ...base, verdict: 'inconclusive', moreRounds: need - Math.min(n1, n2), reason: `${rule.metric}: ${n1} baseline and ${n2} current rounds are too few at ${at}; at least ${need} per side are needed.` };
  }
  const decide = (more: number | null): string => (more === null ? 'more rounds are unlikely to decide' : `about ${more} more rounds per side would decide`);
  if (worse > floor) {
    const more = moreRoundsForSignificance(sign * t.regression.z, n1, n2, alphaEach, 1);
    return {
      ...base,
      verdict: 'inconclusive',
      moreRounds: more,
      reason: `${rule.metric} changed ${pct(change)}, beyond the ${floor}% floor, but not with confidence (${adjusted}${pText(pRegression)} against the floor); ${decide(more)}.`,
    };
  }
  const more = moreRoundsForWidth(worseBound - worse, floor - worse, n1, n2);
  return {
    ...base,
    verdict: 'inconclusive',
    moreRounds: more,
    reason: `${rule.metric} changed ${pct(change)}, but its ${level} bound reaches ${bound}, beyond the ${floor}% floor; ${decide(more)}.`,
  };
}

function environmentWarnings(scenario: string, base: readonly RunResult[], cur: readonly RunResult[]): string[] {
  const describe = (r: RunResult): string => `${r.environment.cpus} x ${r.environment.cpuModel}, Node ${r.environment.node}, ${r.environment.platform} ${r.environment.arch}`;
  const b = new Set(base.map(describe));
  const c = new Set(cur.map(describe));
  const same = b.size === c.size && [...b].every((e) => c.has(e));
  if (same) return [];
  return [`${scenario}: the baseline ran on ${[...b].join(' / ')} but the current rounds on ${[...c].join(' / ')}; a different machine shifts every figure, so prefer the same-job A/B mode (--ab).`];
}

function knobWarnings(scenario: string, base: readonly RunResult[], cur: readonly RunResult[]): string[] {
  const out: string[] = [];
  const knobs = (rs: readonly RunResult[], side: string): void => {
    const delays = [...new Set(rs.map((r) => r.options.injectDelayMs).filter((v) => v > 0))];
    const cpus = [...new Set(rs.map((r) => r.options.injectCpuUs).filter((v) => v > 0))];
    if (delays.length > 0) out.push(`${scenario}: the ${side} rounds ran with the test knob injectDelayMs = ${delays.join(', ')} ms.`);
    if (cpus.length > 0) out.push(`${scenario}: the ${side} rounds ran with the test knob injectCpuUs = ${cpus.join(', ')} µs per event per subscriber.`);
  };
  knobs(base, 'baseline');
  knobs(cur, 'current');
  return out;
}
