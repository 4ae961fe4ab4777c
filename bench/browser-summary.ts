// bench:browser's summary, pure: per transport, the Node and the Chromium repetitions' p50 and p99 (median,
// min–max), their difference, the Chromium clocks' alignment uncertainty, loss and duplicates, and one computed
// sentence on whether the difference stands clear of the run-to-run spread plus that uncertainty.
import type { ClientsIn } from '../lib/options.ts';
import type { TransportResult } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import { invalidReasonsOf } from '../reports/metrics.ts';
import { formatCount, formatUs } from '../reports/format.ts';
import { rangeText } from '../reports/floor.ts';

/** One repetition of one transport with one kind of client. */
export interface BrowserBenchRun {
  transport: Transport;
  clientsIn: ClientsIn;
  /** 1 for the first repetition. */
  repetition: number;
  result: TransportResult;
}

/** A figure over the repetitions: median, lowest and highest, µs. */
export interface Spread {
  medianUs: number;
  minUs: number;
  maxUs: number;
}

/** One kind of client's repetitions of one transport. */
export interface Side {
  /** Repetitions run, and those with a valid latency (status ok, not invalid, deliveries measured). */
  runs: number;
  valid: number;
  /** Over the valid repetitions; undefined when none was valid. */
  p50?: Spread;
  p99?: Spread;
  /** Summed over every repetition. */
  lost: number;
  duplicates: number;
  /** Why repetitions were left out, one reason each. */
  leftOut: string[];
}

/** One transport's row. */
export interface BrowserRow {
  transport: Transport;
  node: Side;
  chromium: Side;
  /** The largest alignment uncertainty of the Chromium repetitions, µs (undefined: none reported one). */
  uncertaintyUs?: number;
  /** Chromium's median minus Node's, µs (undefined: a side has no valid repetition). */
  diffP50Us?: number;
  diffP99Us?: number;
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function spread(xs: readonly number[]): Spread | undefined {
  return xs.length === 0 ? undefined : { medianUs: median(xs), minUs: Math.min(...xs), maxUs: Math.max(...xs) };
}

/** Why a repetition's latency cannot be used, or undefined when it can. */
function leftOutReason(r: TransportResult): string | undefined {
  if (r.status !== 'ok') return `${r.status}${r.error ? `: ${r.error}` : ''}`;
  const invalid = invalidReasonsOf(r);
  if (invalid.length > 0) return `invalid: ${invalid.join('; ')}`;
  if (!r.latency || r.latency.count === 0) return 'no latency measured';
  return undefined;
}

function side(runs: readonly BrowserBenchRun[]): Side {
  const valid = runs.filter((r) => leftOutReason(r.result) === undefined).map((r) => r.result);
  const p50 = spread(valid.map((r) => r.latency?.p50Us ?? 0));
  const p99 = spread(valid.map((r) => r.latency?.p99Us ?? 0));
  return {
    runs: runs.length,
    valid: valid.length,
    ...(p50 ? { p50 } : {}),
    ...(p99 ? { p99 } : {}),
    lost: runs.reduce((a, r) => a + (r.result.delivery?.lost ?? 0), 0),
    duplicates: runs.reduce((a, r) => a + (r.result.delivery?.duplicates ?? 0), 0),
    leftOut: runs.flatMap((r) => {
      const why = leftOutReason(r.result);
      return why === undefined ? [] : [`repetition ${r.repetition}: ${why}`];
    }),
  };
}

/** The rows of `runs`, one per transport in the order they first appear. */
export function browserRows(runs: readonly BrowserBenchRun[]): BrowserRow[] {
  const transports = [...new Set(runs.map((r) => r.transport))];
  return transports.map((transport) => {
    const mine = runs.filter((r) => r.transport === transport);
    const node = side(mine.filter((r) => r.clientsIn === 'node'));
    const chromium = side(mine.filter((r) => r.clientsIn === 'chromium'));
    const clocks = mine.flatMap((r) => (r.clientsIn === 'chromium' && r.result.browser ? [r.result.browser.uncertaintyUs] : []));
    return {
      transport,
      node,
      chromium,
      ...(clocks.length > 0 ? { uncertaintyUs: Math.max(...clocks) } : {}),
      ...(node.p50 && chromium.p50 ? { diffP50Us: chromium.p50.medianUs - node.p50.medianUs } : {}),
      ...(node.p99 && chromium.p99 ? { diffP99Us: chromium.p99.medianUs - node.p99.medianUs } : {}),
    };
  });
}

/**
 * Whether Chromium's repetitions stand clear of Node's: every Chromium repetition above every Node one (or below
 * every one) by more than the alignment uncertainty `u`. 'higher' / 'lower' when they do, 'within' when not.
 */
export function separation(node: Spread, chromium: Spread, u: number): 'higher' | 'lower' | 'within' {
  if (chromium.minUs - u > node.maxUs) return 'higher';
  if (chromium.maxUs + u < node.minUs) return 'lower';
  return 'within';
}

/** "410 µs (400–450 µs)": the median and the range of the repetitions. */
export function spreadText(s: Spread | undefined): string {
  if (!s) return 'not measured';
  return s.minUs === s.maxUs ? formatUs(s.medianUs) : `${formatUs(s.medianUs)} (${rangeText([s.minUs, s.maxUs], formatUs)})`;
}

/** "+180 µs", "−40 µs". */
export function signedUs(us: number): string {
  return `${us < 0 ? '−' : '+'}${formatUs(Math.abs(us))}`;
}

/** One sentence for one percentile of one transport: the difference, and whether it exceeds spread plus uncertainty. */
export function differenceSentence(row: BrowserRow, pct: 'p50' | 'p99'): string {
  const node = row.node[pct];
  const chromium = row.chromium[pct];
  if (!node || !chromium) {
    const missing = !node ? 'Node' : 'Chromium';
    return `${row.transport} ${pct}: not compared, no valid ${missing} repetition.`;
  }
  const u = row.uncertaintyUs ?? 0;
  const diff = chromium.medianUs - node.medianUs;
  const ranges = `Node ${rangeText([node.minUs, node.maxUs], formatUs)}, Chromium ${rangeText([chromium.minUs, chromium.maxUs], formatUs)} over ${row.node.valid} and ${row.chromium.valid} repetitions`;
  const clock = row.uncertaintyUs === undefined ? 'no alignment uncertainty reported' : `the ±${formatUs(u)} clock alignment`;
  const verdict = separation(node, chromium, u);
  const median = `Chromium's median ${pct} is ${formatUs(Math.abs(diff))} ${diff >= 0 ? 'above' : 'below'} Node's`;
  if (verdict === 'within') return `${row.transport} ${pct}: ${median}, within the run-to-run spread (${ranges}) plus ${clock}: not resolved by this run.`;
  return `${row.transport} ${pct}: ${median}; every Chromium repetition was ${verdict} than every Node one by more than ${clock} (${ranges}), so the difference exceeds the spread plus the uncertainty.`;
}

/** Loss and duplicates of one side, as a cell: "0 / 0". */
function lossText(s: Side): string {
  return `${formatCount(s.lost)} / ${formatCount(s.duplicates)}`;
}

/** The Markdown table of the rows, then one paragraph of sentences per transport and the repetitions left out. */
export function browserMarkdownTable(rows: readonly BrowserRow[]): string {
  const lines = [
    '| transport | Node p50 | Chromium p50 | Δ p50 | Node p99 | Chromium p99 | Δ p99 | clock ± | lost / dup Node | lost / dup Chromium | valid reps Node / Chromium |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.transport} | ${spreadText(r.node.p50)} | ${spreadText(r.chromium.p50)} | ${r.diffP50Us === undefined ? '–' : signedUs(r.diffP50Us)} | ${spreadText(r.node.p99)} | ${spreadText(r.chromium.p99)} | ${r.diffP99Us === undefined ? '–' : signedUs(r.diffP99Us)} | ${r.uncertaintyUs === undefined ? 'not reported' : `±${formatUs(r.uncertaintyUs)}`} | ${lossText(r.node)} | ${lossText(r.chromium)} | ${r.node.valid}/${r.node.runs} / ${r.chromium.valid}/${r.chromium.runs} |`,
    );
  }
  lines.push('');
  for (const r of rows) {
    lines.push(`${differenceSentence(r, 'p50')} ${differenceSentence(r, 'p99')}`);
    const left = [...r.node.leftOut.map((x) => `Node ${x}`), ...r.chromium.leftOut.map((x) => `Chromium ${x}`)];
    if (left.length > 0) lines.push(`Left out of ${r.transport}'s medians: ${left.join('; ')}.`);
    lines.push('');
  }
  return lines.join('\n');
}
