// Event-loop delay of this process: how late its timers fire, beyond the sampling interval itself.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const RESOLUTION_MS = 10;

/** Event-loop delay percentiles in µs, with the 10 ms sampling interval subtracted (0 = never late). */
export class LoopDelay {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  constructor() {
    this.h.enable();
  }

  /** Delay at `percentile` (0-100), µs. */
  percentileUs(percentile: number): number {
    return excessUs(this.h.percentile(percentile));
  }

  /** Longest delay, µs. */
  maxUs(): number {
    return excessUs(this.h.max);
  }

  /** Starts a new window. */
  reset(): void {
    this.h.reset();
  }

  /** Stops sampling. */
  close(): void {
    this.h.disable();
  }
}

function excessUs(ns: number): number {
  return Number.isFinite(ns) ? Math.max(0, Math.round(ns / 1000 - RESOLUTION_MS * 1000)) : 0;
}
