// Messages between the driver and its client processes.
import type { BrowserClock } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import type { ProcessClock } from '../lib/result.ts';
import type { ProcessScenario, ScenarioCommand, ScenarioReply, ScenarioReport } from './scenarios/behaviour.ts';

/** What one client process runs. */
export interface ClientProcessConfig {
  transport: Transport;
  baseUrl: string;
  /** Subscribers in this process. */
  clients: number;
  /** Index of this process's first subscriber among all processes, and the total (to spread poll phases). */
  clientOffset: number;
  clientTotal: number;
  /** Resume cursor every client starts from (0: from the first event). */
  after: number;
  pollIntervalMs: number;
  longPollWaitMs: number;
  wsCompression: boolean;
  /** Connections opened at once while connecting. */
  connectConcurrency: number;
  /** Polling clients keep their TCP connection alive across requests (default true). */
  keepAlive?: boolean;
  /** An https:// server: its certificate (PEM), the one CA the clients trust (the run's, lib/tls.ts). */
  ca?: string;
  /** The HTTP transports speak HTTP/2, one session per client. */
  http2?: boolean;
  /** Where the subscribers run: Node clients (default) or pages of a headless Chromium this process drives. */
  clientsIn?: 'node' | 'chromium';
  /** Re-estimate the clock offset every this many ms (0 or absent: only once, at start: the server's host). */
  clockResyncMs?: number;
  /** Tests only: shift this process's clock by this many µs, as if it ran on another host. */
  clockSkewUs?: number;
  /** Headers for the server's control endpoints (/time), e.g. a control token. */
  controlHeaders?: Record<string, string>;
  /** What the subscribers do beyond subscribing (churn, chat, burst, stream, slow-consumer scenarios); absent: fan-out. */
  scenario?: ProcessScenario;
}

/** The measured window, µs of the host's monotonic clock: [startUs, endUs); no endUs: until 'finish'. */
export interface WindowSpec {
  startUs: number;
  endUs?: number;
}

/** Driver -> client process. */
export type DriverMessage =
  /** Set up (a scenario behaviour warms its client path here); answered with 'ready'. Nothing connects yet. */
  | { type: 'start'; config: ClientProcessConfig }
  /** Connect the config's subscribers; answered with 'connected'. */
  | { type: 'connect' }
  /** Create and connect `clients` more subscribers with the same config; answered with 'connected'. */
  | { type: 'add'; clients: number }
  /** Report every whole second after `t0Us` (µs): tick k covers [t0 + (k-1) s, t0 + k s). */
  | { type: 'clock'; t0Us: number }
  /**
   * The measured window: latency is recorded for events scheduled in it (by `ts`), deliveries are counted by
   * receive time in it, and the process's CPU and event-loop delay are measured over exactly it.
   */
  | ({ type: 'window' } & WindowSpec)
  /** Measure the instrument: the clock's cost and `count` GET /time round trips; answered with 'probe-result'. */
  | { type: 'probe'; count: number }
  /** Answer with 'first-event' once a subscriber has the run's first event (seq `after` + 1), with its scheduled time. */
  | { type: 'first-event' }
  /** Wait until every client has `lastSeq` (or `drainMs` passed), then report and close. */
  | { type: 'finish'; lastSeq: number; drainMs: number }
  | ScenarioCommand;

/** One second of a client process (aligned to the clock's t0). */
export interface ClientTick {
  type: 'tick';
  /** Which second: k covers [t0 + (k-1) s, t0 + k s). */
  second: number;
  /** Unique deliveries so far. */
  delivered: number;
  /** Encoded latency histogram of the deliveries received in this second (µs), or '' when none. */
  interval: string;
  /** CPU used in this second, percent of one core. */
  cpuPercent: number;
  /** Event-loop delay p99 in this second, µs. */
  eventLoopDelayP99Us: number;
}

/** The instrument, measured in a client process. */
export interface ProbeResult {
  type: 'probe-result';
  /** One nowUs() call, ns. */
  timestampCostNs: number;
  /** GET /time round trips on one keep-alive connection, µs, sorted. */
  rttUs: number[];
  /** The server's clock minus this process's, estimated at the shortest round trip, µs (0 on one host, within the RTT). */
  clockOffsetUs: number;
}

/** What a client process measured. */
export interface ClientReport {
  type: 'report';
  /** Encoded latency histogram (µs) of the events scheduled in the window. */
  histogram: string;
  /** Latencies that came out negative (an error of the instrument; not in `histogram`). */
  negativeLatencies: number;
  /** Unique deliveries over the whole run. */
  received: number;
  /** Unique deliveries received inside the window (by receive time). */
  windowDeliveries: number;
  duplicates: number;
  outOfOrder: number;
  gaps: number;
  /** Expected events missing at clients that neither failed nor fell behind, plus holes below a straggler's newest event. */
  lost: number;
  /** Events stragglers had not received yet when the drain ended (above the newest one each had). */
  behind: number;
  /** Clients still behind when the drain ended. */
  stragglers: number;
  /** Clients that failed, with the first reason, and the events they never received. */
  failedClients: number;
  failedMissed: number;
  firstError?: string;
  /** Receive time of the last first delivery, µs (0 when nothing arrived). */
  lastReceiveUs: number;
  /** Encoded event-loop delay histogram of the window (µs). */
  eventLoopDelay: string;
  /** CPU (user + system) over the window, µs, and the span it was measured over, µs (past the window when the process closed it late). */
  cpuUs: number;
  windowUs: number;
  /** How late the window message arrived, µs (0: before the window opened). */
  windowLateUs: number;
  /** This process's clock offset to the server's, as estimated and applied. */
  clock?: ProcessClock;
  /** What the scenario behaviour measured, when there is one. */
  scenario?: ScenarioReport;
  /** Browser clients: how the pages' clocks were aligned with the host's. */
  browser?: BrowserClock;
}

/** Client process -> driver. */
export type ClientMessage =
  /** The process is set up and holds no subscriber yet. */
  | { type: 'ready' }
  /** Every subscriber of the process is connected; `clients`: how many it holds now. */
  | { type: 'connected'; clients: number }
  /** The window message was applied (`lateUs`: how long after the window opened, 0 when before). */
  | { type: 'window-set'; lateUs: number }
  | { type: 'connect-failed'; error: string }
  /** The run's first event arrived: its scheduled time, µs of the server's clock (the publisher's start). */
  | { type: 'first-event'; tsUs: number }
  | ClientTick
  | ProbeResult
  | ClientReport
  | ScenarioReply;
