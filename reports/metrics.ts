// The metric rows every report shows: labels, units, which way is better, and how a row tells a winner from
// noise. One table of definitions so the terminal, Markdown and HTML reports agree on labels, units and winners.
import { MIN_CLIENTS_FOR_RSS_PER_CONNECTION, shardClients, type RunResult, type TimelinePoint, type TransportResult } from '../lib/result.ts';
import { TRANSPORTS, type Transport } from '../lib/transports.ts';
import { wireModeLabel } from '../lib/tls.ts';
import { NONE, formatBytes, formatCount, formatMs, formatPercent, formatRate, formatRatio, formatSeconds, formatUs } from './format.ts';

/** Cell text for RSS per connection below MIN_CLIENTS_FOR_RSS_PER_CONNECTION clients: not measured, not zero. */
export const NOT_MEASURED_RSS = `${NONE} (< ${formatCount(MIN_CLIENTS_FOR_RSS_PER_CONNECTION).replace(',', ' ')} clients)`;

/** Which direction of a metric is better; null when neither is. */
export type Better = 'lower' | 'higher' | null;

/**
 * How a row tells a winner from noise. 'exact': a count or a ratio of counts, compared as displayed; a function:
 * the values of the measured window's seconds, compared with the notch rule (reports/noise.ts).
 */
export type Noise = 'exact' | ((t: TransportResult) => number[]);

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
  /** What the number means, in one or two sentences, without saying which way is better (before/after shows it bare). */
  explain: string;
  /** Which way is better, one sentence, when "Lower is better." or "Higher is better." would say too little. */
  hint?: string;
  /** How the row tells a winner from noise; absent: a timed figure without a per-second series, never ranked. */
  noise?: Noise;
  /** Words after the value in a cell ("settled", "capped"). */
  annotate?: (t: TransportResult) => string | undefined;
  /** Shown only when some transport's value is not 0 (a figure that is normally 0 and only matters otherwise). */
  onlyNonZero?: boolean;
  /** Text for a cell whose value is absent on purpose (e.g. "– (< 1 000 clients)"); undefined: plain "–". */
  missing?: (t: TransportResult) => string | undefined;
  /** Title of the "who won" card for this row, when it gets one. */
  card?: string;
}

/** The explanation of a row with which way is better, for a single run's table. */
export function explainText(def: MetricDef): string {
  const hint = def.hint ?? (def.better === 'lower' ? 'Lower is better.' : def.better === 'higher' ? 'Higher is better.' : '');
  return hint ? `${def.explain} ${hint}` : def.explain;
}

/** A per-event figure, or undefined when no events were delivered (idle runs): a ratio over nothing means nothing. */
function perEvent(t: TransportResult, v: number | undefined): number | undefined {
  return t.delivery && t.delivery.deliveredEvents > 0 ? v : undefined;
}

/** The publisher's lateness, or undefined when it published nothing on a schedule in the window (chat, streams). */
export function publisherLateness(t: TransportResult): { p50Us: number; p99Us: number } | undefined {
  const l = t.publisher?.latenessUs;
  return l && l.count > 0 ? l : undefined;
}

/** The measured window's whole seconds of a transport's timeline (the points marked `window: true`). */
export function windowSeconds(t: TransportResult): TimelinePoint[] {
  return (t.timeline ?? []).filter((p) => p.window === true);
}

/** A latency percentile of every window second that delivered something. */
function latencySeconds(pick: (p: TimelinePoint) => number): (t: TransportResult) => number[] {
  return (t) => windowSeconds(t).filter((p) => p.delivered > 0).map(pick);
}

/** Deliveries of every window second. */
const deliveredSeconds = (t: TransportResult): number[] => windowSeconds(t).map((p) => p.delivered);

/** Server CPU of every window second that has it, ms. */
const serverCpuSeconds = (t: TransportResult): number[] => windowSeconds(t).flatMap((p) => (p.serverCpuMs === undefined ? [] : [p.serverCpuMs]));

/** Server CPU per 1 000 deliveries of every window second that delivered something and has its CPU, ms. */
const serverCpuPer1kSeconds = (t: TransportResult): number[] => windowSeconds(t).flatMap((p) => (p.serverCpuMs !== undefined && p.delivered > 0 ? [(p.serverCpuMs * 1000) / p.delivered] : []));

const p50Seconds = latencySeconds((p) => p.p50Us);
const p99Seconds = latencySeconds((p) => p.p99Us);

/** "ms" after a ratio of milliseconds. */
const formatMsRatio = (v: number): string => `${formatRatio(v)} ms`;

/** The summary rows, in display order. */
export const METRICS: readonly MetricDef[] = [
  { id: 'p50', label: 'latency p50', better: 'lower', value: (t) => t.latency?.p50Us, format: formatUs, noise: p50Seconds, explain: 'Typical publish-to-delivery delay over the whole window.' },
  { id: 'steadyP50', label: 'steady-state p50', better: 'lower', value: (t) => t.steadyState?.p50Us, format: formatUs, noise: p50Seconds, explain: "The typical second: median over the window's whole seconds of each second's p50." },
  { id: 'p90', label: 'latency p90', better: 'lower', value: (t) => t.latency?.p90Us, format: formatUs, explain: '1 delivery in 10 is slower than this.' },
  { id: 'p99', label: 'latency p99', better: 'lower', value: (t) => t.latency?.p99Us, format: formatUs, noise: p99Seconds, explain: 'Tail latency users notice: 1 in 100 is slower.' },
  { id: 'steadyP99', label: 'steady-state p99', better: 'lower', value: (t) => t.steadyState?.p99Us, format: formatUs, noise: p99Seconds, explain: "Median over the window's whole seconds of each second's p99: the tail of a typical second, without one bad second's stall." },
  { id: 'p999', label: 'latency p99.9', better: 'lower', value: (t) => t.latency?.p999Us, format: formatUs, explain: '1 in 1 000 is slower; shows stalls and GC pauses.' },
  { id: 'max', label: 'latency max', better: 'lower', value: (t) => t.latency?.maxUs, format: formatUs, noise: latencySeconds((p) => p.maxUs), explain: 'Worst single delivery.' },
  {
    id: 'browserClock',
    label: 'browser clock ±',
    better: null,
    value: (t) => t.browser?.uncertaintyUs,
    format: (v) => `±${formatUs(v)}`,
    explain: "Browser clients (--clients-in chromium): every latency above is uncertain by this much, half the shortest round trip of the page clock's alignment with the host's plus performance.now()'s step.",
  },
  { id: 'publisherP50', label: 'publisher lateness p50', better: null, value: (t) => publisherLateness(t)?.p50Us, format: formatUs, explain: "How late the server's publisher handed events to the transport after their due time; part of every latency above, so server-side delay shows here and transport delay does not." },
  { id: 'publisherP99', label: 'publisher lateness p99', better: null, value: (t) => publisherLateness(t)?.p99Us, format: formatUs, explain: "The publisher's lateness, slowest 1 in 100 events." },
  {
    id: 'warmup',
    label: 'warm-up',
    better: null,
    value: (t) => t.warmup?.ms,
    format: formatMs,
    annotate: (t) => (t.warmup ? (t.warmup.settled ? 'settled' : 'capped') : undefined),
    explain: "From the first event's due time to the window's start: settled when two consecutive seconds' p99 agreed, capped when the longest warm-up allowed ended it (the latency had not settled).",
  },
  { id: 'eventsPerSec', label: 'delivered events/s', better: 'higher', value: (t) => t.delivery?.eventsPerSec, format: (v) => formatRate(v), noise: deliveredSeconds, explain: 'Deliveries per second of the window across all clients.' },
  { id: 'deliveryLag', label: 'delivery lag', better: 'lower', value: (t) => t.delivery?.deliveryLagUs, format: formatUs, explain: "From the last event's scheduled time to the last delivery: how far behind the clients finished." },
  { id: 'lost', label: 'lost', better: 'lower', value: (t) => t.delivery?.lost, format: formatCount, noise: 'exact', hint: 'Anything above 0 is a correctness failure.', explain: 'Expected deliveries never received (failed and straggling clients have their own rows).' },
  { id: 'stragglers', label: 'straggling clients', better: 'lower', value: (t) => t.delivery?.stragglers, format: formatCount, noise: 'exact', hint: 'Should be 0: any makes the figures invalid.', explain: 'Clients still behind when the drain ended; their missing events are not counted as lost.' },
  { id: 'behind', label: 'events stragglers lacked', better: 'lower', value: (t) => t.delivery?.behind, format: formatCount, noise: 'exact', onlyNonZero: true, explain: 'Events the straggling clients had not reached when the drain ended.' },
  { id: 'failedClients', label: 'failed clients', better: 'lower', value: (t) => t.delivery?.failedClients, format: formatCount, noise: 'exact', hint: 'Should be 0: any makes the figures invalid.', explain: 'Clients that failed (their connection broke for good); their missing events are not counted as lost.' },
  { id: 'failedMissed', label: 'events failed clients missed', better: 'lower', value: (t) => t.delivery?.failedMissed, format: formatCount, noise: 'exact', onlyNonZero: true, explain: 'Events the failed clients never received.' },
  { id: 'negativeLatencies', label: 'negative latencies', better: 'lower', value: (t) => t.delivery?.negativeLatencies, format: formatCount, noise: 'exact', onlyNonZero: true, hint: 'Should be 0: any makes every latency of the run untrustworthy.', explain: 'Latencies that came out negative: an error of the instrument (the clocks disagree), counted, not recorded.' },
  { id: 'duplicates', label: 'duplicates', better: 'lower', value: (t) => t.delivery?.duplicates, format: formatCount, noise: 'exact', hint: 'Should be 0.', explain: 'Events a client received twice.' },
  { id: 'outOfOrder', label: 'out of order', better: 'lower', value: (t) => t.delivery?.outOfOrder, format: formatCount, noise: 'exact', hint: 'Should be 0.', explain: 'Events that arrived after a later one.' },
  { id: 'connectionsOpened', label: 'connections opened', better: 'lower', value: (t) => t.churn?.connectionsOpened, format: formatCount, noise: 'exact', explain: 'TCP connections accepted while measuring; each costs a handshake.' },
  { id: 'connectionsClosed', label: 'connections closed', better: 'lower', value: (t) => t.churn?.connectionsClosed, format: formatCount, noise: 'exact', explain: 'TCP connections torn down while measuring (churn).' },
  { id: 'httpRequests', label: 'HTTP requests', better: 'lower', value: (t) => t.churn?.httpRequests, format: formatCount, noise: 'exact', explain: 'Requests the server parsed and answered; polling pays one per round trip.' },
  { id: 'requestsPerEvent', label: 'requests per event', better: 'lower', value: (t) => perEvent(t, t.churn?.requestsPerEvent), format: formatRatio, noise: 'exact', explain: 'HTTP requests per delivered event; streams stay near 0, polling near or above 1.' },
  { id: 'bytesPerEvent', label: 'bytes per event', better: 'lower', value: (t) => perEvent(t, t.wire?.bytesPerEvent), format: formatBytes, noise: 'exact', explain: 'Server bytes written per delivered event, headers and framing included.' },
  { id: 'peakRss', label: 'server peak RSS', better: 'lower', value: (t) => t.server?.peakRssBytes, format: formatBytes, explain: 'Most memory the server process held.' },
  {
    id: 'rssPerConnection',
    label: 'RSS per connection',
    better: 'lower',
    value: (t) => t.server?.rssPerConnectionBytes,
    format: formatBytes,
    explain: `Server memory each held client costs (connected minus baseline RSS, per client); not measured below ${formatCount(MIN_CLIENTS_FOR_RSS_PER_CONNECTION).replace(',', ' ')} clients, where allocator noise outweighs it.`,
    missing: (t) => (t.server && t.server.rssPerConnectionBytes === undefined ? NOT_MEASURED_RSS : undefined),
  },
  { id: 'cpuSeconds', label: 'server CPU', better: 'lower', value: (t) => t.server?.cpuSeconds, format: formatSeconds, noise: serverCpuSeconds, explain: "Server CPU time (user + system) while measuring, the publisher's spin left out." },
  { id: 'cpuPer1k', label: 'server CPU per 1k events', better: 'lower', value: (t) => perEvent(t, t.server?.cpuMsPer1kEvents), format: formatMsRatio, noise: serverCpuPer1kSeconds, explain: 'Server CPU spent per 1 000 deliveries in the window.' },
  { id: 'clientCpuPer1k', label: 'client CPU per 1k events', better: 'lower', value: (t) => perEvent(t, t.driver?.cpuMsPer1kEvents), format: formatMsRatio, explain: 'CPU of all client processes per 1 000 deliveries they received in the window: what receiving costs the client side.' },
  { id: 'serverCpuPercent', label: 'server CPU, share of a core', better: null, value: (t) => t.driver?.serverCpuPercent, format: (v) => formatPercent(v / 100), explain: 'Server CPU over the window as a share of one core: near 100% the server is the limit (valid: that is what is measured).' },
  { id: 'clientCpuMax', label: 'busiest client process CPU', better: null, value: (t) => t.driver?.maxCpuPercent, format: (v) => formatPercent(v / 100), explain: 'The busiest client process over the window, share of one core: near a whole core the load generator, not the transport, is the limit.' },
  { id: 'clientEld', label: 'client event-loop delay p99', better: null, value: (t) => t.driver?.maxEventLoopDelayP99Us, format: formatUs, explain: "How late the latest client process's event loop was at p99 over the window: when that is a large share of the latency p99 it reports, its own delay, not the transport's, shapes the tail and the run is generator-bound (the warnings give the limit)." },
  { id: 'hostBusy', label: 'host CPU busy', better: null, value: (t) => t.driver?.host?.busyPercent, format: (v) => formatPercent(v / 100), annotate: (t) => ((t.driver?.host?.stealPercent ?? 0) > 0 ? `(${formatPercent((t.driver?.host?.stealPercent ?? 0) / 100)} steal)` : undefined), explain: "Share of all the host's cores busy over the window, steal included: near 100% server and clients competed for CPU." },
];

/** Rows that count the load generator's own connections and requests in a poll-ceiling run, or repeat its section. */
const POLL_CEILING_HIDDEN = ['connectionsOpened', 'connectionsClosed', 'httpRequests', 'serverCpuPercent', 'clientCpuMax', 'clientEld'];

/**
 * The rows worth showing for these transports: those with at least one measured (or deliberately unmeasured)
 * value, and a row that is normally 0 only when it is not. A poll-ceiling run leaves out the connection and request
 * counts (there they are autocannon's load, and more requests is better, which its own section shows) and the CPU
 * shares its section shows.
 */
export function visibleMetrics(transports: readonly TransportResult[]): MetricDef[] {
  const pollCeiling = transports.some((t) => t.pollCeiling);
  return METRICS.filter((def) => {
    if (pollCeiling && POLL_CEILING_HIDDEN.includes(def.id)) return false;
    if (def.onlyNonZero) return transports.some((t) => (def.value(t) ?? 0) !== 0);
    return transports.some((t) => def.value(t) !== undefined || def.missing?.(t) !== undefined);
  });
}

/** Text of one cell: the formatted value and its annotation, the row's not-measured text, or "–". */
export function cellText(def: MetricDef, t: TransportResult): string {
  const v = def.value(t);
  if (v === undefined) return def.missing?.(t) ?? NONE;
  const note = def.annotate?.(t);
  return note ? `${def.format(v)} ${note}` : def.format(v);
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

/** Text of the status cell: "ok", "errored: <reason>", "interrupted: <reason>". */
export function statusText(t: TransportResult): string {
  if (t.status === 'ok') return 'ok';
  return t.error ? `${t.status}: ${t.error}` : t.status;
}

/** What bound a transport's run: the driver's verdict, or a saturated generator in a result without one. */
export function boundOf(t: TransportResult): 'none' | 'server' | 'generator' | 'host' | undefined {
  const d = t.driver;
  if (!d) return undefined;
  // a saturated generator invalidates the run whatever an inconsistent `bound` says
  if (d.saturated && d.bound !== 'generator' && d.bound !== 'host') return 'generator';
  return d.bound ?? 'none';
}

/** Text of the "bound by" cell: "none", "server (valid)", "generator (invalid)", "host (invalid)". */
export function boundText(t: TransportResult): string {
  const bound = boundOf(t);
  if (bound === undefined) return NONE;
  if (bound === 'none') return 'none';
  return bound === 'server' ? 'server (valid)' : `${bound} (invalid)`;
}

/** Why a transport's figures cannot be trusted: its `invalid` sentences, or a saturated generator's reasons. */
export function invalidReasonsOf(t: TransportResult): string[] {
  if (t.invalid) return t.invalid;
  return t.driver?.saturated ? t.driver.reasons : [];
}

/** Text of the "valid" cell: "yes", "no (2 reasons)", "partial" (interrupted) or "–" (errored). */
export function validText(t: TransportResult): string {
  const n = invalidReasonsOf(t).length;
  if (n > 0) return `no (${n} reason${n === 1 ? '' : 's'})`;
  if (t.status === 'errored') return NONE;
  return t.status === 'interrupted' ? 'partial' : 'yes';
}

/** True when the bound and valid rows have something to say (a run with a driver verdict or validity). */
export function hasHealth(transports: readonly TransportResult[]): boolean {
  return transports.some((t) => t.driver !== undefined || t.invalid !== undefined);
}

/** What the "bound by" row means, for the tables' explanation column. */
export const BOUND_EXPLAIN = 'What limited the run over the window: none, the server (valid: that is what is measured), or the load generator or the host (invalid: the figures show their limits, not the transport\'s).';
/** What the "valid" row means, for the tables' explanation column. */
export const VALID_EXPLAIN = 'no: the figures cannot be trusted (the warnings say why); partial: the transport was interrupted.';

/**
 * The load a run put on each transport, in words: the clients and rate for a fan-out, the load steps of a
 * capacity search, the sweep of an idle run, autocannon's settings for a poll ceiling, and so on.
 */
export function loadText(result: RunResult): string {
  const o = result.options;
  const ts = result.transports;
  const clients = `${formatCount(o.clients)} client${o.clients === 1 ? '' : 's'} per transport${shardText(result)}`;
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
  const slow = ts.find((t) => t.slowConsumer)?.slowConsumer;
  if (slow) {
    const how = slow.readBytesPerSec === 0 ? 'stopped reading' : `reading ${formatBytes(slow.readBytesPerSec)}/s`;
    return `${clients} (${formatCount(slow.slowClients)} slow: ${how}), ${formatRate(o.rate, ' events/s')}`;
  }
  const fault = ts.find((t) => t.faults)?.faults;
  if (fault) return `${clients}, ${formatRate(o.rate, ' events/s')}, ${fault.fault === 'restart' ? `server restart (${formatMsShort(fault.outageMs ?? 0)} outage asked)` : fault.fault === 'idle-cut' ? `idle cut (${formatMsShort(fault.gapMs ?? 0)} quiet, ${formatMsShort(fault.idleTimeoutMs ?? 0)} proxy read timeout, keep-alive ${(fault.keepAliveMs ?? 0) > 0 ? formatMsShort(fault.keepAliveMs ?? 0) : 'none'})` : `${formatPercent(fault.resetFraction ?? 0)} of the connections reset`}`;
  const burst = ts.find((t) => t.burst)?.burst;
  if (burst) return `${clients}, ${formatCount(burst.bursts)} bursts of ${formatCount(burst.eventsPerBurst)} events`;
  if (ts.some((t) => t.roundTrip)) return `${clients}, ${formatRate(o.rate, ' messages/s')} sent upstream (all clients)`;
  return `${clients}, ${formatRate(o.rate, ' events/s')}`;
}

/** " (shard 1 of 2: its 3 of them)" on a shard's partial result, " (merged from 2 shards)" on a merged one, else ''. */
function shardText(result: RunResult): string {
  const s = result.shard;
  if (s) return ` (shard ${s.index} of ${s.count}: its ${formatCount(shardClients(s, result.options.clients).count)} of them)`;
  return result.merged ? ` (merged from ${result.merged.shards} shards)` : '';
}

/** "500 ms", "2.00 s". */
function formatMsShort(ms: number): string {
  return ms < 1000 ? `${formatCount(ms)} ms` : formatSeconds(ms / 1000);
}

/**
 * The client processes of a run: the number asked for, or (--workers 0) what sizing chose per transport, e.g.
 * "2 client processes", "1 client process per transport (sized from the load)", "1–3 client processes per
 * transport (sized from the load)".
 */
export function processesText(result: RunResult): string {
  const asked = result.options.workers;
  if (asked > 0) return `${formatCount(asked)} client process${asked === 1 ? '' : 'es'}`;
  const used = result.transports.flatMap((t) => (t.driver ? [t.driver.processes] : []));
  if (used.length === 0) return 'client processes sized from the load';
  const lo = Math.min(...used);
  const hi = Math.max(...used);
  return `${lo === hi ? formatCount(lo) : `${formatCount(lo)}–${formatCount(hi)}`} client process${hi === 1 ? '' : 'es'} per transport (sized from the load)`;
}

/**
 * How the run's transports travelled: "over TLS 1.3, HTTP/2 (ws: HTTP/1.1)", "over TLS 1.3", or "" for plain HTTP/1.1;
 * the TLS version is the one the servers negotiated.
 */
export function wireText(result: RunResult): string {
  const o = result.options;
  const tlsVersion = result.transports.find((t) => t.wire?.tls)?.wire?.tls?.protocol;
  const label = wireModeLabel({ tls: o.tls === true, http2: o.http2 === true, ...(tlsVersion ? { tlsVersion } : {}) });
  return o.http2 === true && o.transports.includes('ws') ? `${label} (ws: HTTP/1.1)` : label;
}

/** One-line description of a run's settings ("200 clients per transport, 100 events/s, 256 B payload, ..."). */
export function settingsLine(result: RunResult): string {
  const o = result.options;
  // The poll interval is a setting of short-poll alone: said only when short-poll ran.
  const shortPoll = o.transports.includes('short-poll') ? [`short-poll every ${formatCount(o.pollIntervalMs)} ms`] : [];
  if (o.kind === 'browser-limits') return [`${formatCount(o.clients)} subscriptions from one Chromium page to one origin per transport, held ${formatSeconds(o.holdMs / 1000)}`, `${formatBytes(o.payloadBytes)} payload`, ...shortPoll].join(', ');
  const pollCeiling = result.transports.some((t) => t.pollCeiling);
  const parts = pollCeiling
    ? [loadText(result), `poll interval ${formatCount(o.pollIntervalMs)} ms`]
    : [
        loadText(result),
        `${formatBytes(o.payloadBytes)} payload`,
        `${formatSeconds(o.warmupMs / 1000)} warm-up`,
        `${formatSeconds(o.durationMs / 1000)} measured`,
        ...shortPoll,
        processesText(result),
      ];
  const wire = wireText(result);
  if (wire !== '') parts.push(wire);
  if (o.clientsIn === 'chromium') parts.push('clients in headless Chromium');
  if (o.wsCompression) parts.push('ws compression on');
  if (o.injectDelayMs > 0) parts.push(`injected delay ${formatCount(o.injectDelayMs)} ms`);
  if (o.injectCpuUs > 0) parts.push(`injected CPU ${formatCount(o.injectCpuUs)} µs/event/subscriber`);
  return parts.join(', ');
}

/**
 * " via nginx-default (nginx/1.22.1)" when the clients reached the servers through a proxy; '' when directly (the
 * title of every report carries it).
 */
export function pathText(result: RunResult): string {
  const via = result.options.via ?? 'direct';
  if (via === 'direct') return '';
  const proxy = result.transports.find((t) => t.path?.proxy !== undefined)?.path?.proxy;
  return ` via ${via}${proxy === undefined ? '' : ` (${proxy})`}`;
}

/** The sentence that says what a proxy changes in the server's figures; '' without one. */
export function pathNote(result: RunResult): string {
  return pathText(result) === '' ? '' : "The server's figures (wire bytes, connections, requests) count what passed between the proxy and the server, not what the clients sent and received.";
}

/** One-line description of where a run happened. */
export function environmentLine(result: RunResult): string {
  const e = result.environment;
  const parts = [`Node ${e.node}`, `${e.platform} ${e.osRelease} ${e.arch}`, `${e.cpus} × ${e.cpuModel}`, `${formatBytes(e.totalMemBytes)} RAM`, `rtbench ${e.rtbenchVersion}`];
  if (e.gitCommit) parts.push(`commit ${e.gitCommit.slice(0, 12)}`);
  return parts.join(', ');
}
