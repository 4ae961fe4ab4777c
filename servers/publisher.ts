// Open-loop publisher: emits at a fixed rate and stamps each event with its *scheduled* time, leaving as close to
// that time as the machine allows. Every event's lateness (when it was handed to the transports minus when it
// was due) is recorded, so server-side delay can be told apart from transport delay.
import type { Histogram } from 'hdr-histogram-js';
import type { Hub } from './hub.ts';
import { Scheduler } from './scheduler.ts';
import { nowUs } from '../lib/clock.ts';
import { createHistogram } from '../lib/histogram.ts';

/** What to publish. */
export interface PublishPlan {
  /** Events per second. */
  rate: number;
  /** Stop after this many events (Infinity: until stopped or `stopAt`). */
  count: number;
  /** Length of each event's `data` string. */
  payloadBytes: number;
  /** When the first event is due, µs of the host's monotonic clock (default: now). */
  startUs?: number;
  /**
   * Continue this plan where a stream handed over from a stopped server left it (servers/handover.ts): its first
   * `hub.publishedSeq` events are already out (the plan's event i is seq i + 1), so the next one published is the
   * one after them, at its own due time; events that fell due while no server ran go out at once, late.
   */
  resume?: boolean;
}

/** A running publisher. */
export interface Publisher {
  /** Resolves with the last seq published when `count` events are out, `stopAt` was reached or it was stopped. */
  readonly done: Promise<number>;
  /** Stops before the next event. */
  stop(): void;
  /** Publishes the events due before `endUs` (µs), then stops. */
  stopAt(endUs: number): void;
  /** When the last event published was due, µs (0 before any). */
  readonly lastDueUs: number;
}

/** What the publisher measures of itself, shared with the server's stats. */
export class PublisherStats {
  /** Lateness of every event published (due inside the window, when one is set): hand-over minus due time, µs. */
  readonly lateness: Histogram = createHistogram();
  /** The measured window, µs: events due in [windowStartUs, windowEndUs) are the ones whose lateness counts. */
  windowStartUs = -Infinity;
  windowEndUs = Infinity;
  /**
   * Main-thread CPU spent spinning in the last stretch before due times, µs: each spin iteration counts up to
   * SPIN_ITERATION_CAP_US (an idle iteration costs a few µs; a longer one was the loop serving I/O, which is the
   * server's own work). Server CPU figures are reported net of it.
   */
  spinUs = 0;
  /** The same since the server started (never reset), µs. */
  spinTotalUs = 0;
  /** Publish ticks (batches) so far. */
  ticks = 0;

  /** Charges `us` of spin done at `nowUs` (to the window's figure only when inside the window). */
  chargeSpin(nowUs: number, us: number): void {
    this.spinTotalUs += us;
    if (nowUs >= this.windowStartUs && nowUs < this.windowEndUs) this.spinUs += us;
  }

  /** Clears the lateness histogram and the counters (a new measured window). */
  reset(): void {
    this.lateness.reset();
    this.spinUs = 0;
    this.ticks = 0;
  }

  /** From now on, only events due in [startUs, endUs) have their lateness recorded (the driver's measured window). */
  setWindow(startUs: number, endUs = Infinity): void {
    this.reset();
    this.windowStartUs = startUs;
    this.windowEndUs = endUs;
  }
}

/**
 * Starts publishing. Event i is due at start + i / rate. The scheduler (shared by every publisher of the server)
 * fires at each due time; whenever it fires late, every event already due goes out in one batch with its original
 * due time, so clients see the delay. Without a scheduler given, the publisher uses one of its own.
 */
export function startPublisher(hub: Hub, plan: PublishPlan, stats: PublisherStats = new PublisherStats(), scheduler?: Scheduler): Publisher {
  const payload = 'x'.repeat(plan.payloadBytes);
  const intervalUs = 1e6 / plan.rate;
  const startUs = plan.startUs ?? nowUs();
  const own = scheduler === undefined;
  const sched = scheduler ?? new Scheduler(stats);
  let sent = plan.resume === true ? hub.publishedSeq : 0;
  let endUs = Infinity;
  let lastDueUs = 0;
  let stopped = false;
  let cancel: (() => void) | undefined;
  let finish!: (lastSeq: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const dueOf = (i: number): number => startUs + Math.round(i * intervalUs);
  const finished = (): boolean => stopped || sent >= plan.count || dueOf(sent) >= endUs;

  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    cancel?.();
    if (own) sched.close();
    finish(hub.publishedSeq);
  };

  /** Publishes every event due by now, as one batch, then waits for the next. */
  const tick = (): void => {
    cancel = undefined;
    const now = nowUs();
    while (sent < plan.count) {
      const due = dueOf(sent);
      if (due > now || due >= endUs) break;
      hub.append(payload, due);
      if (due >= stats.windowStartUs && due < stats.windowEndUs) stats.lateness.recordValue(now - due);
      lastDueUs = due;
      sent++;
    }
    stats.ticks++;
    hub.flush();
    schedule();
  };

  const schedule = (): void => {
    if (finished()) return end();
    cancel = sched.at(dueOf(sent), tick);
  };

  schedule();
  return {
    done,
    stop() {
      stopped = true;
      end();
    },
    stopAt(at: number) {
      endUs = at;
      // A publisher waiting for an event at or past `at` ends now.
      if (finished()) end();
    },
    get lastDueUs() {
      return lastDueUs;
    },
  };
}
