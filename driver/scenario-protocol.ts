// What the scenario runners (churn, chat, burst, stream) tell their client processes, and what comes back.
// The generic fan-out path needs none of it: a process without `scenario` in its config subscribes and records.

/** The behaviour of a client process's subscribers beyond subscribing. */
export type ProcessScenario =
  /** Track each burst of `eventsPerBurst` events (seqs from 1) per client: when did the client have all of it. */
  | { kind: 'burst'; bursts: number; eventsPerBurst: number }
  /** Reconnect after `eventsPerConnection` events with the cursor, at most `connectRatePerSec` reconnects/s in this process. */
  | { kind: 'churn'; eventsPerConnection: number; connectRatePerSec: number }
  /** On 'send', each client sends `messagesPerClient` messages at `sendRatePerClient`/s; round trips of the first `warmupMessages` are not recorded. */
  | { kind: 'chat'; messagesPerClient: number; sendRatePerClient: number; payloadBytes: number; warmupMessages: number }
  /** Each client opens its own stream of `tokens` tokens, one every `tokenIntervalMs`, `tokenBytes` each. */
  | { kind: 'stream'; tokens: number; tokenIntervalMs: number; tokenBytes: number };

/** Driver -> client process: a scenario step. */
export type ScenarioCommand =
  /** churn: the measured window opens (reconnects are counted and timed from now). */
  | { type: 'scenario'; action: 'go' }
  /** churn: the window closes and steady churn stops; then `clients` of this process are dropped and reconnected at once. */
  | { type: 'scenario'; action: 'storm'; clients: number }
  /** chat: start sending; message j of client g is due at startUs + (j + g / clientTotal) / sendRatePerClient s. */
  | { type: 'scenario'; action: 'send'; startUs: number };

/** Client process -> driver: a step is done; `values` are its figures. */
export interface ScenarioReply {
  type: 'scenario-reply';
  action: ScenarioCommand['action'];
  values: Record<string, number>;
}

/** What a process's scenario behaviour measured: encoded HdrHistograms (µs) and counts, merged by name across processes. */
export interface ScenarioReport {
  histograms: Record<string, string>;
  counts: Record<string, number>;
}
