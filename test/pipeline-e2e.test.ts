// The pipeline end to end on real processes and sockets, for the figures that used to be wrong: throughput that
// moves when a transport falls behind, a frozen server shown as latency (no coordinated omission) without
// blaming the generator, a frozen client process flagging the run, short polling's idle cost over whole
// intervals, and the instrument's own floor in every result. Assertions are bounds that follow from what the test
// itself did (a 500 ms freeze, a server burning 15 ms per event), never a machine's speed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { DEFAULT_FANOUT, type OptionsOf } from '../lib/options.ts';
import type { RunHooks, TransportResult } from '../lib/result.ts';
import { runFanout } from '../driver/scenarios/fanout/run.ts';
import { runIdle } from '../driver/scenarios/idle/run.ts';

const fanout = (o: Partial<OptionsOf<'fanout'>>): OptionsOf<'fanout'> => ({ ...DEFAULT_FANOUT, transports: ['ws'], clients: 5, rate: 200, warmupMs: 0, durationMs: 3000, drainMs: 5000, ...o });

/** Freezes `pid` (SIGSTOP) for `ms` once the window has been open `afterMs`, then resumes it. */
function freezeDuringWindow(pick: (p: { serverPid: number; clientPids: number[] }) => number, afterMs: number, ms: number): { hooks: RunHooks; frozen: Promise<void> } {
  let pid = 0;
  let resolveFrozen!: () => void;
  const frozen = new Promise<void>((resolve) => (resolveFrozen = resolve));
  let armed = false;
  const hooks: RunHooks = {
    onProcesses: (p) => (pid = pick(p)),
    onProgress: (p) => {
      if (p.phase !== 'measuring' || armed || pid === 0) return;
      armed = true;
      setTimeout(() => {
        process.kill(pid, 'SIGSTOP');
        setTimeout(() => {
          process.kill(pid, 'SIGCONT');
          resolveFrozen();
        }, ms);
      }, afterMs);
    },
  };
  return { hooks, frozen };
}

/** Deliveries in the window whose latency was at least `us` (to the histogram's resolution). */
function atLeast(t: TransportResult, us: number): number {
  const h = decodeFromCompressedBase64(t.histogram ?? '');
  // The smallest percentile whose value reaches `us`: everything above it waited at least that long.
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (h.getValueAtPercentile(mid) >= us) hi = mid;
    else lo = mid;
  }
  return Math.round(((100 - hi) / 100) * h.totalCount);
}

describe('a transport that falls behind shows it in its throughput', { timeout: 60_000 }, () => {
  it('deliveries are counted by receive time in the window, and the lag after the last event is reported', async () => {
    // 3 clients x 5 ms of CPU per delivery: the server delivers at most ~66 events/s of the 100 offered.
    const r = await runFanout(fanout({ clients: 3, rate: 100, durationMs: 2000, injectCpuUs: 5000, drainMs: 10_000 }));
    const t = r.transports[0] as TransportResult;
    assert.equal(t.status, 'ok', t.error);
    const offered = 3 * 100;
    assert.ok((t.delivery?.eventsPerSec ?? Infinity) <= 0.8 * offered, `${t.delivery?.eventsPerSec} deliveries/s of ${offered} offered`);
    // The server can deliver at most 1 000 / 15 events/s: 2 s of publishing leaves a backlog of at least 0.5 s.
    assert.ok((t.delivery?.deliveryLagUs ?? 0) >= 500_000, `lag ${t.delivery?.deliveryLagUs} µs`);
    assert.equal(t.delivery?.lost, 0);
    assert.notEqual(t.driver?.bound, 'generator', (t.driver?.reasons ?? []).join('; '));
  });
});

describe('freezes', { timeout: 90_000 }, () => {
  it('a server frozen for 500 ms shows as latency on the events due then, and does not flag the generator', async () => {
    const { hooks, frozen } = freezeDuringWindow((p) => p.serverPid, 1000, 500);
    const r = await runFanout(fanout({}), hooks);
    await frozen;
    const t = r.transports[0] as TransportResult;
    assert.equal(t.status, 'ok', t.error);
    // The event due as the freeze began waited all of it; those due during it waited the rest (500 ms down to 0).
    assert.ok((t.latency?.maxUs ?? 0) >= 480_000, `max latency ${t.latency?.maxUs} µs`);
    // 200 events/s x 0.5 s = 100 events due during the freeze, to 5 clients: half of them waited 250 ms or more.
    const late = atLeast(t, 250_000);
    assert.ok(late >= 200 && late <= 300, `${late} deliveries waited 250 ms or more (expected about 250)`);
    assert.equal(t.delivery?.lost, 0);
    assert.notEqual(t.driver?.bound, 'generator', (t.driver?.reasons ?? []).join('; '));
    // No generator rule fired (a busy host, from whatever else runs on it, is judged apart and may still be said).
    assert.deepEqual((t.driver?.reasons ?? []).filter((reason) => reason.startsWith('a client process')), []);
  });

  it('a client process frozen for 500 ms flags the run, with the reason shown', async () => {
    const { hooks, frozen } = freezeDuringWindow((p) => p.clientPids[0] ?? 0, 1000, 500);
    const r = await runFanout(fanout({}), hooks);
    await frozen;
    const t = r.transports[0] as TransportResult;
    assert.equal(t.status, 'ok', t.error);
    assert.equal(t.driver?.saturated, true);
    assert.equal(t.driver?.bound, 'generator');
    assert.ok((t.driver?.eventLoopDelay?.maxUs ?? 0) >= 400_000, `client loop delay max ${t.driver?.eventLoopDelay?.maxUs} µs`);
    assert.match((t.invalid ?? []).join('\n'), /a client process's event loop was late by .* ms at p99/);
    assert.equal(r.invalid, true);
  });
});

describe('idle short polling', { timeout: 60_000 }, () => {
  it('is measured once every poller polls on its own schedule, over whole intervals', async () => {
    // 20 pollers at 500 ms: about 40 requests/s (a little less: each waits 500 ms after its answer). Over whole
    // intervals each poller polls once per interval, give or take one at the window's edges (its phase): over 6
    // intervals (3 s) that is about ±0.75 requests/s (one standard deviation), so the bounds below are 3 of them.
    const r = await runIdle({ ...DEFAULT_FANOUT, kind: 'idle', scenario: 'idle', transports: ['short-poll'], sweep: [0, 20], pollIntervalMs: 500, settleMs: 3000, heartbeatMs: 15_000 });
    const t = r.transports[0] as TransportResult;
    assert.equal(t.status, 'ok', t.error);
    const at20 = t.idle?.points.find((p) => p.connections === 20);
    const rate = at20?.wastedRequestsPerSec ?? 0;
    assert.ok(rate >= 32 && rate <= 42, `${rate} requests/s from 20 pollers at 500 ms`);
  });
});

describe('the instrument floor', { timeout: 60_000 }, () => {
  it('every published run states the publisher lateness, the clock cost and a loopback round trip measured in it', async () => {
    const r = await runFanout(fanout({ transports: ['sse'], durationMs: 1000 }));
    const t = r.transports[0] as TransportResult;
    assert.equal(t.status, 'ok', t.error);
    const f = t.floor;
    assert.ok(f, 'floor');
    assert.equal(t.publisher?.latenessUs.count, 200, '200 events were due in the 1 s window, each one\'s lateness recorded');
    assert.equal(f.publisherLatenessP50Us, t.publisher?.latenessUs.p50Us);
    assert.ok(f.timestampCostNs > 0);
    assert.ok((f.loopbackRttMinUs ?? 0) > 0 && (f.loopbackRttP50Us ?? 0) >= (f.loopbackRttMinUs ?? 0));
    assert.ok(Math.abs(f.clockOffsetUs ?? Infinity) <= (f.loopbackRttMinUs ?? 0), 'one host, one clock: the offset is within the round trip');
  });
});
