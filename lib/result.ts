// The one result object every rtbench run produces, and its parser. Every output (terminal table, Markdown, HTML,
// JSON, the CI gate) is a pure function of it. Units are in the field names.
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.ts';
import { TRANSPORTS, isTransport, type Transport } from './transports.ts';
import type { ScenarioOptions } from './options.ts';

export type { FanoutOptions, ScenarioOptions } from './options.ts';

/** Version of this JSON shape; bump on incompatible changes. */
export const SCHEMA_VERSION = 1;

/** Latency summary in microseconds, from an HdrHistogram. */
export interface LatencySummaryUs {
  /** Number of recorded samples (deliveries in the measured window). */
  count: number;
  minUs: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

/** One second of a transport's measured window (latency over time). */
export interface TimelinePoint {
  /** Milliseconds since the publisher started. */
  tMs: number;
  /** Deliveries recorded in this interval. */
  delivered: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

/** What the load generator (driver and client processes) did; a saturated generator invalidates a run. */
export interface DriverHealth {
  /** True when any client process crossed a CPU or event-loop-delay threshold: figures show the generator's limits. */
  saturated: boolean;
  /** One sentence per threshold crossed. */
  reasons: string[];
  /** Highest CPU use of one client process during the measured window, percent of one core. */
  maxCpuPercent: number;
  /** Highest event-loop delay p99 of one client process during the measured window, µs. */
  maxEventLoopDelayP99Us: number;
  /** Client processes used. */
  processes: number;
  /** CPU (user + system) of every client process from connecting to reporting, per 1 000 delivered events, ms. */
  cpuMsPer1kEvents?: number;
}

/** Fewest clients for which RSS per connection is recorded. */
export const MIN_CLIENTS_FOR_RSS_PER_CONNECTION = 1000;

/** (connected - baseline RSS) / clients, or undefined below MIN_CLIENTS_FOR_RSS_PER_CONNECTION clients. */
export function rssPerConnection(baselineRssBytes: number, connectedRssBytes: number, clients: number): number | undefined {
  return clients >= MIN_CLIENTS_FOR_RSS_PER_CONNECTION ? Math.round((connectedRssBytes - baselineRssBytes) / clients) : undefined;
}

/** Server figures from its /stats endpoint. */
export interface ServerFigures {
  /** Highest resident set size seen during the run, bytes. */
  peakRssBytes: number;
  /** RSS before any client connected, bytes. */
  baselineRssBytes: number;
  /** RSS once every client was connected, before publishing, bytes. */
  connectedRssBytes: number;
  /**
   * (connectedRss - baselineRss) / clients, bytes. Absent below MIN_CLIENTS_FOR_RSS_PER_CONNECTION clients,
   * where allocator noise outweighs the connections (it can even come out negative): not measured.
   */
  rssPerConnectionBytes?: number;
  /** V8 heap used at the end of the measured window, bytes. */
  heapUsedBytes: number;
  /** Server CPU (user + system) during the measured window, seconds. */
  cpuSeconds: number;
  /** Server CPU per 1 000 delivered events, milliseconds. */
  cpuMsPer1kEvents: number;
  /** Server event-loop delay p99 during the run, µs. */
  eventLoopDelayP99Us: number;
}

/** Connection churn during the measured window. */
export interface ChurnFigures {
  /** TCP connections the server accepted. */
  connectionsOpened: number;
  /** TCP connections that closed. */
  connectionsClosed: number;
  /** HTTP requests the server received (a WebSocket upgrade counts as one). */
  httpRequests: number;
  /** httpRequests / delivered events. */
  requestsPerEvent: number;
}

/** Delivery correctness and throughput. */
export interface DeliveryFigures {
  /** Events the publisher sent (warm-up + measured). */
  publishedEvents: number;
  /** Deliveries expected: publishedEvents x clients. */
  expectedDeliveries: number;
  /** Unique deliveries received, over the whole run. */
  deliveredEvents: number;
  /** Deliveries of events scheduled in the measured window, per second of that window. */
  eventsPerSec: number;
  /** Expected deliveries never received. */
  lost: number;
  /** Deliveries of an event a client had already received. */
  duplicates: number;
  /** Deliveries that arrived after a later event. */
  outOfOrder: number;
  /** Gaps the server announced (events older than its retention). */
  gaps: number;
}

/** Bytes on the wire, counted at the server's sockets. */
export interface WireFigures {
  /** Bytes the server wrote during the run (headers and framing included). */
  serverBytesWritten: number;
  /** Bytes the server read during the run. */
  serverBytesRead: number;
  /** serverBytesWritten / delivered events. */
  bytesPerEvent: number;
}

/** Outcome of one transport. */
export type TransportStatus = 'ok' | 'errored' | 'interrupted';

/** Everything measured for one transport. Figures are absent when the transport errored before measuring. */
export interface TransportResult {
  transport: Transport;
  status: TransportStatus;
  /** Why the transport errored or was interrupted. */
  error?: string;
  /** Wall time spent on this transport, ms. */
  wallMs: number;
  latency?: LatencySummaryUs;
  /** The merged latency HdrHistogram (µs), compressed base64, so any percentile can be recomputed. */
  histogram?: string;
  timeline?: TimelinePoint[];
  delivery?: DeliveryFigures;
  churn?: ChurnFigures;
  wire?: WireFigures;
  server?: ServerFigures;
  driver?: DriverHealth;
  /** Idle scenario: memory versus held connections. */
  idle?: IdleSweep;
  /** Capacity scenario: latency versus load, and the knee. */
  capacity?: CapacitySearch;
  /** Churn scenario: connect and first-event times, connection rates, resumption. */
  connect?: ConnectFigures;
  /** Chat scenario: send-to-receive round trip and upstream cost. */
  roundTrip?: RoundTripFigures;
  /** Burst scenario: how long until every client had every event of a burst. */
  burst?: BurstFigures;
  /** Stream scenario: token streaming per client. */
  stream?: StreamFigures;
  /** Poll-ceiling scenario: the request rate one server process answers on its polling endpoint. */
  pollCeiling?: PollCeiling;
}

/** The requests/s ceiling of a polling endpoint, measured with autocannon against one server process. */
export interface PollCeiling {
  /** The request autocannon repeated, e.g. "/poll?after=100". */
  path: string;
  /** Events in every answer (0: the empty answer an up-to-date poller gets). */
  eventsPerAnswer: number;
  /** Bytes of every answer's body. */
  answerBodyBytes: number;
  connections: number;
  pipelining: number;
  durationMs: number;
  /** Requests answered in the window. */
  requests: number;
  /** Mean answered requests per second: the ceiling. */
  requestsPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Pollers one server process can serve at a 1 s poll interval: requestsPerSec x 1 s. */
  clientsAt1sInterval: number;
  /** Pollers at the scenario's poll interval: requestsPerSec x pollIntervalMs / 1000. */
  clientsAtPollInterval: number;
  pollIntervalMs: number;
  /** Connection errors, timeouts and non-2xx answers: a valid ceiling has none. */
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Server CPU (user + system) over the window, percent of one core: near 100 the server was the limit. */
  serverCpuPercent: number;
  /** autocannon's own CPU (the driver process) over the window, percent of one core. */
  generatorCpuPercent: number;
  /** True when the generator used >= 90% of a core: the figure is then a floor of the server's ceiling. */
  generatorSaturated: boolean;
}

/** Connection churn: clients reconnect after k events with their cursor; then a reconnect storm. */
export interface ConnectFigures {
  /** Reconnections completed in the measured window (not counting the initial connects or the storm). */
  reconnects: number;
  /** reconnects / measured window, per second. */
  connectsPerSec: number;
  /** HTTP requests the server received in the window, per second (a WebSocket upgrade counts as one). */
  requestsPerSec: number;
  /** TCP connections the server accepted in the window, per second (shows HTTP keep-alive). */
  newTcpConnectionsPerSec: number;
  /** Time from starting a reconnection until it is subscribed, µs. */
  connectTime: LatencySummaryUs;
  /** Time from starting a reconnection until its first event arrived, µs. */
  firstEventTime: LatencySummaryUs;
  /** Server CPU in the window per reconnection (delivery work included), µs. */
  serverCpuUsPerConnect: number;
  /** Sockets in TIME_WAIT on the server's port (either end) at the end of the window; absent off Linux. */
  timeWaitSockets?: number;
  /** The reconnect storm, when one was run. */
  storm?: StormFigures;
}

/** Reconnect storm: `clients` dropped at once, then reconnected at once with their cursors. */
export interface StormFigures {
  clients: number;
  /** From the drop until every dropped client was subscribed again, ms (slowest client process). */
  allReconnectedMs: number;
  connectTime: LatencySummaryUs;
  firstEventTime: LatencySummaryUs;
}

/** Chat: every client sends upstream, every client receives the broadcast. */
export interface RoundTripFigures {
  /** Upstream messages sent (all clients). */
  messagesSent: number;
  /** Sends that failed. */
  failedSends: number;
  /** Own messages the senders received back (messagesSent when nothing was lost). */
  echoed: number;
  /** A message's scheduled send time until its sender received it back, µs (warm-up messages left out). */
  latency: LatencySummaryUs;
  /** Bytes the server read during the run per upstream message (for the pollings, their polls' requests included). */
  serverBytesReadPerMessage: number;
  /** HTTP requests the server received during the run per upstream message (for the pollings, polls included). */
  httpRequestsPerMessage: number;
}

/** Bursts of events published back to back, then quiet. */
export interface BurstFigures {
  bursts: number;
  eventsPerBurst: number;
  /** Per client and burst: the burst's last delivery minus its first scheduled time, µs. */
  complete: LatencySummaryUs;
  /** Client-bursts received complete (clients x bursts when nothing was lost). */
  completed: number;
}

/** Token streaming: every client opens its own stream of `tokensPerStream` tokens at a fixed pace. */
export interface StreamFigures {
  streams: number;
  tokensPerStream: number;
  /** Opening the stream until its first token arrived, µs. */
  firstToken: LatencySummaryUs;
  /** Between two consecutive tokens of a stream, as received, µs. */
  interToken: LatencySummaryUs;
  /** Opening the stream until its last token arrived, µs. */
  total: LatencySummaryUs;
  /** Streams that received every token. */
  completed: number;
  /** Server bytes written per token (headers, framing and polls included). */
  bytesPerToken: number;
}

/** One point of the idle sweep. */
export interface IdlePoint {
  connections: number;
  rssBytes: number;
  /** Heap used after a forced GC, bytes. */
  heapUsedBytes: number;
  /** Kernel TCP socket memory from /proc/net/sockstat (mem pages x page size) above the 0-connection reading, bytes (system-wide). */
  kernelSocketBytes: number;
  /** Kernel memory of the socket slab caches (socket, inode, file, dentry, epoll item; /proc/slabinfo, root only) above the 0-connection reading, bytes (system-wide). */
  kernelSlabBytes?: number;
  /** TCP sockets in use (/proc/net/sockstat) above the 0-connection reading (system-wide; a loopback connection has two). */
  kernelTcpSockets?: number;
  /** TCP connections the server held at the reading (exactly `connections`). */
  serverConnections?: number;
  /** Subscribers the server held at the reading (streams, sockets, held long polls; 0 for short polling). */
  serverSubscribers?: number;
  /** Short polling only: requests/s and bytes/s (both directions) spent while nothing was published. */
  wastedRequestsPerSec?: number;
  wastedBytesPerSec?: number;
}

/** Idle sweep and its least-squares slopes. */
export interface IdleSweep {
  points: IdlePoint[];
  rssBytesPerConnection: number;
  heapBytesPerConnection: number;
  kernelBytesPerConnection: number;
  /** Slope of the socket slab caches per connection, bytes (both ends when client and server share the host). */
  kernelSlabBytesPerConnection?: number;
  /** kernelSlabBytesPerConnection / kernelSocketsPerConnection: kernel objects of one TCP socket, bytes. */
  kernelSlabBytesPerSocket?: number;
  /** Slope of TCP sockets in use per connection (2 when client and server share the host's loopback). */
  kernelSocketsPerConnection?: number;
  /** kernelBytesPerConnection / kernelSocketsPerConnection: kernel buffer memory per TCP socket, bytes. */
  kernelBytesPerSocket?: number;
  /** What the transport sent while idle, in one sentence (heartbeat, ping, re-poll). */
  keepAlive?: string;
}

/** One load step of the capacity search. */
export interface CapacityStep {
  clients: number;
  rate: number;
  p99Us: number;
  eventsPerSec: number;
  lost: number;
  /** True when the step held the SLO with no loss. */
  held: boolean;
  p50Us?: number;
  /** True when the load generator saturated: the step says nothing about the server. */
  saturated?: boolean;
  /** Why the step did not hold (SLO, loss, saturated generator, error). */
  reason?: string;
}

/** Capacity search: steps until the SLO broke, and the last step that held. */
export interface CapacitySearch {
  /** The p99 latency SLO, µs. */
  sloP99Us: number;
  /** What was stepped up. */
  axis: 'clients' | 'rate';
  steps: CapacityStep[];
  /** The highest step that held, or null when none did. */
  knee: { clients: number; rate: number } | null;
  /** Why the search ended: a step broke the SLO, lost events, saturated the generator, errored; or every step held. */
  stoppedBy?: 'slo' | 'loss' | 'saturated' | 'errored' | 'interrupted' | 'exhausted';
  /** One sentence on what the knee means, e.g. that a saturated generator hides the server's real knee. */
  note?: string;
}

/** Where the run happened. */
export interface Environment {
  node: string;
  platform: string;
  osRelease: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  totalMemBytes: number;
  hostname: string;
  /** Commit of the working directory, when it is a git checkout. */
  gitCommit?: string;
  rtbenchVersion: string;
}

/** The result of one rtbench run. */
export interface RunResult {
  schemaVersion: typeof SCHEMA_VERSION;
  scenario: string;
  startedAt: string;
  finishedAt: string;
  /** True when the run was stopped early (Ctrl-C); what was measured is kept. */
  interrupted: boolean;
  options: ScenarioOptions;
  /** True when a load generator crossed a CPU or event-loop-delay threshold in any transport (see each `driver`). */
  invalid?: boolean;
  environment: Environment;
  transports: TransportResult[];
}

/** Phases of one transport's run, in order. */
export type Phase = 'starting' | 'connecting' | 'warmup' | 'measuring' | 'draining' | 'done';

/** A live progress sample, emitted about once per second while a transport runs. */
export interface Progress {
  transport: Transport;
  /** Index of this transport in the run (0-based) and how many there are. */
  index: number;
  total: number;
  phase: Phase;
  /** Time since this transport's publisher started, ms, and the planned warm-up + duration, ms. */
  elapsedMs: number;
  plannedMs: number;
  /** Deliveries so far over the run. */
  delivered: number;
  /** p99 latency of the last second, µs (0 before the first delivery). */
  currentP99Us: number;
}

/** Hooks of a run. */
export interface RunHooks {
  /** Called about once per second with live figures. */
  onProgress?: (progress: Progress) => void;
  /** Aborting stops the run; what was measured so far is returned with `interrupted: true`. */
  signal?: AbortSignal;
}

// ---- reading results ------------------------------------------------------------------------------------------

const STATUSES = ['ok', 'errored', 'interrupted'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses `text` (the contents of `file`) as a RunResult; throws UsageError with one sentence naming the file
 * when it is not JSON, has another schemaVersion, or lacks the fields reports need.
 */
export function parseResult(text: string, file: string): RunResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`result file "${file}" is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isObject(data)) throw new UsageError(`result file "${file}" is not an rtbench result: expected a JSON object`);
  if (data.schemaVersion !== SCHEMA_VERSION) {
    throw new UsageError(`result file "${file}" has schemaVersion ${JSON.stringify(data.schemaVersion) ?? 'undefined'}; this rtbench reads schemaVersion ${SCHEMA_VERSION}`);
  }
  const bad = (what: string): UsageError => new UsageError(`result file "${file}" is not an rtbench result: ${what}`);
  for (const key of ['scenario', 'startedAt', 'finishedAt'] as const) {
    if (typeof data[key] !== 'string') throw bad(`"${key}" must be a string`);
  }
  if (typeof data.interrupted !== 'boolean') throw bad('"interrupted" must be true or false');
  if (!isObject(data.options)) throw bad('"options" must be an object');
  for (const key of ['clients', 'rate', 'payloadBytes', 'warmupMs', 'durationMs', 'pollIntervalMs', 'workers']) {
    if (typeof data.options[key] !== 'number') throw bad(`"options.${key}" must be a number`);
  }
  if (!isObject(data.environment)) throw bad('"environment" must be an object');
  if (!Array.isArray(data.transports)) throw bad('"transports" must be an array');
  data.transports.forEach((t: unknown, i: number) => {
    if (!isObject(t)) throw bad(`"transports[${i}]" must be an object`);
    if (typeof t.transport !== 'string' || !isTransport(t.transport)) {
      throw bad(`"transports[${i}].transport" is ${JSON.stringify(t.transport)}; expected one of: ${TRANSPORTS.join(', ')}`);
    }
    if (typeof t.status !== 'string' || !STATUSES.includes(t.status)) {
      throw bad(`"transports[${i}].status" is ${JSON.stringify(t.status)}; expected one of: ${STATUSES.join(', ')}`);
    }
  });
  return data as unknown as RunResult;
}

/** Reads and validates a result file; throws UsageError naming the file when it is missing or invalid. */
export function loadResult(file: string): RunResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot read result file "${file}": ${why}`);
  }
  return parseResult(text, file);
}
