// Clock alignment: the /time estimate brackets the true offset, comes out indistinguishable from zero on one host,
// recovers an offset injected into a client process, and that process's latencies are then on the server's clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClockSync, appliedOffsetUs, estimateOffset, type ClockSample } from '../lib/clock-sync.ts';
import { setClockSkewUs } from '../lib/clock.ts';
import { spawnServer, type ServerProcess } from '../servers/spawn.ts';
import { ClientPool } from '../driver/client-pool.ts';
import { mergeEncoded } from '../lib/histogram.ts';
import { clockText } from '../reports/floor.ts';
import { syntheticRun } from './helpers/synthetic.ts';

let server: ServerProcess;
before(async () => {
  server = await spawnServer({ transport: 'sse' });
});
after(async () => {
  await server.stop();
});

test('estimateOffset intersects the best round trips: the true offset lies inside, the slow samples are left out', () => {
  // Server = local + 1000 µs; each sample's server reading lands somewhere inside its round trip.
  const sample = (t0Us: number, rttUs: number, at: number): ClockSample => ({ t0Us, t1Us: t0Us + rttUs, serverUs: t0Us + at + 1000 });
  const samples = [sample(0, 40, 10), sample(100, 30, 25), sample(200, 500, 10), sample(900, 36, 5), sample(2000, 50, 49), sample(3000, 900, 800)];
  const e = estimateOffset(samples);
  assert.equal(e.samples, 4);
  assert.equal(e.rttMinUs, 30);
  assert.ok(Math.abs(e.offsetUs - 1000) <= e.uncertaintyUs, `1000 lies in ${e.offsetUs} ± ${e.uncertaintyUs}`);
  // Intersection of [S - t1 - 1, S - t0 + 1]: lo = max(971, 994, 969, 998) = 998, hi = min(1011, 1026, 1006, 1050) = 1006.
  assert.deepEqual([e.offsetUs, e.uncertaintyUs], [1002, 4]);
  assert.equal(appliedOffsetUs(e), 1002);
  assert.equal(appliedOffsetUs({ offsetUs: 3, uncertaintyUs: 5, samples: 4, rttMinUs: 10 }), 0);
});

test('on one host the estimate against a real server is indistinguishable from zero, so nothing is applied', { timeout: 30_000 }, async () => {
  const sync = new ClockSync(server.url);
  try {
    const e = await sync.measure(32);
    assert.ok(Math.abs(e.offsetUs) <= e.uncertaintyUs, `offset ${e.offsetUs} µs beyond its uncertainty ${e.uncertaintyUs} µs`);
    assert.equal(appliedOffsetUs(e), 0);
    assert.ok(e.samples >= 1 && e.samples <= 4);
  } finally {
    await sync.close();
  }
});

test('a clock shifted by a known amount: the estimate recovers the shift within its uncertainty, also when re-estimated', { timeout: 30_000 }, async () => {
  const skewUs = 7_654_321;
  setClockSkewUs(skewUs);
  const sync = new ClockSync(server.url);
  try {
    const e = await sync.measure(16);
    assert.ok(Math.abs(e.offsetUs + skewUs) <= e.uncertaintyUs, `-${skewUs} lies outside ${e.offsetUs} ± ${e.uncertaintyUs}`);
    assert.ok(Math.abs(appliedOffsetUs(e) + skewUs) <= e.uncertaintyUs + 1);
    const again = await new Promise<ReturnType<typeof estimateOffset>>((resolve) => sync.start(10, resolve));
    assert.ok(Math.abs(again.offsetUs + skewUs) <= again.uncertaintyUs, `re-estimate: -${skewUs} lies outside ${again.offsetUs} ± ${again.uncertaintyUs}`);
  } finally {
    setClockSkewUs(0);
    await sync.close();
  }
});

test('client processes with a shifted clock apply the recovered offset: latencies on the server clock, none negative, none shifted', { timeout: 60_000 }, async () => {
  // Ahead by 60 s: without alignment every latency would read over 60 s; behind, every one would be negative.
  for (const skewUs of [60_000_000, -60_000_000]) {
    const from = (await server.stats()).lastSeq;
    const pool = new ClientPool({ transport: 'sse', baseUrl: server.url, clients: 4, workers: 2, after: from, pollIntervalMs: 1000, longPollWaitMs: 30_000, wsCompression: false, clockSkewUs: skewUs, clockResyncMs: 50 });
    try {
      await pool.connect();
      const s = await server.stats();
      // 'window' carries server-clock µs: everything published from here on is in it.
      await pool.window({ startUs: s.atUs });
      const lastSeq = await server.publish({ rate: 200, count: 40, payloadBytes: 10 });
      const r = await pool.finish(lastSeq, 10_000);
      assert.equal(r.received, 4 * (lastSeq - from));
      assert.equal(r.negativeLatencies, 0);
      const h = mergeEncoded([r.histogram]);
      assert.equal(h.totalCount, 4 * (lastSeq - from));
      assert.ok(h.maxValue < Math.abs(skewUs), `a latency of ${h.maxValue} µs still carries the ${skewUs} µs shift`);
      assert.equal(r.clocks.length, 2);
      for (const c of r.clocks) {
        assert.ok(Math.abs(c.offsetUs + skewUs) <= c.uncertaintyUs, `process estimate ${c.offsetUs} ± ${c.uncertaintyUs} misses ${-skewUs}`);
        assert.ok(Math.abs(c.appliedOffsetUs + skewUs) <= c.uncertaintyUs + 1);
      }
    } finally {
      await pool.close();
    }
  }
});

test('client processes on the server host apply no offset (existing figures do not move)', { timeout: 30_000 }, async () => {
  const pool = new ClientPool({ transport: 'sse', baseUrl: server.url, clients: 2, workers: 2, after: 0, pollIntervalMs: 1000, longPollWaitMs: 30_000, wsCompression: false });
  try {
    await pool.connect();
    const r = await pool.finish(0, 0);
    assert.equal(r.clocks.length, 2);
    for (const c of r.clocks) {
      assert.equal(c.appliedOffsetUs, 0);
      assert.ok(Math.abs(c.offsetUs) <= c.uncertaintyUs);
    }
  } finally {
    await pool.close();
  }
});

test('the reports state the uncertainty latencies inherit: none on one host, the largest applied one otherwise', () => {
  const run = syntheticRun({ sse: { p50Us: 1, p99Us: 1, eventsPerSec: 1, cpuMsPer1kEvents: 1, rssPerConnectionBytes: 1, bytesPerEvent: 1, requestsPerEvent: 1 } });
  const withClock = (processes: { offsetUs: number; uncertaintyUs: number; appliedOffsetUs: number }[], latencyUncertaintyUs: number): typeof run => ({
    ...run,
    transports: run.transports.map((t) => ({ ...t, clock: { processes: processes.map((p) => ({ ...p, samples: 4, rttMinUs: 50 })), latencyUncertaintyUs } })),
  });
  assert.equal(clockText(run), undefined);
  assert.equal(clockText(withClock([{ offsetUs: 2, uncertaintyUs: 30, appliedOffsetUs: 0 }], 0)), "client clocks: the one client process read the server's clock (no offset applied, latencies carry no alignment uncertainty)");
  assert.equal(
    clockText({ ...withClock([{ offsetUs: 2, uncertaintyUs: 30, appliedOffsetUs: 0 }, { offsetUs: 1, uncertaintyUs: 30, appliedOffsetUs: 0 }], 0), options: { ...run.options, clientsIn: 'chromium' } }),
    "client clocks: all 2 client processes read the server's clock (no offset applied, the latencies are the pages', each on its own aligned clock: see Browser clients below)",
  );
  assert.match(clockText(withClock([{ offsetUs: 2, uncertaintyUs: 30, appliedOffsetUs: 0 }, { offsetUs: -30_000_010, uncertaintyUs: 120, appliedOffsetUs: -30_000_010 }], 120)) ?? '', /^client clocks: 1 of 2 client processes aligned to the server's clock by offsets of .*, so every latency figure carries ±120 µs$/);
});
