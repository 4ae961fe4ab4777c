// SequenceTracker and LatencyRecorder: exact counts for every delivery pattern, exact merges.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { HIGHEST_LATENCY_US, LatencyRecorder, RecordingSink, SequenceTracker } from '../clients/recorder.ts';
import { FIELDS, MAX_DRAIN_MS, MAX_POLL_INTERVAL_MS } from '../lib/options.ts';

function counts(t: SequenceTracker, first: number, last: number) {
  return { received: t.received, duplicates: t.duplicates, outOfOrder: t.outOfOrder, gaps: t.gaps, lost: t.lost(first, last) };
}

describe('SequenceTracker', () => {
  it('counts an in-order run exactly', () => {
    const t = new SequenceTracker(1);
    for (let seq = 1; seq <= 10_000; seq++) assert.equal(t.record(seq), true);
    assert.deepEqual(counts(t, 1, 10_000), { received: 10_000, duplicates: 0, outOfOrder: 0, gaps: 0, lost: 0 });
    assert.equal(t.highest, 10_000);
  });

  it('counts duplicates, whether in order or not', () => {
    const t = new SequenceTracker(1);
    for (const seq of [1, 2, 2, 3, 1, 3, 3]) t.record(seq);
    assert.deepEqual(counts(t, 1, 3), { received: 3, duplicates: 4, outOfOrder: 0, gaps: 0, lost: 0 });
  });

  it('counts out-of-order arrivals once, and not their later duplicates', () => {
    const t = new SequenceTracker(1);
    for (const seq of [1, 3, 2, 5, 4, 2, 6]) t.record(seq);
    assert.deepEqual(counts(t, 1, 6), { received: 6, duplicates: 1, outOfOrder: 2, gaps: 0, lost: 0 });
  });

  it('computes lost over the expected range, including a missing head and tail', () => {
    const t = new SequenceTracker(1);
    for (const seq of [2, 3, 5, 9]) t.record(seq);
    assert.equal(t.lost(1, 10), 6); // 1, 4, 6, 7, 8, 10
    assert.equal(t.lost(2, 3), 0);
    assert.equal(t.lost(4, 4), 1);
    assert.equal(t.lost(11, 10), 0);
    assert.equal(t.receivedIn(1, 1_000_000), 4);
  });

  it('counts across word boundaries and growth', () => {
    const t = new SequenceTracker(100);
    // Every seq of 100..100_099 except multiples of 7 (bits across many 32-bit words and several doublings).
    let expected = 0;
    for (let seq = 100; seq < 100_100; seq++) {
      if (seq % 7 !== 0) {
        t.record(seq);
        expected++;
      }
    }
    assert.equal(t.received, expected);
    assert.equal(t.lost(100, 100_099), 100_000 - expected);
    for (const [a, b] of [[131, 131], [131, 132], [100, 131], [132, 163], [117, 190], [5_000, 5_031]] as const) {
      let missing = 0;
      for (let s = a; s <= b; s++) if (s % 7 === 0) missing++;
      assert.equal(t.lost(a, b), missing, `lost(${a}, ${b})`);
    }
    assert.ok(t.footprintBytes <= 32 * 1024, `~1 bit per event, got ${t.footprintBytes} bytes`);
  });

  it('counts a gap notice, and the skipped events as lost', () => {
    const t = new SequenceTracker(1);
    const sink = new RecordingSink(t, new LatencyRecorder());
    sink.event(1, 0, 10);
    sink.event(2, 0, 10);
    sink.gap(); // server skipped 3..7 (older than its retention)
    for (let seq = 8; seq <= 10; seq++) sink.event(seq, 0, 10);
    assert.deepEqual(counts(t, 1, 10), { received: 5, duplicates: 0, outOfOrder: 0, gaps: 1, lost: 5 });
  });

  it('counts seqs below firstSeq as early, not received; they count as lost in a range reaching below', () => {
    const t = new SequenceTracker(5);
    assert.equal(t.record(4), false);
    t.record(5);
    assert.equal(t.early, 1);
    assert.equal(t.received, 1);
    assert.equal(t.lost(1, 5), 4);
  });
});

describe('LatencyRecorder', () => {
  it('merges two encoded histograms with the exact count and max', () => {
    const a = new LatencyRecorder();
    const b = new LatencyRecorder();
    for (let i = 1; i <= 1000; i++) a.record(i);
    for (let i = 1; i <= 500; i++) b.record(i * 2);
    b.record(1234);
    const merged = LatencyRecorder.merge([a.encode(), b.encode()]);
    assert.equal(merged.totalCount, 1501);
    assert.equal(merged.maxValue, 1234);
    const s = LatencyRecorder.summarizeEncoded([a.encode(), b.encode()]);
    assert.equal(s.count, 1501);
    assert.equal(s.maxUs, 1234);
    assert.equal(s.minUs, 1);
  });

  it('counts a negative latency as an error of the instrument and does not record it (no clamping to 0)', () => {
    const r = new LatencyRecorder();
    r.record(-50);
    r.record(-1);
    r.record(7);
    const s = r.summary();
    assert.equal(r.negative, 2);
    assert.equal(s.count, 1);
    assert.equal(s.minUs, 7);
    assert.equal(s.maxUs, 7);
  });

  it('holds the longest latency any allowed setting can produce (poll interval + long-poll wait + drain), and clamps beyond', () => {
    assert.ok(HIGHEST_LATENCY_US >= (MAX_POLL_INTERVAL_MS + FIELDS.longPollWaitMs.max + MAX_DRAIN_MS) * 1000);
    const r = new LatencyRecorder();
    const longest = (MAX_POLL_INTERVAL_MS + MAX_DRAIN_MS) * 1000;
    r.record(longest);
    const s = r.summary();
    // Recorded as itself, within the histogram's 3 significant digits.
    assert.ok(Math.abs(s.maxUs - longest) <= longest / 1000, `${s.maxUs} vs ${longest}`);
    const c = new LatencyRecorder();
    c.record(HIGHEST_LATENCY_US * 2);
    assert.equal(c.count, 1);
    assert.ok(c.summary().maxUs >= HIGHEST_LATENCY_US * 0.999 && c.summary().maxUs <= HIGHEST_LATENCY_US * 1.001);
  });

  it('takes intervals that reset, while the whole-run histogram keeps everything', () => {
    const r = new LatencyRecorder();
    for (let i = 1; i <= 100; i++) r.record(i);
    assert.deepEqual(r.takeInterval(), { delivered: 100, p50Us: 50, p99Us: 99, maxUs: 100 });
    assert.deepEqual(r.takeInterval(), { delivered: 0, p50Us: 0, p99Us: 0, maxUs: 0 });
    r.record(5);
    const encoded = r.takeIntervalEncoded();
    assert.equal(LatencyRecorder.merge([encoded]).totalCount, 1);
    assert.equal(r.takeInterval().delivered, 0);
    assert.equal(r.count, 101);
  });

  it('summarises an empty histogram as zeros', () => {
    assert.deepEqual(new LatencyRecorder().summary(), { count: 0, minUs: 0, meanUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 });
  });
});

describe('RecordingSink', () => {
  it('records latency once per unique event, within the measured window', () => {
    const t = new SequenceTracker(1);
    const l = new LatencyRecorder();
    const sink = new RecordingSink(t, l);
    sink.measureFromTsUs = 1_000;
    sink.event(1, 500, 600); // warm-up: tracked, not timed
    sink.event(2, 1_000, 1_040);
    sink.event(2, 1_000, 1_090); // duplicate: not timed again
    sink.event(3, 2_000, 2_010);
    assert.equal(t.received, 3);
    assert.equal(t.duplicates, 1);
    assert.deepEqual([l.count, l.summary().minUs, l.summary().maxUs], [2, 10, 40]);
  });
});
