// What the gate can check: every numeric figure of a transport result by its JSON path ("latency.p99Us"),
// the three kinds of gate, and the defaults (which metrics, floors, tolerances per transport).
import type { ChurnFigures, DeliveryFigures, LatencySummaryUs, ServerFigures, TransportResult, WireFigures } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';

/** Numeric fields of each section of a TransportResult that the gate may read. */
export const METRIC_FIELDS = {
  latency: ['count', 'minUs', 'meanUs', 'p50Us', 'p90Us', 'p99Us', 'p999Us', 'maxUs'] satisfies (keyof LatencySummaryUs)[],
  delivery: ['publishedEvents', 'expectedDeliveries', 'deliveredEvents', 'eventsPerSec', 'lost', 'duplicates', 'outOfOrder', 'gaps'] satisfies (keyof DeliveryFigures)[],
  churn: ['connectionsOpened', 'connectionsClosed', 'httpRequests', 'requestsPerEvent'] satisfies (keyof ChurnFigures)[],
  wire: ['serverBytesWritten', 'serverBytesRead', 'bytesPerEvent'] satisfies (keyof WireFigures)[],
  server: [
    'peakRssBytes',
    'baselineRssBytes',
    'connectedRssBytes',
    'rssPerConnectionBytes',
    'heapUsedBytes',
    'cpuSeconds',
    'cpuMsPer1kEvents',
    'eventLoopDelayP99Us',
  ] satisfies (keyof ServerFigures)[],
} as const;

type Section = keyof typeof METRIC_FIELDS;

/** Every metric path the gate accepts, e.g. "latency.p99Us". */
export const METRIC_PATHS: readonly string[] = (Object.keys(METRIC_FIELDS) as Section[]).flatMap((s) => METRIC_FIELDS[s].map((f) => `${s}.${f}`));

/** True when `path` names a numeric figure of a transport result. */
export function isMetricPath(path: string): boolean {
  return METRIC_PATHS.includes(path);
}

/** Reads the figure at `path` ("server.cpuMsPer1kEvents"); undefined when the section was not measured. */
export function metricValue(t: TransportResult, path: string): number | undefined {
  const dot = path.indexOf('.');
  const section = t[path.slice(0, dot) as Section] as Record<string, unknown> | undefined;
  const v = section?.[path.slice(dot + 1)];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Which way of a metric is worse. */
export type Direction = 'higher-is-worse' | 'lower-is-worse';

/**
 * How a metric is gated:
 * - `statistical`: noisy; one-sided Mann–Whitney U tests over rounds against a relative floor;
 * - `exact`: deterministic up to a stated tolerance; medians compared, and from a baseline of 0 in every round,
 *   every current round must be 0 (higher-is-worse figures);
 * - `zero`: correctness counters that must be 0 in every current round.
 */
export type GateKind = 'statistical' | 'exact' | 'zero';

/** A metric as the gate checks it, defaults filled. */
export interface MetricRule {
  /** Path in a transport result, e.g. "latency.p99Us". */
  metric: string;
  gate: GateKind;
  direction: Direction;
  /** Statistical gates: smallest relative change that counts, percent. */
  floorPercent: number;
  /** Exact gates: allowed relative difference from the baseline median per transport, percent. */
  tolerancePercent: Record<Transport, number>;
}

const allTransports = (percent: number): Record<Transport, number> => ({
  'short-poll': percent,
  'long-poll': percent,
  ws: percent,
  sse: percent,
  'fetch-stream': percent,
  socketio: percent,
  'socketio-ws': percent,
});

/**
 * Default tolerances of the exact gates, percent. Streams (ws, sse, fetch-stream) frame every event the same
 * way, so bytes per event only moves with the sequence numbers' digit count and chunk framing: 1%. Polling
 * batches events per response and paces its requests by timers, so both figures depend on timing: 10% for
 * short-poll (fixed interval), 20% for long-poll (batch size follows scheduling). Socket.IO over WebSocket frames
 * every event like ws: 1%; its default configuration also counts the polling handshake and upgrade of each
 * connection, which a run amortises over its events: 5%.
 */
export const DEFAULT_TOLERANCE_PERCENT: Record<Transport, number> = {
  'short-poll': 10,
  'long-poll': 20,
  ws: 1,
  sse: 1,
  'fetch-stream': 1,
  socketio: 5,
  'socketio-ws': 1,
};

/**
 * Tolerances of `churn.httpRequests`, percent: streams make no request while measuring, so none is tolerated
 * (with their zero baseline any request, i.e. any reconnect, fails); polling as for the other exact figures.
 */
export const HTTP_REQUESTS_TOLERANCE_PERCENT: Record<Transport, number> = { ...DEFAULT_TOLERANCE_PERCENT, ws: 0, sse: 0, 'fetch-stream': 0 };

/** The metrics every gate checks unless the config turns them off. */
export const DEFAULT_RULES: readonly MetricRule[] = [
  { metric: 'delivery.lost', gate: 'zero', direction: 'higher-is-worse', floorPercent: 0, tolerancePercent: allTransports(0) },
  { metric: 'delivery.duplicates', gate: 'zero', direction: 'higher-is-worse', floorPercent: 0, tolerancePercent: allTransports(0) },
  { metric: 'delivery.outOfOrder', gate: 'zero', direction: 'higher-is-worse', floorPercent: 0, tolerancePercent: allTransports(0) },
  { metric: 'wire.bytesPerEvent', gate: 'exact', direction: 'higher-is-worse', floorPercent: 0, tolerancePercent: { ...DEFAULT_TOLERANCE_PERCENT } },
  { metric: 'churn.requestsPerEvent', gate: 'exact', direction: 'higher-is-worse', floorPercent: 0, tolerancePercent: { ...DEFAULT_TOLERANCE_PERCENT } },
  { metric: 'churn.httpRequests', gate: 'exact', direction: 'higher-is-worse', floorPercent: 0, tolerancePercent: { ...HTTP_REQUESTS_TOLERANCE_PERCENT } },
  { metric: 'latency.p50Us', gate: 'statistical', direction: 'higher-is-worse', floorPercent: 10, tolerancePercent: allTransports(0) },
  { metric: 'latency.p99Us', gate: 'statistical', direction: 'higher-is-worse', floorPercent: 10, tolerancePercent: allTransports(0) },
  { metric: 'delivery.eventsPerSec', gate: 'statistical', direction: 'lower-is-worse', floorPercent: 5, tolerancePercent: allTransports(0) },
  { metric: 'server.cpuMsPer1kEvents', gate: 'statistical', direction: 'higher-is-worse', floorPercent: 5, tolerancePercent: allTransports(0) },
  { metric: 'server.rssPerConnectionBytes', gate: 'statistical', direction: 'higher-is-worse', floorPercent: 10, tolerancePercent: allTransports(0) },
];

/** Direction of a metric when the config does not say: throughput-like figures are better higher. */
export function defaultDirection(metric: string): Direction {
  return /PerSec$/.test(metric) ? 'lower-is-worse' : 'higher-is-worse';
}

/** Fresh copy of a rule's per-transport tolerances with every transport set to `percent`. */
export function uniformTolerance(percent: number): Record<Transport, number> {
  return allTransports(percent);
}
