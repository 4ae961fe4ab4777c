// HdrHistogram-style percentile distribution points from a transport's encoded latency histogram.
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import type { TransportResult } from '../lib/result.ts';

/** One point of a percentile curve: `x` = 1 / (1 - percentile/100), plotted on a log axis. */
export interface PercentilePoint {
  /** Percentile, 0..100. */
  percentile: number;
  /** 1 / (1 - percentile / 100): 1 at 0%, 10 at 90%, 100 at 99%, 1 000 at 99.9%. */
  x: number;
  /** Latency at that percentile, µs. */
  valueUs: number;
}

/** Points per decade of `x` (per added "9" of the percentile). */
export const TICKS_PER_DECADE = 10;

/** Rounds to 10 significant digits so the curve serialises identically on every platform. */
function tidy(n: number): number {
  return Number(n.toPrecision(10));
}

/** Percentile curve points from a compressed base64 HdrHistogram of µs values; [] when it holds nothing. */
export function percentileCurveFromHistogram(encoded: string): PercentilePoint[] {
  const h = decodeFromCompressedBase64(encoded);
  try {
    const count = h.totalCount;
    if (count <= 0) return [];
    // beyond x = count the percentiles only repeat the maximum: stop there, then end on the max itself
    const maxX = Math.max(1, count);
    const xs: number[] = [];
    for (let k = 0; ; k += 1) {
      const x = tidy(10 ** (k / TICKS_PER_DECADE));
      if (x >= maxX) break;
      xs.push(x);
    }
    // the median (x = 2) is a labelled tick too: make sure it is an exact point
    if (maxX > 2 && !xs.includes(2)) xs.push(2);
    xs.sort((a, b) => a - b);
    const points: PercentilePoint[] = xs.map((x) => {
      // tidied, so that 90, 99, 99.9 are asked for exactly and match the latency summary
      const percentile = tidy(100 * (1 - 1 / x));
      return { percentile, x, valueUs: h.getValueAtPercentile(percentile) };
    });
    points.push({ percentile: tidy(100 * (1 - 1 / maxX)), x: tidy(maxX), valueUs: h.maxValue });
    return points;
  } finally {
    h.destroy();
  }
}

/** Percentile curve of a transport: from its histogram, or from its latency summary when there is none. */
export function percentileCurve(t: TransportResult): PercentilePoint[] {
  if (t.histogram) {
    try {
      const points = percentileCurveFromHistogram(t.histogram);
      const last = points[points.length - 1];
      // a decoded histogram knows the maximum only to its bucket; the summary has it exactly
      if (last && t.latency && t.latency.maxUs > 0) last.valueUs = t.latency.maxUs;
      if (points.length > 0) return points;
    } catch {
      // a damaged histogram falls back to the summary below
    }
  }
  const l = t.latency;
  if (!l || l.count <= 0) return [];
  const summary: Array<[number, number]> = [
    [0, l.minUs],
    [50, l.p50Us],
    [90, l.p90Us],
    [99, l.p99Us],
    [99.9, l.p999Us],
  ];
  const maxX = Math.max(10_000, l.count);
  const points = summary.filter(([p]) => 1 / (1 - p / 100) < maxX).map(([p, v]) => ({ percentile: p, x: tidy(1 / (1 - p / 100)), valueUs: v }));
  points.push({ percentile: tidy(100 * (1 - 1 / maxX)), x: maxX, valueUs: l.maxUs });
  return points;
}
