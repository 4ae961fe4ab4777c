// Open-loop publisher: emits at a fixed rate and stamps each event with its *scheduled* time, leaving as close to
// that time as the machine allows. Every event's lateness (when it was handed to the transports minus when it
// was due) is recorded, so server-side delay can be told apart from transport delay.
import type { Histogram } from 'hdr-histogram-js';
import type { Hub } from './hub.ts';
import { Alarm } from './alarm.ts';
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

/** Longest spin iteration charged to the publisher, µs (see PublisherStats.spinUs). */
export const SPIN_ITERATION_CAP_US = 10;

/** How early the alarm is aimed before a due time, µs: starts here, then follows the alarm's observed lateness. */
const INITIAL_LEAD_US = 300;
const MIN_LEAD_US = 50;
const MAX_LEAD_US = 1500;
/** Recent alarm wake-up delays kept to set the lead. */
const WAKE_SAMPLES = 32;
/**
 * Most of the main thread's time the spin may take, as a share of the time since publishing started: at high
 * rates the spin stretches would join into one, so past this budget the alarm is aimed at the due time itself
 * (no spin) and events leave as late as the alarm wakes. Keeps an idle server from burning a core on timing.
 */
export const SPIN_BUDGET_SHARE = 0.05;

/**
 * Starts publishing. Event i is due at start + i / rate. Shortly before each due time an alarm thread wakes the
 * loop, which spins (setImmediate, so I/O is still served) until the due time and publishes; whenever the loop is
 * late, every event already due goes out in one batch with its original due time, so clients see the delay.
 */
export function startPublisher(hub: Hub, plan: PublishPlan, stats: PublisherStats = new PublisherStats()): Publisher {
  const payload = 'x'.repeat(plan.payloadBytes);
  const intervalUs = 1e6 / plan.rate;
  const startUs = plan.startUs ?? nowUs();
  const alarm = new Alarm();
  const wakeDelays: number[] = [];
  let leadUs = INITIAL_LEAD_US;
  let sent = 0;
  let endUs = Infinity;
  let lastDueUs = 0;
  let stopped = false;
  let immediate: NodeJS.Immediate | undefined;
  /** This publisher's own spin, µs (the shared stats are reset at window starts). */
  let spunUs = 0;
  let finish!: (lastSeq: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const dueOf = (i: number): number => startUs + Math.round(i * intervalUs);
  const finished = (): boolean => stopped || sent >= plan.count || dueOf(sent) >= endUs;

  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    if (immediate) clearImmediate(immediate);
    immediate = undefined;
    alarm.close();
    finish(hub.publishedSeq);
  };

  /** Publishes every event due by now, as one batch. */
  const tick = (): void => {
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
  };

  /** Spins until the next due time, then publishes and schedules the one after. */
  let lastSpinUs = 0;
  const spin = (): void => {
    immediate = undefined;
    if (finished()) return end();
    const now = nowUs();
    if (lastSpinUs > 0) {
      const charged = Math.min(SPIN_ITERATION_CAP_US, now - lastSpinUs);
      if (now >= stats.windowStartUs && now < stats.windowEndUs) stats.spinUs += charged;
      stats.spinTotalUs += charged;
      spunUs += charged;
    }
    if (now < dueOf(sent)) {
      lastSpinUs = now;
      immediate = setImmediate(spin);
      return;
    }
    lastSpinUs = 0;
    tick();
    schedule();
  };

  /** Arms the alarm `leadUs` before the next due time (at it, past the spin budget), or spins at once when that is near. */
  const schedule = (): void => {
    if (finished()) return end();
    const due = dueOf(sent);
    const overBudget = spunUs > SPIN_BUDGET_SHARE * Math.max(0, nowUs() - startUs) + 10_000;
    const target = due - (overBudget ? 0 : leadUs);
    if (target - nowUs() <= 0) {
      immediate = setImmediate(spin);
      return;
    }
    alarm.set(target, () => {
      const late = nowUs() - target;
      wakeDelays.push(late);
      if (wakeDelays.length > WAKE_SAMPLES) wakeDelays.shift();
      // Aim early by the 75th percentile of recent wake-up delays: usually awake before the due time, spinning briefly.
      const sorted = [...wakeDelays].sort((a, b) => a - b);
      leadUs = Math.min(MAX_LEAD_US, Math.max(MIN_LEAD_US, (sorted[Math.floor(0.75 * (sorted.length - 1))] ?? INITIAL_LEAD_US) + 20));
      spin();
    });
  };

  schedule();
  return {
    done,
    stop() {
      stopped = true;
      alarm.cancel();
      end();
    },
    stopAt(at: number) {
      endUs = at;
      // A publisher waiting on its alarm for an event at or past `at` ends now.
      if (finished()) {
        alarm.cancel();
        end();
      }
    },
    get lastDueUs() {
      return lastDueUs;
    },
  };
}
