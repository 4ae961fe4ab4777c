// The faults scenario: a fan-out with one fault a third into the measured window, then how every transport
// recovers. `restart`: the server is stopped (SIGTERM: it hands its stream over to its state file, as a real
// deployment's log outlives the process) and started again on the same port after `outageMs`; the publisher goes on
// with the same schedule, so the events due while it was down go out late on restart and their latency shows the
// outage. `reset`: a share of the connections is reset at once (TCP RST). Every client reconnects with a bounded
// backoff and resumes from its cursor (faults/client.ts). Measured: time to recover, events lost and duplicated,
// and the reconnect storm the server saw per 100 ms. `idle-cut`: every transport runs through nginx (nginx-default
// unless `--via` names another proxy) with its read timeout set to `idleTimeoutMs`, and the publisher goes quiet for
// `gapMs` (longer than the timeout), then goes on where it stopped: the proxy closes what stayed idle, and the clients
// that noticed reconnect from their cursor. With `remedy`, the SSE heartbeat and the WebSocket ping run every third
// of the timeout, so the proxy sees traffic through the gap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowUs } from '../../../lib/clock.ts';
import { FAULT_AT_SHARE, type OptionsOf } from '../../../lib/options.ts';
import type { FaultFigures, RunHooks, RunResult } from '../../../lib/result.ts';
import type { ArrivalCounts } from '../../../servers/arrivals.ts';
import { CLOCK_LEAD_US, WINDOW_LEAD_US, countOf, runTransports, summaryOf, type Figures, type TransportRun } from '../../pipeline.ts';
import { retentionFor } from '../fanout/run.ts';

/** Bins of 100 ms of the reconnect storm read from the recovery point: its first 2 s. */
export const STORM_BINS = 20;
/** A client gives up reconnecting this long after its connection failed, on top of the outage, ms. */
export const GIVE_UP_AFTER_OUTAGE_MS = 30_000;

/** The storm figures of arrival counts: the bins and their peaks. */
export function stormOf(a: ArrivalCounts): FaultFigures['storm'] {
  return {
    binMs: a.binUs / 1000,
    connections: a.connections,
    requests: a.requests,
    peakConnectionsPer100ms: Math.max(0, ...a.connections),
    peakRequestsPer100ms: Math.max(0, ...a.requests),
  };
}

/** The idle-cut fault's quiet time of the publisher, ms: `gapMs`, or 3 x the idle timeout. */
export function gapOf(o: Pick<OptionsOf<'faults'>, 'gapMs' | 'idleTimeoutMs'>): number {
  return o.gapMs > 0 ? o.gapMs : 3 * o.idleTimeoutMs;
}

/** The idle-cut remedy's keep-alive interval (SSE heartbeat, WebSocket ping), ms: a third of the idle timeout. */
export function remedyIntervalOf(idleTimeoutMs: number): number {
  return Math.floor(idleTimeoutMs / 3);
}

/** Runs the faults scenario over `options.transports`, one at a time. */
export function runFaults(options: OptionsOf<'faults'>, hooks: RunHooks = {}): Promise<RunResult> {
  // The idle cut needs a proxy in the path: nginx-default unless the options name one.
  const o: OptionsOf<'faults'> = options.fault === 'idle-cut' && options.via === 'direct' ? { ...options, via: 'nginx-default' } : options;
  const deliveriesPerSec = o.clients * o.rate;
  const outage = o.fault === 'restart' ? o.outageMs : o.fault === 'idle-cut' ? gapOf(o) : 0;
  return runTransports(o, hooks, { plannedMs: o.warmupMs + o.durationMs + outage, deliveriesPerSec }, async (run) => {
    const dir = mkdtempSync(join(tmpdir(), 'rtbench-faults-'));
    try {
      return await faultFigures(run, o, join(dir, 'stream.json'));
    } finally {
      // Stopped here, not after the body, so its hand-over on SIGTERM lands before the directory goes.
      await run.server?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** One transport's run: warm up, open the window, inject the fault, close, drain, and the figures. */
async function faultFigures(run: TransportRun, o: OptionsOf<'faults'>, stateFile: string): Promise<Figures> {
  // idle-cut: no keep-alive during the gap unless the remedy is asked for.
  const keepAliveMs = o.remedy ? remedyIntervalOf(o.idleTimeoutMs) : 0;
  const gapMs = o.fault === 'idle-cut' ? gapOf(o) : 0;
  const retention = o.retentionEvents > 0 ? o.retentionEvents : retentionFor({ ...o, warmupMaxMs: o.warmupMs }, o.fault === 'restart' ? o.outageMs : 0);
  const { server, pool, base, connected, s0 } = await run.setUp({
    deliveriesPerSec: o.clients * o.rate,
    retention,
    scenario: { kind: 'faults', giveUpMs: (o.fault === 'restart' ? o.outageMs : 0) + GIVE_UP_AFTER_OUTAGE_MS },
    spawn: { stateFile, recordArrivals: true, ...(o.fault === 'idle-cut' ? { heartbeatMs: keepAliveMs, wsPingMs: keepAliveMs } : {}) },
  });
  // The replacement process loads now, so the restart stops the server on time and the outage is what was asked.
  if (o.fault === 'restart') await run.prepareRestart();
  const t0 = nowUs() + CLOCK_LEAD_US;
  run.startClock(t0);
  const plan = { rate: o.rate, count: Number.POSITIVE_INFINITY, payloadBytes: o.payloadBytes, startUs: t0 };
  let published = server.publishUntilStopped(plan);
  run.setPhase(o.warmupMs > 0 ? 'warmup' : 'measuring');
  const startUs = Math.max(t0 + o.warmupMs * 1000, nowUs() + WINDOW_LEAD_US);
  // The idle cut's gap is added to the window, so the window publishes as many events as without it.
  const endUs = startUs + (o.durationMs + gapMs) * 1000;
  const faultUs = startUs + o.durationMs * 1000 * FAULT_AT_SHARE;
  await run.guard(server.stopPublisherAt(o.fault === 'idle-cut' ? faultUs : endUs));
  await run.openWindow({ startUs, endUs });
  await run.sleepUntil(faultUs);
  await run.guard(pool.command(() => ({ type: 'scenario', action: 'arm' })));

  let sinceUs: number;
  // The storm is counted from the recovery point; the idle cut's from the start of the gap, when the proxy cuts.
  let stormFromUs: number | undefined;
  let fault: Omit<FaultFigures, 'recovery' | 'unrecovered' | 'reconnectedClients' | 'reconnects' | 'failedAttempts' | 'storm'>;
  if (o.fault === 'restart') {
    // The stopped process's publisher ends with it; the new one continues the plan where the handed-over stream ends.
    published.catch(() => undefined);
    const r = await run.restartServer(o.outageMs);
    published = r.server.publishUntilStopped({ ...plan, resume: true });
    await run.guard(r.server.stopPublisherAt(endUs));
    sinceUs = r.listeningUs;
    fault = { fault: 'restart', clients: o.clients, outageMs: o.outageMs, measuredOutageMs: Math.round((r.listeningUs - r.stopUs) / 1000), retentionEvents: retention };
  } else if (o.fault === 'idle-cut') {
    // The publisher stopped at the fault; after the gap a new one goes on from the next seq, its schedule shifted by
    // the gap. Recovery counts from there: whoever was cut has reconnected (or is reconnecting) by then.
    const before = await run.guard(published);
    const gapEndUs = faultUs + gapMs * 1000;
    await run.sleepUntil(gapEndUs);
    published = server.publishUntilStopped({ ...plan, startUs: t0 + gapMs * 1000, resume: true });
    await run.guard(server.stopPublisherAt(endUs));
    sinceUs = gapEndUs;
    stormFromUs = faultUs;
    fault = { fault: 'idle-cut', clients: o.clients, via: o.via, idleTimeoutMs: o.idleTimeoutMs, gapMs, keepAliveMs, gapAfterSeq: before.lastSeq, retentionEvents: retention };
  } else {
    const r = await run.guard(server.resetConnections(o.resetFraction));
    sinceUs = r.atUs;
    fault = { fault: 'reset', clients: o.clients, resetFraction: o.resetFraction, connectionsReset: r.reset, connectionsOpen: r.open, retentionEvents: retention };
  }
  await run.guard(pool.command(() => ({ type: 'scenario', action: 'measure-recovery', sinceUs })));

  const snapshots = await run.closeWindow();
  const { lastSeq, lastDueUs } = await run.guard(published);
  snapshots.to = { ...snapshots.to, publisher: (await run.guard(run.srv.stats({ histograms: true }))).publisher };
  run.setPhase('draining');
  const report = await run.guard(pool.finish(lastSeq, o.drainMs));
  const end = await run.guard(run.srv.stats());
  const storm = stormOf(await run.guard(run.srv.arrivals(stormFromUs ?? sinceUs, stormFromUs === undefined ? STORM_BINS : Math.ceil((sinceUs - stormFromUs) / 100_000) + STORM_BINS)));
  const figures = run.standardFigures({ report, snapshots, base, connected, s0, end, publishedEvents: lastSeq, lastSeq, lastDueUs });
  const recovery = summaryOf(report, 'recovery');
  const unrecovered = countOf(report, 'unrecovered');
  const faults: FaultFigures = {
    ...fault,
    ...(unrecovered === 0 && recovery.count > 0 ? { recoverMs: recovery.maxUs / 1000 } : {}),
    recovery,
    unrecovered,
    reconnectedClients: countOf(report, 'reconnectedClients'),
    reconnects: countOf(report, 'reconnects'),
    failedAttempts: countOf(report, 'failedAttempts'),
    storm,
  };
  return { ...figures, faults };
}
