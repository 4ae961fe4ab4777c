// The scenario file schema: one JSON file per scenario, a `kind` naming its runner, and `smoke`, `ci` and `full`
// profiles holding the kind's parameters. Validation fills defaults and names the offending field in one sentence.
import type { FanoutOptions } from '../driver/result.ts';

/** Every scenario kind, one runner each. */
export const SCENARIO_KINDS = ['fanout', 'churn', 'chat', 'idle', 'burst', 'stream', 'capacity', 'poll-ceiling'] as const;

/** One scenario kind. */
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** The three profiles every scenario file defines. */
export const PROFILES = ['smoke', 'ci', 'full'] as const;

/** One profile name. */
export type ProfileName = (typeof PROFILES)[number];

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

/** The kind-specific parameters, discriminated by `kind`. */
export type ScenarioParams = FanoutParams | ChurnParams | ChatParams | IdleParams | BurstParams | StreamParams | CapacityParams | PollCeilingParams;

/** Everything one scenario run uses: the fan-out options, the shared knobs, and the kind's parameters (recorded in the result). */
export type ScenarioOptions = FanoutOptions & Omit<CommonKnobs, 'kind'> & ScenarioParams;

/** ScenarioOptions of one kind. */
export type OptionsOf<K extends ScenarioKind> = ScenarioOptions & { kind: K };
