// Event-loop delay of this process, measured from outside the loop: a worker thread posts a probe every few ms
// stamped with the time it was due, and the loop records how long each probe waited before the loop ran it.
// Timers cannot measure this below a millisecond (Node truncates their delays), and a timer that fires in phase
// with a busy loop misses its stalls; probes from another thread see every stall, and a frozen process comes
// back to a queue of overdue probes, so a stall of D ms is recorded D / interval times, as it should be weighted.
import { Worker } from 'node:worker_threads';
import type { Histogram } from 'hdr-histogram-js';
import { nowUs } from './clock.ts';
import { createHistogram, encodeHistogram } from './histogram.ts';

/** How often the probe thread posts by default, ms (a server's loop: cheap, informational). */
export const PROBE_INTERVAL_MS = 10;
/**
 * How often a client process's probe thread posts, ms: its delay p99 decides whether a run was generator-bound, so
 * even a 1.5 s window needs hundreds of probes for a p99 that is not just the longest stall (about 0.5% of a core).
 */
export const CLIENT_PROBE_INTERVAL_MS = 2;

/**
 * A probe later than this when it is posted is stamped with the time it was due (the process itself was stalled
 * or starved: its delay counts); earlier, with the time it was posted (the probe thread's own wake-up jitter does
 * not count), µs.
 */
const PROBE_JITTER_US = 2000;

// The probe thread: sleeps with Atomics.wait until each probe is due, then posts its stamp (plain JS, no loader).
const PROBE_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const now = () => { const t = process.hrtime(); return t[0] * 1e6 + Math.floor(t[1] / 1000); };
const cell = new Int32Array(new SharedArrayBuffer(4));
const interval = workerData.intervalUs;
const jitter = workerData.jitterUs;
let due = now() + interval;
let stopped = false;
parentPort.on('message', () => { stopped = true; });
function loop() {
  for (let i = 0; i < 100 && !stopped; i++) {
    let wait = due - now();
    while (wait > 0) { Atomics.wait(cell, 0, 0, wait / 1000); wait = due - now(); }
    const t = now();
    parentPort.postMessage(t - due > jitter ? due : t);
    due += interval;
  }
  // Yield to the worker's own loop now and then so the stop message is seen.
  if (!stopped) setImmediate(loop);
}
loop();
`;

/** Summary of a loop-delay histogram, µs. */
export interface LoopDelaySummaryUs {
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  /** Probes recorded. */
  count: number;
}

/** Event-loop delay of this process, recorded in µs into HdrHistograms: one since start or reset, one for a window. */
export class LoopDelay {
  private readonly worker: Worker;
  private readonly all: Histogram = createHistogram();
  private readonly window: Histogram = createHistogram();
  /** The window, by the probes' stamps, µs: probes stamped inside [from, to) go into the window histogram too. */
  private windowFromUs = Infinity;
  private windowToUs = Infinity;

  /** `intervalMs`: how often a probe is posted. */
  constructor(intervalMs = PROBE_INTERVAL_MS) {
    this.worker = new Worker(PROBE_SOURCE, { eval: true, workerData: { intervalUs: intervalMs * 1000, jitterUs: PROBE_JITTER_US } });
    this.worker.on('message', (stampUs: number) => {
      const delay = Math.max(0, nowUs() - stampUs);
      this.all.recordValue(delay);
      if (stampUs >= this.windowFromUs && stampUs < this.windowToUs) this.window.recordValue(delay);
    });
    // A probe thread must never keep a process alive, nor crash it.
    this.worker.on('error', () => undefined);
    this.worker.unref();
  }

  /** Delay at `percentile` (0-100) since start or the last reset, µs. */
  percentileUs(percentile: number): number {
    return this.all.totalCount === 0 ? 0 : this.all.getValueAtPercentile(percentile);
  }

  /** Longest delay since start or the last reset, µs. */
  maxUs(): number {
    return this.all.totalCount === 0 ? 0 : this.all.maxValue;
  }

  /** Starts a new period for percentileUs() and maxUs(). */
  reset(): void {
    this.all.reset();
  }

  /** Records the probes stamped in [fromUs, toUs) into the window histogram (clearing it); toUs may be Infinity. */
  setWindow(fromUs: number, toUs = Infinity): void {
    this.window.reset();
    this.windowFromUs = fromUs;
    this.windowToUs = toUs;
  }

  /** Ends an open window at `toUs`. */
  closeWindow(toUs: number): void {
    this.windowToUs = Math.min(this.windowToUs, toUs);
  }

  /** The window's histogram, compressed base64 (merge it with others with lib/histogram.ts). */
  encodeWindow(): string {
    return encodeHistogram(this.window);
  }

  /** Summary of the window. */
  windowSummary(): LoopDelaySummaryUs {
    return summarizeLoopDelay(this.window);
  }

  /** Stops the probe thread. */
  close(): void {
    this.worker.postMessage('stop');
    void this.worker.terminate();
  }
}

/** Summary of a loop-delay histogram (all zero when empty). */
export function summarizeLoopDelay(h: Histogram): LoopDelaySummaryUs {
  if (h.totalCount === 0) return { p50Us: 0, p99Us: 0, p999Us: 0, maxUs: 0, count: 0 };
  return { p50Us: h.getValueAtPercentile(50), p99Us: h.getValueAtPercentile(99), p999Us: h.getValueAtPercentile(99.9), maxUs: h.maxValue, count: h.totalCount };
}
