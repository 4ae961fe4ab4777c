// Chart descriptions for the HTML report: plain JSON data (series, axes, formats) that the page's small
// script turns into Chart.js charts. Built here, in typed code, so the page only draws.
import type { RunResult, TransportResult } from '../lib/result.ts';
import { TRANSPORTS, type Transport } from '../lib/transports.ts';
import { formatBytes, formatCount, formatUs } from './format.ts';
import { MIN_CLIENTS_FOR_RSS_PER_CONNECTION } from '../lib/result.ts';
import { metric, orderedTransports, visibleMetrics, type MetricDef } from './metrics.ts';
import { bestIndexes, isComparable } from './ranking.ts';
import { sectionRow, sectionsFor } from './scenarios.ts';
import { percentileCurve } from './percentiles.ts';

/** One colour per transport, the same in every chart and in the table header (Tableau 10). */
export const TRANSPORT_COLORS: Record<Transport, string> = {
  'short-poll': '#e45756',
  'long-poll': '#f58518',
  ws: '#4c78a8',
  sse: '#54a24b',
  'fetch-stream': '#b279a2',
  socketio: '#72b7b2',
  'socketio-ws': '#9d755d',
};

/** How the page formats an axis tick or tooltip value. */
export type ValueFormat = 'us' | 'bytes' | 'count' | 'ratio' | 'percentile' | 'seconds' | 'rate' | 'ms';

/** One axis of a chart. */
export interface AxisSpec {
  title: string;
  scale: 'linear' | 'log';
  format: ValueFormat;
  min?: number;
  max?: number;
}

/** One line (or set of points) of a line chart; points are [x, y]. */
export interface SeriesSpec {
  label: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
  /** Draw the connecting line (default true). */
  line?: boolean;
  /** Point radius in CSS px (default 0: no markers). */
  pointRadius?: number;
  pointStyle?: string;
  /** Per-point overrides. */
  pointColors?: string[];
  pointStyles?: string[];
  pointRadii?: number[];
  /** Line width in CSS px (default 2). */
  width?: number;
  /** Show in the legend (default true). */
  legend?: boolean;
}

/** A chart of lines over numeric axes. */
export interface LineChartSpec {
  kind: 'line';
  id: string;
  title: string;
  /** One line under the title: how to read the chart. */
  note: string;
  x: AxisSpec;
  y: AxisSpec;
  series: SeriesSpec[];
}

/** One set of bars, one bar per category. */
export interface BarDatasetSpec {
  label: string;
  /** Bar fill, per category. */
  colors: string[];
  /** Swatch colour in the legend. */
  legendColor: string;
  /** null: not measured (the page writes `missing[i]` instead of a bar). */
  values: Array<number | null>;
  /** Text drawn above each bar (formatted value; "★" marks the best). */
  labels: string[];
}

/** A bar chart with one group per category (transport). */
export interface BarChartSpec {
  kind: 'bar';
  id: string;
  title: string;
  note: string;
  categories: string[];
  y: AxisSpec;
  datasets: BarDatasetSpec[];
  legend: boolean;
}

/** Any chart of the report. */
export type ChartSpec = LineChartSpec | BarChartSpec;

/** A result shown in a chart, tagged when it is one side of a before/after pair. */
export interface TaggedRun {
  result: RunResult;
  tag?: 'before' | 'after';
}

/** "#4c78a8" -> "rgba(76, 120, 168, 0.4)". */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** A chart's note, with which way is better for a single run; a before/after pair's charts say no more than what they show. */
function noteFor(runs: readonly TaggedRun[], note: string, hint: string | undefined): string {
  return runs.length === 1 && hint ? `${note} ${hint}` : note;
}

function seriesLabel(t: Transport, run: TaggedRun): string {
  return run.tag ? `${t} (${run.tag})` : t;
}

/** Transports present in any of the runs, in canonical order. */
function transportNames(runs: readonly TaggedRun[]): Transport[] {
  const present = new Set(runs.flatMap((r) => r.result.transports.map((t) => t.transport)));
  return TRANSPORTS.filter((t) => present.has(t));
}

function find(run: TaggedRun, t: Transport): TransportResult | undefined {
  return run.result.transports.find((x) => x.transport === t);
}

/** Latency percentile curves (HdrHistogram style), one per transport and run; null without latency data. */
export function percentileChart(id: string, runs: readonly TaggedRun[]): LineChartSpec | null {
  const series: SeriesSpec[] = [];
  let maxX = 10;
  for (const run of runs) {
    for (const t of orderedTransports(run.result)) {
      const points = percentileCurve(t);
      if (points.length === 0) continue;
      for (const p of points) maxX = Math.max(maxX, p.x);
      series.push({ label: seriesLabel(t.transport, run), color: TRANSPORT_COLORS[t.transport], dashed: run.tag === 'before', points: points.map((p) => [p.x, p.valueUs]) });
    }
  }
  if (series.length === 0) return null;
  return {
    kind: 'line',
    id,
    title: 'Latency by percentile',
    note: noteFor(runs, 'Publish-to-delivery latency at each percentile (HdrHistogram style, both axes logarithmic); the right end is the worst deliveries.', 'Lower and flatter is better.'),
    x: { title: 'percentile', scale: 'log', format: 'percentile', min: 1, max: maxX },
    y: { title: 'latency', scale: 'log', format: 'us' },
    series,
  };
}

/** p99 (solid) and p50 (thin) latency of every second that delivered, dots on the window's seconds; null without timelines. */
export function timelineChart(id: string, runs: readonly TaggedRun[]): LineChartSpec | null {
  const series: SeriesSpec[] = [];
  const pair = runs.length > 1;
  for (const run of runs) {
    for (const t of orderedTransports(run.result)) {
      // a second without deliveries has no latency to draw (and no place on a log axis)
      const timeline = (t.timeline ?? []).filter((p) => p.delivered > 0);
      if (timeline.length === 0) continue;
      const color = TRANSPORT_COLORS[t.transport];
      const dot = timeline.length <= 2 ? 3 : 2;
      series.push({
        label: `${seriesLabel(t.transport, run)} p99`,
        color,
        dashed: run.tag === 'before',
        points: timeline.map((p) => [p.tMs / 1000, p.p99Us]),
        pointRadius: 0,
        pointRadii: timeline.map((p) => (p.window === true || timeline.length <= 2 ? dot : 0)),
      });
      if (!pair) series.push({ label: `${t.transport} p50`, color: withAlpha(color, 0.55), width: 1, legend: false, points: timeline.map((p) => [p.tMs / 1000, p.p50Us]), pointRadius: timeline.length <= 2 ? 2 : 0 });
    }
  }
  if (series.length === 0) return null;
  return {
    kind: 'line',
    id,
    title: 'Latency over time',
    note: pair
      ? "p99 latency of each second since the publisher started (warm-up, window, drain); dots mark the measured window's seconds; dashed = before. A flat line means steady delivery; spikes are stalls."
      : "p99 (thick) and p50 (thin) latency of each second since the publisher started (warm-up, window, drain); dots mark the measured window's seconds, the ones the tie rule reads. A flat line means steady delivery; spikes are stalls.",
    x: { title: 'seconds since the publisher started', scale: 'linear', format: 'seconds' },
    y: { title: 'latency', scale: 'log', format: 'us' },
    series,
  };
}

/** A bar chart of one or more metrics per transport, one dataset per metric and run. */
function metricBars(id: string, runs: readonly TaggedRun[], defs: readonly MetricDef[], title: string, note: string, hint: string | undefined, format: ValueFormat): BarChartSpec | null {
  const names = transportNames(runs);
  const datasets: BarDatasetSpec[] = [];
  defs.forEach((def, d) => {
    runs.forEach((run, r) => {
      const ts = names.map((n) => find(run, n));
      const present = ts.filter((t): t is TransportResult => t !== undefined);
      const best = new Set(bestIndexes(def, present).map((i) => present[i]?.transport));
      const values = ts.map((t) => {
        const v = t ? def.value(t) : undefined;
        return v === undefined || !Number.isFinite(v) ? null : v;
      });
      const alpha = (runs.length > 1 && r === 0 ? 0.4 : 1) * (d === 0 ? 1 : 0.55);
      datasets.push({
        label: [defs.length > 1 ? def.label : '', run.tag ?? ''].filter(Boolean).join(' · ') || def.label,
        colors: names.map((n) => (alpha === 1 ? TRANSPORT_COLORS[n] : withAlpha(TRANSPORT_COLORS[n], alpha))),
        legendColor: withAlpha('#555555', alpha),
        values,
        labels: ts.map((t, i) => {
          const v = values[i];
          if (!t) return 'not run';
          if (v === null || v === undefined) return t.status !== 'ok' ? t.status : (def.missing?.(t) ?? 'n/a');
          return `${def.format(v)}${best.has(t.transport) && runs.length === 1 ? ' ★' : ''}`;
        }),
      });
    });
  });
  // nothing measured, or every bar zero (no connection opened in the window): nothing to compare, no chart
  if (datasets.every((ds) => ds.values.every((v) => v === null || v === 0))) return null;
  return { kind: 'bar', id, title, note: noteFor(runs, note, hint), categories: names, y: { title: '', scale: 'linear', format, min: 0 }, datasets, legend: datasets.length > 1 };
}

/** The per-transport bar charts: throughput, bytes, requests, connections, CPU, memory. */
export function barCharts(idPrefix: string, runs: readonly TaggedRun[]): BarChartSpec[] {
  // only rows the summary shows (a poll-ceiling run has no connection counts worth a direction)
  const shown = new Set(visibleMetrics(runs.flatMap((r) => r.result.transports)).map((d) => d.id));
  const defs = (...ids: string[]): MetricDef[] => ids.filter((id) => shown.has(id)).map(metric);
  const charts = [
    metricBars(`${idPrefix}-throughput`, runs, defs('eventsPerSec'), 'Delivered events per second', 'Deliveries per second across all clients; equal bars mean every transport kept up with the publisher.', 'Higher is better.', 'rate'),
    metricBars(`${idPrefix}-bytes`, runs, defs('bytesPerEvent'), 'Bytes per event', 'Bytes the server wrote per delivered event, headers and framing included.', 'Lower is better.', 'bytes'),
    metricBars(`${idPrefix}-requests`, runs, defs('requestsPerEvent'), 'HTTP requests per event', 'Requests the server had to parse and answer per delivered event; streaming transports need one per connection, not per event.', 'Lower is better.', 'ratio'),
    metricBars(`${idPrefix}-connections`, runs, defs('connectionsOpened', 'connectionsClosed'), 'Connections opened and closed', 'TCP connections accepted (solid) and closed (pale) while measuring; each new connection costs a handshake.', 'Lower is better.', 'count'),
    metricBars(`${idPrefix}-cpu`, runs, defs('cpuPer1k'), 'Server CPU per 1 000 events', 'Server CPU time (user + system) per 1 000 delivered events, ms.', 'Lower is better.', 'ms'),
    metricBars(`${idPrefix}-memory`, runs, defs('rssPerConnection'), 'Server memory per connection', `Server RSS per connected client (connected minus baseline, divided by clients); not measured below ${MIN_CLIENTS_TEXT} clients.`, 'Lower is better.', 'bytes'),
  ];
  return charts.filter((c): c is BarChartSpec => c !== null);
}

/** "1 000". */
const MIN_CLIENTS_TEXT = formatCount(MIN_CLIENTS_FOR_RSS_PER_CONNECTION).replace(',', ' ');

/** A chart that has nothing to draw, shown as its title and a sentence saying why. */
export interface ChartNote {
  id: string;
  title: string;
  note: string;
}

/** Charts left out on purpose, with why: memory per connection when no transport had enough clients. */
export function chartNotes(idPrefix: string, runs: readonly TaggedRun[]): ChartNote[] {
  const ts = runs.flatMap((r) => r.result.transports);
  const rss = metric('rssPerConnection');
  const ran = ts.filter((t) => t.server !== undefined);
  if (ran.length === 0 || ran.some((t) => rss.value(t) !== undefined)) return [];
  const clients = [...new Set(runs.map((r) => formatCount(r.result.options.clients)))].join(' and ');
  return [
    {
      id: `${idPrefix}-memory`,
      title: 'Server memory per connection',
      note: `Not measured below ${MIN_CLIENTS_TEXT} clients (this run: ${clients} per transport): allocator noise outweighs so few connections. Run with --clients ${MIN_CLIENTS_FOR_RSS_PER_CONNECTION} or more, or the idle scenario, to see it.`,
    },
  ];
}

/** The bar charts of the scenario sections (reconnect times, round trip, bursts, tokens, poll ceiling). */
export function sectionCharts(idPrefix: string, runs: readonly TaggedRun[]): BarChartSpec[] {
  const sections = sectionsFor(runs.flatMap((r) => r.result.transports));
  const charts = sections.flatMap((s) => s.charts.map((c) => metricBars(`${idPrefix}-${c.id}`, runs, c.rows.map(sectionRow), c.title, c.note, c.hint, c.format)));
  return charts.filter((c): c is BarChartSpec => c !== null);
}

/** Idle scenario: server RSS versus held connections; null without idle data. */
export function idleChart(id: string, runs: readonly TaggedRun[]): LineChartSpec | null {
  const series: SeriesSpec[] = [];
  for (const run of runs) {
    for (const t of orderedTransports(run.result)) {
      if (!t.idle || t.idle.points.length === 0) continue;
      series.push({
        label: `${seriesLabel(t.transport, run)}: ${formatBytes(t.idle.rssBytesPerConnection)}/conn`,
        color: TRANSPORT_COLORS[t.transport],
        dashed: run.tag === 'before',
        points: t.idle.points.map((p) => [p.connections, p.rssBytes]),
        pointRadius: 3,
      });
    }
  }
  if (series.length === 0) return null;
  return {
    kind: 'line',
    id,
    title: 'Server memory versus idle connections',
    note: noteFor(runs, 'Server RSS while holding idle connections; the legend gives the fitted slope (memory per connection).', 'Lower and flatter is better.'),
    x: { title: 'connections held', scale: 'linear', format: 'count', min: 0 },
    y: { title: 'server RSS', scale: 'linear', format: 'bytes' },
    series,
  };
}

/** Capacity scenario: p99 latency versus load, the SLO line and each transport's knee; null without data. */
export function capacityChart(id: string, runs: readonly TaggedRun[]): LineChartSpec | null {
  const series: SeriesSpec[] = [];
  const knees: Array<{ x: number; y: number; color: string }> = [];
  let axis: 'clients' | 'rate' = 'clients';
  let slo: number | undefined;
  let minX = Infinity;
  let maxX = -Infinity;
  for (const run of runs) {
    for (const t of orderedTransports(run.result)) {
      const c = t.capacity;
      if (!c || c.steps.length === 0) continue;
      axis = c.axis;
      slo = slo === undefined ? c.sloP99Us : Math.max(slo, c.sloP99Us);
      const color = TRANSPORT_COLORS[t.transport];
      const xs = c.steps.map((s) => (c.axis === 'clients' ? s.clients : s.rate));
      for (const x of xs) {
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
      }
      const kneeText = c.knee ? `knee at ${formatCount(c.axis === 'clients' ? c.knee.clients : c.knee.rate)} ${c.axis === 'clients' ? 'clients' : 'events/s'}` : 'no step held';
      series.push({
        label: `${seriesLabel(t.transport, run)}: ${kneeText}`,
        color,
        dashed: run.tag === 'before',
        points: c.steps.map((s, i) => [xs[i] ?? 0, s.p99Us]),
        pointRadius: 4,
        pointStyles: c.steps.map((s) => (s.held ? 'circle' : 'crossRot')),
        pointRadii: c.steps.map((s) => (s.held ? 4 : 7)),
      });
      if (c.knee) {
        const kx = c.axis === 'clients' ? c.knee.clients : c.knee.rate;
        const step = c.steps.find((s) => (c.axis === 'clients' ? s.clients : s.rate) === kx);
        if (step) knees.push({ x: kx, y: step.p99Us, color });
      }
    }
  }
  if (series.length === 0) return null;
  if (knees.length > 0) {
    series.push({ label: 'knee (highest load within the SLO)', color: '#222222', line: false, pointStyle: 'triangle', pointRadius: 10, points: knees.map((k) => [k.x, k.y]), pointColors: knees.map((k) => k.color) });
  }
  if (slo !== undefined && Number.isFinite(minX)) {
    series.push({ label: `SLO: p99 ≤ ${formatUs(slo)}`, color: '#888888', dashed: true, width: 1.5, points: [[minX, slo], [maxX, slo]] });
  }
  return {
    kind: 'line',
    id,
    title: axis === 'clients' ? 'p99 latency versus connected clients' : 'p99 latency versus event rate',
    note: noteFor(runs, 'Each step raises the load until p99 breaks the SLO or events are lost (×). The triangle marks the knee: the highest load that still held.', 'Further right is better.'),
    x: { title: axis === 'clients' ? 'clients' : 'events per second', scale: 'log', format: 'count' },
    y: { title: 'p99 latency', scale: 'log', format: 'us' },
    series,
  };
}

/** Every chart for one run or one before/after pair, in display order. */
export function chartsFor(idPrefix: string, runs: readonly TaggedRun[]): ChartSpec[] {
  const charts: Array<ChartSpec | null> = [
    percentileChart(`${idPrefix}-percentiles`, runs),
    timelineChart(`${idPrefix}-timeline`, runs),
    idleChart(`${idPrefix}-idle`, runs),
    capacityChart(`${idPrefix}-capacity`, runs),
    ...sectionCharts(idPrefix, runs),
    ...barCharts(idPrefix, runs),
  ];
  return charts.filter((c): c is ChartSpec => c !== null);
}

/** True when any transport of the run has figures worth a chart (used to explain an empty section). */
export function hasComparableFigures(result: RunResult): boolean {
  return result.transports.some(isComparable);
}
