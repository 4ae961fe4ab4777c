// Messages between the driver and its client processes.
import type { Transport } from '../lib/transports.ts';
import type { ProcessScenario, ScenarioCommand, ScenarioReply, ScenarioReport } from './scenario-protocol.ts';

/** What one client process runs. */
export interface ClientProcessConfig {
  transport: Transport;
  baseUrl: string;
  /** Subscribers in this process. */
  clients: number;
  /** Index of this process's first subscriber among all processes, and the total (to spread poll phases). */
  clientOffset?: number;
  clientTotal?: number;
  /** Resume cursor every client starts from (0: from the first event). */
  after: number;
  /** Events with seq in [measureFromSeq, measureToSeq] are recorded into the latency histogram. */
  measureFromSeq: number;
  measureToSeq: number;
  pollIntervalMs: number;
  longPollWaitMs: number;
  wsCompression: boolean;
  /** Connections opened at once while connecting. */
  connectConcurrency: number;
  /** Polling clients keep their TCP connection alive across requests (default true). */
  keepAlive?: boolean;
  /** What the subscribers do beyond subscribing (churn, chat, burst, stream scenarios); absent: fan-out. */
  scenario?: ProcessScenario;
}

/** Driver -> client process. */
export type DriverMessage =
  | { type: 'start'; config: ClientProcessConfig }
  /** Create and connect `clients` more subscribers with the same config; answered with 'connected'. */
  | { type: 'add'; clients: number }
  /** Wait until every client has `lastSeq` (or `drainMs` passed), then report and close. */
  | { type: 'finish'; lastSeq: number; drainMs: number }
  | ScenarioCommand;

/** One second of a client process. */
export interface ClientTick {
  type: 'tick';
  /** Unique deliveries so far. */
  delivered: number;
  /** Encoded latency histogram of this second (µs), or '' when nothing was recorded. */
  interval: string;
  /** CPU used in this second, percent of one core. */
  cpuPercent: number;
  /** Event-loop delay p99 in this second, µs. */
  eventLoopDelayP99Us: number;
}

/** What a client process measured. */
export interface ClientReport {
  type: 'report';
  /** Encoded latency histogram (µs) of the measured events. */
  histogram: string;
  received: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  gaps: number;
  /** Clients that failed after connecting, with the first reason. */
  failedClients: number;
  firstError?: string;
  /** Clients still behind when the drain ended. */
  stragglers: number;
  /** CPU (user + system) the process used from its start message to this report, µs. */
  cpuUs?: number;
  /** What the scenario behaviour measured, when there is one. */
  scenario?: ScenarioReport;
}

/** Client process -> driver. */
export type ClientMessage =
  /** Every subscriber of the process is connected; `clients`: how many it holds now. */
  | { type: 'connected'; clients: number }
  | { type: 'connect-failed'; error: string }
  | ClientTick
  | ClientReport
  | ScenarioReply;
