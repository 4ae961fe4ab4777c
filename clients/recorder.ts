// What a client receives, recorded: delivery correctness (SequenceTracker, ~1 bit per event) and
// publish-to-delivery latency (LatencyRecorder, HdrHistograms in µs that merge across worker processes).
import type { Histogram } from 'hdr-histogram-js';
import { HIGHEST_TRACKABLE_US, createHistogram, encodeHistogram, mergeEncoded } from '../lib/histogram.ts';
import type { LatencySummaryUs, TimelinePoint } from '../lib/result.ts';
import type { EventSink } from './client.ts';

/** Bits of seq state the tracker allocates at first, before growing by doubling. */
const INITIAL_BITS = 1 << 12;
/** Largest span of seqs one tracker covers (2^31 bits = 256 MiB): a seq beyond it is a bug, not an event. */
const MAX_BITS = 2 ** 31;

/** Counts of 32-bit words' set bits. */
function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Per-client delivery bookkeeping over seqs >= `firstSeq`: one bit per seq in a growable bitset.
 * `received` counts unique seqs; a seq seen before is a duplicate; a new seq below the highest seen is
 * also out of order. Seqs below `firstSeq` cannot be tracked and are only counted in `early`.
 */
export class SequenceTracker {
  /** Unique seqs received. */
  received = 0;
  /** Deliveries of a seq already received. */
  duplicates = 0;
  /** Unique seqs that arrived after a higher one. */
  outOfOrder = 0;
  /** Gap notices from the server (events older than its retention were skipped). */
  gaps = 0;
  /** Deliveries of seqs below `firstSeq` (not tracked). */
  early = 0;
  /** Highest seq received (0 before any). */
  highest = 0;
  private bits: Uint32Array;

  /** `firstSeq`: the first seq this client is expected to receive (the bitset starts there). */
  constructor(readonly firstSeq = 1) {
    if (!Number.isSafeInteger(firstSeq) || firstSeq < 0) throw new RangeError(`firstSeq must be an integer >= 0, got ${firstSeq}`);
    this.bits = new Uint32Array(INITIAL_BITS >>> 5);
  }

  /** Records one delivery; returns true when it is the first delivery of a tracked seq. */
  record(seq: number): boolean {
    const index = seq - this.firstSeq;
    if (index < 0) {
      this.early++;
      return false;
    }
    const word = index >>> 5;
    if (word >= this.bits.length) this.grow(index);
    const mask = 1 << (index & 31);
    const bits = this.bits;
    const old = bits[word] as number;
    if ((old & mask) !== 0) {
      this.duplicates++;
      return false;
    }
    bits[word] = old | mask;
    this.received++;
    if (seq < this.highest) this.outOfOrder++;
    else this.highest = seq;
    return true;
  }

  /** Records a gap notice. */
  gap(): void {
    this.gaps++;
  }

  /** True when `seq` was received. */
  has(seq: number): boolean {
    const index = seq - this.firstSeq;
    if (index < 0 || index >>> 5 >= this.bits.length) return false;
    return ((this.bits[index >>> 5] as number) & (1 << (index & 31))) !== 0;
  }

  /** Seqs of the expected range [first..last] never received (seqs below `firstSeq` count as lost). */
  lost(first: number, last: number): number {
    if (last < first) return 0;
    return last - first + 1 - this.receivedIn(first, last);
  }

  /** Unique seqs received within [first..last]. */
  receivedIn(first: number, last: number): number {
    const lo = Math.max(first, this.firstSeq) - this.firstSeq;
    const hi = Math.min(last - this.firstSeq, this.bits.length * 32 - 1);
    if (hi < lo) return 0;
    const bits = this.bits;
    const loWord = lo >>> 5;
    const hiWord = hi >>> 5;
    // Masks of the bits of the edge words that lie inside [lo..hi].
    const loMask = ~0 << (lo & 31);
    const hiMask = (hi & 31) === 31 ? ~0 : (1 << ((hi & 31) + 1)) - 1;
    if (loWord === hiWord) return popcount32((bits[loWord] as number) & loMask & hiMask);
    let count = popcount32((bits[loWord] as number) & loMask) + popcount32((bits[hiWord] as number) & hiMask);
    for (let w = loWord + 1; w < hiWord; w++) count += popcount32(bits[w] as number);
    return count;
  }

  /** Bytes held by the bitset. */
  get footprintBytes(): number {
    return this.bits.byteLength;
  }

  private grow(index: number): void {
    if (index >= MAX_BITS) throw new RangeError(`seq ${index + this.firstSeq} is too far past firstSeq ${this.firstSeq}`);
    let words = this.bits.length;
    while (words * 32 <= index) words *= 2;
    const bits = new Uint32Array(Math.min(words, MAX_BITS >>> 5));
    bits.set(this.bits);
    this.bits = bits;
  }
}

/** Where a process's missing deliveries went, once the drain ended. */
export interface MissingAttribution {
  /** Expected events missing at clients that neither failed nor fell behind, plus holes below a straggler's newest event. */
  lost: number;
  /** Clients still behind (their newest event is older than the last one), and the events above their newest. */
  stragglers: number;
  behind: number;
  /** Events the failed clients never received: their failure's, not the transport's loss. */
  failedMissed: number;
}

/**
 * Sorts every client's missing events of [first..last]: a failed client's are `failedMissed`; a client still
 * behind misses the events above its newest one (`behind`, it may still have got them) and any hole below it
 * (`lost`: events it skipped); every other client's missing events are `lost`.
 */
export function attributeMissing(clients: readonly { tracker: SequenceTracker; failed: boolean }[], first: number, last: number): MissingAttribution {
  const out: MissingAttribution = { lost: 0, stragglers: 0, behind: 0, failedMissed: 0 };
  for (const { tracker: t, failed } of clients) {
    if (failed) {
      out.failedMissed += t.lost(first, last);
    } else if (t.highest < last) {
      out.stragglers++;
      out.behind += last - Math.max(t.highest, first - 1);
      out.lost += t.lost(first, t.highest);
    } else {
      out.lost += t.lost(first, last);
    }
  }
  return out;
}

/** Highest latency a histogram holds, µs; longer ones are recorded as this. */
export const HIGHEST_LATENCY_US = HIGHEST_TRACKABLE_US;

/** Figures of one interval (about one second): a TimelinePoint without its time. */
export type IntervalFigures = Omit<TimelinePoint, 'tMs'>;

/**
 * Publish-to-delivery latency, µs: a histogram over the whole run and one over the current interval (for
 * timelines and progress). One record() costs one record into each. About 140 KB: share one recorder
 * among the clients of a worker process rather than keeping one per client.
 */
export class LatencyRecorder {
  private readonly total: Histogram = createHistogram();
  private readonly interval: Histogram = createHistogram();
  /**
   * Latencies that came out negative: a receive time before the event's scheduled time is impossible on one
   * clock, so each one is an error of the instrument. They are counted here, never recorded (nor clamped to 0).
   */
  negative = 0;

  /** Records one latency in integer µs; a negative one is counted in `negative` instead, one above the highest trackable is recorded as that. */
  record(valueUs: number): void {
    if (valueUs < 0) {
      this.negative++;
      return;
    }
    const v = valueUs > HIGHEST_LATENCY_US ? HIGHEST_LATENCY_US : valueUs;
    this.total.recordValue(v);
    this.interval.recordValue(v);
  }

  /** Latencies recorded over the whole run. */
  get count(): number {
    return this.total.totalCount;
  }

  /** The whole-run histogram, compressed base64 (HdrHistogram V2), for another process to merge. */
  encode(): string {
    return encodeHistogram(this.total);
  }

  /** Summary of the whole run. */
  summary(): LatencySummaryUs {
    return LatencyRecorder.summarize(this.total);
  }

  /** Figures of the interval since the previous call, then starts a new interval. */
  takeInterval(): IntervalFigures {
    const h = this.interval;
    const figures: IntervalFigures = {
      delivered: h.totalCount,
      p50Us: h.totalCount === 0 ? 0 : h.getValueAtPercentile(50),
      p99Us: h.totalCount === 0 ? 0 : h.getValueAtPercentile(99),
      maxUs: h.maxValue,
    };
    h.reset();
    return figures;
  }

  /** The interval's histogram, compressed base64, then starts a new interval (to merge intervals across processes). */
  takeIntervalEncoded(): string {
    const encoded = encodeHistogram(this.interval);
    this.interval.reset();
    return encoded;
  }

  /** Clears both histograms (e.g. at the end of a warm-up). */
  reset(): void {
    this.total.reset();
    this.interval.reset();
  }

  /** Decodes and adds up encoded histograms (from encode() or takeIntervalEncoded()) into a new one. */
  static merge(encoded: readonly string[]): Histogram {
    return mergeEncoded(encoded);
  }

  /** Summary of a histogram in µs (all zero when empty). */
  static summarize(h: Histogram): LatencySummaryUs {
    if (h.totalCount === 0) return { count: 0, minUs: 0, meanUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 };
    return {
      count: h.totalCount,
      minUs: h.getValueAtPercentile(0),
      meanUs: Math.round(h.mean * 10) / 10,
      p50Us: h.getValueAtPercentile(50),
      p90Us: h.getValueAtPercentile(90),
      p99Us: h.getValueAtPercentile(99),
      p999Us: h.getValueAtPercentile(99.9),
      maxUs: h.maxValue,
    };
  }

  /** Summary of merged encoded histograms. */
  static summarizeEncoded(encoded: readonly string[]): LatencySummaryUs {
    return LatencyRecorder.summarize(LatencyRecorder.merge(encoded));
  }
}

/**
 * An EventSink that records into a client's SequenceTracker and a (shared) LatencyRecorder. Latency is
 * recorded for first deliveries of events scheduled within [measureFromTsUs, measureToTsUs] (µs), so a
 * warm-up can be left out by moving the window.
 */
export class RecordingSink implements EventSink {
  /** Earliest scheduled time whose latency is recorded, µs (default: all). */
  measureFromTsUs = -Infinity;
  /** Latest scheduled time whose latency is recorded, µs (default: all). */
  measureToTsUs = Infinity;

  constructor(
    readonly tracker: SequenceTracker,
    readonly latency: LatencyRecorder,
  ) {}

  event(seq: number, tsUs: number, nowUs: number): void {
    if (this.tracker.record(seq) && tsUs >= this.measureFromTsUs && tsUs <= this.measureToTsUs) {
      this.latency.record(nowUs - tsUs);
    }
  }

  gap(): void {
    this.tracker.gap();
  }
}
