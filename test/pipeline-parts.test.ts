// The measurement pipeline's pure parts, each with exact inputs and outputs: loss attribution, the validity and
// saturation verdicts, host CPU, generator sizing, warm-up settling, the steady state, and the publisher's own
// bookkeeping on a real clock (every event counted, none early, the window's events exactly).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SequenceTracker, attributeMissing } from '../clients/recorder.ts';
import { judgeHealth, eldLimitUs } from '../driver/health.ts';
import { holdsConnections, invalidReasons, markWindow, steadyStateOf, warmupSettled } from '../driver/pipeline.ts';
import { planGenerator, clientCostUs, CLIENT_COST_US_PER_DELIVERY } from '../driver/sizing.ts';
import { wastedWindow } from '../driver/scenarios/idle/run.ts';
import { hostCpuBetween, readHostCpu } from '../lib/host-cpu.ts';
import { nowUs } from '../lib/clock.ts';
import { LoopDelay } from '../lib/loop-delay.ts';
import type { DeliveryFigures, LatencySummaryUs, TimelinePoint } from '../lib/result.ts';
import { Hub } from '../servers/hub.ts';
import { PublisherStats, startPublisher } from '../servers/publisher.ts';

const tracker = (first: number, seqs: number[]): SequenceTracker => {
  const t = new SequenceTracker(first);
  for (const s of seqs) t.record(s);
  return t;
};

describe('loss attribution', () => {
  it('failed and straggling clients are their own figures; only holes are lost', () => {
    const a = attributeMissing(
      [
        { tracker: tracker(1, [1, 2, 3, 4, 5]), failed: false }, // complete
        { tracker: tracker(1, [1, 3, 4, 5]), failed: false }, // lost 2
        { tracker: tracker(1, [1, 2]), failed: false }, // behind by 3
        { tracker: tracker(1, [2, 3]), failed: false }, // behind by 2, lost 1 (a hole below its newest)
        { tracker: tracker(1, [1]), failed: true }, // failed: 4 never received
      ],
      1,
      5,
    );
    assert.deepEqual(a, { lost: 2, stragglers: 2, behind: 5, failedMissed: 4 });
  });

  it('a client that received nothing is behind by everything, not lost', () => {
    assert.deepEqual(attributeMissing([{ tracker: tracker(1, []), failed: false }], 1, 10), { lost: 0, stragglers: 1, behind: 10, failedMissed: 0 });
  });
});

const delivery = (d: Partial<DeliveryFigures> = {}): DeliveryFigures => ({
  publishedEvents: 10,
  expectedDeliveries: 10,
  deliveredEvents: 10,
  eventsPerSec: 10,
  lost: 0,
  duplicates: 0,
  outOfOrder: 0,
  gaps: 0,
  ...d,
});

describe('validity', () => {
  it('a clean run is valid', () => {
    assert.deepEqual(invalidReasons([], delivery(), 0, 5000), []);
  });
  it('failed clients, stragglers, negative latencies and a late window each invalidate it, with a sentence', () => {
    assert.deepEqual(invalidReasons(['sat'], delivery({ failedClients: 2, failedMissed: 7, failureReason: 'ECONNRESET', stragglers: 1, behind: 3, negativeLatencies: 4 }), 2500, 5000), [
      'sat',
      '2 client(s) failed (7 events never received): ECONNRESET',
      '1 client(s) were still 3 events behind when the 5000 ms drain ended',
      '4 latencies came out negative: the clocks disagree, so no latency of this run can be trusted',
      'a client process learned of the window 2.5 ms after it opened: it was stalled',
    ]);
  });
  it('pollers without keep-alive hold no connection between polls; everything else does', () => {
    assert.equal(holdsConnections('short-poll', false), false);
    assert.equal(holdsConnections('long-poll', false), false);
    assert.equal(holdsConnections('short-poll', true), true);
    assert.equal(holdsConnections('sse', false), true);
  });
});

const latency = (p99Us: number): LatencySummaryUs => ({ count: 1000, minUs: 1, meanUs: p99Us / 4, p50Us: p99Us / 5, p90Us: p99Us / 2, p99Us, p999Us: p99Us * 2, maxUs: p99Us * 3 });
const proc = (cpuPercent: number, eldP99Us: number) => ({ pid: 1, cpuPercent, eventLoopDelay: { p50Us: 100, p99Us: eldP99Us, p999Us: eldP99Us, maxUs: eldP99Us, count: 800 } });
const eld = { p50Us: 100, p99Us: 200, p999Us: 300, maxUs: 400, count: 800 };
const host = (busyPercent: number, stealPercent = 0) => ({ cores: 2, busyPercent, stealPercent });

describe('the saturation verdict', () => {
  it('relative: a client event-loop delay p99 of 25% of the reported latency p99 makes the generator the bound', () => {
    // A committed run had client delay p99 17 ms next to a reported latency p99 of 12 ms, and was called valid.
    const h = judgeHealth({ latency: latency(12_000), processes: [proc(40, 17_000)], eventLoopDelay: eld, clientCpuUs: 0, windowDeliveries: 0, host: host(50), serverCpuPercent: 20 });
    assert.equal(h.saturated, true);
    assert.equal(h.bound, 'generator');
    assert.match(h.reasons[0] ?? '', /event loop was late by 17\.0 ms at p99, 25% or more of the 12\.0 ms latency p99 it reports \(limit 3\.00 ms\)/);
    const ok = judgeHealth({ latency: latency(12_000), processes: [proc(40, 2_900)], eventLoopDelay: eld, clientCpuUs: 0, windowDeliveries: 0, host: host(50), serverCpuPercent: 20 });
    assert.deepEqual([ok.saturated, ok.bound, ok.reasons], [false, 'none', []]);
  });
  it('with a floor of 1 ms: below it the probe jitter would decide', () => {
    assert.equal(eldLimitUs(400), 1000);
    assert.equal(eldLimitUs(12_000), 3000);
    assert.equal(judgeHealth({ latency: latency(400), processes: [proc(10, 999)], eventLoopDelay: eld, clientCpuUs: 0, windowDeliveries: 0 }).saturated, false);
    const floored = judgeHealth({ latency: latency(400), processes: [proc(10, 1000)], eventLoopDelay: eld, clientCpuUs: 0, windowDeliveries: 0 });
    assert.equal(floored.saturated, true);
    // the sentence names the floor as the limit, not a 25% share that would be 0.1 ms
    assert.equal(floored.reasons[0], "a client process's event loop was late by 1.00 ms at p99, at least the limit's floor of 1.00 ms (25% of the 0.40 ms latency p99 it reports would be less): its own delay, not the transport's, shapes the tail");
  });
  it('a client process at 90% of a core is the bound', () => {
    const h = judgeHealth({ latency: latency(5000), processes: [proc(30, 100), proc(91, 100)], eventLoopDelay: eld, clientCpuUs: 2_000_000, windowDeliveries: 1_000_000 });
    assert.deepEqual([h.saturated, h.bound, h.maxCpuPercent], [true, 'generator', 91]);
    assert.equal(h.cpuMsPer1kEvents, 2, '2 s of client CPU over 1 000 000 deliveries is 2 ms per 1 000');
  });
  it('a busy host or a hypervisor taking CPU (steal) is the bound; a busy server alone is valid', () => {
    const busy = judgeHealth({ latency: latency(5000), processes: [proc(60, 100)], eventLoopDelay: eld, clientCpuUs: 0, windowDeliveries: 0, host: host(96), serverCpuPercent: 80 });
    assert.deepEqual([busy.saturated, busy.bound], [true, 'host']);
    assert.match(busy.reasons[0] ?? '', /the host's 2 cores were 96% busy over the window \(the server used 80% of a core, the clients 60% at most per process\)/);
    const steal = judgeHealth({ latency: latency(5000), processes: [proc(20, 100)], eventLoopDelay: eld, clientCpuUs: 0, windowDeliveries: 0, host: host(40, 12) });
    assert.deepEqual([steal.saturated, steal.bound], [true, 'host']);
    const server = judgeHealth({ latency: latency(5000), processes: [proc(40, 100)], eventLoopDelay: eld, clientCpuUs: 0, windowDeliveries: 0, host: host(70), serverCpuPercent: 97 });
    assert.deepEqual([server.saturated, server.bound], [false, 'server']);
    assert.deepEqual(server.reasons, ['the server used 97% of a core over the window: these figures show the server at its limit']);
  });
});

describe('host CPU from /proc/stat', () => {
  it('busy and steal shares over a window, all cores together', () => {
    const a = readHostCpu('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3\n');
    const b = readHostCpu('cpu  250 0 100 850 50 0 0 100 0 0\n');
    // busy: user 150 + system 50 + steal 100 = 300 of 350 ticks; steal 100 of 350.
    assert.deepEqual(hostCpuBetween(a, b, 2), { cores: 2, busyPercent: 85.7, stealPercent: 28.6 });
    assert.equal(readHostCpu('garbage'), undefined);
    assert.equal(hostCpuBetween(a, a, 2), undefined);
  });
});

describe('generator sizing', () => {
  it('is sized from the offered load and each transport\'s client cost, and warns when the machine cannot', () => {
    // At 100 events/s per connection (100 clients): the cost measured at that rate.
    const cost = clientCostUs('ws', 100);
    assert.equal(cost, CLIENT_COST_US_PER_DELIVERY.ws.at100);
    assert.equal(clientCostUs('ws', 1000), CLIENT_COST_US_PER_DELIVERY.ws.at1000);
    assert.equal(clientCostUs('ws', 10_000), CLIENT_COST_US_PER_DELIVERY.ws.at1000, 'flat beyond the measured rates');
    const mid = clientCostUs('ws', Math.sqrt(100 * 1000));
    assert.ok(Math.abs(mid - (CLIENT_COST_US_PER_DELIVERY.ws.at100 + CLIENT_COST_US_PER_DELIVERY.ws.at1000) / 2) < 1e-9, 'halfway in log rate');
    // A load needing 3 cores of client CPU on a 2-core machine: one process (one core is left), and a warning.
    const load = (3 * 1e6) / cost;
    const clients = Math.round(load / 100);
    const heavy = planGenerator('ws', clients, clients * 100, 0, 2);
    assert.equal(heavy.processes, 1);
    assert.match(heavy.warning ?? '', /^ws: \d+ deliveries\/s need about 3\.00 cores of client CPU \(.* µs each, measured\), but this 2-core machine leaves 1 beside the server: expect a saturated generator/);
    // The same load on 8 cores: as many processes as the 7 cores left beside the server.
    assert.equal(planGenerator('ws', clients, clients * 100, 0, 8).processes, 7);
    // A light load over few clients: one process, no warning; sockets force 1 per 15 000 clients; an explicit count is kept.
    assert.deepEqual(planGenerator('ws', 20, 2000, 0, 2), { processes: 1, cores: (2000 * cost) / 1e6 });
    assert.equal(planGenerator('ws', 40_000, 1000, 0, 2).processes, 3);
    assert.equal(planGenerator('ws', 20, 2000, 4, 2).processes, 4);
  });

  it('spreads the clients so one event reaches a process\'s clients within 0.5 ms, and says when the machine cannot', () => {
    const cost = clientCostUs('ws', 100);
    // 100 clients at 100 events/s: one event is 100 x the per-delivery cost in one process.
    const eight = planGenerator('ws', 100, 10_000, 0, 8);
    assert.equal(eight.processes, Math.ceil((100 * cost) / 500));
    assert.equal(eight.warning, undefined);
    const two = planGenerator('ws', 100, 10_000, 0, 2);
    assert.equal(two.processes, 1);
    assert.equal(
      two.warning,
      `ws: each event reaches 100 clients in one client process, about ${((100 * cost) / 1000).toFixed(1)} ms of handling one after another (${cost.toFixed(1)} µs each, measured), which shows in the tail and may make the run generator-bound; more cores or fewer clients per process would avoid it`,
    );
    // Short pollers poll at spread times: no burst, no warning.
    assert.deepEqual(planGenerator('short-poll', 100, 10_000, 0, 2).processes, 1);
    assert.equal(planGenerator('short-poll', 100, 10_000, 0, 2).warning, undefined);
  });
});

const point = (tMs: number, p99Us: number, delivered = 100): TimelinePoint => ({ tMs, delivered, p50Us: p99Us / 2, p99Us, maxUs: p99Us * 2 });

describe('warm-up and the steady state', () => {
  it('settles when two consecutive seconds\' p99 are within 20% of each other', () => {
    assert.equal(warmupSettled([point(1000, 5000)]), false);
    assert.equal(warmupSettled([point(1000, 5000), point(2000, 1500)]), false, 'the first second is 3x the second');
    assert.equal(warmupSettled([point(2000, 1500), point(3000, 1250)]), true, '1.25 ms is within 20% of 1.5 ms');
    assert.equal(warmupSettled([point(2000, 1500), point(3000, 1100)]), false);
    assert.equal(warmupSettled([point(1000, 1500), point(3000, 1500)]), false, 'not consecutive seconds');
  });
  it('marks the seconds wholly inside the window and takes the median second', () => {
    const t0 = 1_000_000_000;
    const timeline = [point(1000, 9000), point(2000, 1000), point(3000, 3000), point(4000, 2000), point(5000, 8000)];
    // Window [t0 + 1 s, t0 + 4 s): seconds ending at 2, 3 and 4 s lie inside.
    const marked = markWindow(timeline, t0, { startUs: t0 + 1_000_000, endUs: t0 + 4_000_000 });
    assert.deepEqual(marked.map((p) => p.window === true), [false, true, true, true, false]);
    assert.deepEqual(steadyStateOf(marked), { seconds: 3, p50Us: 1000, p99Us: 2000 });
    assert.equal(steadyStateOf(markWindow(timeline, t0, { startUs: t0 + 1_500_000, endUs: t0 + 2_400_000 })), undefined);
  });
});

describe('idle: short polling is measured over whole intervals once every client polls', () => {
  it('waits two intervals, then measures the settle time rounded up to whole intervals', () => {
    assert.deepEqual(wastedWindow({ pollIntervalMs: 1000, settleMs: 1000 }), { waitMs: 2000, measureMs: 1000 });
    assert.deepEqual(wastedWindow({ pollIntervalMs: 1000, settleMs: 2500 }), { waitMs: 2000, measureMs: 3000 });
    assert.deepEqual(wastedWindow({ pollIntervalMs: 250, settleMs: 0 }), { waitMs: 500, measureMs: 250 });
  });
});

describe('the publisher on the real clock', { timeout: 20_000 }, () => {
  it('publishes exactly the events due before stopAt, stamped with their due times, and counts each one\'s lateness', async () => {
    const hub = new Hub(10_000);
    const stats = new PublisherStats();
    const startUs = nowUs() + 20_000;
    const p = startPublisher(hub, { rate: 1000, count: Number.POSITIVE_INFINITY, payloadBytes: 4, startUs }, stats);
    p.stopAt(startUs + 100_000);
    const last = await p.done;
    assert.equal(last, 100, 'events due at start + 0, 1, ..., 99 ms');
    const events = hub.since(0).events;
    assert.deepEqual(events.map((e) => e.ts), Array.from({ length: 100 }, (_, i) => startUs + i * 1000));
    assert.equal(p.lastDueUs, startUs + 99_000);
    assert.equal(stats.lateness.totalCount, 100, 'one lateness per event');
    assert.ok(stats.lateness.minNonZeroValue >= 0 && stats.lateness.getValueAtPercentile(0) >= 0, 'no event left before it was due');
    hub.close();
  });
});

describe('event-loop delay seen from another thread', { timeout: 20_000 }, () => {
  it('a stalled loop is recorded once per missed probe (a 300 ms stall weighs 30 probes of 10 ms), and only inside the window', async () => {
    const eld = new LoopDelay(10);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const from = nowUs();
      eld.setWindow(from);
      const end = from + 300_000;
      while (nowUs() < end) {
        // the stall
      }
      await new Promise((r) => setTimeout(r, 150));
      eld.closeWindow(nowUs());
      const w = eld.windowSummary();
      // Probes due every 10 ms during the stall all waited until it ended: at least 25 of them waited 50 ms or more.
      assert.ok(w.count >= 30, `${w.count} probes in the window`);
      assert.ok(w.maxUs >= 250_000, `the first probe of the stall waited ${w.maxUs} µs`);
      assert.ok(w.p50Us >= 50_000, `most probes of the window fell in the stall: p50 ${w.p50Us} µs`);
    } finally {
      eld.close();
    }
  });
});
