// The one measurement pipeline: for each transport in turn, spawn its server, connect the clients in their own
// processes, warm up, measure, drain, collect, stop. Transports never run concurrently.
import { setTimeout as delay } from 'node:timers/promises';
import type { Transport } from '../lib/transports.ts';
import type { OptionsOf } from '../lib/options.ts';
import { spawnServer, type ServerProcess } from '../servers/spawn.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { ClientPool, type PoolReport } from './client-pool.ts';
import { LatencyRecorder } from '../clients/recorder.ts';
import { describeEnvironment } from './environment.ts';
import {
  SCHEMA_VERSION,
  type DriverHealth,
  type FanoutOptions,
  type Phase,
  type RunHooks,
  type RunResult,
  type TimelinePoint,
  type TransportResult,
  rssPerConnection,
} from '../lib/result.ts';

/** A client process whose CPU use reaches this share of one core in the measured window is saturated. */
export const SATURATION_CPU_PERCENT = 90;
/** A client process whose event-loop delay p99 reaches this is saturated (its timestamps are late), µs. */
export const SATURATION_ELD_P99_US = 20_000;

/** Knobs beyond FanoutOptions that every scenario records (see ScenarioOptions); absent: the servers' and clients' defaults. */
export interface RunKnobs {
  /** SSE `retry:` field the server sends, ms (0: none). */
  sseRetryMs?: number;
  /** Polling clients keep their TCP connection alive (default true). */
  keepAlive?: boolean;
}

/** Options runFanout accepts: the fan-out options plus the shared knobs. */
export type RunOptions = FanoutOptions & RunKnobs;

/** Events the publisher sends in warm-up and in the measured window. */
export function eventCounts(o: Pick<FanoutOptions, 'rate' | 'warmupMs' | 'durationMs'>): { warmup: number; measured: number } {
  return { warmup: Math.round((o.rate * o.warmupMs) / 1000), measured: Math.max(1, Math.round((o.rate * o.durationMs) / 1000)) };
}

/** Runs the fan-out scenario over `options.transports`, one at a time, and returns the result. */
export function runFanout(options: OptionsOf<'fanout'>, hooks: RunHooks = {}): Promise<RunResult> {
  return runEachTransport(options, hooks, (transport, index) => runTransport(transport, index, options, hooks));
}

/**
 * Runs `one` for each transport of `options` in turn (never two at once) and assembles the RunResult; after an
 * interrupt the transports not yet started are recorded as interrupted. Every scenario runner goes through here.
 */
export async function runEachTransport(
  options: RunResult['options'],
  hooks: RunHooks,
  one: (transport: Transport, index: number) => Promise<TransportResult>,
): Promise<RunResult> {
  const startedAt = new Date().toISOString();
  const transports: TransportResult[] = [];
  for (const [index, transport] of options.transports.entries()) {
    if (hooks.signal?.aborted) {
      transports.push({ transport, status: 'interrupted', error: 'not started: the run was interrupted', wallMs: 0 });
      continue;
    }
    transports.push(await one(transport, index));
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    scenario: options.scenario,
    startedAt,
    finishedAt: new Date().toISOString(),
    interrupted: hooks.signal?.aborted ?? false,
    options,
    invalid: transports.some((t) => t.driver?.saturated === true),
    environment: describeEnvironment(),
    transports,
  };
}

/** Runs one transport; never throws: a failure becomes an `errored` result. */
export async function runTransport(transport: Transport, index: number, o: RunOptions, hooks: RunHooks): Promise<TransportResult> {
  const started = Date.now();
  let server: ServerProcess | undefined;
  let pool: ClientPool | undefined;
  const counts = eventCounts(o);
  const total = counts.warmup + counts.measured;
  const plannedMs = o.warmupMs + o.durationMs;
  let phase: Phase = 'starting';
  let publishStart = 0;
  let delivered = 0;
  let lastP99 = 0;
  const progress = (): void =>
    hooks.onProgress?.({
      transport,
      index,
      total: o.transports.length,
      phase,
      elapsedMs: publishStart ? Date.now() - publishStart : 0,
      plannedMs,
      delivered,
      currentP99Us: lastP99,
    });

  // Anything that ends the run early: the server dying, or the user's Ctrl-C.
  let failure: string | undefined;
  let interrupted = false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    if (hooks.signal?.aborted) resolve();
    onAbort = () => resolve();
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
  }).then(() => {
    interrupted = true;
  });

  try {
    progress();
    server = await spawnServer({
      transport,
      retention: Math.max(10_000, total),
      wsCompression: o.wsCompression,
      ...(o.sseRetryMs === undefined ? {} : { sseRetryMs: o.sseRetryMs }),
      injectDelayMs: o.injectDelayMs,
      injectCpuUs: o.injectCpuUs,
    });
    const serverDied = server.exited.then(({ code, signal }) => {
      failure ??= `server process exited mid-run (code ${code}, signal ${signal})`;
    });
    const stopped = Promise.race([aborted, serverDied]);

    const base = await server.stats({ gc: true });
    phase = 'connecting';
    progress();
    pool = new ClientPool({
      transport,
      baseUrl: server.url,
      clients: o.clients,
      workers: o.workers,
      after: 0,
      measureFromSeq: counts.warmup + 1,
      measureToSeq: total,
      pollIntervalMs: o.pollIntervalMs,
      longPollWaitMs: o.longPollWaitMs,
      wsCompression: o.wsCompression,
      ...(o.keepAlive === undefined ? {} : { keepAlive: o.keepAlive }),
    });
    const timeline: TimelinePoint[] = [];
    const windowTicks: { cpu: number; eld: number }[] = [];
    pool.onSecond((second) => {
      delivered = second.delivered;
      lastP99 = second.p99Us;
      if (publishStart) timeline.push({ tMs: Date.now() - publishStart, delivered: second.intervalDelivered, p50Us: second.p50Us, p99Us: second.p99Us, maxUs: second.maxUs });
      if (phase === 'measuring') windowTicks.push({ cpu: second.maxCpuPercent, eld: second.maxEventLoopDelayP99Us });
      progress();
    });
    await race(pool.connect(), stopped);
    if (failure || interrupted) throw new Stop();
    await race(waitForSubscribers(server, transport, o.clients, o.keepAlive), stopped);
    const connected = await server.stats({ gc: true });

    // Publish warm-up + measured events at the fixed rate; the window opens when warm-up ends.
    const s0 = await server.stats();
    publishStart = Date.now();
    phase = o.warmupMs > 0 ? 'warmup' : 'measuring';
    const published = server.publish({ rate: o.rate, count: total, payloadBytes: o.payloadBytes });
    if (o.warmupMs > 0) await race(delay(o.warmupMs), stopped);
    if (failure || interrupted) throw new Stop();
    const sW = await server.stats({ reset: true });
    phase = 'measuring';
    progress();
    const lastSeq = await race(published, stopped);
    if (failure || interrupted || lastSeq === undefined) throw new Stop();
    const sE = await server.stats();
    phase = 'draining';
    progress();
    const report = await race(pool.finish(lastSeq, o.drainMs), stopped);
    if (failure || interrupted || report === undefined) throw new Stop();
    const sEnd = await server.stats();
    phase = 'done';
    progress();
    return figures(transport, o, Date.now() - started, report, { base, connected, s0, sW, sE, sEnd }, timeline, windowTicks, total);
  } catch (err) {
    const reason = err instanceof Stop ? (failure ?? 'interrupted') : (failure ?? (err instanceof Error ? err.message : String(err)));
    const status = interrupted && !failure ? 'interrupted' : 'errored';
    // Keep what the clients measured so far when the user stopped the run.
    let partial: Partial<TransportResult> = {};
    if (status === 'interrupted' && pool) {
      const report = await Promise.race([pool.finish(Number.MAX_SAFE_INTEGER, 0).catch(() => undefined), delay(3000)]);
      if (report) partial = { latency: LatencyRecorder.summarizeEncoded([report.histogram]), histogram: report.histogram };
    }
    return { transport, status, error: reason, wallMs: Date.now() - started, ...partial };
  } finally {
    if (onAbort) hooks.signal?.removeEventListener('abort', onAbort);
    await pool?.close();
    await server?.stop();
  }
}

class Stop extends Error {}

/** Resolves with `p`, or with undefined when `stop` settles first. */
async function race<T>(p: Promise<T>, stop: Promise<void>): Promise<T | undefined> {
  return Promise.race([p, stop.then(() => undefined)]);
}

/**
 * Waits until the server sees every subscriber (streams, sockets) or every connection (pollings). Pollers without
 * keep-alive hold no connection between requests: their connect() (a first poll answered) is all there is to wait for.
 */
export async function waitForSubscribers(server: ServerProcess, transport: Transport, clients: number, keepAlive = true): Promise<void> {
  if (!keepAlive && (transport === 'short-poll' || transport === 'long-poll')) return;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await server.stats();
    const ready = transport === 'short-poll' || transport === 'long-poll' ? s.connectionsOpen >= clients : s.subscribers >= clients;
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`only ${transport === 'short-poll' || transport === 'long-poll' ? s.connectionsOpen : s.subscribers} of ${clients} clients reached the server within 10 s`);
    await delay(20);
  }
}

interface Snapshots {
  base: StatsSnapshot;
  connected: StatsSnapshot;
  s0: StatsSnapshot;
  sW: StatsSnapshot;
  sE: StatsSnapshot;
  sEnd: StatsSnapshot;
}

function figures(
  transport: Transport,
  o: FanoutOptions,
  wallMs: number,
  r: PoolReport,
  s: Snapshots,
  timeline: TimelinePoint[],
  windowTicks: { cpu: number; eld: number }[],
  publishedEvents: number,
): TransportResult {
  const latency = LatencyRecorder.summarizeEncoded([r.histogram]);
  const measuredDeliveries = latency.count;
  const windowSec = o.durationMs / 1000;
  const cpuSeconds = (s.sE.cpuUserUs + s.sE.cpuSystemUs - s.sW.cpuUserUs - s.sW.cpuSystemUs) / 1e6;
  const requests = s.sE.requests - s.sW.requests;
  const bytesWritten = s.sEnd.bytesWritten - s.s0.bytesWritten;
  const driver = driverHealth(windowTicks, r, o.drainMs);
  const expected = publishedEvents * o.clients;
  return {
    transport,
    status: 'ok',
    wallMs,
    latency,
    histogram: r.histogram,
    timeline,
    delivery: {
      publishedEvents,
      expectedDeliveries: expected,
      deliveredEvents: r.received,
      eventsPerSec: round1(measuredDeliveries / windowSec),
      lost: r.lost,
      duplicates: r.duplicates,
      outOfOrder: r.outOfOrder,
      gaps: r.gaps,
    },
    churn: {
      connectionsOpened: s.sE.connectionsAccepted - s.sW.connectionsAccepted,
      connectionsClosed: s.sE.connectionsClosed - s.sW.connectionsClosed,
      httpRequests: requests,
      requestsPerEvent: round4(measuredDeliveries > 0 ? requests / measuredDeliveries : 0),
    },
    wire: {
      serverBytesWritten: bytesWritten,
      serverBytesRead: s.sEnd.bytesRead - s.s0.bytesRead,
      bytesPerEvent: round1(r.received > 0 ? bytesWritten / r.received : 0),
    },
    server: {
      peakRssBytes: Math.max(s.sW.peakRssBytes, s.sEnd.peakRssBytes),
      baselineRssBytes: s.base.rssBytes,
      connectedRssBytes: s.connected.rssBytes,
      rssPerConnectionBytes: rssPerConnection(s.base.rssBytes, s.connected.rssBytes, o.clients),
      heapUsedBytes: s.sE.heapUsedBytes,
      cpuSeconds: round4(cpuSeconds),
      cpuMsPer1kEvents: round4(measuredDeliveries > 0 ? (cpuSeconds * 1000) / (measuredDeliveries / 1000) : 0),
      eventLoopDelayP99Us: s.sE.eventLoopDelayUs.p99,
    },
    driver,
  };
}

/**
 * The load generator's health over the measured window: saturated (the run is invalid) when a client process
 * reached SATURATION_CPU_PERCENT of a core or an event-loop delay p99 of SATURATION_ELD_P99_US.
 */
export function driverHealth(windowTicks: { cpu: number; eld: number }[], r: PoolReport, drainMs: number): DriverHealth {
  const maxCpu = Math.max(0, ...windowTicks.map((t) => t.cpu), ...r.cpuPercents);
  const maxEld = Math.max(0, ...windowTicks.map((t) => t.eld));
  const reasons: string[] = [];
  if (maxCpu >= SATURATION_CPU_PERCENT) reasons.push(`a client process used ${maxCpu.toFixed(0)}% of a core (limit ${SATURATION_CPU_PERCENT}%)`);
  if (maxEld >= SATURATION_ELD_P99_US) reasons.push(`a client process's event-loop delay p99 reached ${(maxEld / 1000).toFixed(1)} ms (limit ${SATURATION_ELD_P99_US / 1000} ms)`);
  if (r.stragglers > 0) reasons.push(`${r.stragglers} client(s) had not received every event when the ${drainMs} ms drain ended`);
  if (r.failedClients > 0) reasons.push(`${r.failedClients} client(s) failed: ${r.firstError ?? 'unknown error'}`);
  return {
    saturated: maxCpu >= SATURATION_CPU_PERCENT || maxEld >= SATURATION_ELD_P99_US,
    reasons,
    maxCpuPercent: round1(maxCpu),
    maxEventLoopDelayP99Us: maxEld,
    processes: r.processes,
    ...(r.cpuUs === undefined ? {} : { cpuMsPer1kEvents: round4(r.received > 0 ? r.cpuUs / r.received : 0) }),
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
