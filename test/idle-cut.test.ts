// The faults scenario's idle-cut fault end to end: every transport through nginx-default with a 1 s read timeout,
// the publisher quiet for 3 s a third into the window. Without a keep-alive the proxy cuts the idle SSE stream, and
// every client still ends with exactly seqs 1..M; with the remedy (heartbeat and ping every third of the timeout)
// neither SSE nor WebSocket is cut. No timing is asserted. Skipped only where nginx is not installed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gapOf, remedyIntervalOf, runFaults } from '../driver/scenarios/faults/run.ts';
import { defaultTransportsOf } from '../lib/options.ts';
import { findBinary } from '../net/proxy.ts';
import type { OptionsOf, ProfileValues } from '../lib/options.ts';
import type { FaultFigures, TransportResult } from '../lib/result.ts';
import { faultsFindings } from '../reports/scenarios.ts';
import { assertWhole, faultsOptions } from './helpers/faults.ts';

const skip = findBinary('nginx') === undefined ? 'nginx is not installed (apt-get install -y nginx)' : false;

/** The smoke profile, smaller: 3 clients, a 1.5 s window (plus the gap), a 1 s idle timeout, polls every 50 ms. */
const options = (o: ProfileValues): OptionsOf<'faults'> =>
  faultsOptions({ clients: 3, rate: 50, warmupMs: 200, durationMs: 1500, pollIntervalMs: 50, drainMs: 3000, fault: 'idle-cut', idleTimeoutMs: 1000, ...o });

/** Exactly seqs 1..M at every client (assertWhole), and the publisher went on after the gap. */
function assertWholeAfterGap(t: TransportResult, clients: number): void {
  const { d, f } = assertWhole(t, clients);
  assert.ok(d.publishedEvents > (f.gapAfterSeq ?? Infinity), `${t.transport}: the publisher went on after the gap`);
}

describe('faults: idle-cut parameters', { timeout: 10_000 }, () => {
  it('the gap defaults to 3 x the idle timeout; the remedy keeps alive every third of it', () => {
    assert.equal(gapOf({ gapMs: 0, idleTimeoutMs: 1000 }), 3000);
    assert.equal(gapOf({ gapMs: 2500, idleTimeoutMs: 1000 }), 2500);
    assert.equal(remedyIntervalOf(1000), 333);
  });

  it('the findings follow the figures: the setting, one sentence per transport, and who was cut', () => {
    const result = (transport: 'ws' | 'sse', cut: number): TransportResult => {
      const faults: FaultFigures = {
        fault: 'idle-cut', clients: 3, via: 'nginx-default', idleTimeoutMs: 1000, gapMs: 3000, keepAliveMs: 0, gapAfterSeq: 50, retentionEvents: 10_000, recoverMs: 2,
        recovery: { count: 3, minUs: 1, meanUs: 1, p50Us: 1000, p90Us: 1, p99Us: 1, p999Us: 1, maxUs: 2000 },
        unrecovered: 0, reconnectedClients: cut, reconnects: cut * 3, failedAttempts: 0,
        storm: { binMs: 100, connections: [cut, cut * 2], requests: [cut, cut * 2], peakConnectionsPer100ms: cut * 2, peakRequestsPer100ms: cut * 2 },
      };
      return { transport, status: 'ok', wallMs: 0, delivery: { lost: 0, duplicates: 0, gaps: 0 } as TransportResult['delivery'], faults };
    };
    const a = faultsFindings([result('ws', 0), result('sse', 3)]);
    assert.match(a[0] ?? '', /^Every transport ran through nginx-default with a 1\.00 s read timeout.*quiet for 3\.00 s, with no SSE heartbeat and no WebSocket ping/);
    assert.match(a[1] ?? '', /^ws: the proxy cut no client; every client had an event again 2\.00 ms after it/);
    assert.match(a[2] ?? '', /^sse: the proxy cut 3 of 3 clients, which reconnected 9 times in all; .*no event was lost, none duplicated; the server accepted 9 connections and 9 requests/);
    assert.equal(a[3], 'Cut by the proxy: sse; not cut: ws.');
  });
});

describe('faults: idle-cut through nginx-default', { skip, timeout: 170_000 }, () => {
  it('without a keep-alive the proxy cuts the idle SSE stream; every client reconnects, resumes and loses nothing', async () => {
    const r = await runFaults(options({}));
    assert.deepEqual(r.transports.map((t) => t.transport).sort(), defaultTransportsOf('faults').sort());
    for (const t of r.transports) {
      assertWholeAfterGap(t, 3);
      assert.deepEqual([t.faults?.fault, t.faults?.via, t.faults?.idleTimeoutMs, t.faults?.gapMs, t.faults?.keepAliveMs], ['idle-cut', 'nginx-default', 1000, 3000, 0], t.transport);
    }
    const sse = r.transports.find((t) => t.transport === 'sse');
    assert.ok((sse?.faults?.reconnectedClients ?? 0) >= 1, 'sse: at least one client saw its stream end in the gap');
  });

  it('with the remedy, neither the SSE stream nor the WebSocket is cut', async () => {
    const r = await runFaults({ ...options({ remedy: true }), transports: ['sse', 'ws'] });
    for (const t of r.transports) {
      assertWholeAfterGap(t, 3);
      assert.deepEqual([t.faults?.keepAliveMs, t.faults?.reconnectedClients, t.faults?.reconnects], [333, 0, 0], t.transport);
    }
  });
});
