// Markdown report: the summary table, winners and warnings, fit for a pull-request comment or
// $GITHUB_STEP_SUMMARY. Pure: (results) => string.
import type { RunResult, TransportResult } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import { NONE, formatDelta } from './format.ts';
import { allRows, sectionsFor } from './scenarios.ts';
import { bestIndexes, cellText, visibleMetrics, environmentLine, orderedTransports, saturatedText, settingsLine, statusText, warningsFor, winners, type MetricDef, type Warning } from './metrics.ts';

/** How several results are shown together. */
export type Layout = 'single' | 'before-after' | 'side-by-side';

/** Two results of the same scenario are a before/after pair; anything else is shown side by side. */
export function layoutFor(results: readonly RunResult[]): Layout {
  if (results.length === 1) return 'single';
  const [a, b] = results;
  if (results.length === 2 && a && b && a.scenario === b.scenario) return 'before-after';
  return 'side-by-side';
}

/** Escapes text for a Markdown table cell (pipes, newlines). */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** Renders one or more runs as GitHub-flavoured Markdown. */
export function renderMarkdown(results: readonly RunResult[]): string {
  const layout = layoutFor(results);
  const parts: string[] = [];
  const [before, after] = results;
  if (layout === 'before-after' && before && after) {
    parts.push(renderBeforeAfter(before, after));
  } else {
    results.forEach((r, i) => parts.push(renderOne(r, results.length > 1 ? `Run ${i + 1} of ${results.length}: ` : '')));
  }
  if (results.length === 0) parts.push('No results.\n');
  return parts.join('\n');
}

function renderOne(result: RunResult, prefix: string): string {
  const ts = orderedTransports(result);
  const lines: string[] = [];
  lines.push(`## ${prefix}rtbench ${cell(result.scenario)}: ${ts.map((t) => t.transport).join(' vs ')}`);
  lines.push('');
  lines.push(`${settingsLine(result)}.  `);
  lines.push(`${environmentLine(result)}. Started ${result.startedAt}${result.interrupted ? ', **interrupted**' : ''}.`);
  lines.push('');
  lines.push(...warningBlock(warningsFor(result)));

  const sections = sectionsFor(ts);
  const headline = [...sections.flatMap((s) => s.rows.filter((d) => d.card !== undefined)), ...visibleMetrics(ts).filter((d) => HEADLINE.includes(d.id))];
  const win = winners(result, headline);
  if (win.length > 0) {
    lines.push('**Who won:** ' + win.map((w) => `${w.metric.label}: **${w.transports.join(', ')}** (${w.value})`).join(' · '));
    lines.push('');
  }

  if (ts.length === 0) {
    lines.push('No transports were run.');
    lines.push('');
    return lines.join('\n');
  }
  lines.push(`| metric | ${ts.map((t) => t.transport).join(' | ')} | what it means |`);
  lines.push(`|---|${ts.map(() => '--:').join('|')}|---|`);
  lines.push(`| status | ${ts.map((t) => cell(statusText(t))).join(' | ')} | ok, or why the transport failed. |`);
  for (const def of visibleMetrics(ts)) lines.push(metricLine(def, ts));
  if (ts.some((t) => t.driver)) lines.push(`| driver saturated | ${ts.map((t) => cell(saturatedText(t))).join(' | ')} | yes means the load generator, not the transport, was the limit: the run is invalid. |`);
  lines.push('');
  for (const section of sections) {
    lines.push(`### ${section.title}`);
    lines.push('');
    lines.push(section.note);
    lines.push('');
    lines.push(`| metric | ${ts.map((t) => t.transport).join(' | ')} | what it means |`);
    lines.push(`|---|${ts.map(() => '--:').join('|')}|---|`);
    for (const def of section.rows) lines.push(metricLine(def, ts));
    lines.push('');
  }
  lines.push('**Bold** = best in row (lowest, or highest where more is better).');
  lines.push('');
  return lines.join('\n');
}

/** The summary rows named in the "who won" line (scenario sections add their own headline rows). */
const HEADLINE = ['p50', 'p99', 'eventsPerSec', 'requestsPerEvent', 'bytesPerEvent', 'rssPerConnection', 'cpuPer1k'];

/** One table line of a metric, its best value(s) in bold. */
function metricLine(def: MetricDef, ts: readonly TransportResult[]): string {
  const best = new Set(bestIndexes(def, ts));
  const cells = ts.map((t, i) => {
    const v = def.value(t);
    if (v === undefined) return cell(cellText(def, t));
    return best.has(i) ? `**${def.format(v)}**` : def.format(v);
  });
  return `| ${def.label} | ${cells.join(' | ')} | ${def.explain} |`;
}

/** A GitHub alert block listing the warnings, or nothing. */
function warningBlock(warnings: readonly Warning[]): string[] {
  if (warnings.length === 0) return [];
  const kind = warnings.some((w) => w.level !== 'warning') ? 'CAUTION' : 'WARNING';
  return [`> [!${kind}]`, ...warnings.map((w) => `> - ${w.level === 'invalid' ? '**Invalid:** ' : w.level === 'error' ? '**Error:** ' : ''}${w.message}`), ''];
}

/** "better" / "worse" for a change of a metric, or "" when the change is under 1% or has no direction. */
export function verdict(def: MetricDef, before: number, after: number): '' | 'better' | 'worse' {
  if (def.better === null || before === after) return '';
  if (before !== 0 && Math.abs(after / before - 1) < 0.01) return '';
  const lower = after < before;
  return (def.better === 'lower') === lower ? 'better' : 'worse';
}

/** One metric of one transport, before and after: what every before/after view shows in its cell. */
export type BeforeAfterCell =
  /** Nothing comparable (a side missing or not measured): the two texts, or one when they agree. */
  | { kind: 'text'; text: string }
  /** The same value on both sides. */
  | { kind: 'same'; text: string }
  /** A change, with its relative delta and whether it is better or worse. */
  | { kind: 'changed'; before: number; after: number; beforeText: string; afterText: string; delta: string; verdict: '' | 'better' | 'worse' };

/** Compares one metric of a transport before and after (either side may be missing). */
export function beforeAfterCell(def: MetricDef, b: TransportResult | undefined, a: TransportResult | undefined): BeforeAfterCell {
  const bv = b ? def.value(b) : undefined;
  const av = a ? def.value(a) : undefined;
  const bt = b ? cellText(def, b) : NONE;
  const at = a ? cellText(def, a) : NONE;
  if (bv === undefined && av === undefined) return { kind: 'text', text: bt === at ? at : `${bt} → ${at}` };
  if (bv === undefined || av === undefined) return { kind: 'text', text: `${bt} → ${at}` };
  if (bv === av) return { kind: 'same', text: def.format(av) };
  return { kind: 'changed', before: bv, after: av, beforeText: bt, afterText: at, delta: formatDelta(bv, av), verdict: verdict(def, bv, av) };
}

function renderBeforeAfter(before: RunResult, after: RunResult): string {
  const names: Transport[] = [];
  for (const t of [...orderedTransports(before), ...orderedTransports(after)]) if (!names.includes(t.transport)) names.push(t.transport);
  const find = (r: RunResult, name: Transport): TransportResult | undefined => r.transports.find((t) => t.transport === name);
  const lines: string[] = [];
  lines.push(`## rtbench ${cell(after.scenario)}: before → after`);
  lines.push('');
  lines.push(`Before: ${before.startedAt}${before.environment.gitCommit ? ` (commit ${before.environment.gitCommit.slice(0, 12)})` : ''}, ${settingsLine(before)}.  `);
  lines.push(`After: ${after.startedAt}${after.environment.gitCommit ? ` (commit ${after.environment.gitCommit.slice(0, 12)})` : ''}, ${settingsLine(after)}.`);
  lines.push('');
  const warnings = [...warningsFor(before).map((w) => ({ ...w, message: `before: ${w.message}` })), ...warningsFor(after).map((w) => ({ ...w, message: `after: ${w.message}` }))];
  lines.push(...warningBlock(warnings));
  if (names.length === 0) {
    lines.push('No transports were run.');
    lines.push('');
    return lines.join('\n');
  }
  lines.push(`| metric | ${names.join(' | ')} |`);
  lines.push(`|---|${names.map(() => '--:').join('|')}|`);
  lines.push(`| status | ${names.map((n) => cell(`${statusOf(find(before, n))} → ${statusOf(find(after, n))}`)).join(' | ')} |`);
  const all = [...before.transports, ...after.transports];
  for (const def of allRows(all)) {
    const cells = names.map((n) => {
      const c = beforeAfterCell(def, find(before, n), find(after, n));
      if (c.kind === 'text') return cell(c.text);
      if (c.kind === 'same') return c.text;
      const delta = c.verdict === 'better' ? `**${c.delta}**` : c.verdict === 'worse' ? `_${c.delta}_` : c.delta;
      return `${def.format(c.before)} → ${def.format(c.after)} (${delta})`;
    });
    lines.push(`| ${def.label} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push('Change shown as after relative to before; **bold** = better, _italic_ = worse (changes under 1% are unmarked).');
  lines.push('');
  return lines.join('\n');
}

function statusOf(t: TransportResult | undefined): string {
  return t ? t.status : 'not run';
}
