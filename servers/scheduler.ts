// A precise scheduler for every publisher of a server process: one alarm thread and one spin for all of them (the
// shared stream and each private token stream), so a thousand streams cost one thread, not a thousand. Node's
// timers fire on whole milliseconds; this fires within microseconds of the due time on an idle machine: the alarm
// thread (Atomics.wait) wakes the loop a little early, and the loop spins on setImmediate (still serving I/O)
// until the earliest entry is due. Past a CPU budget it stops spinning and fires when the alarm does.
import { Alarm } from './alarm.ts';
import { nowUs } from '../lib/clock.ts';
import type { PublisherStats } from './publisher.ts';

/** Longest spin iteration charged to the publisher, µs (an idle iteration costs a few µs; a longer one served I/O). */
export const SPIN_ITERATION_CAP_US = 10;
/**
 * Most of the main thread's time the spin may take, as a share of the time since the scheduler started: at high
 * rates the spin stretches would join into one, so past this budget the alarm is aimed at the due time itself
 * (no spin) and entries fire as late as the alarm wakes. Keeps an idle server from burning a core on timing.
 */
export const SPIN_BUDGET_SHARE = 0.05;
/** Spin allowed before the budget applies, µs. */
const SPIN_ALLOWANCE_US = 10_000;
/** How early the alarm is aimed before a due time, µs: starts here, then follows the alarm's observed lateness. */
const INITIAL_LEAD_US = 300;
const MIN_LEAD_US = 50;
const MAX_LEAD_US = 1500;
/** Recent alarm wake-up delays kept to set the lead. */
const WAKE_SAMPLES = 32;

interface Entry {
  dueUs: number;
  fire: () => void;
  cancelled: boolean;
}

/** Fires callbacks at due times on the host's monotonic clock (µs), precisely. */
export class Scheduler {
  private readonly heap: Entry[] = [];
  private alarm: Alarm | undefined;
  private armedFor: Entry | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly wakeDelays: number[] = [];
  private leadUs = INITIAL_LEAD_US;
  private readonly startedUs = nowUs();
  /** This scheduler's own spin, µs (the shared stats are reset at window starts). */
  private spunUs = 0;
  private lastSpinUs = 0;
  private closed = false;

  /** `stats`: where the spin's CPU is charged (PublisherStats.spinUs). */
  constructor(private readonly stats?: PublisherStats) {}

  /** Calls `fire` once the clock reaches `dueUs`; returns a function that cancels it. */
  at(dueUs: number, fire: () => void): () => void {
    const entry: Entry = { dueUs, fire, cancelled: false };
    this.push(entry);
    this.reschedule();
    return () => {
      entry.cancelled = true;
    };
  }

  /** Stops the alarm thread and drops every entry. */
  close(): void {
    this.closed = true;
    this.heap.length = 0;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.alarm?.close();
    this.alarm = undefined;
  }

  /** Arms the alarm for the earliest entry (or spins when it is near), unless already waiting for it. */
  private reschedule(): void {
    if (this.closed) return;
    this.dropCancelled();
    const first = this.heap[0];
    if (!first) {
      this.alarm?.cancel();
      this.armedFor = undefined;
      return;
    }
    if (this.immediate !== undefined || this.armedFor === first) return;
    const overBudget = this.spunUs > SPIN_BUDGET_SHARE * Math.max(0, nowUs() - this.startedUs) + SPIN_ALLOWANCE_US;
    const target = first.dueUs - (overBudget ? 0 : this.leadUs);
    if (target - nowUs() <= 0) {
      this.armedFor = undefined;
      this.immediate = setImmediate(this.spin);
      return;
    }
    this.armedFor = first;
    this.alarm ??= new Alarm();
    this.alarm.set(target, () => {
      this.armedFor = undefined;
      const late = nowUs() - target;
      this.wakeDelays.push(late);
      if (this.wakeDelays.length > WAKE_SAMPLES) this.wakeDelays.shift();
      // Aim early by the 75th percentile of recent wake-up delays: usually awake before the due time, spinning briefly.
      const sorted = [...this.wakeDelays].sort((a, b) => a - b);
      this.leadUs = Math.min(MAX_LEAD_US, Math.max(MIN_LEAD_US, (sorted[Math.floor(0.75 * (sorted.length - 1))] ?? INITIAL_LEAD_US) + 20));
      this.spin();
    });
  }

  /** Spins until the earliest entry is due, then fires every entry that is due. */
  private readonly spin = (): void => {
    this.immediate = undefined;
    if (this.closed) return;
    this.dropCancelled();
    const first = this.heap[0];
    if (!first) return;
    const now = nowUs();
    if (this.lastSpinUs > 0) {
      const charged = Math.min(SPIN_ITERATION_CAP_US, now - this.lastSpinUs);
      this.spunUs += charged;
      if (this.stats) this.stats.chargeSpin(now, charged);
    }
    if (now < first.dueUs) {
      this.lastSpinUs = now;
      this.immediate = setImmediate(this.spin);
      return;
    }
    this.lastSpinUs = 0;
    while (this.heap.length > 0 && (this.heap[0] as Entry).dueUs <= now) {
      const e = this.pop() as Entry;
      if (!e.cancelled) e.fire();
    }
    this.reschedule();
  };

  private dropCancelled(): void {
    while (this.heap.length > 0 && (this.heap[0] as Entry).cancelled) this.pop();
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as Entry).dueUs <= e.dueUs) break;
      h[i] = h[parent] as Entry;
      i = parent;
    }
    h[i] = e;
    // A new earliest entry re-aims the alarm.
    if (i === 0 && this.armedFor !== undefined && this.armedFor !== e) this.armedFor = undefined;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && (h[l] as Entry).dueUs < (m === i ? last.dueUs : (h[m] as Entry).dueUs)) m = l;
        if (r < h.length && (h[r] as Entry).dueUs < (m === i ? last.dueUs : (h[m] as Entry).dueUs)) m = r;
        if (m === i) break;
        h[i] = h[m] as Entry;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
