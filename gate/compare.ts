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
  hodgesLehmann,
  mannWhitneyU,
  median,
  minRoundsFor,
  moreRoundsForSignificance,
  moreRoundsForWidth,
  shiftInterval,
  type MannWhitneyResult,
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
  /** Baseline figure: median over rounds (statistical, exact) or worst round (zero). */
  baseline: number | null;
  /** Current figure, same summary as `baseline`. */
  current: number | null;
  /** Change relative to the baseline median, percent: the Hodges–Lehmann shift (statistical) or the median change (exact). */
  changePercent: number | null;
  /** Statistical gates: the 1 - alpha confidence interval of the change, percent; null bounds are unbounded. */
  ciPercent: { lower: number | null; upper: number | null } | null;
  /** Statistical gates: two-sided Mann–Whitney U p-value of this comparison alone. */
  pValue: number | null;
  /** Statistical gates: the p-value that decides, Holm-adjusted over the report's statistical comparisons (= pValue without correction). */
  pAdjusted: number | null;
  pMethod: PMethod | null;
  /** The floor (statistical) or tolerance (exact) that applied, percent; 0 for zero gates. */
  thresholdPercent: number;
  nBaseline: number;
  nCurrent: number;
  /** Inconclusive rows: about how many more rounds per side would decide; null when more rounds are unlikely to. */
  moreRounds: number | null;
  /** One sentence saying why. */
  reason: string;
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
  /** Statistical comparisons in the family (rows with a p-value). */
  comparisons: number;
  scenarios: GateScenarioSummary[];
  /** Rows per verdict. */
  counts: Record<Verdict, number>;
  rows: GateRow[];
  /** One sentence each: different machines, saturated load generator, injected test knobs, unmatched results. */
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

const blank = { ciPercent: null, pValue: null, pAdjusted: null, pMethod: null, moreRounds: null, changePercent: null } as const;

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
      rows.push(...compareTransport(cur.label, transport, b, c, config, warnings, pending));
    }
  }
  // Statistical rows are decided together: their p-values are adjusted for the number of comparisons.
  const raw = pending.map((t) => t.mw.pValue);
  const adjusted = config.correction === 'holm' ? holmAdjust(raw) : raw;
  const family = pending.length;
  pending.forEach((t, i) => Object.assign(t.row, statisticalGate(t.rule, t.x, t.y, t.mw, adjusted[i] ?? 1, config, family)));
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
  mw: MannWhitneyResult;
}

function compareTransport(
  scenario: string,
  transport: Transport,
  base: readonly TransportResult[],
  cur: readonly TransportResult[],
  config: CompareConfig,
  warnings: string[],
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
  const saturated = (ts: readonly TransportResult[]): number => ts.filter((t) => t.driver?.saturated === true).length;
  const satB = saturated(base);
  const satC = saturated(cur);
  if (satB + satC > 0) {
    warnings.push(`${scenario}/${transport}: the load generator was saturated in ${satB} baseline and ${satC} current rounds, so those figures show the generator's limits.`);
  }
  const okB = base.filter((t) => t.status === 'ok');
  const okC = cur.filter((t) => t.status === 'ok');
  for (const rule of config.rules) {
    const values = (ts: readonly TransportResult[]): number[] => ts.map((t) => metricValue(t, rule.metric)).filter((v): v is number => v !== undefined);
    const x = values(okB);
    const y = values(okC);
    const row: Omit<GateRow, 'verdict' | 'baseline' | 'current' | 'reason' | 'thresholdPercent' | keyof typeof blank> = {
      scenario,
      transport,
      metric: rule.metric,
      gate: rule.gate,
      direction: rule.direction,
      nBaseline: x.length,
      nCurrent: y.length,
    };
    if (y.length === 0 || (x.length === 0 && rule.gate !== 'zero')) {
      const side = y.length === 0 ? 'current' : 'baseline';
      rows.push({ ...row, ...blank, verdict: 'skipped', baseline: x.length > 0 ? median(x) : null, current: y.length > 0 ? median(y) : null, thresholdPercent: 0, reason: `${rule.metric} was not measured in any ${side} round.` });
      continue;
    }
    if (rule.gate === 'zero') rows.push({ ...row, ...zeroGate(rule, x, y) });
    else if (rule.gate === 'exact') rows.push({ ...row, ...exactGate(rule, transport, x, y) });
    else {
      const placeholder: GateRow = { ...row, ...blank, pAdjusted: null, verdict: 'skipped', baseline: null, current: null, thresholdPercent: 0, reason: '' };
      rows.push(placeholder);
      pending.push({ row: placeholder, rule, x, y, mw: mannWhitneyU(x, y) });
    }
  }
  return rows;
}

type Decision = Pick<GateRow, 'verdict' | 'baseline' | 'current' | 'reason' | 'thresholdPercent' | keyof typeof blank>;

const finiteOrNull = (n: number): number | null => (Number.isFinite(n) ? n : null);
const pct = (n: number): string => `${n > 0 ? '+' : ''}${Number(n.toPrecision(3))}%`;
const pText = (p: number): string => (p < 0.0001 ? 'p < 0.0001' : `p = ${Number(p.toPrecision(2))}`);

/** Correctness counters: every current round must be 0. */
function zeroGate(rule: MetricRule, x: readonly number[], y: readonly number[]): Decision {
  const worst = Math.max(...y);
  const bad = y.filter((v) => v > 0).length;
  const baseWorst = x.length > 0 ? Math.max(...x) : null;
  const verdict: Verdict = bad > 0 ? 'fail' : 'pass';
  const reason =
    bad > 0
      ? `${rule.metric} was above 0 in ${bad} of ${y.length} current rounds (worst ${worst})${baseWorst !== null && baseWorst > 0 ? `, as in the baseline (worst ${baseWorst})` : ''}; it must be 0.`
      : `${rule.metric} was 0 in every current round.`;
  return { ...blank, verdict, baseline: baseWorst, current: worst, thresholdPercent: 0, reason };
}

/** Deterministic figures: medians must match within the transport's tolerance. */
function exactGate(rule: MetricRule, transport: Transport, x: readonly number[], y: readonly number[]): Decision {
  const mb = median(x);
  const mc = median(y);
  const tolerance = rule.tolerancePercent[transport];
  const sign = rule.direction === 'higher-is-worse' ? 1 : -1;
  const diff = mc - mb;
  const allowed = (tolerance / 100) * Math.abs(mb) + 1e-9 * Math.max(1, Math.abs(mb));
  const worse = sign * diff;
  const changePercent = mb !== 0 ? (diff / Math.abs(mb)) * 100 : diff === 0 ? 0 : null;
  const change = changePercent === null ? `from 0 to ${mc}` : pct(changePercent);
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
 * Noisy figures. Regression: significant (adjusted p < alpha) and the Hodges–Lehmann shift is worse than the
 * floor. Improvement: the same, better. Pass: the worse-side bound of the 1 - alpha confidence interval of
 * the shift is within the floor (a regression beyond the floor is ruled out). Otherwise inconclusive.
 */
function statisticalGate(
  rule: MetricRule,
  x: readonly number[],
  y: readonly number[],
  mw: MannWhitneyResult,
  pAdjusted: number,
  config: CompareConfig,
  family: number,
): Decision {
  const { alpha } = config;
  // the level a single comparison must reach: Bonferroni's alpha / m bounds Holm's from below
  const alphaEach = config.correction === 'holm' ? alpha / Math.max(1, family) : alpha;
  const mb = median(x);
  const mc = median(y);
  const floor = rule.floorPercent;
  const shift = hodgesLehmann(x, y);
  const ci = shiftInterval(x, y, alpha);
  const ref = Math.abs(mb);
  const rel = (d: number): number => (d === 0 ? 0 : ref === 0 ? Math.sign(d) * Number.POSITIVE_INFINITY : (d / ref) * 100);
  const change = rel(shift);
  const lower = rel(ci.lower);
  const upper = rel(ci.upper);
  const sign = rule.direction === 'higher-is-worse' ? 1 : -1;
  const worse = sign * change;
  const worseBound = sign === 1 ? upper : -lower;
  const significant = pAdjusted < alpha;
  const level = `${Number(((1 - alpha) * 100).toPrecision(4))}%`;
  const base = {
    baseline: mb,
    current: mc,
    changePercent: finiteOrNull(change),
    ciPercent: { lower: finiteOrNull(lower), upper: finiteOrNull(upper) },
    pValue: mw.pValue,
    pAdjusted,
    pMethod: mw.method,
    thresholdPercent: floor,
  };
  const p = `${config.correction === 'holm' ? 'adjusted ' : ''}${pText(pAdjusted)}`;
  if (significant && worse > floor) {
    return { ...base, verdict: 'regression', moreRounds: null, reason: `${rule.metric} got worse by ${pct(change)} (floor ${floor}%, ${p}).` };
  }
  if (significant && worse < -floor) {
    return { ...base, verdict: 'improvement', moreRounds: null, reason: `${rule.metric} improved by ${pct(change)} (floor ${floor}%, ${p}).` };
  }
  if (worseBound <= floor) {
    const why = significant ? `changed ${pct(change)} (${p}), within the ${floor}% floor` : `shows no significant change (${p})`;
    return { ...base, verdict: 'pass', moreRounds: null, reason: `${rule.metric} ${why}; the ${level} interval rules out a regression beyond the floor.` };
  }
  const n1 = x.length;
  const n2 = y.length;
  const need = minRoundsFor(alphaEach);
  if (Math.min(n1, n2) < need) {
    const at = config.correction === 'holm' && family > 1 ? `alpha ${alpha} over ${family} comparisons` : `alpha ${alpha}`;
    return { ...base, verdict: 'inconclusive', moreRounds: need - Math.min(n1, n2), reason: `${rule.metric}: ${n1} baseline and ${n2} current rounds are too few at ${at}; at least ${need} per side are needed.` };
  }
  if (Math.abs(worse) > floor) {
    const more = moreRoundsForSignificance(mw.z, n1, n2, alphaEach);
    return {
      ...base,
      verdict: 'inconclusive',
      moreRounds: more,
      reason: `${rule.metric} changed ${pct(change)}, beyond the ${floor}% floor, but not significantly (${p}); ${more === null ? 'more rounds are unlikely to decide' : `about ${more} more rounds per side would decide`}.`,
    };
  }
  const more = moreRoundsForWidth(worseBound - worse, floor - worse, n1, n2);
  return {
    ...base,
    verdict: 'inconclusive',
    moreRounds: more,
    reason: `${rule.metric} changed ${pct(change)} (${p}), but the ${level} interval reaches ${pct(sign === 1 ? upper : lower)}, beyond the ${floor}% floor; ${more === null ? 'more rounds are unlikely to decide' : `about ${more} more rounds per side would decide`}.`,
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
