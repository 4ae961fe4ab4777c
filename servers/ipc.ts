// Messages between the driver (parent) and a server or client process (child), over Node's IPC channel.
import type { StatsSnapshot } from './stats.ts';
import type { PublishPlan } from './publisher.ts';
import type { ArrivalCounts } from './arrivals.ts';

/** Parent -> server process. */
export type ServerRequest =
  /** Starts publishing per `plan` (replacing a running publisher); answered with 'published' once it stops. */
  | { type: 'publish'; id: number; plan: PublishPlan }
  /** The running publisher publishes the events due before `endUs`, then stops; answered at once with 'ok'. */
  | { type: 'stop-at'; id: number; endUs: number }
  | { type: 'stop-publisher'; id: number }
  /** The measured window: the publisher records the lateness of the events due in [startUs, endUs) only; answered with 'ok'. */
  | { type: 'window'; id: number; startUs: number; endUs?: number }
  | { type: 'stats'; id: number; reset?: boolean; gc?: boolean; histograms?: boolean }
  /** A standby process (a restart's replacement) starts its server now; it answers 'ready' once listening. */
  | { type: 'take-over' }
  /** Resets `fraction` of the open connections at once (TCP RST); answered with 'reset'. */
  | { type: 'reset-connections'; id: number; fraction: number }
  /** Connections and requests accepted per 100 ms, `bins` bins from the one holding `fromUs`; answered with 'arrivals'. */
  | { type: 'arrivals'; id: number; fromUs: number; bins: number };

/** Server process -> parent. */
export type ServerReply =
  | { type: 'ready'; port: number; pid: number }
  /** A standby process has loaded and waits for 'take-over'. */
  | { type: 'standing-by' }
  | { type: 'failed'; error: string }
  /** The publisher stopped: its last seq, and when that event was due (µs; 0 when none was published). */
  | { type: 'published'; id: number; lastSeq: number; lastDueUs: number }
  | { type: 'ok'; id: number }
  | { type: 'stats'; id: number; stats: StatsSnapshot }
  | { type: 'error'; id: number; error: string }
  /** Connections reset, of those open, and when, µs. */
  | { type: 'reset'; id: number; reset: number; open: number; atUs: number }
  | { type: 'arrivals'; id: number; counts: ArrivalCounts };
