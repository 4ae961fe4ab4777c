// Markdown report: the summary table, who won (or why nobody did), the instrument's floor and the warnings, fit
// for a pull-request comment or $GITHUB_STEP_SUMMARY. Pure: (results) => string.
import type { RunResult, TransportResult } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import { CHANGE_LEGEND, GATE_SENTENCE, NOISE_TAGS, beforeAfterCell, layoutFor } from './change.ts';
import { DIFFERENCES_TITLE, differences } from './differences.ts';
import { floorText } from './floor.ts';
import { linkText } from './link.ts';
import { BOUND_EXPLAIN, VALID_EXPLAIN, boundText, cellText, environmentLine, explainText, hasHealth, orderedTransports, pathNote, pathText, settingsLine, statusText, validText, visibleMetrics, type MetricDef } from './metrics.ts';
import { JOINT_TEXT, noWinnerText, rankMetric, verdicts } from './ranking.ts';
import { allRows, sectionsFor } from './scenarios.ts';
import { warningsFor, type Warning } from './warnings.ts';

/** How several results are laid out (re-exported: it lives with the before/after comparison). */
export { layoutFor, type Layout } from './change.ts';

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

/** The summary rows named in the "who won" line (scenario sections add their own headline rows). */
const HEADLINE = ['p50', 'p99', 'eventsPerSec', 'requestsPerEvent', 'bytesPerEvent', 'rssPerConnection', 'cpuPer1k'];

function renderOne(result: RunResult, prefix: string): string {
  const ts = orderedTransports(result);
  const lines: string[] = [];
  lines.push(`## ${prefix}rtbench ${cell(result.scenario)}${pathText(result)}: ${ts.map((t) => t.transport).join(' vs ')}`);
  lines.push('');
  lines.push(`${settingsLine(result)}.  `);
  if (pathNote(result)) lines.push(`${pathNote(result)}  `);
  const link = linkText(result);
  if (link) lines.push(`${link}  `);
  lines.push(`${environmentLine(result)}. Started ${result.startedAt}${result.interrupted ? ', **interrupted**' : ''}.`);
  lines.push('');
  lines.push(...warningBlock(warningsFor(result)));

  const sections = sectionsFor(ts);
  const headline = [...sections.flatMap((s) => s.rows.filter((d) => d.card !== undefined)), ...visibleMetrics(ts).filter((d) => HEADLINE.includes(d.id))];
  const vs = verdicts(result, headline);
  if (vs.length > 0) {
    const text = vs.map((v) => {
      if (v.transports.length > 0) return `${v.metric.label}: **${v.transports.join(', ')}** (${v.value}${v.kind === 'joint' && v.metric.noise !== 'exact' ? `; ${JOINT_TEXT}` : ''})`;
      return `${v.metric.label}: ${noWinnerText(v)}`;
    });
    lines.push(`**Who won:** ${text.join(' · ')}`);
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
  if (hasHealth(ts)) {
    lines.push(`| bound by | ${ts.map((t) => cell(boundText(t))).join(' | ')} | ${BOUND_EXPLAIN} |`);
    lines.push(`| valid | ${ts.map((t) => cell(validText(t))).join(' | ')} | ${VALID_EXPLAIN} |`);
  }
  lines.push('');
  const floor = floorText(result);
  if (floor) lines.push(floor, '');
  const why = differences(result);
  if (why.length > 0) lines.push(`### ${DIFFERENCES_TITLE}`, '', ...why.map((d) => `- ${d}`), '');
  for (const section of sections) {
    lines.push(`### ${section.title}`);
    lines.push('');
    lines.push(section.note);
    lines.push('');
    lines.push(`| metric | ${ts.map((t) => t.transport).join(' | ')} | what it means |`);
    lines.push(`|---|${ts.map(() => '--:').join('|')}|---|`);
    for (const def of section.rows) lines.push(metricLine(def, ts));
    lines.push('');
    const findings = section.findings?.(ts) ?? [];
    if (findings.length > 0) lines.push(findings.join(' '), '');
  }
  lines.push(
    "**Bold** = best in row (lowest, or highest where more is wanted). A timed row's best must stand clear of this run's per-second noise (notched medians of the window seconds); timed rows without a per-second series are not ranked.",
  );
  lines.push('');
  return lines.join('\n');
}

/** One table line of a metric, its best value(s) in bold. */
function metricLine(def: MetricDef, ts: readonly TransportResult[]): string {
  const best = new Set(rankMetric(def, ts).best);
  const cells = ts.map((t, i) => {
    const text = cell(cellText(def, t));
    return best.has(i) && def.value(t) !== undefined ? `**${text}**` : text;
  });
  return `| ${def.label} | ${cells.join(' | ')} | ${explainText(def)} |`;
}

/** A GitHub alert block listing the warnings, or nothing. */
function warningBlock(warnings: readonly Warning[]): string[] {
  if (warnings.length === 0) return [];
  const kind = warnings.some((w) => w.level === 'invalid' || w.level === 'error') ? 'CAUTION' : warnings.some((w) => w.level === 'warning') ? 'WARNING' : 'NOTE';
  const tag = (w: Warning): string => (w.level === 'invalid' ? '**Invalid:** ' : w.level === 'error' ? '**Error:** ' : w.level === 'note' ? '**Note:** ' : '');
  return [`> [!${kind}]`, ...warnings.map((w) => `> - ${tag(w)}${w.message}`), ''];
}

function renderBeforeAfter(before: RunResult, after: RunResult): string {
  const names: Transport[] = [];
  for (const t of [...orderedTransports(before), ...orderedTransports(after)]) if (!names.includes(t.transport)) names.push(t.transport);
  const find = (r: RunResult, name: Transport): TransportResult | undefined => r.transports.find((t) => t.transport === name);
  const lines: string[] = [];
  lines.push(`## rtbench ${cell(after.scenario)}: before → after`);
  lines.push('');
  lines.push(`Before: ${before.startedAt}${before.environment.gitCommit ? ` (commit ${before.environment.gitCommit.slice(0, 12)})` : ''}${pathText(before)}, ${settingsLine(before)}.  `);
  lines.push(`After: ${after.startedAt}${after.environment.gitCommit ? ` (commit ${after.environment.gitCommit.slice(0, 12)})` : ''}${pathText(after)}, ${settingsLine(after)}.`);
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
      if (c.kind !== 'changed') return cell(c.text);
      return cell(`${c.beforeText} → ${c.afterText} (${c.delta}${c.noise ? `, ${NOISE_TAGS[c.noise].label}` : ''})`);
    });
    lines.push(`| ${def.label} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  for (const [tag, r] of [['Before', before], ['After', after]] as const) {
    const floor = floorText(r);
    if (floor) lines.push(`${tag}: ${floor}`, '');
  }
  lines.push(CHANGE_LEGEND);
  lines.push('');
  lines.push(GATE_SENTENCE);
  lines.push('');
  return lines.join('\n');
}

function statusOf(t: TransportResult | undefined): string {
  return t ? t.status : 'not run';
}
