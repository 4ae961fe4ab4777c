// The path matrix (`rtbench paths`): one fan-out run per path profile (link x via), folded into a matrix with rows
// = transports and columns = paths, each cell the latency p50 / p99 and the bytes per delivered event, plus a
// sentence per finding computed from the figures. Terminal, Markdown and HTML. Pure.
import type { RunResult, TransportResult } from '../lib/result.ts';
import { TRANSPORTS, type Transport } from '../lib/transports.ts';
import type { Via } from '../net/path.ts';
import { NONE, formatCount, formatSig, formatUs } from './format.ts';
import { esc } from './html.ts';

/** One path profile of the matrix: a named link and what sits in front of the server. */
export interface PathProfile {
  link: string;
  via: Via;
}

/** A path's column name, e.g. "wan/nginx-tuned". */
export function pathName(p: PathProfile): string {
  return `${p.link}/${p.via}`;
}

/** One cell: a transport on a path. */
export interface PathCell {
  transport: Transport;
  path: string;
  status: TransportResult['status'];
  error?: string;
  p50Us?: number;
  p99Us?: number;
  /** Bytes the server wrote per delivered event (behind a proxy: what it wrote to the proxy). */
  bytesPerEvent?: number;
  deliveredEvents?: number;
  expectedDeliveries?: number;
  lost?: number;
}

/** One run of the matrix. */
export interface PathRun extends PathProfile {
  path: string;
  result: RunResult;
}

/** The combined result `rtbench paths` writes. */
export interface PathsResult {
  kind: 'rtbench-paths';
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  /** Column order. */
  paths: string[];
  /** Row order. */
  transports: Transport[];
  runs: PathRun[];
  matrix: PathCell[];
  findings: string[];
}

/** Where the bytes are counted, said under every matrix. */
export const BYTES_NOTE =
  "Bytes per delivered event are counted at the server's socket (headers and framing included): directly, what the clients received; behind a proxy, what the server wrote to the proxy, not what the proxy wrote to the clients.";

/** A p50 difference counts only beyond this: 10% of the smaller median, and at least 0.5 ms. */
export const NOISE_FRACTION = 0.1;
export const NOISE_FLOOR_US = 500;

/** The noise band of a comparison of two medians. */
export function noiseUs(a: number, b: number): number {
  return Math.max(NOISE_FLOOR_US, NOISE_FRACTION * Math.min(a, b));
}

/** The matrix cell of one transport result. */
export function cellOf(path: string, t: TransportResult): PathCell {
  return {
    transport: t.transport,
    path,
    status: t.status,
    ...(t.error === undefined ? {} : { error: t.error }),
    ...(t.latency ? { p50Us: t.latency.p50Us, p99Us: t.latency.p99Us } : {}),
    ...(t.wire ? { bytesPerEvent: t.wire.bytesPerEvent } : {}),
    ...(t.delivery ? { deliveredEvents: t.delivery.deliveredEvents, expectedDeliveries: t.delivery.expectedDeliveries, lost: t.delivery.lost } : {}),
  };
}

/** Folds the runs into the combined result: cells, row and column order, findings. */
export function buildPathsResult(runs: PathRun[], startedAt: string, finishedAt: string): PathsResult {
  const seen = new Set(runs.flatMap((r) => r.result.transports.map((t) => t.transport)));
  const transports = TRANSPORTS.filter((t) => seen.has(t));
  const matrix = runs.flatMap((r) => r.result.transports.map((t) => cellOf(r.path, t)));
  return {
    kind: 'rtbench-paths',
    startedAt,
    finishedAt,
    interrupted: runs.some((r) => r.result.interrupted),
    paths: runs.map((r) => r.path),
    transports,
    runs,
    matrix,
    findings: pathFindings(runs),
  };
}

function cellFor(matrix: readonly PathCell[], transport: Transport, path: string): PathCell | undefined {
  return matrix.find((c) => c.transport === transport && c.path === path);
}

/** "0.52 ms / 5.0 ms · 152 B", or the status when not measured. */
export function cellText(c: PathCell | undefined): string {
  if (c === undefined) return NONE;
  if (c.status === 'errored') return 'errored';
  const latency = c.p50Us === undefined || c.p99Us === undefined ? NONE : `${formatUs(c.p50Us)} / ${formatUs(c.p99Us)}`;
  const bytes = c.bytesPerEvent === undefined ? NONE : `${formatSig(c.bytesPerEvent)} B`;
  const lost = c.lost !== undefined && c.lost > 0 ? ` · ${formatCount(c.lost)} lost` : '';
  return `${latency} · ${bytes}${lost}`;
}

/** The measured round trip of a run (median over its transports' paths), µs, or its configured one. */
function rttOf(result: RunResult): { us: number; measured: boolean } | undefined {
  const measured = result.transports.flatMap((t) => (t.path?.link?.measuredRttP50Us === undefined ? [] : [t.path.link.measuredRttP50Us])).sort((a, b) => a - b);
  if (measured.length > 0) return { us: measured[Math.floor((measured.length - 1) / 2)] as number, measured: true };
  const configured = result.transports.find((t) => t.path?.link)?.path?.link?.rttMs ?? result.options.rttMs;
  return configured === undefined || configured <= 0 ? undefined : { us: configured * 1000, measured: false };
}

function p50(result: RunResult, transport: Transport): number | undefined {
  const t = result.transports.find((x) => x.transport === transport);
  return t?.status === 'ok' ? t.latency?.p50Us : undefined;
}

/** One sentence per finding, computed from the figures: what each link added per transport, what the default proxy config did. */
export function pathFindings(runs: readonly PathRun[]): string[] {
  return [...linkFindings(runs), ...proxyFindings(runs)];
}

function linkFindings(runs: readonly PathRun[]): string[] {
  const out: string[] = [];
  for (const run of runs) {
    if (run.link === 'loopback') continue;
    const base = runs.find((r) => r.link === 'loopback' && r.via === run.via);
    const rtt = rttOf(run.result);
    if (base === undefined || rtt === undefined) continue;
    const parts: string[] = [];
    for (const t of run.result.transports) {
      const before = p50(base.result, t.transport);
      const after = p50(run.result, t.transport);
      if (before === undefined || after === undefined) continue;
      const grew = after - before;
      if (Math.abs(grew) <= noiseUs(before, after)) parts.push(`${t.transport}'s median did not move beyond noise (${signed(grew)})`);
      else parts.push(`${t.transport}'s median ${grew > 0 ? 'grew' : 'fell'} by ${(Math.abs(grew) / rtt.us).toFixed(2)} RTT (${formatUs(Math.abs(grew))})`);
    }
    if (parts.length === 0) continue;
    const rttWord = rtt.measured ? 'measured RTT' : 'configured RTT (not measured)';
    out.push(`Over ${run.link} via ${run.via} (${rttWord} ${formatUs(rtt.us)}, half of it ${formatUs(rtt.us / 2)}), against loopback via ${run.via}: ${joinList(parts)}.`);
  }
  return out;
}

function proxyFindings(runs: readonly PathRun[]): string[] {
  const out: string[] = [];
  for (const def of runs) {
    if (def.via !== 'nginx-default') continue;
    const tuned = runs.find((r) => r.via === 'nginx-tuned' && r.link === def.link);
    if (tuned === undefined) continue;
    for (const d of def.result.transports) {
      const t = tuned.result.transports.find((x) => x.transport === d.transport);
      if (t === undefined) continue;
      out.push(`On ${def.link}, ${d.transport} through nginx-default vs nginx-tuned: ${proxyComparison(d, t)}.`);
    }
  }
  return out;
}

function proxyComparison(d: TransportResult, t: TransportResult): string {
  if (d.status === 'errored' && t.status === 'errored') return `errored through both (${d.error ?? 'no reason given'}; ${t.error ?? 'no reason given'})`;
  if (d.status === 'errored' || t.status === 'errored') return `errored through ${d.status === 'errored' ? 'nginx-default' : 'nginx-tuned'} (${(d.status === 'errored' ? d.error : t.error) ?? 'no reason given'})`;
  const parts: string[] = [];
  if (d.delivery && t.delivery) {
    const dd = d.delivery;
    const td = t.delivery;
    // Runs publish different counts (the warm-up ends when latency settles): compare what each missed.
    const missedD = dd.expectedDeliveries - dd.deliveredEvents;
    const missedT = td.expectedDeliveries - td.deliveredEvents;
    const counts = `${formatCount(dd.deliveredEvents)} of ${formatCount(dd.expectedDeliveries)} vs ${formatCount(td.deliveredEvents)} of ${formatCount(td.expectedDeliveries)}; lost ${formatCount(dd.lost)} vs ${formatCount(td.lost)}`;
    if (missedD > missedT) parts.push(`the default config withheld ${formatCount(missedD - missedT)} more deliveries (${counts})`);
    else if (missedD < missedT) parts.push(`the default config missed ${formatCount(missedT - missedD)} fewer deliveries (${counts})`);
    else parts.push(`both missed ${formatCount(missedD)} deliveries (${counts})`);
  }
  const a = d.latency?.p50Us;
  const b = t.latency?.p50Us;
  if (a !== undefined && b !== undefined) {
    const diff = a - b;
    const medians = `${formatUs(a)} vs ${formatUs(b)}`;
    if (Math.abs(diff) <= noiseUs(a, b)) parts.push(`the medians are the same within noise (${medians})`);
    else if (diff > 0) parts.push(`the default config delayed events: median ${medians} (${signed(diff)})`);
    else parts.push(`the default config's median was lower: ${medians} (${signed(diff)})`);
  } else parts.push('a median was not measured');
  return parts.join('; ');
}

function signed(us: number): string {
  return `${us < 0 ? '-' : '+'}${formatUs(Math.abs(us))}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function joinList(parts: readonly string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1] as string}`;
}

/** The links in column order, grouped under each via: one block per via keeps a row readable. */
function blocks(result: PathsResult): { via: string; paths: string[] }[] {
  const out: { via: string; paths: string[] }[] = [];
  for (const r of result.runs) {
    let b = out.find((x) => x.via === r.via);
    if (!b) out.push((b = { via: r.via, paths: [] }));
    b.paths.push(r.path);
  }
  return out;
}

function linkOf(result: PathsResult, path: string): string {
  return result.runs.find((r) => r.path === path)?.link ?? path;
}

/** The settings line: what every run had in common. */
function settingsLine(result: PathsResult): string {
  const o = result.runs[0]?.result.options;
  if (!o) return 'no runs';
  const opt = o as { clients?: number; rate?: number; durationMs?: number };
  return `${formatCount(opt.clients ?? 0)} clients, ${formatCount(opt.rate ?? 0)} events/s, ${formatUs((opt.durationMs ?? 0) * 1000)} window per path`;
}

const LEGEND = 'Each cell: latency p50 / p99 · bytes per delivered event (· lost, when any).';

/** The matrix for a terminal: one table per via, columns = links. */
export function renderPathsTerminal(result: PathsResult): string {
  const lines = [`rtbench paths: ${plural(result.paths.length, 'path')} x ${plural(result.transports.length, 'transport')} (${settingsLine(result)})${result.interrupted ? ' — interrupted' : ''}`, LEGEND, ''];
  for (const b of blocks(result)) {
    const header = [`via ${b.via}`, ...b.paths.map((p) => linkOf(result, p))];
    const rows = result.transports.map((t) => [t, ...b.paths.map((p) => cellText(cellFor(result.matrix, t, p)))]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('   ').trimEnd();
    lines.push(line(header), ...rows.map(line), '');
  }
  lines.push(BYTES_NOTE, '');
  if (result.findings.length > 0) lines.push('Findings:', ...result.findings.map((f) => `- ${f}`), '');
  return `${lines.join('\n')}`;
}

/** The matrix as Markdown: one table per via, columns = links. */
export function renderPathsMarkdown(result: PathsResult): string {
  const lines = [`## rtbench paths`, '', `${plural(result.paths.length, 'path')} x ${plural(result.transports.length, 'transport')} (${settingsLine(result)}). ${LEGEND}`, ''];
  for (const b of blocks(result)) {
    lines.push(`| via ${b.via} | ${b.paths.map((p) => linkOf(result, p)).join(' | ')} |`, `| --- |${b.paths.map(() => ' ---: |').join('')}`);
    for (const t of result.transports) lines.push(`| ${t} | ${b.paths.map((p) => cellText(cellFor(result.matrix, t, p))).join(' | ')} |`);
    lines.push('');
  }
  lines.push(BYTES_NOTE, '');
  if (result.findings.length > 0) lines.push('### Findings', '', ...result.findings.map((f) => `- ${f}`), '');
  return lines.join('\n');
}

/** The matrix as a standalone HTML page. */
export function renderPathsHtml(result: PathsResult, generatedAt: string): string {
  const tables = blocks(result).map((b) => {
    const head = `<tr><th>via ${esc(b.via)}</th>${b.paths.map((p) => `<th>${esc(linkOf(result, p))}</th>`).join('')}</tr>`;
    const body = result.transports.map((t) => `<tr><th>${esc(t)}</th>${b.paths.map((p) => `<td>${esc(cellText(cellFor(result.matrix, t, p)))}</td>`).join('')}</tr>`).join('\n');
    return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
  });
  const findings = result.findings.length === 0 ? '' : `<h2>Findings</h2>\n<ul>\n${result.findings.map((f) => `<li>${esc(f)}</li>`).join('\n')}\n</ul>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>rtbench paths</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px}td{text-align:right;font-variant-numeric:tabular-nums}thead th{background:#f3f3f3}</style>
</head>
<body>
<h1>rtbench paths</h1>
<p>${esc(`${plural(result.paths.length, 'path')} x ${plural(result.transports.length, 'transport')} (${settingsLine(result)}). ${LEGEND}`)}</p>
${tables.join('\n')}
<p>${esc(BYTES_NOTE)}</p>
${findings}
<p>Generated ${esc(generatedAt)}.</p>
</body>
</html>
`;
}
