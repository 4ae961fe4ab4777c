// Terminal report: one column per transport, one row per metric, the best value per row marked when it stands out
// from the run's noise, the instrument's floor and the warnings below; for a before/after pair, the change of every
// row without a verdict. Pure: (result) => string.
import type { RunResult, TransportResult } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import { NONE, formatBytes, formatCount, formatRate } from './format.ts';
import { DIFFERENCES_TITLE, differences } from './differences.ts';
import { floorText } from './floor.ts';
import { GATE_SENTENCE, NOISE_TAGS, beforeAfterCell, layoutFor } from './change.ts';
import { linkText } from './link.ts';
import { boundOf, boundText, cellText, environmentLine, hasHealth, orderedTransports, pathNote, pathText, settingsLine, statusText, validText, visibleMetrics, type MetricDef } from './metrics.ts';
import { TOO_FEW_TEXT, noWinnerText, rankMetric, secondsNeededText, verdicts } from './ranking.ts';
import { allRows, sectionsFor } from './scenarios.ts';
import { invalidSummary, warningsFor, type Warning } from './warnings.ts';

/** Options of the terminal table. */
export interface TerminalOptions {
  /** Use ANSI colours (best value green, warnings yellow/red). Default false. */
  color?: boolean;
}

/** Widest a status or saturation cell may grow before it is cut with "…" (the full text is in the warnings). */
const MAX_TEXT_CELL = 22;

/** Width notes under the table are wrapped to. */
const NOTE_WIDTH = 100;

/** Marks the best value of a row when there is no colour. */
const MARK = ' *';

const ANSI = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m' } as const;

/** Visible width of a string (code points; every character rtbench prints is one column wide). */
function width(s: string): number {
  return [...s].length;
}

/** Cuts `s` to `max` columns with a trailing ellipsis. */
function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

function padStart(s: string, w: number): string {
  return ' '.repeat(Math.max(0, w - width(s))) + s;
}

function padEnd(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}

/** Wraps `text` at word boundaries to `max` columns; lines after the first start with `indent`. */
export function wrap(text: string, max = NOTE_WIDTH, indent = '  '): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`;
    if (width(next) > max && line !== '' && line.trim() !== '') {
      lines.push(line);
      line = `${indent}${word}`;
    } else {
      line = next;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** One rendered cell: its text and how to paint it. */
interface Cell {
  text: string;
  paint?: 'best' | 'bad' | 'warn';
}

/** A table row. heading: a section title on its own line; note: one text across every column. */
interface Row {
  label: string;
  cells: Cell[];
  heading?: boolean;
  note?: string;
}

type Paint = (text: string, how: Cell['paint'] | 'bold' | 'dim') => string;

function painter(color: boolean): Paint {
  return (text, how) => {
    if (!color || how === undefined) return text;
    const code = how === 'best' ? ANSI.green + ANSI.bold : how === 'bad' ? ANSI.red : how === 'warn' ? ANSI.yellow : how === 'bold' ? ANSI.bold : ANSI.dim;
    return `${code}${text}${ANSI.reset}`;
  };
}

/** Lays out rows under a header of transport names; `mark`: the cells' 2-column best-mark slot is in use. */
function table(names: readonly string[], rows: Row[], paint: Paint, mark: boolean): string[] {
  // without colour the best-value mark takes its own 2-column slot, so numbers stay right-aligned
  if (mark) {
    for (const row of rows) for (const c of row.cells) if (!c.text.endsWith(MARK)) c.text += ' '.repeat(MARK.length);
  }
  const labelWidth = Math.max(...rows.map((r) => width(r.label)));
  const pad = mark ? ' '.repeat(MARK.length) : '';
  const colWidths = names.map((n, i) => Math.max(width(n + pad), ...rows.map((r) => width(r.cells[i]?.text ?? ''))));
  const gap = '  ';
  const lines = [padEnd('', labelWidth) + names.map((n, i) => gap + paint(padStart(n, (colWidths[i] ?? 0) - pad.length), 'bold') + pad).join('')];
  for (const row of rows) {
    const cells = row.cells.map((c, i) => gap + paint(padStart(c.text, colWidths[i] ?? 0), c.paint)).join('');
    if (row.heading) lines.push(paint(row.label, 'bold'));
    else if (row.note !== undefined) lines.push(padEnd(row.label, labelWidth) + gap + paint(row.note, 'dim'));
    else lines.push(padEnd(row.label, labelWidth) + cells);
  }
  return lines;
}

/** Renders a run as a side-by-side table with its floor, ties and warnings, for a terminal. */
export function renderTerminal(result: RunResult, opts: TerminalOptions = {}): string {
  const color = opts.color === true;
  const paint = painter(color);
  const ts = orderedTransports(result);
  const rows: Row[] = [];

  rows.push({
    label: 'status',
    cells: ts.map((t) => ({ text: truncate(statusText(t), MAX_TEXT_CELL), paint: t.status === 'ok' ? undefined : t.status === 'errored' ? 'bad' : 'warn' })),
  });
  const metricRow = (def: MetricDef, label: string): Row => {
    const best = new Set(rankMetric(def, ts).best);
    return {
      label,
      cells: ts.map((t, i) => {
        const v = def.value(t);
        const text = cellText(def, t);
        if (v === undefined) return { text };
        if (best.has(i)) return { text: color ? text : `${text}${MARK}`, paint: 'best' };
        if (def.id === 'lost' && v > 0) return { text, paint: 'bad' };
        return { text };
      }),
    };
  };
  const summary = visibleMetrics(ts);
  for (const def of summary) {
    // a row nobody measured on purpose (RSS per connection below 1 000 clients) is one note, not n equal cells
    const missing = ts.map((t) => (def.value(t) === undefined ? def.missing?.(t) : undefined));
    const first = missing[0];
    if (first !== undefined && missing.every((m) => m === first)) rows.push({ label: def.label, cells: ts.map(() => ({ text: '' })), note: `${first} for every transport` });
    else rows.push(metricRow(def, def.label));
  }
  if (hasHealth(ts)) {
    rows.push({ label: 'bound by', cells: ts.map((t) => ({ text: boundText(t), paint: boundOf(t) === 'generator' || boundOf(t) === 'host' ? 'bad' : undefined })) });
    rows.push({ label: 'valid', cells: ts.map((t: TransportResult) => ({ text: validText(t), paint: validText(t).startsWith('no') ? 'bad' : undefined })) });
  }

  if (ts.some((t) => t.idle)) {
    rows.push({ label: 'idle RSS / connection', cells: ts.map((t) => ({ text: t.idle ? formatBytes(t.idle.rssBytesPerConnection) : NONE })) });
    rows.push({ label: 'idle heap / connection', cells: ts.map((t) => ({ text: t.idle ? formatBytes(t.idle.heapBytesPerConnection) : NONE })) });
  }
  if (ts.some((t) => t.capacity)) {
    rows.push({
      label: 'capacity knee',
      cells: ts.map((t) => {
        const c = t.capacity;
        if (!c) return { text: NONE };
        if (!c.knee) return { text: 'none held', paint: 'bad' };
        return { text: c.axis === 'clients' ? `${formatCount(c.knee.clients)} clients` : formatRate(c.knee.rate, ' ev/s') };
      }),
    });
  }
  const sections = sectionsFor(ts);
  for (const section of sections) {
    rows.push({ label: `${section.title}:`, cells: ts.map(() => ({ text: '' })), heading: true });
    for (const def of section.rows) rows.push(metricRow(def, `  ${def.label}`));
  }

  const lines: string[] = [];
  lines.push(paint(`rtbench ${result.scenario}${pathText(result)}: ${ts.map((t) => t.transport).join(', ')}`, 'bold'));
  lines.push(`${result.startedAt} → ${result.finishedAt}${result.interrupted ? ' (interrupted)' : ''}`);
  lines.push(settingsLine(result));
  if (pathNote(result)) lines.push(...wrap(pathNote(result)));
  const link = linkText(result);
  if (link) lines.push(...wrap(link, NOTE_WIDTH, ''));
  lines.push(paint(environmentLine(result), 'dim'));
  const invalid = invalidSummary(result);
  if (invalid) lines.push(paint(invalid, 'bad'));
  lines.push('');
  if (ts.length === 0) {
    lines.push('No transports were run.');
  } else {
    lines.push(...table(ts.map((t) => t.transport), rows, paint, !color));
    lines.push('');
    const floor = floorText(result);
    if (floor) lines.push(...wrap(floor), '');
    for (const section of sections) {
      const findings = section.findings?.(ts) ?? [];
      if (findings.length > 0) lines.push(...wrap(`${section.title}: ${findings.join(' ')}`), '');
    }
    const why = differences(result);
    if (why.length > 0) lines.push(`${DIFFERENCES_TITLE}:`, ...why.flatMap((d) => wrap(`- ${d}`, NOTE_WIDTH, '  ')), '');
    const legend = `${color ? 'green' : '*'} = best in row (lowest, or highest where more is wanted); a timed row's best must stand clear of this run's per-second noise (notched medians of the window seconds, docs/reports.md); timed rows without a per-second series are not ranked.`;
    lines.push(...wrap(legend).map((l) => paint(l, 'dim')));
    lines.push(...tieLines([...summary, ...sections.flatMap((s) => s.rows)], result));
  }

  const warnings = warningsFor(result);
  if (warnings.length > 0) {
    lines.push('');
    lines.push(paint('Warnings:', 'bold'));
    for (const w of warnings) lines.push(...wrap(`${warningMark(w)} ${w.message}`, NOTE_WIDTH - 2, '    ').map((l) => paint(`  ${l}`, w.level === 'note' ? undefined : w.level === 'warning' ? 'warn' : 'bad')));
  }
  return `${lines.map((l) => l.replace(/ +$/, '')).join('\n')}\n`;
}

/** The rows that have a leader but no winner: each tie on its own line, the rows with too few seconds on one. */
function tieLines(defs: readonly MetricDef[], result: RunResult): string[] {
  const vs = verdicts(result, defs);
  const lines: string[] = [];
  for (const v of vs.filter((x) => x.kind === 'tie')) lines.push(...wrap(`${v.metric.label.trim()}: ${noWinnerText(v)}.`));
  const few = vs.filter((x) => x.kind === 'too-few-seconds');
  if (few.length > 0) {
    const n = Math.min(...few.map((x) => x.seconds ?? 0));
    lines.push(...wrap(`No winner, ${TOO_FEW_TEXT} (${secondsNeededText(n)}): ${few.map((x) => `${x.metric.label.trim()} (${x.leader} leads)`).join(', ')}.`));
  }
  return lines;
}

/** Short tag in front of a warning line. */
function warningMark(w: Warning): string {
  return w.level === 'invalid' ? 'INVALID' : w.level === 'error' ? 'ERROR' : w.level === 'note' ? 'NOTE' : 'WARNING';
}

/** The change of every row from `before` to `after`, per transport, with the noise tag and no verdict. */
export function renderTerminalChanges(before: RunResult, after: RunResult, opts: TerminalOptions = {}): string {
  const paint = painter(opts.color === true);
  const names: Transport[] = [];
  for (const t of [...orderedTransports(before), ...orderedTransports(after)]) if (!names.includes(t.transport)) names.push(t.transport);
  const find = (r: RunResult, n: Transport): TransportResult | undefined => r.transports.find((t) => t.transport === n);
  const rows: Row[] = [];
  rows.push({
    label: 'status',
    cells: names.map((n) => {
      const b = find(before, n)?.status ?? 'not run';
      const a = find(after, n)?.status ?? 'not run';
      return { text: b === a ? b : `${b} → ${a}`, paint: a === 'ok' && b === 'ok' ? undefined : 'warn' };
    }),
  });
  for (const def of allRows([...before.transports, ...after.transports])) {
    rows.push({
      label: def.label,
      cells: names.map((n) => {
        const c = beforeAfterCell(def, find(before, n), find(after, n));
        if (c.kind === 'same') return { text: '±0%  ' };
        if (c.kind === 'text') return { text: `${c.bothMissing ? NONE : 'n/a'}  ` };
        return { text: `${c.delta} ${c.noise ? NOISE_TAGS[c.noise].mark : ' '}` };
      }),
    });
  }
  const lines = [
    paint(`rtbench ${after.scenario}: before → after`, 'bold'),
    `before ${before.startedAt}${before.environment.gitCommit ? ` (commit ${before.environment.gitCommit.slice(0, 12)})` : ''}${pathText(before)}, after ${after.startedAt}${after.environment.gitCommit ? ` (commit ${after.environment.gitCommit.slice(0, 12)})` : ''}${pathText(after)}`,
    '',
    ...table(names, rows, paint, false),
    '',
    ...wrap(
      `Each cell: after relative to before. ${Object.values(NOISE_TAGS)
        .map((t) => `${t.mark} ${t.meaning}`)
        .join('; ')}; no mark: an exact count, or a figure without a per-second series; n/a: measured on one side only.`,
    ).map((l) => paint(l, 'dim')),
    ...wrap(GATE_SENTENCE),
  ];
  return `${lines.map((l) => l.replace(/ +$/, '')).join('\n')}\n`;
}

/** Every result's table; a before/after pair is followed by the change of every row. */
export function renderTerminalRuns(results: readonly RunResult[], opts: TerminalOptions = {}): string {
  const tables = results.map((r) => renderTerminal(r, opts));
  const [before, after] = results;
  if (layoutFor(results) === 'before-after' && before && after) tables.push(renderTerminalChanges(before, after, opts));
  return tables.join('\n');
}
