// The one result object every rtbench run produces, and its parser. Every output (terminal table, Markdown, HTML,
// JSON, the CI gate) is a pure function of it. Units are in the field names.
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.ts';
import { TRANSPORTS, isTransport, type Transport } from './transports.ts';
import type { ScenarioOptions } from './options.ts';
import type { PathRecord } from '../net/path.ts';
import type { ServerProcess } from '../servers/spawn.ts';

export type { FanoutOptions, ScenarioOptions } from './options.ts';

/** Version of this JSON shape; bump on incompatible changes. */
export const SCHEMA_VERSION = 2;

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

/** One second of a transport's run (latency over time), by receive time. */
export interface TimelinePoint {
  /** End of this second, ms since the publisher started (the clock's t0): the point covers [tMs - 1000, tMs). */
  tMs: number;
  /** Deliveries received in this second. */
  delivered: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  /** Server CPU (user + system, publisher spin excluded) over about this second, ms. */
  serverCpuMs?: number;
  /** True for the seconds inside the measured window. */
  window?: boolean;
  /** A shard's partial result only: this second's latency HdrHistogram (µs), compressed base64, so shards' seconds merge exactly. */
  histogram?: string;
}

/** Event-loop delay summary, µs. */
export interface LoopDelayFigures {
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  /** Probes recorded (one every 10 ms per process). */
  count: number;
}

/** Where the run was bound: by nothing, by the server (valid: that is what is measured), the generator or the host (invalid). */
export type Bound = 'none' | 'server' | 'generator' | 'host';

/** The whole host's CPU over the measured window (/proc/stat). */
export interface HostFigures {
  cores: number;
  /** Share of all cores' time spent busy, steal included, percent. */
  busyPercent: number;
  /** Share of all cores' time taken by the hypervisor for others, percent. */
  stealPercent: number;
}

/** What the load generator (driver and client processes) did; a saturated generator invalidates a run. */
export interface DriverHealth {
  /** True when the generator or the host was the bottleneck: the figures show their limits, not the transport's. */
  saturated: boolean;
  /** What bound the run over the measured window. */
  bound: Bound;
  /** One sentence per threshold crossed, and one on a server-bound run. */
  reasons: string[];
  /** Highest CPU use of one client process over the measured window, percent of one core. */
  maxCpuPercent: number;
  /** Highest event-loop delay p99 of one client process over the measured window, µs. */
  maxEventLoopDelayP99Us: number;
  /** Event-loop delay of every client process over the measured window, merged. */
  eventLoopDelay?: LoopDelayFigures;
  /** The merged event-loop-delay HdrHistogram (µs), compressed base64. */
  eventLoopDelayHistogram?: string;
  /** Client processes used. */
  processes: number;
  /** Each client process over the window: CPU (percent of one core) and event-loop delay p99 (µs). */
  perProcess?: { cpuPercent: number; eventLoopDelayP99Us: number }[];
  /** CPU (user + system) of every client process over the window, per 1 000 deliveries received in it, ms. */
  cpuMsPer1kEvents?: number;
  /** The whole host over the window. */
  host?: HostFigures;
  /** The server's CPU over the window, percent of one core (publisher spin excluded). */
  serverCpuPercent?: number;
}

/** The publisher over the measured window: how late events left (hand-over to the transports minus due time). */
export interface PublisherFigures {
  /** Lateness of the events due in the window, µs; count 0: nothing was published on a schedule (chat, token streams), so not measured rather than zero. */
  latenessUs: { count: number; p50Us: number; p99Us: number; maxUs: number };
  /** The lateness HdrHistogram (µs), compressed base64. */
  latenessHistogram?: string;
  /** Main-thread CPU the publisher spent spinning before due times, ms (left out of the server's CPU figures). */
  spinCpuMs: number;
}

/** What the instrument itself adds, measured in this run: differences below these are below what rtbench resolves. */
export interface InstrumentFloor {
  /** The publisher's lateness over the window, µs (part of every latency). */
  publisherLatenessP50Us: number;
  publisherLatenessP99Us: number;
  /** One client clock reading, ns. */
  timestampCostNs: number;
  /** GET /time round trips on one kept-alive loopback connection from a client process, µs (absent: not measured). */
  loopbackRttMinUs?: number;
  loopbackRttP50Us?: number;
  /** The server's clock minus a client process's, at the shortest round trip, µs (0 on one host, within the RTT). */
  clockOffsetUs?: number;
}

/**
 * Browser clients (--clients-in chromium): how the pages' clocks (performance.now()) were aligned with the host's;
 * every latency of the transport carries `uncertaintyUs`.
 */
export interface BrowserClock {
  /** Chromium's version. */
  version: string;
  pages: number;
  /** Smallest step of performance.now() measured in the pages, µs (Chromium coarsens it: 5 µs when cross-origin isolated, else 100 µs). */
  timerResolutionUs: number;
  /** Whether the pages were cross-origin isolated (the finer timer). */
  isolated: boolean;
  /** Shortest host-clock round trip of the worst-aligned page, µs. */
  bestRttUs: number;
  /** Uncertainty of a receive time on the host's clock: half the worst page's best round trip plus the timer resolution, µs. */
  uncertaintyUs: number;
  /** Largest change of a page's offset between the alignment before connecting and the one at the end, µs (clock drift plus alignment error). */
  driftUs: number;
  /** Receive times that fell before their event's `ts` by no more than the uncertainty, taken as `ts` (latency 0). */
  clampedLatencies: number;
  /** Times an EventSource lost its stream and reconnected by itself (with Last-Event-ID); duplicates and gaps are counted in `delivery`. */
  eventSourceReconnects: number;
  /** CPU of every Chromium process over the measured window, µs, and the span it was measured over, µs (absent: not measured, off Linux). The client process's own CPU is in `driver`. */
  windowCpuUs?: number;
  windowUs?: number;
  /**
   * True when the event-loop delay of these clients (driver.eventLoopDelay, and the generator-bound judgement made
   * from it) is the pages' own, probed in each page: the loops that stamp the deliveries. Absent: the relaying
   * client process's (a page without the probe).
   */
  pagesProbed?: boolean;
}

/** One subscription of the browser-limits page, in the order the page opened them. */
export interface LimitSubscription {
  /** 1 for the first one opened. */
  index: number;
  /**
   * From opening it until its request reached the server, ms: the SSE/WebSocket open event, the stream's
   * response headers, the first short poll's answer; a long poll's first answer minus the time the server held it.
   * Absent: it never got there while the scenario ran.
   */
  connectMs?: number;
  /** It got no connection until earlier subscriptions let one go (connectMs is then its stall). */
  stalled: boolean;
  /** Closed at the end of the hold to let a connection go. */
  released: boolean;
  /** Events it received after the hold, and whether they were exactly 1..M in order. */
  received: number;
  inOrder: boolean;
}

/**
 * Browser-limits: one page opens `subscriptions` subscriptions of one transport to one origin; after `holdMs` the
 * first `released` are closed, then M events are published.
 */
export interface BrowserLimitsFigures {
  /** The protocol between the browser and the server: HTTP/1.1, or HTTP/2 under --http2 (not for WebSocket, which stays on HTTP/1.1). */
  protocol: 'http/1.1' | 'h2';
  /** Chromium's version. */
  browserVersion: string;
  /** Subscriptions opened, all at once, from one page to one origin. */
  subscriptions: number;
  /** The per-origin connection limit of an HTTP/1.1 browser (6), and whether it applies to this transport (not to WebSocket). */
  limit: number;
  limitApplies: boolean;
  /** How long every subscription was left to connect before the first ones were closed, ms. */
  holdMs: number;
  /** Subscribers (held long polls, streams, sockets) the server had 70% into the hold. */
  serverSubscribers: number;
  /** Subscriptions connected during the hold, and those that stalled. */
  connected: number;
  stalled: number;
  /** Events published after the hold (every remaining subscription was to receive exactly 1..M). */
  events: number;
  perSubscription: LimitSubscription[];
}

/** One client process's clock against the server's (lib/clock-sync.ts), µs. */
export interface ProcessClock {
  /** Estimated server clock minus the process's clock, and the bound the true offset lies within (±). */
  offsetUs: number;
  uncertaintyUs: number;
  /** The offset applied to its receive times: 0 when |offsetUs| <= uncertaintyUs (the clocks cannot be told apart). */
  appliedOffsetUs: number;
  /** /time exchanges the estimate rests on, and the shortest round trip among them. */
  samples: number;
  rttMinUs: number;
  /** The shard the process belonged to, in a merged result. */
  shard?: number;
}

/** How the clients' clocks were aligned to the server's. */
export interface ClockAlignment {
  /** Every client process's estimate. */
  processes: ProcessClock[];
  /** What every latency figure inherits from the alignment, µs: the largest uncertainty of an applied offset (0: every process read the server's clock itself). */
  latencyUncertaintyUs: number;
}

/** The latency uncertainty a set of process clocks gives: the largest uncertainty among applied offsets. */
export function latencyUncertaintyUs(processes: readonly ProcessClock[]): number {
  return Math.max(0, ...processes.filter((p) => p.appliedOffsetUs !== 0).map((p) => Math.ceil(p.uncertaintyUs)));
}

/** Median over the window's whole seconds of each second's percentiles: the typical second. */
export interface SteadyState {
  seconds: number;
  p50Us: number;
  p99Us: number;
}

/** How the warm-up ended. */
export interface WarmupFigures {
  /** Warm-up from the first event's due time to the window's start, ms. */
  ms: number;
  /** True when two consecutive seconds' p99 were within WARMUP_SETTLE_PERCENT of each other; false when the cap ended it. */
  settled: boolean;
  /** Longest warm-up allowed, ms. */
  capMs: number;
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
  /** Server CPU (user + system) during the measured window, seconds, net of the publisher's spin. */
  cpuSeconds: number;
  /** Server CPU per 1 000 deliveries received in the window, milliseconds (net of the publisher's spin). */
  cpuMsPer1kEvents: number;
  /** Server event-loop delay p99 during the run, µs. */
  eventLoopDelayP99Us: number;
  /** Streaming subscribers the server cut as slow consumers, from the window's start to the end of the drain. */
  slowConsumersCut?: number;
  /** Connections the server closed at once because it held its most (its open-file limit), from before the clients connected to the end of the drain. */
  connectionsRefused?: number;
}

/** Connection churn during the measured window. */
export interface ChurnFigures {
  /** TCP connections the server accepted. */
  connectionsOpened: number;
  /** TCP connections that closed. */
  connectionsClosed: number;
  /** HTTP requests the server received (a WebSocket upgrade counts as one). */
  httpRequests: number;
  /** httpRequests / deliveries received in the window, unrounded (compare the counts for exact checks). */
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
  /** Unique deliveries received inside the measured window (by receive time). */
  windowDeliveries?: number;
  /** windowDeliveries per second of the window: a transport that falls behind shows it here. */
  eventsPerSec: number;
  /** From the last event's scheduled time to the last delivery, µs: how far behind the clients finished. */
  deliveryLagUs?: number;
  /** Expected deliveries missing at clients that neither failed nor fell behind (and holes below a straggler's newest event). */
  lost: number;
  /** Clients still behind when the drain ended, and the events they had not reached yet (not counted as lost). */
  stragglers?: number;
  behind?: number;
  /** Clients that failed, the events they never received (not counted as lost), and the first reason. */
  failedClients?: number;
  failedMissed?: number;
  failureReason?: string;
  /** Latencies that came out negative: an error of the instrument (counted, not recorded). */
  negativeLatencies?: number;
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
  /**
   * Over TLS (the bytes above are then the encrypted ones, records and handshakes included): the protocol and
   * cipher negotiated, and the connections per ALPN protocol ("h2", "http/1.1", "none").
   */
  tls?: { protocol: string; cipher: string; alpn: Record<string, number> };
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
  /** Latency of the events scheduled in the measured window, µs. */
  latency?: LatencySummaryUs;
  /** The merged latency HdrHistogram (µs), compressed base64, so any percentile can be recomputed. */
  histogram?: string;
  /** The typical second of the window. */
  steadyState?: SteadyState;
  timeline?: TimelinePoint[];
  warmup?: WarmupFigures;
  publisher?: PublisherFigures;
  floor?: InstrumentFloor;
  /** What this run could not measure of its server (a server without rtbench's /stats), one sentence each. */
  notMeasured?: string[];
  /** The client processes' clocks against the server's: offsets and the uncertainty latency figures inherit. */
  clock?: ClockAlignment;
  /** Why this transport's figures cannot be trusted (a saturated generator or host, failed or straggling clients, negative latencies); absent or empty: valid. */
  invalid?: string[];
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
  /** Slow-consumer scenario: what slow readers cost the server and the healthy clients, and what they lost. */
  slowConsumer?: SlowConsumerFigures;
  /**
   * The network path, when the clients did not talk to the server directly: the proxy (`--via`), its version and its
   * generated config, and the link (`--link`, `--rtt`, ...) with the round trip the clients measured across it. The server's figures (wire bytes, connections, requests) are then between proxy and server.
   */
  path?: PathRecord;
  /** Faults scenario: the fault injected and how the transport recovered from it. */
  faults?: FaultFigures;
  /** Browser clients: the alignment of their clocks with the host's (absent: Node clients). */
  browser?: BrowserClock;
  /** Browser-limits scenario: which subscriptions of one page to one origin connected, which stalled and for how long. */
  browserLimits?: BrowserLimitsFigures;
}

/**
 * Faults: a fault a third into the window (the server restarted, a share of the connections reset at once, or a proxy cut idle connections), and
 * how the clients recovered: each reconnects with a bounded backoff and resumes from its cursor. Recovery counts
 * from the recovery point: the restarted server listening, or the reset. Loss and duplicates are in `delivery`.
 */
export interface FaultFigures {
  fault: 'restart' | 'reset' | 'idle-cut';
  clients: number;
  /** restart: the outage asked for, and as it was (from stopping the server until the new process listened), ms. */
  outageMs?: number;
  measuredOutageMs?: number;
  /** reset: the share asked for, the connections reset, and those open then. */
  resetFraction?: number;
  connectionsReset?: number;
  connectionsOpen?: number;
  /** idle-cut: the proxy, its read timeout, the publisher's quiet time, the keep-alive interval (SSE heartbeat, WebSocket ping; 0: none), ms, and the last seq before the gap. */
  via?: string;
  idleTimeoutMs?: number;
  gapMs?: number;
  keepAliveMs?: number;
  gapAfterSeq?: number;
  /** Events the server keeps for resumption. */
  retentionEvents: number;
  /** Time to recover: from the recovery point until every client had an event received after it, ms (absent when one never did). */
  recoverMs?: number;
  /** The same per client, µs. */
  recovery: LatencySummaryUs;
  /** Clients that had no event after the recovery point by the end of the drain. */
  unrecovered: number;
  /** Clients that reconnected at least once, and their reconnections in all. */
  reconnectedClients: number;
  reconnects: number;
  /** Reconnection attempts that failed (refused while the server was down) before one succeeded. */
  failedAttempts: number;
  /** Connections and requests the server accepted per 100 ms from the recovery point (idle-cut: from the start of the gap): the reconnect storm. */
  storm: { binMs: number; connections: number[]; requests: number[]; peakConnectionsPer100ms: number; peakRequestsPer100ms: number };
}

/**
 * Slow consumers: `slowClients` of the clients read at `readBytesPerSec` (0: not at all) from the first event until
 * the window closed, the others normally. The transport's `latency`, timeline and events/s are the healthy clients'; `delivery` and
 * `server.slowConsumersCut` cover every client.
 */
export interface SlowConsumerFigures {
  /** Clients that read slowly (from the first event until the window closed), and the others. */
  slowClients: number;
  healthyClients: number;
  /** How fast the slow clients read, bytes/s (0: they did not read at all). */
  readBytesPerSec: number;
  /** True for the pollings: the server queues nothing between requests, so a slow reader costs it nothing (nothing to cut). */
  pull: boolean;
  /** The server's bound on one subscriber's queue, bytes (0: none); pollings: absent (nothing is queued). */
  maxQueuedBytes?: number;
  /** Events the server kept for resumption. */
  retentionEvents: number;
  /** Subscribers the server cut as slow consumers over the whole run (warm-up, window and drain); pollings: 0. */
  cuts: number;
  /** Expected deliveries the healthy clients never received (failed and straggling clients apart). */
  healthyLost: number;
  /** Slow clients that found their connection cut and resumed with their cursor, and their resumptions in all. */
  cutClients: number;
  resumes: number;
  /** Events the resumed connections delivered that were due before they reconnected: what the cut clients got back. */
  recoveredEvents: number;
  /** Expected deliveries the slow clients never received: lost to a gap (retention no longer held them when they came back). */
  slowLost: number;
  /** Gap notices the slow clients received. */
  slowGaps: number;
  /** Slow clients still behind when the drain ended. */
  slowStragglers: number;
  /** The slow clients' latency of the events scheduled in the window (their catch-up included), µs. */
  slowLatency: LatencySummaryUs;
  /** The server's peak RSS over the window minus its RSS once every client was connected, bytes. */
  rssGrowthBytes: number;
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
  /** Opening the stream until its first token arrived, µs (each client process warmed its client path first). */
  firstToken: LatencySummaryUs;
  /** The same for the one unmeasured warm-up stream each client process opened first: the cold client path, µs. */
  firstTokenCold?: LatencySummaryUs;
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
  /** Why the search ended: a step broke the SLO, lost events, saturated the generator, had failed or straggling clients (invalid), errored; or every step held. */
  stoppedBy?: 'slo' | 'loss' | 'saturated' | 'invalid' | 'errored' | 'interrupted' | 'exhausted';
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
  /** True when tracked files differed from that commit (the commit alone does not say what code ran). */
  gitDirty?: boolean;
  rtbenchVersion: string;
}

/** Which share of a run a partial result is: shard `index` (0-based) of `count`. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** The clients of shard `s` among `clients`: indexes [offset, offset + count), the --shard i/N share i*C/N .. (i+1)*C/N - 1. */
export function shardClients(s: ShardSpec, clients: number): { offset: number; count: number } {
  const offset = Math.floor((s.index * clients) / s.count);
  return { offset, count: Math.floor(((s.index + 1) * clients) / s.count) - offset };
}

/** The result of one rtbench run. */
export interface RunResult {
  /** A shard's partial result (merge the shards with `rtbench merge`); absent: a whole run. */
  shard?: ShardSpec;
  /** A result merged from shards: how many, and the host each ran on. */
  merged?: { shards: number; hostnames: string[] };
  schemaVersion: typeof SCHEMA_VERSION;
  scenario: string;
  startedAt: string;
  finishedAt: string;
  /** True when the run was stopped early (Ctrl-C); what was measured is kept. */
  interrupted: boolean;
  options: ScenarioOptions;
  /** True when any transport's figures cannot be trusted (see each transport's `invalid`). */
  invalid?: boolean;
  /** Warnings given before the run (e.g. the machine cannot generate the offered load). */
  warnings?: string[];
  /** The URL of each transport's server when the run measured servers it did not start itself (--target, --server-cmd). */
  targets?: Partial<Record<Transport, string>>;
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
  /** Called once, before anything starts, with warnings about the run (e.g. a load this machine cannot generate). */
  onWarnings?: (warnings: string[]) => void;
  /** Called once a transport's server and client processes run, with their pids (for tests that freeze one). */
  onProcesses?: (p: { transport: Transport; serverPid: number; clientPids: number[] }) => void;
  /**
   * Where each transport's server comes from when the run does not spawn a reference server: a remote target
   * (--target) or the user's own server (--server-cmd); see driver/targets.ts.
   */
  servers?: ServerSource;
}

/** Gives a transport's server, running and reachable over HTTP; the pipeline calls its stop() when the transport is done. */
export type ServerSource = (transport: Transport) => Promise<ServerProcess>;

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
