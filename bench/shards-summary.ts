// bench:shards' summary, pure: per transport and layout (one ordinary run, then 1, 2 and 3 shards merged), the
// window's deliveries against the expected clients x window events, loss, duplicates and reordering, p50 and p99,
// bytes per event and server CPU per 1 000 deliveries (median and range over the repetitions), what bound each
// repetition (a saturated shard named); the single run's run-to-run noise per figure, and one computed sentence per
// transport and figure on whether each sharded layout's median lies inside that noise band, or how far outside.
import type { TransportResult } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import { boundOf, invalidReasonsOf } from '../reports/metrics.ts';
import { formatCount, formatPercent, formatSig, formatUs } from '../reports/format.ts';
import { rangeText } from '../reports/floor.ts';
import { median } from './browser-summary.ts';

/** One repetition of one transport in one layout. */
export interface ShardsBenchRun {
  transport: Transport;
  /** 0: one ordinary run (as `rtbench compare`); N >= 1: N shards (`rtbench shard-server` + N `rtbench shard`), merged. */
  shards: number;
  /**
   * The control: a single run (shards 0) with this many client processes (--workers), as many as the largest sharded
   * layout has, which tells what the extra processes cost from what sharding does. Absent: the run's own sizing.
   */
  processes?: number;
  /** 1 for the first repetition. */
  repetition: number;
  /** The ordinary run's result, or the shards' merged one. */
  result: TransportResult;
  /** A sharded run's shards whose client processes were saturated (generator or host bound), by index. */
  saturatedShards?: number[];
}

/** The figures compared between layouts. */
export const FIGURES = ['delivered', 'p50', 'p99', 'bytesPerEvent', 'serverCpu'] as const;
/** One of FIGURES. */
export type Figure = (typeof FIGURES)[number];

/** How each figure is read from a result and written. */
const FIGURE: Record<Figure, { label: string; of: (t: TransportResult) => number | undefined; format: (v: number) => string }> = {
  // The deliveries of the events due in the window (each has a latency): clients x window events when none is lost.
  delivered: { label: 'window deliveries', of: (t) => t.latency?.count, format: formatCount },
  p50: { label: 'p50', of: (t) => t.latency?.p50Us, format: formatUs },
  p99: { label: 'p99', of: (t) => t.latency?.p99Us, format: formatUs },
  bytesPerEvent: { label: 'bytes per event', of: (t) => t.wire?.bytesPerEvent, format: (v) => `${formatSig(v)} B` },
  serverCpu: { label: 'server CPU per 1 000 deliveries', of: (t) => t.server?.cpuMsPer1kEvents, format: (v) => `${formatSig(v)} ms` },
};

/** A figure over the valid repetitions of one layout: median, lowest, highest, and how many repetitions had it. */
export interface Band {
  median: number;
  min: number;
  max: number;
  count: number;
}

/** One transport in one layout, over its repetitions. */
export interface LayoutRow {
  transport: Transport;
  /** As ShardsBenchRun.shards and .processes. */
  shards: number;
  processes?: number;
  /** Repetitions run, and those valid (status ok, not invalid). */
  runs: number;
  valid: number;
  /**
   * Over the valid repetitions, or, when none is valid, over the invalid ones that measured (then `fromInvalid`);
   * a figure none of them had is absent.
   */
  figures: Partial<Record<Figure, Band>>;
  fromInvalid: boolean;
  /** Summed over every repetition. */
  lost: number;
  duplicates: number;
  outOfOrder: number;
  /** What bound each repetition, in order ("none", "server", "generator", "host"; "not measured" without a verdict). */
  bounds: string[];
  /** Sharded repetitions with a saturated shard: "repetition 2: shard 1 saturated". */
  saturated: string[];
  /** Why repetitions were invalid or failed, one reason each. */
  leftOut: string[];
}

/** "single run", "single run, 3 client processes", "1 shard", "3 shards". */
export function layoutText(shards: number, processes?: number): string {
  if (shards === 0) return processes === undefined ? 'single run' : `single run, ${processes} client process${processes === 1 ? '' : 'es'}`;
  return `${shards} shard${shards === 1 ? '' : 's'}`;
}

/** The ordinary single run, against which every other layout is compared. */
function isSingle(r: { shards: number; processes?: number }): boolean {
  return r.shards === 0 && r.processes === undefined;
}

/** The layout of `row`, marked when its figures come from invalid repetitions: "3 shards [invalid]". */
function rowName(row: LayoutRow): string {
  return `${layoutText(row.shards, row.processes)}${row.fromInvalid ? ' [invalid]' : ''}`;
}

/** Why a repetition's figures cannot be used, or undefined when they can. */
function leftOutReason(r: TransportResult): string | undefined {
  if (r.status !== 'ok') return `${r.status}${r.error ? `: ${r.error}` : ''}`;
  const invalid = invalidReasonsOf(r);
  return invalid.length > 0 ? `invalid: ${invalid.join('; ')}` : undefined;
}

function band(xs: readonly number[]): Band | undefined {
  return xs.length === 0 ? undefined : { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), count: xs.length };
}

function layoutRow(transport: Transport, shards: number, processes: number | undefined, runs: readonly ShardsBenchRun[]): LayoutRow {
  const valid = runs.filter((r) => leftOutReason(r.result) === undefined).map((r) => r.result);
  // No valid repetition: the figures of the measured ones, marked, rather than none (a saturated shard shows).
  const fromInvalid = valid.length === 0 && runs.some((r) => r.result.status === 'ok');
  const basis = fromInvalid ? runs.filter((r) => r.result.status === 'ok').map((r) => r.result) : valid;
  const figures: Partial<Record<Figure, Band>> = {};
  for (const f of FIGURES) {
    const b = band(basis.flatMap((t) => {
      const v = FIGURE[f].of(t);
      return v === undefined ? [] : [v];
    }));
    if (b) figures[f] = b;
  }
  const sum = (of: (t: TransportResult) => number | undefined): number => runs.reduce((a, r) => a + (of(r.result) ?? 0), 0);
  return {
    transport,
    shards,
    ...(processes === undefined ? {} : { processes }),
    runs: runs.length,
    valid: valid.length,
    figures,
    fromInvalid,
    lost: sum((t) => t.delivery?.lost),
    duplicates: sum((t) => t.delivery?.duplicates),
    outOfOrder: sum((t) => t.delivery?.outOfOrder),
    bounds: runs.map((r) => boundOf(r.result) ?? 'not measured'),
    saturated: runs.flatMap((r) =>
      (r.saturatedShards ?? []).length === 0 ? [] : [`repetition ${r.repetition}: shard${(r.saturatedShards ?? []).length === 1 ? '' : 's'} ${listText((r.saturatedShards ?? []).map(String))} saturated`],
    ),
    leftOut: runs.flatMap((r) => {
      const why = leftOutReason(r.result);
      return why === undefined ? [] : [`repetition ${r.repetition}: ${why}`];
    }),
  };
}

/** The rows of `runs`: per transport in the order they first appear, the single run, then the shards up, the control last. */
export function shardsRows(runs: readonly ShardsBenchRun[]): LayoutRow[] {
  const transports = [...new Set(runs.map((r) => r.transport))];
  // Sort key: the single run, 1..N shards, then the controls (by their processes).
  const order = (r: { shards: number; processes?: number }): number => (r.processes === undefined ? r.shards : 1e6 + r.processes);
  return transports.flatMap((transport) => {
    const mine = runs.filter((r) => r.transport === transport);
    const layouts = [...new Map(mine.map((r) => [order(r), r] as const)).entries()].sort(([a], [b]) => a - b);
    return layouts.map(([key, r]) => layoutRow(transport, r.shards, r.processes, mine.filter((m) => order(m) === key)));
  });
}

/** "a", "a and b", "a, b and c". */
export function listText(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1) as string}`;
}

/** "410 µs (380–450 µs)": the median and the range of the repetitions. */
export function bandText(f: Figure, b: Band | undefined): string {
  if (!b) return 'not measured';
  const format = FIGURE[f].format;
  return b.min === b.max ? format(b.median) : `${format(b.median)} (${rangeText([b.min, b.max], format)})`;
}

/** The single run's run-to-run noise in figure `f`: its spread (highest minus lowest repetition), and relative to its median. */
export function noiseText(f: Figure, b: Band | undefined): string {
  if (!b) return 'not measured';
  if (b.count < 2) return 'one repetition: no spread';
  const spread = b.max - b.min;
  return `${FIGURE[f].format(spread)}${b.median === 0 ? '' : ` (${formatPercent(spread / b.median)})`}`;
}

/** Where `v` lies against the band [min, max]: 0 inside it, else how far above (> 0) or below (< 0) its nearer edge. */
export function outside(b: Band, v: number): number {
  if (v > b.max) return v - b.max;
  if (v < b.min) return v - b.min;
  return 0;
}

/**
 * One sentence for figure `f` of one transport: the single run's median, range and spread over its repetitions,
 * then whether each sharded layout's median lies within that band, or how far above or below it.
 */
export function bandSentence(single: LayoutRow, sharded: readonly LayoutRow[], f: Figure): string {
  const { label, format } = FIGURE[f];
  const head = `${single.transport} ${label}`;
  const b = single.figures[f];
  if (!b) return `${head}: not compared, ${Object.keys(single.figures).length === 0 ? 'no single-run repetition measured' : 'not measured in the single run'}.`;
  const spread = b.count < 2 ? 'so no run-to-run spread measured' : `a run-to-run spread of ${noiseText(f, b)}`;
  const clauses = [`${rowName(single)} ${bandText(f, b)} over ${b.count} repetition${b.count === 1 ? '' : 's'}, ${spread}`];
  const within: string[] = [];
  const beyond: string[] = [];
  const missing: string[] = [];
  for (const row of sharded) {
    const m = row.figures[f];
    if (!m) {
      missing.push(`${layoutText(row.shards, row.processes)} (not measured)`);
      continue;
    }
    const name = `${rowName(row)} (${format(m.median)})`;
    const d = outside(b, m.median);
    if (d === 0) within.push(name);
    else beyond.push(`${name} lies ${format(Math.abs(d))} ${d > 0 ? 'above' : 'below'} it${b.median === 0 ? '' : ` (${formatPercent(Math.abs(d) / b.median)} of the single-run median)`}`);
  }
  if (within.length > 0) clauses.push(`${listText(within)} ${within.length === 1 ? 'lies' : 'lie'} within that band`);
  clauses.push(...beyond);
  if (missing.length > 0) clauses.push(`not compared: ${listText(missing)}`);
  return `${head}: ${clauses.join('; ')}.`;
}

/** "none ×3", "none ×2, generator ×1". */
function boundsText(bounds: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const b of bounds) counts.set(b, (counts.get(b) ?? 0) + 1);
  return [...counts.entries()].map(([b, n]) => `${b} ×${n}`).join(', ');
}

/**
 * The Markdown summary: one table of every layout (`expected`: the deliveries a lossless window has, clients x
 * window events), the single run's noise per figure, then per transport one sentence per figure and what was left out.
 */
export function shardsMarkdown(rows: readonly LayoutRow[], expected: number): string {
  const lines = [
    '| transport | layout | valid reps | window deliveries of expected | lost / dup / reordered | p50 | p99 | bytes per event | server CPU per 1 000 deliveries | bound |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const r of rows) {
    const bound = `${boundsText(r.bounds)}${r.saturated.length > 0 ? `; ${r.saturated.join('; ')}` : ''}`;
    lines.push(
      `| ${r.transport} | ${rowName(r)} | ${r.valid}/${r.runs} | ${bandText('delivered', r.figures.delivered)} of ${formatCount(expected)} | ${formatCount(r.lost)} / ${formatCount(r.duplicates)} / ${formatCount(r.outOfOrder)} | ` +
        `${bandText('p50', r.figures.p50)} | ${bandText('p99', r.figures.p99)} | ${bandText('bytesPerEvent', r.figures.bytesPerEvent)} | ${bandText('serverCpu', r.figures.serverCpu)} | ${bound} |`,
    );
  }
  if (rows.some((r) => r.fromInvalid)) lines.push('', '[invalid]: no valid repetition; the figures come from the invalid ones, which measured the limits of the client processes or the host as much as the transport.');
  const singles = rows.filter(isSingle);
  lines.push(
    '',
    "Run-to-run noise: the spread (highest minus lowest) of the single run's valid repetitions, and relative to their median.",
    '',
    `| transport | valid reps | ${FIGURES.map((f) => FIGURE[f].label).join(' | ')} |`,
    `|---|--:|${FIGURES.map(() => '--:|').join('')}`,
  );
  for (const s of singles) lines.push(`| ${s.transport}${s.fromInvalid ? ' [invalid]' : ''} | ${s.valid}/${s.runs} | ${FIGURES.map((f) => noiseText(f, s.figures[f])).join(' | ')} |`);
  lines.push('');
  const transports = [...new Set(rows.map((r) => r.transport))];
  for (const t of transports) {
    const mine = rows.filter((r) => r.transport === t);
    const single = mine.find(isSingle);
    const sharded = mine.filter((r) => !isSingle(r));
    lines.push(single ? FIGURES.map((f) => bandSentence(single, sharded, f)).join(' ') : `${t}: not compared, no single run.`);
    const left = mine.flatMap((r) => r.leftOut.map((x) => `${layoutText(r.shards, r.processes)} ${x}`));
    if (left.length > 0) lines.push(`Invalid or failed repetitions of ${t}: ${left.join('; ')}.`);
    lines.push('');
  }
  return lines.join('\n');
}
