// The metric rows every report shows, which value wins each row, and the warnings a run deserves.
// One table of definitions so the terminal, Markdown and HTML reports agree on labels, units and winners.
import { MIN_CLIENTS_FOR_RSS_PER_CONNECTION, type RunResult, type TransportResult } from '../lib/result.ts';
import { TRANSPORTS, type Transport } from '../lib/transports.ts';
import { NONE, formatBytes, formatCount, formatPercent, formatRate, formatRatio, formatSeconds, formatSig, formatUs } from './format.ts';

/** Cell text for RSS per connection below MIN_CLIENTS_FOR_RSS_PER_CONNECTION clients: not measured, not zero. */
export const NOT_MEASURED_RSS = `${NONE} (< ${formatCount(MIN_CLIENTS_FOR_RSS_PER_CONNECTION).replace(',', ' ')} clients)`;

/** Which direction of a metric is better; null when neither is. */
export type Better = 'lower' | 'higher' | null;

/** One numeric row of the summary table. */
export interface MetricDef {
  /** Stable id (used in HTML ids and tests). */
  id: string;
  /** Row label, units included where the formatter does not add them. */
  label: string;
  better: Better;
  /** Extracts the value; undefined when it was not measured. */
  value: (t: TransportResult) => number | undefined;
  /** Formats a value for display. */
  format: (v: number) => string;
  /** One line saying what the number means and which way is better. */
  explain: string;
  /** Text for a cell whose value is absent on purpose (e.g. "– (< 1 000 clients)"); undefined: plain "–". */
  missing?: (t: TransportResult) => string | undefined;
  /** Title of the "who won" card for this row, when it gets one. */
  card?: string;
}

/** A per-event figure, or undefined when no events were delivered (idle runs): a ratio over nothing means nothing. */
function perEvent(t: TransportResult, v: number | undefined): number | undefined {
  return t.delivery && t.delivery.deliveredEvents > 0 ? v : undefined;
}

/** The summary rows, in display order. */
export const METRICS: readonly MetricDef[] = [
  { id: 'p50', label: 'latency p50', better: 'lower', value: (t) => t.latency?.p50Us, format: formatUs, explain: 'Typical publish-to-delivery delay; lower is better.' },
  { id: 'p90', label: 'latency p90', better: 'lower', value: (t) => t.latency?.p90Us, format: formatUs, explain: '1 delivery in 10 is slower than this; lower is better.' },
  { id: 'p99', label: 'latency p99', better: 'lower', value: (t) => t.latency?.p99Us, format: formatUs, explain: 'Tail latency users notice: 1 in 100 is slower; lower is better.' },
  { id: 'p999', label: 'latency p99.9', better: 'lower', value: (t) => t.latency?.p999Us, format: formatUs, explain: '1 in 1 000 is slower; shows stalls and GC pauses; lower is better.' },
  { id: 'max', label: 'latency max', better: 'lower', value: (t) => t.latency?.maxUs, format: formatUs, explain: 'Worst single delivery; lower is better.' },
  { id: 'eventsPerSec', label: 'delivered events/s', better: 'higher', value: (t) => t.delivery?.eventsPerSec, format: (v) => formatRate(v), explain: 'Deliveries per second across all clients; higher is better.' },
  { id: 'lost', label: 'lost', better: 'lower', value: (t) => t.delivery?.lost, format: formatCount, explain: 'Expected deliveries never received; anything above 0 is a correctness failure.' },
  { id: 'duplicates', label: 'duplicates', better: 'lower', value: (t) => t.delivery?.duplicates, format: formatCount, explain: 'Events a client received twice; should be 0.' },
  { id: 'outOfOrder', label: 'out of order', better: 'lower', value: (t) => t.delivery?.outOfOrder, format: formatCount, explain: 'Events that arrived after a later one; should be 0.' },
  { id: 'connectionsOpened', label: 'connections opened', better: 'lower', value: (t) => t.churn?.connectionsOpened, format: formatCount, explain: 'TCP connections accepted while measuring; each costs a handshake; lower is better.' },
  { id: 'connectionsClosed', label: 'connections closed', better: 'lower', value: (t) => t.churn?.connectionsClosed, format: formatCount, explain: 'TCP connections torn down while measuring (churn); lower is better.' },
  { id: 'httpRequests', label: 'HTTP requests', better: 'lower', value: (t) => t.churn?.httpRequests, format: formatCount, explain: 'Requests the server parsed and answered; polling pays one per round trip; lower is better.' },
  { id: 'requestsPerEvent', label: 'requests per event', better: 'lower', value: (t) => perEvent(t, t.churn?.requestsPerEvent), format: formatRatio, explain: 'HTTP requests per delivered event; streams stay near 0, polling near or above 1; lower is better.' },
  { id: 'bytesPerEvent', label: 'bytes per event', better: 'lower', value: (t) => perEvent(t, t.wire?.bytesPerEvent), format: formatBytes, explain: 'Server bytes written per delivered event, headers and framing included; lower is better.' },
  { id: 'peakRss', label: 'server peak RSS', better: 'lower', value: (t) => t.server?.peakRssBytes, format: formatBytes, explain: 'Most memory the server process held; lower is better.' },
  {
    id: 'rssPerConnection',
    label: 'RSS per connection',
    better: 'lower',
    value: (t) => t.server?.rssPerConnectionBytes,
    format: formatBytes,
    explain: `Server memory each held client costs (connected minus baseline RSS, per client); not measured below ${formatCount(MIN_CLIENTS_FOR_RSS_PER_CONNECTION).replace(',', ' ')} clients, where allocator noise outweighs it; lower is better.`,
    missing: (t) => (t.server && t.server.rssPerConnectionBytes === undefined ? NOT_MEASURED_RSS : undefined),
  },
  { id: 'cpuSeconds', label: 'server CPU', better: 'lower', value: (t) => t.server?.cpuSeconds, format: formatSeconds, explain: 'Server CPU time (user + system) while measuring; lower is better.' },
  { id: 'cpuPer1k', label: 'CPU ms per 1k events', better: 'lower', value: (t) => perEvent(t, t.server?.cpuMsPer1kEvents), format: (v) => `${formatRatio(v)} ms`, explain: 'Server CPU spent per 1 000 delivered events; lower is better.' },
];

/** Rows that count the load generator's own connections and requests in a poll-ceiling run: no direction there. */
const POLL_CEILING_HIDDEN = ['connectionsOpened', 'connectionsClosed', 'httpRequests'];

/**
 * The rows worth showing for these transports: those with at least one measured (or deliberately unmeasured)
 * value. A poll-ceiling run leaves out the connection and request counts: there they are autocannon's load,
 * and more requests is better, which its own section shows.
 */
export function visibleMetrics(transports: readonly TransportResult[]): MetricDef[] {
  const pollCeiling = transports.some((t) => t.pollCeiling);
  return METRICS.filter((def) => !(pollCeiling && POLL_CEILING_HIDDEN.includes(def.id)) && transports.some((t) => def.value(t) !== undefined || def.missing?.(t) !== undefined));
}

/** Text of one cell: the formatted value, the row's not-measured text, or "–". */
export function cellText(def: MetricDef, t: TransportResult): string {
  const v = def.value(t);
  if (v !== undefined) return def.format(v);
  return def.missing?.(t) ?? NONE;
}

/** Looks a metric up by id; throws on a typo (a programming error). */
export function metric(id: string): MetricDef {
  const def = METRICS.find((m) => m.id === id);
  if (!def) throw new Error(`unknown metric "${id}"`);
  return def;
}

/** Transports of a result in the canonical order (short-poll, long-poll, ws, sse, fetch-stream). */
export function orderedTransports(result: RunResult): TransportResult[] {
  const rank = (t: Transport): number => {
    const i = TRANSPORTS.indexOf(t);
    return i < 0 ? TRANSPORTS.length : i;
  };
  return [...result.transports].sort((a, b) => rank(a.transport) - rank(b.transport));
}

/** True when a transport's figures may compete for "best": it finished and its load generator kept up. */
export function isComparable(t: TransportResult): boolean {
  return t.status === 'ok' && t.driver?.saturated !== true && t.pollCeiling?.generatorSaturated !== true;
}

/**
 * Indexes (into `transports`) of the best value of a row, ties at display precision included. Empty when the row
 * has no direction, fewer than two comparable values were measured, or the best and worst look the same.
 */
export function bestIndexes(def: MetricDef, transports: readonly TransportResult[]): number[] {
  if (def.better === null) return [];
  const values: Array<{ i: number; v: number }> = [];
  transports.forEach((t, i) => {
    const v = def.value(t);
    if (isComparable(t) && v !== undefined && Number.isFinite(v)) values.push({ i, v });
  });
  if (values.length < 2) return [];
  const nums = values.map((x) => x.v);
  const best = def.better === 'lower' ? Math.min(...nums) : Math.max(...nums);
  const worst = def.better === 'lower' ? Math.max(...nums) : Math.min(...nums);
  // equal as displayed counts as equal: 199.7/s and 200.1/s both show "200/s", and neither won
  const bestText = def.format(best);
  if (best === worst || def.format(worst) === bestText) return [];
  return values.filter((x) => x.v === best || def.format(x.v) === bestText).map((x) => x.i);
}

/** The winner of each row that has one, for "who won what" summaries. */
export interface Winner {
  metric: MetricDef;
  transports: Transport[];
  /** The winning value, formatted. */
  value: string;
}

/** Winners of every row of a result (of `defs`, default the summary rows), skipping rows nobody won. */
export function winners(result: RunResult, defs: readonly MetricDef[] = METRICS): Winner[] {
  const ts = orderedTransports(result);
  const out: Winner[] = [];
  for (const def of defs) {
    const idx = bestIndexes(def, ts);
    const first = idx[0];
    if (first === undefined) continue;
    const t = ts[first];
    const v = t ? def.value(t) : undefined;
    if (!t || v === undefined) continue;
    out.push({ metric: def, transports: idx.map((i) => ts[i]?.transport).filter((x): x is Transport => x !== undefined), value: def.format(v) });
  }
  return out;
}

/** Text of the status cell: "ok", "errored: <reason>", "interrupted: <reason>". */
export function statusText(t: TransportResult): string {
  if (t.status === 'ok') return 'ok';
  return t.error ? `${t.status}: ${t.error}` : t.status;
}

/** Text of the driver-health cell: "no", or "yes: <reasons>". */
export function saturatedText(t: TransportResult): string {
  if (!t.driver) return '–';
  if (!t.driver.saturated) return 'no';
  return t.driver.reasons.length > 0 ? `yes: ${t.driver.reasons.join('; ')}` : 'yes';
}

/** How serious a warning is: `invalid` means the figures must not be trusted. */
export type WarningLevel = 'invalid' | 'error' | 'warning';

/** One warning about a run. */
export interface Warning {
  level: WarningLevel;
  /** The transport concerned, or undefined for the whole run. */
  transport?: Transport;
  /** One sentence. */
  message: string;
}

/** Every warning a run deserves: interruption, errored transports, saturated generator, loss and disorder. */
export function warningsFor(result: RunResult): Warning[] {
  const out: Warning[] = [];
  if (result.interrupted) {
    out.push({ level: 'warning', message: 'The run was interrupted before it finished; figures cover only what was measured.' });
  }
  for (const t of orderedTransports(result)) {
    if (t.status === 'errored') {
      out.push({ level: 'error', transport: t.transport, message: `${t.transport} errored: ${t.error ?? 'no reason recorded'}.` });
    } else if (t.status === 'interrupted') {
      out.push({ level: 'warning', transport: t.transport, message: `${t.transport} was interrupted${t.error ? `: ${t.error}` : ''}; its figures are partial.` });
    }
    if (t.driver?.saturated) {
      const why = t.driver.reasons.length > 0 ? ` (${t.driver.reasons.join('; ')})` : '';
      out.push({ level: 'invalid', transport: t.transport, message: `${t.transport}: the load generator was saturated${why}, so these figures show the generator's limits, not the transport's; rerun with more --workers or less load.` });
    }
    const pc = t.pollCeiling;
    if (pc?.generatorSaturated) {
      out.push({ level: 'invalid', transport: t.transport, message: `${t.transport}: autocannon used ${formatSig(pc.generatorCpuPercent)}% of a core, so ${formatRate(pc.requestsPerSec, ' requests/s')} is a floor of the server's ceiling, not the ceiling.` });
    }
    if (pc && pc.errors + pc.timeouts + pc.non2xx > 0) {
      out.push({ level: 'warning', transport: t.transport, message: `${t.transport}: the polling ceiling had ${formatCount(pc.errors)} errors, ${formatCount(pc.timeouts)} timeouts and ${formatCount(pc.non2xx)} non-2xx answers; a valid ceiling has none.` });
    }
    const d = t.delivery;
    if (d && d.lost > 0) {
      const share = d.expectedDeliveries > 0 ? ` (${formatPercent(d.lost / d.expectedDeliveries)})` : '';
      const gaps = d.gaps > 0 ? `; the server announced ${formatCount(d.gaps)} retention gap${d.gaps === 1 ? '' : 's'}` : '';
      out.push({ level: 'warning', transport: t.transport, message: `${t.transport} lost ${formatCount(d.lost)} of ${formatCount(d.expectedDeliveries)} expected deliveries${share}${gaps}.` });
    }
    if (d && (d.duplicates > 0 || d.outOfOrder > 0)) {
      out.push({ level: 'warning', transport: t.transport, message: `${t.transport} delivered ${formatCount(d.duplicates)} duplicate and ${formatCount(d.outOfOrder)} out-of-order events.` });
    }
  }
  return out;
}

/**
 * The load a run put on each transport, in words: the clients and rate for a fan-out, the load steps of a
 * capacity search, the sweep of an idle run, autocannon's settings for a poll ceiling, and so on.
 */
export function loadText(result: RunResult): string {
  const o = result.options;
  const ts = result.transports;
  const clients = `${formatCount(o.clients)} client${o.clients === 1 ? '' : 's'} per transport`;
  const cap = ts.find((t) => t.capacity && t.capacity.steps.length > 0)?.capacity;
  if (cap) {
    const xs = [...new Set(ts.flatMap((t) => t.capacity?.steps.map((s) => (t.capacity?.axis === 'rate' ? s.rate : s.clients)) ?? []))].sort((a, b) => a - b);
    const steps = cap.axis === 'clients' ? `${xs.map(formatCount).join(', ')} clients at ${formatRate(o.rate, ' events/s')}` : `${xs.map(formatCount).join(', ')} events/s to ${clients}`;
    return `load steps ${steps}; SLO p99 ≤ ${formatUs(cap.sloP99Us)}`;
  }
  const idle = ts.find((t) => t.idle && t.idle.points.length > 0)?.idle;
  if (idle) return `idle sweep of ${idle.points.map((p) => formatCount(p.connections)).join(', ')} connections, nothing published`;
  const pc = ts.find((t) => t.pollCeiling)?.pollCeiling;
  if (pc) return `autocannon with ${formatCount(pc.connections)} connections, pipelining ${formatCount(pc.pipelining)}, ${formatMsShort(pc.durationMs)} per transport`;
  const stream = ts.find((t) => t.stream)?.stream;
  if (stream) return `${formatCount(stream.streams)} streams per transport of ${formatCount(stream.tokensPerStream)} tokens each`;
  const burst = ts.find((t) => t.burst)?.burst;
  if (burst) return `${clients}, ${formatCount(burst.bursts)} bursts of ${formatCount(burst.eventsPerBurst)} events`;
  if (ts.some((t) => t.roundTrip)) return `${clients}, ${formatRate(o.rate, ' messages/s')} sent upstream (all clients)`;
  return `${clients}, ${formatRate(o.rate, ' events/s')}`;
}

/** "500 ms", "2.00 s". */
function formatMsShort(ms: number): string {
  return ms < 1000 ? `${formatCount(ms)} ms` : formatSeconds(ms / 1000);
}

/** One-line description of a run's settings ("200 clients per transport, 100 events/s, 256 B payload, ..."). */
export function settingsLine(result: RunResult): string {
  const o = result.options;
  const pollCeiling = result.transports.some((t) => t.pollCeiling);
  const parts = pollCeiling
    ? [loadText(result), `poll interval ${formatCount(o.pollIntervalMs)} ms`]
    : [
        loadText(result),
        `${formatBytes(o.payloadBytes)} payload`,
        `${formatSeconds(o.warmupMs / 1000)} warm-up`,
        `${formatSeconds(o.durationMs / 1000)} measured`,
        `short-poll every ${formatCount(o.pollIntervalMs)} ms`,
        `${formatCount(o.workers)} client process${o.workers === 1 ? '' : 'es'}`,
      ];
  if (o.wsCompression) parts.push('ws compression on');
  if (o.injectDelayMs > 0) parts.push(`injected delay ${formatCount(o.injectDelayMs)} ms`);
  if (o.injectCpuUs > 0) parts.push(`injected CPU ${formatCount(o.injectCpuUs)} µs/event/subscriber`);
  return parts.join(', ');
}

/** One-line description of where a run happened. */
export function environmentLine(result: RunResult): string {
  const e = result.environment;
  const parts = [`Node ${e.node}`, `${e.platform} ${e.osRelease} ${e.arch}`, `${e.cpus} × ${e.cpuModel}`, `${formatBytes(e.totalMemBytes)} RAM`, `rtbench ${e.rtbenchVersion}`];
  if (e.gitCommit) parts.push(`commit ${e.gitCommit.slice(0, 12)}`);
  return parts.join(', ');
}
