// The faults scenario: its pure parts (the backoff, the hand-over of a stream, the arrival bins), then the restart
// and the reset end to end on every transport over real processes and sockets. Every client must end with exactly
// seqs 1..M (M: the last seq published) and no duplicates; no timing is asserted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from '../servers/hub.ts';
import { ArrivalBins, ARRIVAL_BIN_US } from '../servers/arrivals.ts';
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, backoffMs } from '../driver/scenarios/faults/client.ts';
import { runFaults, stormOf } from '../driver/scenarios/faults/run.ts';
import { loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { nowUs } from '../lib/clock.ts';
import { defaultTransportsOf, type OptionsOf, type ProfileValues } from '../lib/options.ts';
import type { FaultFigures, TransportResult } from '../lib/result.ts';
import { faultsFindings } from '../reports/scenarios.ts';
import { assertWhole, faultsOptions } from './helpers/faults.ts';

describe('faults: pure parts', { timeout: 10_000 }, () => {
  it('the backoff: the first attempt at once, then doubling from the base up to the cap, jittered into [half, all]', () => {
    assert.equal(backoffMs(0, 0.7), 0);
    assert.equal(backoffMs(1, 0), BACKOFF_BASE_MS / 2);
    assert.equal(backoffMs(1, 1), BACKOFF_BASE_MS);
    assert.equal(backoffMs(3, 1), BACKOFF_BASE_MS * 4);
    assert.equal(backoffMs(30, 1), BACKOFF_MAX_MS);
    assert.equal(backoffMs(30, 0), BACKOFF_MAX_MS / 2);
  });

  it('a hub continues a handed-over stream: the retained events, then the next seq', () => {
    const old = new Hub(5);
    for (let i = 0; i < 8; i++) old.publish(`e${i + 1}`, 1000 + i);
    const state = JSON.parse(JSON.stringify(old.state())) as ReturnType<Hub['state']>;
    assert.deepEqual([state.lastSeq, state.events.map((e) => e.seq)], [8, [4, 5, 6, 7, 8]]);
    const fresh = new Hub(3);
    fresh.restore(state);
    assert.deepEqual(fresh.since(0).events.map((e) => e.seq), [6, 7, 8]);
    assert.equal(fresh.since(5).gap, false);
    assert.equal(fresh.since(4).gap, true);
    assert.equal(fresh.publish('e9', 2000).seq, 9);
    assert.deepEqual(fresh.since(7).events.map((e) => e.json), ['{"seq":8,"ts":1007,"data":"e8"}', '{"seq":9,"ts":2000,"data":"e9"}']);
    assert.throws(() => fresh.restore(state), /after events were published/);
  });

  it('arrival bins count per 100 ms and read 0 where nothing arrived; the storm is their peaks', () => {
    const bins = new ArrivalBins();
    const t = nowUs();
    bins.connection();
    bins.request();
    bins.request();
    // The arrivals fall in the bin holding t or the next one; a bin of a minute ago reads 0.
    const a = bins.read(t, 2);
    const sum = (xs: number[]): number => xs.reduce((x, y) => x + y, 0);
    assert.deepEqual([a.binUs, sum(a.connections), sum(a.requests)], [ARRIVAL_BIN_US, 1, 2]);
    assert.deepEqual(bins.read(t - 60_000_000, 1).requests, [0]);
    assert.deepEqual(stormOf({ fromUs: 0, binUs: ARRIVAL_BIN_US, connections: [0, 3, 1], requests: [2, 5, 1] }), {
      binMs: 100,
      connections: [0, 3, 1],
      requests: [2, 5, 1],
      peakConnectionsPer100ms: 3,
      peakRequestsPer100ms: 5,
    });
  });
});

describe('faults: parameters and findings', { timeout: 10_000 }, () => {
  it('a restart must end inside the window; --fault takes restart or reset', () => {
    assert.throws(() => resolveOptions(loadBuiltin('faults'), 'smoke', { outageMs: 2000 }), /--outage is 2000 ms, but the restart comes a third into the 3000 ms window and must end inside it; make the outage shorter than 2000 ms/);
    assert.equal((resolveOptions(loadBuiltin('faults'), 'smoke', { fault: 'reset', outageMs: 2000 }) as OptionsOf<'faults'>).fault, 'reset');
    for (const p of ['smoke', 'ci', 'full'] as const) assert.equal(resolveOptions(loadBuiltin('faults'), p).kind, 'faults');
  });

  it('the findings follow the figures: one sentence per transport, and who recovered first and last', () => {
    const result = (transport: 'ws' | 'sse', recoverMs: number, lost: number): TransportResult => {
      const faults: FaultFigures = {
        fault: 'reset', clients: 4, resetFraction: 0.5, connectionsReset: 2, connectionsOpen: 4, retentionEvents: 10_000, recoverMs,
        recovery: { count: 4, minUs: 1, meanUs: 1, p50Us: 1000, p90Us: 1, p99Us: 1, p999Us: 1, maxUs: recoverMs * 1000 },
        unrecovered: 0, reconnectedClients: 2, reconnects: 2, failedAttempts: 0,
        storm: { binMs: 100, connections: [2], requests: [2], peakConnectionsPer100ms: 2, peakRequestsPer100ms: 2 },
      };
      return { transport, status: 'ok', wallMs: 0, delivery: { lost, duplicates: 0, gaps: 0 } as TransportResult['delivery'], faults };
    };
    const a = faultsFindings([result('ws', 5, 0), result('sse', 40, 3)]);
    assert.equal(a.length, 4);
    assert.match(a[1] ?? '', /^ws \(2 of 4 connections reset\): every client had an event again 5\.00 ms after it.*no event was lost, none duplicated/);
    assert.match(a[2] ?? '', /^sse .*3 deliveries were lost/);
    assert.equal(a[3], 'Quickest to recover: ws (5.00 ms); slowest: sse (40.0 ms).');
    assert.equal(faultsFindings([result('ws', 50, 0), result('sse', 4, 0)])[3], 'Quickest to recover: sse (4.00 ms); slowest: ws (50.0 ms).');
  });
});

/** The smoke profile, smaller and shorter: 4 clients, a 2 s window, a short outage, polls every 50 ms. */
const options = (o: ProfileValues): OptionsOf<'faults'> =>
  faultsOptions({ clients: 4, rate: 100, warmupMs: 200, durationMs: 2000, pollIntervalMs: 50, drainMs: 3000, ...o });

/** Exactly seqs 1..M at every client (assertWhole), after some events were published, and every recovery measured. */
function assertRecovered(t: TransportResult, clients: number): void {
  const { d, f } = assertWhole(t, clients);
  assert.ok(d.publishedEvents > 0, t.transport);
  assert.equal(f.recovery.count, clients, t.transport);
  assert.ok(f.recoverMs !== undefined, t.transport);
}

describe('faults end to end, every transport', { timeout: 170_000 }, () => {
  it('restart: the server stops and starts again on its port; every client reconnects, resumes and loses nothing', async () => {
    const r = await runFaults(options({ fault: 'restart', outageMs: 200 }));
    assert.deepEqual(r.transports.map((t) => t.transport), defaultTransportsOf('faults'));
    for (const t of r.transports) {
      assertRecovered(t, 4);
      const f = t.faults;
      assert.equal(f?.fault, 'restart');
      // Every transport notices the stop: the streams end, a held long poll is cut, a short poll is refused meanwhile.
      assert.equal(f?.reconnectedClients, 4, `${t.transport}: all clients reconnected`);
      assert.ok((f?.reconnects ?? 0) >= 4, t.transport);
      assert.ok((f?.measuredOutageMs ?? 0) >= 200, `${t.transport}: the outage lasted at least what was asked`);
      assert.ok((f?.storm.peakConnectionsPer100ms ?? 0) >= 1, `${t.transport}: the restarted server saw the reconnections`);
    }
  });

  it('reset: half the connections reset at once; those clients reconnect, resume and lose nothing', async () => {
    const r = await runFaults(options({ fault: 'reset', resetFraction: 0.5 }));
    for (const t of r.transports) {
      assertRecovered(t, 4);
      const f = t.faults;
      assert.deepEqual([f?.fault, f?.connectionsOpen, f?.connectionsReset], ['reset', 4, 2], t.transport);
      // A short poller whose idle keep-alive connection was reset opens a new one on its next poll without an error.
      if (t.transport === 'short-poll') assert.ok((f?.reconnectedClients ?? 0) <= 2, t.transport);
      else assert.equal(f?.reconnectedClients, 2, `${t.transport}: the reset clients reconnected`);
    }
  });
});
