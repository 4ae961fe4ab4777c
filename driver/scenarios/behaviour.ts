// The contract between a client process and a scenario's client behaviour (churn, chat, burst, stream,
// slow-consumer, faults): what the driver tells the behaviour, what comes back, and what a behaviour must do. Each
// scenario's folder holds its runner (run.ts) and its behaviour (client.ts); this file is the shared type both
// sides import.
import type { Client, ClientOptions, EventSink } from '../../clients/client.ts';
import type { SequenceTracker } from '../../clients/recorder.ts';
import type { Transport } from '../../lib/transports.ts';
import type { WindowSpec } from '../protocol.ts';

/** The behaviour of a client process's subscribers beyond subscribing, with its parameters. */
export type ProcessScenario =
  /** Track each burst of `eventsPerBurst` events (seqs from 1) per client: when did the client have all of it. */
  | { kind: 'burst'; bursts: number; eventsPerBurst: number }
  /** Reconnect after `eventsPerConnection` events with the cursor, at most `connectRatePerSec` reconnects/s in this process. */
  | { kind: 'churn'; eventsPerConnection: number; connectRatePerSec: number }
  /** On 'send', each client sends `messagesPerClient` messages at `sendRatePerClient`/s; round trips of the first `warmupMessages` are not recorded. */
  | { kind: 'chat'; messagesPerClient: number; sendRatePerClient: number; payloadBytes: number; warmupMessages: number }
  /** Each client opens its own stream of `tokens` tokens, one every `tokenIntervalMs`, `tokenBytes` each; one unmeasured stream per process first warms the client path. */
  | { kind: 'stream'; tokens: number; tokenIntervalMs: number; tokenBytes: number }
  /** `slowClients` of all the clients (spread evenly by index) read at `readBytesPerSec` (0: not at all) from 'slow' to 'recover'; cut ones resume with their cursor. */
  | { kind: 'slow-consumer'; slowClients: number; readBytesPerSec: number }
  /** Every client reconnects when its connection fails, with a bounded backoff, from its cursor; it gives up after `giveUpMs` without success. */
  | { kind: 'faults'; giveUpMs: number };

/** Driver -> client process: a scenario step. */
export type ScenarioCommand =
  /** churn: the measured window opens (reconnects are counted and timed from now). */
  | { type: 'scenario'; action: 'go' }
  /** churn: the window closes and steady churn stops; then `clients` of this process are dropped and reconnected at once. */
  | { type: 'scenario'; action: 'storm'; clients: number }
  /** chat: start sending; message j of client g is due at startUs + (j + g / clientTotal) / sendRatePerClient s. */
  | { type: 'scenario'; action: 'send'; startUs: number }
  /** slow-consumer: publishing is about to start: the slow clients read slowly from now on. */
  | { type: 'scenario'; action: 'slow' }
  /** slow-consumer: the window closed: the slow clients read at full speed again. */
  | { type: 'scenario'; action: 'recover' }
  /** faults: the fault is about to happen: note when each client's fresh deliveries arrive from now on. */
  | { type: 'scenario'; action: 'arm' }
  /** faults: the recovery point (µs): each client's recovery is its first fresh delivery received at or after it. */
  | { type: 'scenario'; action: 'measure-recovery'; sinceUs: number };

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

/** The per-client sink of a client process: delivery bookkeeping plus the process's latency recording. */
export type TrackedSink = EventSink & { readonly tracker: SequenceTracker };

/** A scenario behaviour of one client process. */
export interface Behaviour {
  /** Runs before the process's subscribers connect (the stream scenario warms its client path here). */
  warmUp?(transport: Transport, options: Omit<ClientOptions, 'sink'>): Promise<void>;
  /** Builds subscriber `index` (its index among every process's subscribers); `options.sink` is its tracked sink. */
  client(transport: Transport, index: number, options: ClientOptions & { sink: TrackedSink }): Client;
  /** The measured window, when the process learns of it (latency is recorded for the events scheduled in it). */
  window?(w: WindowSpec): void;
  /** Runs one step the driver asked for. */
  command(cmd: ScenarioCommand): Promise<ScenarioReply>;
  /** What was measured, for the final report; `lastSeq`: the last event every client was to receive. */
  report(lastSeq: number): ScenarioReport;
  /** Stops timers and pending waits (before the clients are closed). */
  stop(): void;
}

/** Builds the behaviour of one scenario kind in a client process; `clientTotal`: subscribers across every process. */
export type BehaviourFactory<S extends ProcessScenario = ProcessScenario> = (scenario: S, clientTotal: number) => Behaviour;

/** A reply with no figures. */
export function reply(action: ScenarioCommand['action'], values: Record<string, number> = {}): ScenarioReply {
  return { type: 'scenario-reply', action, values };
}

/** Forwards one delivery to `base` and says whether it was the client's first delivery of that seq. */
export function firstDelivery(base: TrackedSink, seq: number, ts: number, now: number): boolean {
  const fresh = !base.tracker.has(seq);
  base.event(seq, ts, now);
  return fresh;
}
