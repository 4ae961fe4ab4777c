// HdrHistograms as rtbench builds, ships and merges them: µs values, 3 significant digits, pure JS (no
// WebAssembly), compressed base64 on the wire between processes and in results.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { FIELDS, MAX_DRAIN_MS, MAX_POLL_INTERVAL_MS } from './options.ts';

/**
 * Highest value a histogram holds, µs: the longest poll interval, long-poll wait and drain an option allows, plus a
 * minute, so a latency any allowed setting can produce is recorded as itself. Larger values are recorded as this.
 */
export const HIGHEST_TRACKABLE_US = (MAX_POLL_INTERVAL_MS + FIELDS.longPollWaitMs.max + MAX_DRAIN_MS + 60_000) * 1000;

/** A histogram of µs values, 1 µs .. HIGHEST_TRACKABLE_US, 3 significant digits. */
export function createHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
    useWebAssembly: false,
  });
}

/** A histogram as compressed base64 (HdrHistogram V2 encoding), for another process or a result file. */
export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/** Decodes and adds up encoded histograms into a new one ('' entries are skipped). */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const merged = createHistogram();
  for (const e of encoded) if (e !== '') merged.add(decodeFromCompressedBase64(e));
  return merged;
}

/** Merges encoded histograms and encodes the sum (one input is passed through). */
export function mergeEncodedToEncoded(encoded: readonly string[]): string {
  const parts = encoded.filter((e) => e !== '');
  if (parts.length === 1) return parts[0] as string;
  return encodeIntoCompressedBase64(mergeEncoded(parts));
}
