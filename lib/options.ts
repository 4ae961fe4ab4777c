// Every option a run takes, in one place: its type, range, default, meaning and command-line flag. Scenario files
// (scenarios/schema.ts), the command-line flags (commands/run.ts) and the gate config (gate/config.ts) are all
// derived from FIELDS, so a range or default is written once.
import { DEFAULT_TRANSPORTS, PLAIN_TRANSPORTS, TRANSPORTS, type Transport } from './transports.ts';
import { connectionsPerProcess } from './limits.ts';
import { VIAS, type Via } from '../net/path.ts';

/** Every scenario kind, one runner each. */
export const SCENARIO_KINDS = ['fanout', 'churn', 'chat', 'idle', 'burst', 'stream', 'capacity', 'poll-ceiling', 'slow-consumer', 'faults', 'browser-limits'] as const;

/** One scenario kind. */
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** Where subscribers can run: rtbench's Node clients, or pages of a headless Chromium (clients/browser/). */
export const CLIENTS_IN = ['node', 'chromium'] as const;

/** Where the subscribers run. */
export type ClientsIn = (typeof CLIENTS_IN)[number];

/** The three profiles every scenario file defines. */
export const PROFILES = ['smoke', 'ci', 'full'] as const;

/** One profile name. */
export type ProfileName = (typeof PROFILES)[number];

/** What one option holds: its type, range and default, its meaning, and the flag that sets it (if any). */
export type FieldSpec =
  | { type: 'int'; min: number; max: number; default: number; doc: string; flag?: string; short?: string; /** ms: the flag takes a duration; kbit: a bandwidth ("2mbit", "512kbit") */ unit?: 'ms' | 'kbit' }
  | { type: 'number'; min: number; max: number; /** min itself is not allowed */ above?: boolean; default: number; doc: string; flag?: string; short?: string; unit?: 'ms' }
  | { type: 'boolean'; default: boolean; doc: string; flag?: string }
  | { type: 'enum'; values: readonly string[]; default: string; doc: string; flag?: string }
  | { type: 'list'; min: number; max?: number; above?: boolean; integer: boolean; increasing?: boolean; nonEmpty: boolean; default: number[]; doc: string; flag?: string };

/**
 * Named links (`--link`): the round trip, jitter and bandwidth each adds (0: none). lan is a switched gigabit
 * network (a 1 ms round trip, 1 Gbit/s each way); wan a long-distance path (80 ms, bandwidth not the limit);
 * mobile a cellular one (150 ms, 2 Mbit/s each way).
 */
export const LINK_PROFILES = {
  loopback: { rttMs: 0, jitterMs: 0, bandwidthKbit: 0 },
  lan: { rttMs: 1, jitterMs: 0, bandwidthKbit: 1_000_000 },
  wan: { rttMs: 80, jitterMs: 0, bandwidthKbit: 0 },
  mobile: { rttMs: 150, jitterMs: 0, bandwidthKbit: 2000 },
} as const;

/** One `--link` name. */
export type LinkProfileName = keyof typeof LINK_PROFILES;

/** The options a link profile sets (an explicit value of one overrides the profile's). */
export const LINK_VALUE_FIELDS = ['rttMs', 'jitterMs', 'bandwidthKbit'] as const;

/** Longest short-poll interval, ms: also what the latency histograms must hold (with the drain). */
export const MAX_POLL_INTERVAL_MS = 600_000;
/** Longest drain, ms. */
export const MAX_DRAIN_MS = 600_000;

/**
 * Every option any kind knows, with its type, range, default and meaning (units in the name). `flag` is the
 * command-line flag of `rtbench compare` and `rtbench run`; options in ms with `unit: 'ms'` take durations there
 * ("500ms", "10s", "2m").
 */
export const FIELDS = {
  clients: { type: 'int', min: 1, max: 100_000, default: 100, doc: 'subscribers per transport', flag: '--clients', short: '-c' },
  rate: { type: 'number', min: 1, max: 1_000_000, default: 100, doc: 'events published per second', flag: '--rate', short: '-r' },
  payloadBytes: { type: 'int', min: 0, max: 1_048_576, default: 100, doc: "length of each event's data string", flag: '--payload', short: '-p' },
  warmupMs: { type: 'int', min: 0, max: 3_600_000, default: 2000, doc: 'warm-up before the measured window', flag: '--warmup', short: '-w', unit: 'ms' },
  durationMs: { type: 'int', min: 100, max: 86_400_000, default: 8000, doc: 'measured window', flag: '--duration', short: '-d', unit: 'ms' },
  pollIntervalMs: { type: 'int', min: 0, max: MAX_POLL_INTERVAL_MS, default: 1000, doc: 'short-poll pause between polls', flag: '--poll-interval', unit: 'ms' },
  longPollWaitMs: { type: 'int', min: 1, max: 120_000, default: 30_000, doc: 'longest a long poll is held', flag: '--long-poll-wait', unit: 'ms' },
  sseRetryMs: { type: 'int', min: 0, max: 3_600_000, default: 0, doc: 'SSE retry: field the server sends (0: none)', flag: '--sse-retry', unit: 'ms' },
  keepAlive: { type: 'boolean', default: true, doc: 'polling clients reuse their TCP connection (false: one connection per request)', flag: '--no-keep-alive' },
  wsCompression: { type: 'boolean', default: false, doc: 'WebSocket per-message deflate', flag: '--ws-compression' },
  tls: { type: 'boolean', default: false, doc: 'every transport over TLS (https, wss), with a certificate made for the run', flag: '--tls' },
  http2: { type: 'boolean', default: false, doc: 'SSE, fetch-stream and both pollings over HTTP/2 (TLS, ALPN h2; one connection per client), WebSocket over TLS on HTTP/1.1; implies --tls', flag: '--http2' },
  drainMs: { type: 'int', min: 0, max: MAX_DRAIN_MS, default: 5000, doc: 'longest wait for stragglers after publishing stops', flag: '--drain', unit: 'ms' },
  warmupMaxMs: { type: 'int', min: 0, max: 3_600_000, default: 0, doc: 'longest warm-up: it ends when two consecutive seconds\' p99 agree within 20% or at this cap (0: 3 x the warm-up)', flag: '--warmup-max', unit: 'ms' },
  workers: { type: 'int', min: 0, max: 64, default: 0, doc: 'client processes (0: sized from the offered load and each transport\'s measured client cost, at least 1 per 15 000 clients)', flag: '--workers' },
  maxQueuedBytes: { type: 'int', min: 0, max: 1_073_741_824, default: 4_194_304, doc: 'bytes one streaming subscriber may have queued at the server before it is cut as a slow consumer (0: no bound)', flag: '--max-queued-bytes' },
  injectDelayMs: { type: 'int', min: 0, max: 60_000, default: 0, doc: 'test knob: the server delays every publish tick', flag: '--inject-delay-ms' },
  injectCpuUs: { type: 'int', min: 0, max: 1_000_000, default: 0, doc: 'test knob: the server burns CPU per event per subscriber', flag: '--inject-cpu-us' },
  // the network path (net/path.ts)
  via: { type: 'enum', values: VIAS, default: 'direct', doc: 'what sits between the clients and each server: nothing (direct), or a real reverse proxy with a generated config', flag: '--via' },
  // the link between clients and server (net/link.ts)
  link: { type: 'enum', values: Object.keys(LINK_PROFILES), default: 'loopback', doc: 'named link between clients and server: loopback (none), lan (1 ms RTT, 1 Gbit/s), wan (80 ms RTT), mobile (150 ms RTT, 2 Mbit/s); --rtt, --jitter and --bandwidth override its values', flag: '--link' },
  rttMs: { type: 'int', min: 0, max: 10_000, default: 0, doc: 'round trip the link adds (half each way)', flag: '--rtt', unit: 'ms' },
  jitterMs: { type: 'int', min: 0, max: 5_000, default: 0, doc: "up to this much more or less delay on each direction's chunks, never reordering bytes", flag: '--jitter', unit: 'ms' },
  bandwidthKbit: { type: 'int', min: 0, max: 100_000_000, default: 0, doc: 'bandwidth of the link each way, kbit/s (0: not limited; needs root for a network namespace)', flag: '--bandwidth', unit: 'kbit' },
  clientsIn: { type: 'enum', values: CLIENTS_IN, default: 'node', doc: "where the subscribers run: node (rtbench's Node clients) or chromium (the browser's own EventSource, WebSocket and fetch in headless Chromium)", flag: '--clients-in' },
  // churn
  eventsPerConnection: { type: 'int', min: 1, max: 1_000_000, default: 10, doc: 'events a connection receives before it reconnects (k)' },
  connectRate: { type: 'number', min: 1, max: 1_000_000, default: 100, doc: 'most reconnections per second, all clients together' },
  stormClients: { type: 'int', min: 0, max: 100_000, default: -1, doc: 'clients dropped at once in the reconnect storm (0: no storm; default: all)' },
  // chat
  messagesPerClient: { type: 'int', min: 1, max: 1_000_000, default: 20, doc: 'upstream messages each client sends' },
  sendRatePerClient: { type: 'number', min: 0, above: true, max: 10_000, default: 10, doc: 'upstream messages per second of each client' },
  // burst
  burstEvents: { type: 'int', min: 1, max: 1_000_000, default: 1000, doc: 'events in one burst (B)' },
  bursts: { type: 'int', min: 1, max: 10_000, default: 3, doc: 'bursts in the run' },
  burstMs: { type: 'number', min: 0, max: 60_000, default: 5, doc: "time a burst's events are spread over (0: all at once)" },
  quietMs: { type: 'int', min: 0, max: 600_000, default: 2000, doc: 'quiet after each burst' },
  // stream
  tokens: { type: 'int', min: 1, max: 100_000, default: 200, doc: 'tokens per stream (T)' },
  tokenIntervalMs: { type: 'int', min: 0, max: 60_000, default: 20, doc: 'time between two tokens of a stream' },
  tokenBytes: { type: 'int', min: 0, max: 65_536, default: 16, doc: "length of each token's data string" },
  // idle
  // One server process holds every connection, under the 20 000 open files a process may have here.
  sweep: { type: 'list', min: 0, max: 19_000, integer: true, nonEmpty: true, default: [0, 1000, 2000, 4000], doc: 'connection counts held in turn (at most 19 000: one server process holds them all)' },
  heartbeatMs: { type: 'int', min: 0, max: 3_600_000, default: 15_000, doc: 'idle keep-alive interval of the streaming servers' },
  settleMs: { type: 'int', min: 0, max: 600_000, default: 2000, doc: 'settling time before each sweep reading' },
  // capacity
  axis: { type: 'enum', values: ['clients', 'rate'], default: 'clients', doc: 'what is stepped up' },
  steps: { type: 'list', min: 0, above: true, integer: false, increasing: true, nonEmpty: false, default: [], doc: 'axis values in order (empty: start x factor^i)' },
  start: { type: 'number', min: 1, max: 1_000_000, default: 100, doc: 'first axis value when steps is empty' },
  factor: { type: 'number', min: 1, above: true, max: 100, default: 2, doc: 'growth per step when steps is empty' },
  maxSteps: { type: 'int', min: 1, max: 100, default: 6, doc: 'most steps when steps is empty' },
  sloP99Ms: { type: 'number', min: 0, above: true, max: 600_000, default: 100, doc: 'p99 latency SLO' },
  stepDurationMs: { type: 'int', min: 100, max: 3_600_000, default: 5000, doc: 'measured time of one step' },
  // slow-consumer
  slowFraction: { type: 'number', min: 0, max: 1, default: 0.1, doc: 'share of the clients that read slowly from the first event until the window closes (rounded, at least one when above 0)', flag: '--slow-fraction' },
  slowReadBytesPerSec: { type: 'int', min: 0, max: 1_073_741_824, default: 0, doc: 'how fast the slow clients read, bytes/s (0: not at all)', flag: '--slow-read-rate' },
  retentionEvents: { type: 'int', min: 0, max: 10_000_000, default: 0, doc: 'events the server keeps for resumption (0: every event the run publishes)', flag: '--retention' },
  // faults
  fault: { type: 'enum', values: ['restart', 'reset', 'idle-cut'], default: 'restart', doc: 'the fault injected a third into the window: restart (the server stops and starts again on its port), reset (a share of the connections reset at once) or idle-cut (the publisher goes quiet for longer than the proxy\'s read timeout, and the proxy cuts idle connections)', flag: '--fault' },
  outageMs: { type: 'int', min: 0, max: 600_000, default: 1000, doc: 'restart: time from stopping the server until starting it again', flag: '--outage', unit: 'ms' },
  resetFraction: { type: 'number', min: 0, above: true, max: 1, default: 0.5, doc: 'reset: share of the open connections reset at once (at least one)', flag: '--reset-fraction' },
  idleTimeoutMs: { type: 'int', min: 1000, max: 600_000, default: 1000, doc: "idle-cut: the proxy's read timeout (nginx proxy_read_timeout, whole seconds, rounded up)", flag: '--idle-timeout', unit: 'ms' },
  gapMs: { type: 'int', min: 0, max: 600_000, default: 0, doc: 'idle-cut: how long the publisher goes quiet (0: 3 x the idle timeout)', flag: '--gap', unit: 'ms' },
  remedy: { type: 'boolean', default: false, doc: 'idle-cut: the SSE heartbeat and the WebSocket ping every third of the idle timeout, so the proxy sees traffic during the gap', flag: '--remedy' },
  // browser-limits
  holdMs: { type: 'int', min: 100, max: 60_000, default: 2000, doc: "how long one page's subscriptions are left to connect before the first ones are closed" },
  // poll-ceiling
  connections: { type: 'int', min: 1, max: 10_000, default: 100, doc: 'concurrent connections autocannon opens' },
  pipelining: { type: 'int', min: 1, max: 100, default: 1, doc: 'requests in flight per connection' },
} as const satisfies Record<string, FieldSpec>;

/** One option name. */
export type FieldName = keyof typeof FIELDS;

/** The options of a fan-out, which every kind shares (a kind that does not take one still records a value). */
export const FANOUT_FIELDS = [
  'clients', 'rate', 'payloadBytes', 'warmupMs', 'warmupMaxMs', 'durationMs', 'pollIntervalMs', 'longPollWaitMs', 'sseRetryMs', 'keepAlive',
  'wsCompression', 'tls', 'http2', 'drainMs', 'workers', 'maxQueuedBytes', 'injectDelayMs', 'injectCpuUs',
] as const satisfies readonly FieldName[];
/** The link's options, which every kind takes. */
export const LINK_FIELDS = ['link', ...LINK_VALUE_FIELDS] as const satisfies readonly FieldName[];
/** The options of the network path between clients and server (a proxy, a link); every kind whose clients talk to one server takes them. */
export const PATH_FIELDS = ['via', ...LINK_FIELDS] as const satisfies readonly FieldName[];
const TRANSPORT_KNOBS = ['pollIntervalMs', 'longPollWaitMs', 'sseRetryMs', 'keepAlive', 'wsCompression', 'tls', 'http2', 'drainMs', 'workers', 'maxQueuedBytes', 'injectDelayMs', 'injectCpuUs'] as const satisfies readonly FieldName[];

/** The options a profile of each kind may hold (anything else is an unknown field). */
export const KIND_FIELDS: Record<ScenarioKind, readonly FieldName[]> = {
  fanout: [...FANOUT_FIELDS, ...PATH_FIELDS, 'clientsIn'],
  churn: [...FANOUT_FIELDS, ...PATH_FIELDS, 'eventsPerConnection', 'connectRate', 'stormClients'],
  chat: ['clients', 'payloadBytes', 'warmupMs', ...TRANSPORT_KNOBS, ...PATH_FIELDS, 'messagesPerClient', 'sendRatePerClient'],
  burst: ['clients', 'payloadBytes', ...TRANSPORT_KNOBS, ...PATH_FIELDS, 'burstEvents', 'bursts', 'burstMs', 'quietMs'],
  stream: ['clients', ...TRANSPORT_KNOBS, ...PATH_FIELDS, 'tokens', 'tokenIntervalMs', 'tokenBytes'],
  // idle measures what the server holds per connection and poll-ceiling drives the server with autocannon: both
  // measure the server itself, so neither takes a proxy (a link, yes).
  idle: ['pollIntervalMs', 'longPollWaitMs', 'sseRetryMs', 'wsCompression', 'tls', 'http2', 'workers', 'sweep', 'heartbeatMs', 'settleMs', ...LINK_FIELDS],
  capacity: [...FANOUT_FIELDS.filter((f) => f !== 'durationMs'), ...PATH_FIELDS, 'axis', 'steps', 'start', 'factor', 'maxSteps', 'sloP99Ms', 'stepDurationMs'],
  'poll-ceiling': ['durationMs', 'payloadBytes', 'pollIntervalMs', 'connections', 'pipelining', ...LINK_FIELDS],
  'slow-consumer': [...FANOUT_FIELDS, ...PATH_FIELDS, 'slowFraction', 'slowReadBytesPerSec', 'retentionEvents'],
  faults: [...FANOUT_FIELDS, ...PATH_FIELDS, 'fault', 'outageMs', 'resetFraction', 'idleTimeoutMs', 'gapMs', 'remedy', 'retentionEvents'],
  'browser-limits': ['clients', 'payloadBytes', 'pollIntervalMs', 'tls', 'http2', 'holdMs'],
};

/** Transports a kind can run (poll-ceiling measures the polling endpoints only; see KIND_EXCLUSIONS). */
export const KIND_TRANSPORTS: Record<ScenarioKind, readonly Transport[]> = {
  fanout: TRANSPORTS,
  churn: TRANSPORTS,
  chat: TRANSPORTS,
  idle: TRANSPORTS,
  burst: TRANSPORTS,
  stream: TRANSPORTS,
  capacity: TRANSPORTS,
  'poll-ceiling': ['short-poll', 'long-poll'],
  'slow-consumer': PLAIN_TRANSPORTS,
  faults: PLAIN_TRANSPORTS,
  'browser-limits': PLAIN_TRANSPORTS,
};

/** Why a kind does not run a transport, where that needs saying (added to the refusal). */
export const KIND_EXCLUSIONS: Partial<Record<ScenarioKind, Partial<Record<Transport, string>>>> = {
  'slow-consumer': {
    socketio: 'socket.io-client reads every packet as it arrives (no paced reading), and the socket.io server queues without bound (no slow-consumer cut)',
    'socketio-ws': 'socket.io-client reads every packet as it arrives (no paced reading), and the socket.io server queues without bound (no slow-consumer cut)',
  },
  faults: {
    socketio: "the faults scenario's reconnect-and-resume client is not built for Socket.IO yet, and its server does not hand its stream over on a restart",
    'socketio-ws': "the faults scenario's reconnect-and-resume client is not built for Socket.IO yet, and its server does not hand its stream over on a restart",
  },
};

/** The transports a kind runs when none is named: its runnable ones among DEFAULT_TRANSPORTS. */
export function defaultTransportsOf(kind: ScenarioKind): Transport[] {
  return KIND_TRANSPORTS[kind].filter((t) => DEFAULT_TRANSPORTS.includes(t));
}

/** The sentence refusing `transport` for `kind` (`who` names where it was asked for), or undefined when it runs. */
export function refusalOf(kind: ScenarioKind, transport: Transport, who: string): string | undefined {
  const runnable = KIND_TRANSPORTS[kind];
  if (runnable.includes(transport)) return undefined;
  const why = KIND_EXCLUSIONS[kind]?.[transport];
  return `${who} "${transport}", but ${kind} scenarios run on ${runnable.join(runnable.length === 2 ? ' and ' : ', ')} only${why === undefined ? '' : `: ${why}`}`;
}

// ---- the typed options -------------------------------------------------------------------------------------

/** Options of a fan-out, as run: the options every kind records. */
export interface FanoutOptions {
  scenario: string;
  transports: Transport[];
  /** Subscribers per transport. */
  clients: number;
  /** Events per second the publisher emits. */
  rate: number;
  /** Payload bytes per event (the `data` string length). */
  payloadBytes: number;
  /** Warm-up before measuring, at least, ms. */
  warmupMs: number;
  /** Longest warm-up, ms (it ends earlier once two consecutive seconds' p99 agree within 20%). */
  warmupMaxMs: number;
  /** Measured window, ms. */
  durationMs: number;
  /** Short-poll interval, ms. */
  pollIntervalMs: number;
  /** Long-poll wait, ms. */
  longPollWaitMs: number;
  /** Client processes (0: sized per transport from the offered load). */
  workers: number;
  /** Per-message deflate for WebSocket. */
  wsCompression: boolean;
  /** Every transport over TLS (https, wss) with the run's own certificate (always true with `http2`; absent in results before it existed: false). */
  tls?: boolean;
  /** SSE, fetch-stream and both pollings over HTTP/2 (ALPN h2), one connection per client; WebSocket stays on HTTP/1.1 (absent: false). */
  http2?: boolean;
  /** Longest wait for stragglers after the publisher stops, ms. */
  drainMs: number;
  /** Bytes one streaming subscriber may have queued at the server before it is cut as a slow consumer (0: no bound). */
  maxQueuedBytes: number;
  /** Test knob: extra delay the server adds before delivering each publish tick, ms (0 = off). */
  injectDelayMs: number;
  /** Test knob: CPU the server burns per event per subscriber, µs (0 = off). */
  injectCpuUs: number;
  /** The named link between clients and server (absent in results from before links: loopback). */
  link?: LinkProfileName;
  /** Round trip the link adds, ms (half each way). */
  rttMs?: number;
  /** Up to this much more or less delay per direction, ms. */
  jitterMs?: number;
  /** Bandwidth of the link each way, kbit/s (0: not limited). */
  bandwidthKbit?: number;
  /** Where the subscribers run (absent: node); chromium for the fan-out scenario only. */
  clientsIn?: ClientsIn;
}

/** Knobs every scenario shares beyond the fan-out options; recorded in results. */
export interface CommonKnobs {
  /** The scenario file's `kind`. */
  kind: ScenarioKind;
  /** The profile that was run (smoke, ci, full), or "custom" when none was. */
  profile: string;
  /** SSE `retry:` field the server sends, ms (0 = none sent). */
  sseRetryMs: number;
  /** HTTP keep-alive of the polling clients; off = a new TCP connection per request. */
  keepAlive: boolean;
  /** What sits between the clients and each server: nothing (direct) or a reverse proxy and its config; absent in results from before paths existed (direct). */
  via?: Via;
}

/** fanout: N subscribers, R events/s broadcast to all (the fan-out options alone). */
export interface FanoutParams {
  kind: 'fanout';
}

/** churn: clients connect, receive k events, disconnect and reconnect with their cursor; then a reconnect storm. */
export interface ChurnParams {
  kind: 'churn';
  /** Events each connection receives before it disconnects (k). */
  eventsPerConnection: number;
  /** Steady reconnects per second across all clients (a cap on the churn). */
  connectRate: number;
  /** Clients dropped at once and reconnected in the storm phase (0 = no storm). */
  stormClients: number;
}

/** chat: every client sends messages upstream at a rate, everyone receives the broadcast. */
export interface ChatParams {
  kind: 'chat';
  /** Messages each client sends. */
  messagesPerClient: number;
  /** Messages per second each client sends. */
  sendRatePerClient: number;
}

/** idle: memory and cost of holding N idle connections, swept. */
export interface IdleParams {
  kind: 'idle';
  /** Connection counts to hold, in order (e.g. [0, 1000, 2000]). */
  sweep: number[];
  /** Keep-alive/heartbeat interval of the streaming servers while idle, ms. */
  heartbeatMs: number;
  /** Time to let each sweep point settle before sampling, ms. */
  settleMs: number;
}

/** burst: B events published back to back, then quiet. */
export interface BurstParams {
  kind: 'burst';
  /** Events in one burst (B). */
  burstEvents: number;
  /** Bursts in the run, each followed by quiet. */
  bursts: number;
  /** Time the burst's events are spread over, ms (0: all due at the same instant). */
  burstMs: number;
  /** Quiet time after each burst, ms. */
  quietMs: number;
}

/** stream: LLM-style token streaming, each client its own stream of T tokens at a fixed pace. */
export interface StreamParams {
  kind: 'stream';
  /** Tokens per stream (T). */
  tokens: number;
  /** Time between two tokens, ms. */
  tokenIntervalMs: number;
  /** Bytes per token (the `data` length). */
  tokenBytes: number;
}

/** capacity: step up clients or rate until p99 passes the SLO or loss appears; the knee is the last step that held. */
export interface CapacityParams {
  kind: 'capacity';
  /** What is stepped up. */
  axis: 'clients' | 'rate';
  /** Explicit axis values, in order; when empty, `start` x `factor`^i for `maxSteps` steps. */
  steps: number[];
  /** First axis value when `steps` is empty. */
  start: number;
  /** Growth factor per step when `steps` is empty. */
  factor: number;
  /** Most steps when `steps` is empty. */
  maxSteps: number;
  /** The p99 latency SLO, ms. */
  sloP99Ms: number;
  /** Measured time of one step, ms. */
  stepDurationMs: number;
}

/** poll-ceiling: autocannon against the polling endpoints, the request ceiling of one server process. */
export interface PollCeilingParams {
  kind: 'poll-ceiling';
  /** Concurrent HTTP connections autocannon opens. */
  connections: number;
  /** Requests in flight per connection. */
  pipelining: number;
}

/** slow-consumer: a share of the clients reads slowly (or not at all) from the first event until the window closes; the rest read normally. */
export interface SlowConsumerParams {
  kind: 'slow-consumer';
  /** Share of the clients that read slowly, 0..1 (rounded; at least one client when above 0). */
  slowFraction: number;
  /** How fast the slow clients read, bytes/s (0: not at all). */
  slowReadBytesPerSec: number;
  /** Events the server keeps for resumption (0: every event the run publishes, so nothing is lost to a gap). */
  retentionEvents: number;
}

/** Where in the measured window the faults scenario injects its fault, as a share of the window. */
export const FAULT_AT_SHARE = 1 / 3;

/** The faults a faults scenario injects. */
export type FaultKind = 'restart' | 'reset' | 'idle-cut';

/** faults: a fault on the path a third into the window, and how every transport recovers from it. */
export interface FaultsParams {
  kind: 'faults';
  fault: FaultKind;
  /** restart: time from stopping the server until starting it again, ms. */
  outageMs: number;
  /** reset: share of the open connections reset at once, 0..1 (at least one). */
  resetFraction: number;
  /** idle-cut: the proxy's read timeout, ms (whole seconds for nginx). */
  idleTimeoutMs: number;
  /** idle-cut: how long the publisher goes quiet, ms (0: 3 x idleTimeoutMs). */
  gapMs: number;
  /** idle-cut: SSE heartbeat and WebSocket ping every idleTimeoutMs / 3. */
  remedy: boolean;
  /** Events the server keeps for resumption (0: every event the run publishes). */
  retentionEvents: number;
}

/** The kind-specific parameters, discriminated by `kind`. */

/**
 * browser-limits: one Chromium page opens `clients` subscriptions to one origin at once (HTTP/1.1, or h2 with --http2), holds them
 * `holdMs`, closes the first ones until six remain, then publishes a few events: which connected, which stalled.
 */
export interface BrowserLimitsParams {
  kind: 'browser-limits';
  /** How long the subscriptions are left to connect before the first ones are closed, ms. */
  holdMs: number;
}

/** The kind-specific parameters, discriminated by `kind`. */
export type ScenarioParams = FanoutParams | ChurnParams | ChatParams | IdleParams | BurstParams | StreamParams | CapacityParams | PollCeilingParams | SlowConsumerParams | FaultsParams | BrowserLimitsParams;

/** Everything one scenario run uses: the fan-out options, the shared knobs, and the kind's parameters (recorded in the result). */
export type ScenarioOptions = FanoutOptions & Omit<CommonKnobs, 'kind'> & ScenarioParams;

/** ScenarioOptions of one kind. */
export type OptionsOf<K extends ScenarioKind> = ScenarioOptions & { kind: K };

/** Values of some options, by name, as a profile, a flag set or a gate scenario holds them. */
export type ProfileValues = Partial<Record<FieldName, number | boolean | string | number[]>>;

/**
 * Most sockets one client process holds: 15 000, or fewer when this machine's open-file limit per process is
 * lower (lib/limits.ts), so a client process never runs out of files.
 */
export const SOCKETS_PER_CLIENT_PROCESS = Math.max(1, Math.min(15_000, connectionsPerProcess()));

/** Client processes needed so no process holds more than SOCKETS_PER_CLIENT_PROCESS sockets; `requested` 0 (auto) stays 0 when one process is enough. */
export function workersFor(clients: number, requested = 0): number {
  const needed = Math.ceil(clients / SOCKETS_PER_CLIENT_PROCESS);
  return requested === 0 && needed <= 1 ? 0 : Math.max(requested, needed);
}

/** The warm-up cap in force: `warmupMaxMs`, or 3 x `warmupMs` when it is 0 (never below the warm-up itself). */
export function warmupCapMs(o: Pick<FanoutOptions, 'warmupMs' | 'warmupMaxMs'>): number {
  return Math.max(o.warmupMs, o.warmupMaxMs > 0 ? o.warmupMaxMs : 3 * o.warmupMs);
}

/** The defaults of every fan-out option (FIELDS' defaults, the default transports): what `rtbench compare` runs. */
export const DEFAULT_FANOUT: OptionsOf<'fanout'> = {
  scenario: 'fanout',
  kind: 'fanout',
  profile: 'ci',
  transports: [...DEFAULT_TRANSPORTS],
  clients: FIELDS.clients.default,
  rate: FIELDS.rate.default,
  payloadBytes: FIELDS.payloadBytes.default,
  warmupMs: FIELDS.warmupMs.default,
  warmupMaxMs: FIELDS.warmupMaxMs.default,
  durationMs: FIELDS.durationMs.default,
  pollIntervalMs: FIELDS.pollIntervalMs.default,
  longPollWaitMs: FIELDS.longPollWaitMs.default,
  sseRetryMs: FIELDS.sseRetryMs.default,
  keepAlive: FIELDS.keepAlive.default,
  wsCompression: FIELDS.wsCompression.default,
  tls: FIELDS.tls.default,
  http2: FIELDS.http2.default,
  drainMs: FIELDS.drainMs.default,
  workers: FIELDS.workers.default,
  maxQueuedBytes: FIELDS.maxQueuedBytes.default,
  injectDelayMs: FIELDS.injectDelayMs.default,
  injectCpuUs: FIELDS.injectCpuUs.default,
  via: FIELDS.via.default,
  link: 'loopback',
  rttMs: FIELDS.rttMs.default,
  jitterMs: FIELDS.jitterMs.default,
  bandwidthKbit: FIELDS.bandwidthKbit.default,
  clientsIn: FIELDS.clientsIn.default,
};

// ---- checking values ---------------------------------------------------------------------------------------

/** A JSON value as an error message quotes it. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return v.length > 5 ? `[${v.slice(0, 5).map(show).join(', ')}, ...]` : `[${v.map(show).join(', ')}]`;
  if (v !== null && typeof v === 'object') return 'an object';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** "an integer >= 1", "a number between 0 and 10", "a number > 0": what a numeric spec asks for. */
export function expected(spec: { type: 'int' | 'number' | 'list'; min: number; max?: number; above?: boolean; integer?: boolean }): string {
  const integer = spec.type === 'int' || (spec.type === 'list' && spec.integer === true);
  const what = integer ? 'an integer' : 'a number';
  if (spec.above) return spec.max === undefined ? `${what} > ${spec.min}` : `${what} > ${spec.min} and <= ${spec.max}`;
  return spec.max === undefined ? `${what} >= ${spec.min}` : `${what} between ${spec.min} and ${spec.max}`;
}

function numberOk(v: unknown, spec: { min: number; max?: number; above?: boolean }, integer: boolean): v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (integer && !Number.isSafeInteger(v)) return false;
  if (spec.above ? v <= spec.min : v < spec.min) return false;
  return spec.max === undefined || v <= spec.max;
}

/** Checks one value against its spec; returns the error sentence (naming `path`) or undefined. */
export function checkField(path: string, spec: FieldSpec, v: unknown): string | undefined {
  switch (spec.type) {
    case 'int':
    case 'number':
      return numberOk(v, spec, spec.type === 'int') ? undefined : `${path} must be ${expected(spec)}, got ${show(v)}`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `${path} must be true or false, got ${show(v)}`;
    case 'enum':
      return typeof v === 'string' && spec.values.includes(v) ? undefined : `${path} must be one of: ${spec.values.join(', ')}; got ${show(v)}`;
    case 'list': {
      if (!Array.isArray(v)) return `${path} must be a list, each value ${expected(spec)}; got ${show(v)}`;
      if (spec.nonEmpty && v.length === 0) return `${path} must hold at least one value`;
      for (const [i, item] of v.entries()) {
        if (!numberOk(item, spec, spec.integer)) return `${path}[${i}] must be ${expected(spec)}, got ${show(item)}`;
        if (spec.increasing && i > 0 && item <= (v[i - 1] as number)) return `${path} must increase, but ${path}[${i}] is ${show(item)} after ${show(v[i - 1])}`;
      }
      return undefined;
    }
  }
}

/** The option a command-line flag sets ("--payload" -> payloadBytes), or undefined. */
export function fieldOfFlag(flag: string): FieldName | undefined {
  return (Object.keys(FIELDS) as FieldName[]).find((name) => (FIELDS[name] as FieldSpec).flag === flag);
}

/** The flag that sets an option, or the option's own name when it has none. */
export function flagOf(name: FieldName): string {
  return (FIELDS[name] as FieldSpec).flag ?? name;
}
