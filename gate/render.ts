// Views of a gate report: a terminal table, Markdown for $GITHUB_STEP_SUMMARY, and JSON. Pure: (report) => string.
import { NONE, formatBytes, formatCount, formatRate, formatSeconds, formatSig, formatUs } from '../reports/format.ts';
import { VERDICTS, type GateReport, type GateRow, type Verdict } from './compare.ts';

/** Formats a figure by the unit in its metric path ("latency.p99Us" -> "1.20 ms"). */
export function formatMetric(metric: string, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return NONE;
  const field = metric.slice(metric.indexOf('.') + 1);
  if (field.endsWith('Us')) return formatUs(value);
  if (field === 'bytesPerEvent') return `${formatSig(value, 4)} B`;
  if (field.endsWith('Bytes')) return formatBytes(value);
  if (field.endsWith('PerSec')) return formatRate(value);
  if (field === 'cpuMsPer1kEvents') return `${formatSig(value, 3)} ms`;
  if (field === 'cpuSeconds') return formatSeconds(value);
  if (Number.isInteger(value) && field !== 'requestsPerEvent') return formatCount(value);
  return formatSig(value, 3);
}

/** Formats a relative change in percent: "+12.3%", "-4.00%", "±0%". */
export function formatChange(percent: number | null): string {
  if (percent === null || !Number.isFinite(percent)) return NONE;
  if (percent === 0) return '±0%';
  return `${percent > 0 ? '+' : '-'}${formatSig(Math.abs(percent), 3)}%`;
}

/** Formats a p-value: "< 0.0001" or two significant digits. */
export function formatP(p: number | null): string {
  if (p === null) return NONE;
  return p < 0.0001 ? '< 0.0001' : formatSig(p, 2);
}

/** Formats a confidence interval of a change: "[-3.1%, +8.0%]", open bounds as ∞. */
export function formatInterval(ci: GateRow['ciPercent']): string {
  if (ci === null) return NONE;
  const bound = (v: number | null, side: -1 | 1): string => (v === null ? (side < 0 ? '-∞' : '+∞') : formatChange(v));
  return `[${bound(ci.lower, -1)}, ${bound(ci.upper, 1)}]`;
}

/** Text of the verdict cell: "REGRESSION", "FAIL", "inconclusive (~12 more rounds)", "improvement", "pass". */
export function verdictText(row: GateRow): string {
  switch (row.verdict) {
    case 'regression':
      return 'REGRESSION';
    case 'fail':
      return 'FAIL';
    case 'inconclusive':
      return row.moreRounds === null ? 'inconclusive' : `inconclusive (~${row.moreRounds} more rounds)`;
    default:
      return row.verdict;
  }
}

/** The counts part of the summary: "1 regression, 49 pass; alpha 0.01, Holm over 25 comparisons". */
export function summaryCounts(report: GateReport): string {
  const parts = VERDICTS.filter((v) => report.counts[v] > 0).map((v) => `${report.counts[v]} ${v}`);
  const strict = report.strict ? ', strict' : '';
  const holm = report.correction === 'holm' ? `, Holm over ${report.comparisons} comparisons` : '';
  return `${parts.join(', ') || 'nothing compared'}; alpha ${report.alpha}${holm}${strict}`;
}

/** One line saying how the gate came out: "rtbench gate: REGRESSION (1 regression, 49 pass; alpha 0.01, ...)". */
export function summaryLine(report: GateReport): string {
  return `rtbench gate: ${report.outcome === 'regression' ? 'REGRESSION' : 'PASS'} (${summaryCounts(report)})`;
}

const COLUMNS = ['transport', 'metric', 'baseline', 'current', 'change', 'CI', 'p-value', 'verdict'] as const;

/** The p-value a row shows: its improvement test's on an improvement, else its regression test's (both adjusted). */
export function shownP(row: GateRow): number | null {
  return row.verdict === 'improvement' ? row.pImprovementAdjusted : row.pAdjusted;
}

function cells(row: GateRow): string[] {
  const stat = row.gate === 'statistical';
  return [
    row.transport,
    row.metric,
    formatMetric(row.metric, row.baseline),
    formatMetric(row.metric, row.current),
    formatChange(row.changePercent),
    stat ? formatInterval(row.ciPercent) : NONE,
    stat ? formatP(shownP(row)) : row.gate === 'exact' ? `±${row.thresholdPercent}%` : NONE,
    verdictText(row),
  ];
}

const NOTABLE: readonly Verdict[] = ['fail', 'regression', 'inconclusive', 'improvement'];

/** Header of the bounds column: each bound is a one-sided 1 - alpha confidence bound ("99% bounds"). */
function levelOf(report: GateReport): string {
  return `${Number(((1 - report.alpha) * 100).toPrecision(4))}% bounds`;
}

/** Column headers; "p (Holm)" when the p-values are Holm-adjusted. */
function headerOf(report: GateReport): string[] {
  return COLUMNS.map((c) => (c === 'CI' ? levelOf(report) : c === 'p-value' && report.correction === 'holm' ? 'p (Holm)' : c));
}

/** Renders the report as plain-text tables, one per scenario, then the reasons of notable rows and the warnings. */
export function renderGateTable(report: GateReport): string {
  const lines: string[] = [summaryLine(report), ''];
  const header = headerOf(report);
  const right = new Set([2, 3, 4, 6]);
  for (const s of report.scenarios) {
    lines.push(`${s.name}: ${s.baselineRounds} baseline rounds, ${s.currentRounds} current rounds`);
    const body = report.rows.filter((r) => r.scenario === s.name).map(cells);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
    const fmt = (row: readonly string[]): string =>
      row
        .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd();
    lines.push(fmt(header), ...body.map(fmt), '');
  }
  const notable = report.rows.filter((r) => NOTABLE.includes(r.verdict));
  if (notable.length > 0) {
    lines.push('Why:');
    for (const r of notable) lines.push(`  ${r.scenario}/${r.transport} ${verdictText(r)}: ${r.reason}`);
    lines.push('');
  }
  if (report.warnings.length > 0) {
    lines.push('Warnings:');
    for (const w of report.warnings) lines.push(`  - ${w}`);
    lines.push('');
  }
  return `${lines.join('\n')}`;
}

/** Escapes text for a Markdown table cell. */
function md(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function mdTable(report: GateReport, rows: readonly GateRow[]): string[] {
  const header = headerOf(report);
  const out = [`| ${header.join(' | ')} |`, '|---|---|--:|--:|--:|--:|--:|---|'];
  for (const r of rows) {
    const c = cells(r).map(md);
    if (r.verdict === 'regression' || r.verdict === 'fail') c[7] = `**${c[7] ?? ''}**`;
    out.push(`| ${c.join(' | ')} |`);
  }
  return out;
}

/** Renders the report as GitHub-flavoured Markdown: verdict first, notable rows, then every row folded away. */
export function renderGateMarkdown(report: GateReport): string {
  const lines: string[] = [];
  lines.push(`## rtbench gate: ${report.outcome === 'regression' ? '**REGRESSION**' : 'pass'}`, '');
  lines.push(`${md(summaryCounts(report))}.`, '');
  for (const s of report.scenarios) {
    const rows = report.rows.filter((r) => r.scenario === s.name);
    const notable = rows.filter((r) => NOTABLE.includes(r.verdict));
    lines.push(`### ${md(s.name)}: ${s.baselineRounds} baseline rounds, ${s.currentRounds} current rounds`, '');
    if (notable.length > 0) {
      lines.push(...mdTable(report, notable), '');
      for (const r of notable) lines.push(`- **${r.transport} ${md(r.metric)}** ${md(verdictText(r))}: ${md(r.reason)}`);
      lines.push('');
    } else {
      lines.push('Every metric passed.', '');
    }
    lines.push('<details><summary>All metrics</summary>', '', ...mdTable(report, rows), '', '</details>', '');
  }
  if (report.warnings.length > 0) {
    lines.push('**Warnings**', '');
    for (const w of report.warnings) lines.push(`- ${md(w)}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Renders the report as 2-space JSON plus a newline. */
export function renderGateJson(report: GateReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
