// Terminal report: one column per transport, one row per metric, the best value per row marked,
// warnings below. Pure: (result) => string.
import type { RunResult, TransportResult } from '../lib/result.ts';
import { NONE, formatBytes, formatCount, formatRate } from './format.ts';
import { sectionsFor } from './scenarios.ts';
import { bestIndexes, cellText, visibleMetrics, environmentLine, orderedTransports, saturatedText, settingsLine, statusText, warningsFor, type MetricDef, type Warning } from './metrics.ts';

/** Options of the terminal table. */
export interface TerminalOptions {
  /** Use ANSI colours (best value green, warnings yellow/red). Default false. */
  color?: boolean;
}

/** Widest a status or saturation cell may grow before it is cut with "…" (the full text is in the warnings). */
const MAX_TEXT_CELL = 22;

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

/** One rendered cell: its text and how to paint it. */
interface Cell {
  text: string;
  paint?: 'best' | 'bad' | 'warn';
}

/** Renders a run as a side-by-side table with warnings, for a terminal. */
export function renderTerminal(result: RunResult, opts: TerminalOptions = {}): string {
  const color = opts.color === true;
  const paint = (text: string, how: Cell['paint'] | 'bold' | 'dim'): string => {
    if (!color || how === undefined) return text;
    const code = how === 'best' ? ANSI.green + ANSI.bold : how === 'bad' ? ANSI.red : how === 'warn' ? ANSI.yellow : how === 'bold' ? ANSI.bold : ANSI.dim;
    return `${code}${text}${ANSI.reset}`;
  };

  const ts = orderedTransports(result);
  /** heading: a section title on its own line; note: one text across every column. */
  const rows: Array<{ label: string; cells: Cell[]; heading?: boolean; note?: string }> = [];

  rows.push({
    label: 'status',
    cells: ts.map((t) => ({ text: truncate(statusText(t), MAX_TEXT_CELL), paint: t.status === 'ok' ? undefined : t.status === 'errored' ? 'bad' : 'warn' })),
  });
  const metricRow = (def: MetricDef, label: string): { label: string; cells: Cell[] } => {
    const best = new Set(bestIndexes(def, ts));
    return {
      label,
      cells: ts.map((t, i) => {
        const v = def.value(t);
        if (v === undefined) return { text: cellText(def, t) };
        const text = def.format(v);
        if (best.has(i)) return { text: color ? text : `${text}${MARK}`, paint: 'best' };
        if (def.id === 'lost' && v > 0) return { text, paint: 'bad' };
        return { text };
      }),
    };
  };
  for (const def of visibleMetrics(ts)) {
    // a row nobody measured on purpose (RSS per connection below 1 000 clients) is one note, not n equal cells
    const missing = ts.map((t) => (def.value(t) === undefined ? def.missing?.(t) : undefined));
    const first = missing[0];
    if (first !== undefined && missing.every((m) => m === first)) rows.push({ label: def.label, cells: ts.map(() => ({ text: '' })), note: `${first} for every transport` });
    else rows.push(metricRow(def, def.label));
  }
  if (ts.some((t) => t.driver)) rows.push({
    label: 'driver saturated',
    cells: ts.map((t: TransportResult) => ({ text: truncate(saturatedText(t), MAX_TEXT_CELL), paint: t.driver?.saturated ? 'bad' : undefined })),
  });

  const withIdle = ts.some((t) => t.idle);
  if (withIdle) {
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
  for (const section of sectionsFor(ts)) {
    rows.push({ label: `${section.title}:`, cells: ts.map(() => ({ text: '' })), heading: true });
    for (const def of section.rows) rows.push(metricRow(def, `  ${def.label}`));
  }
  // without colour the best-value mark takes its own 2-column slot, so numbers stay right-aligned
  if (!color) {
    for (const row of rows) for (const c of row.cells) if (!c.text.endsWith(MARK)) c.text += ' '.repeat(MARK.length);
  }

  const labelWidth = Math.max(...rows.map((r) => width(r.label)));
  const pad = color ? '' : ' '.repeat(MARK.length);
  const colWidths = ts.map((t, i) => Math.max(width(t.transport + pad), ...rows.map((r) => width(r.cells[i]?.text ?? ''))));
  const gap = '  ';

  const lines: string[] = [];
  lines.push(paint(`rtbench ${result.scenario}: ${ts.map((t) => t.transport).join(', ')}`, 'bold'));
  lines.push(`${result.startedAt} → ${result.finishedAt}${result.interrupted ? ' (interrupted)' : ''}`);
  lines.push(settingsLine(result));
  lines.push(paint(environmentLine(result), 'dim'));
  lines.push('');
  if (ts.length === 0) {
    lines.push('No transports were run.');
  } else {
    lines.push(padEnd('', labelWidth) + ts.map((t, i) => gap + paint(padStart(t.transport, (colWidths[i] ?? 0) - pad.length), 'bold') + pad).join(''));
    for (const row of rows) {
      const cells = row.cells.map((c, i) => gap + paint(padStart(c.text, colWidths[i] ?? 0), c.paint)).join('');
      if (row.heading) lines.push(paint(row.label, 'bold'));
      else if (row.note !== undefined) lines.push(padEnd(row.label, labelWidth) + gap + paint(row.note, 'dim'));
      else lines.push(padEnd(row.label, labelWidth) + cells);
    }
    lines.push('');
    lines.push(paint(color ? 'green = best in row (lowest, or highest where more is better)' : '* = best in row (lowest, or highest where more is better)', 'dim'));
  }

  const warnings = warningsFor(result);
  if (warnings.length > 0) {
    lines.push('');
    lines.push(paint('Warnings:', 'bold'));
    for (const w of warnings) lines.push(paint(`  ${warningMark(w)} ${w.message}`, w.level === 'warning' ? 'warn' : 'bad'));
  }
  return `${lines.map((l) => l.replace(/ +$/, '')).join('\n')}\n`;
}

/** Short tag in front of a warning line. */
function warningMark(w: Warning): string {
  return w.level === 'invalid' ? 'INVALID' : w.level === 'error' ? 'ERROR' : 'WARNING';
}
