// The steps the churn, chat, burst and stream runners share with the fan-out pipeline: one transport at a time,
// its server and client processes, live progress, Ctrl-C and a dying server, and a failure recorded as `errored`.
import type { Transport } from '../lib/transports.ts';
import { spawnServer, type ServerProcess, type SpawnOptions } from '../servers/spawn.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { ClientPool, type PoolOptions, type PoolReport } from './client-pool.ts';
import { LatencyRecorder } from '../clients/recorder.ts';
import { driverHealth, runEachTransport, waitForSubscribers } from './run.ts';
import type { ScenarioOptions } from '../lib/options.ts';
import {
  type DeliveryFigures,
  type DriverHealth,
  type LatencySummaryUs,
  type Phase,
  type RunHooks,
  type RunResult,
  type ServerFigures,
  type TimelinePoint,
  type TransportResult,
  type WireFigures,
  rssPerConnection,
} from '../lib/result.ts';

/** Thrown inside a session body when the run must stop (Ctrl-C, the server died). */
class Stop extends Error {}

/** What a session body returns: the figures of its transport. */
export type SessionFigures = Omit<TransportResult, 'transport' | 'status' | 'wallMs'>;

/** One transport's run of a scenario. */
export class Session {
  server: ServerProcess | undefined;
  pool: ClientPool | undefined;
  /** Merged per-second figures of the client processes while the phase was 'measuring'. */
  readonly windowTicks: { cpu: number; eld: number }[] = [];
  readonly timeline: TimelinePoint[] = [];
  private phase: Phase = 'starting';
  private clockStart = 0;
  private delivered = 0;
  private lastP99 = 0;
  private failure: string | undefined;
  private interrupted = false;
  /** Settles when the run must stop: Ctrl-C (`interrupted`) or the server died (`failure`). */
  private readonly stopped: Promise<void>;
  private stopNow: () => void = () => undefined;
  private readonly stopHooks: (() => void)[] = [];

  constructor(
    readonly transport: Transport,
    readonly index: number,
    readonly o: ScenarioOptions,
    private readonly hooks: RunHooks,
    /** Planned time of the phases after the clock starts, ms (for the progress bar). */
    private readonly plannedMs: number,
  ) {
    this.stopped = new Promise<void>((resolve) => (this.stopNow = resolve));
    const onAbort = (): void => {
      this.interrupted = true;
      this.stopNow();
    };
    if (hooks.signal?.aborted) onAbort();
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    this.stopHooks.push(() => hooks.signal?.removeEventListener('abort', onAbort));
  }

  /** Moves to `phase` and reports progress. */
  setPhase(phase: Phase): void {
    this.phase = phase;
    this.progress();
  }

  /** Starts the clock the progress and the timeline count from. */
  startClock(): void {
    this.clockStart = Date.now();
  }

  /** Resolves with `p`, or throws when the run must stop first (Ctrl-C, the server died). */
  async guard<T>(p: Promise<T>): Promise<T> {
    const value = await Promise.race([p, this.stopped.then(() => Stop)]);
    if (value === Stop || this.failure !== undefined || this.interrupted) throw new Stop();
    return value as T;
  }

  /** Spawns the transport's server with the scenario's knobs; a later exit of it stops the session. */
  async spawn(extra: Partial<SpawnOptions> = {}): Promise<ServerProcess> {
    const o = this.o;
    const server = await spawnServer({
      transport: this.transport,
      wsCompression: o.wsCompression,
      sseRetryMs: o.sseRetryMs,
      injectDelayMs: o.injectDelayMs,
      injectCpuUs: o.injectCpuUs,
      ...extra,
    });
    this.server = server;
    void server.exited.then(({ code, signal }) => {
      this.failure ??= `server process exited mid-run (code ${code}, signal ${signal})`;
      this.stopNow();
    });
    return server;
  }

  /** Starts the client processes (the scenario's clients, workers and knobs, plus `extra`) and connects them. */
  async connectPool(extra: Partial<PoolOptions> & Pick<PoolOptions, 'measureFromSeq' | 'measureToSeq'>): Promise<ClientPool> {
    const o = this.o;
    const server = this.server;
    if (!server) throw new Error('connectPool() before spawn()');
    const pool = new ClientPool({
      transport: this.transport,
      baseUrl: server.url,
      clients: o.clients,
      workers: o.workers,
      after: 0,
      pollIntervalMs: o.pollIntervalMs,
      longPollWaitMs: o.longPollWaitMs,
      wsCompression: o.wsCompression,
      keepAlive: o.keepAlive,
      ...extra,
    });
    this.pool = pool;
    pool.onSecond((second) => {
      this.delivered = second.delivered;
      this.lastP99 = second.p99Us;
      if (this.clockStart) this.timeline.push({ tMs: Date.now() - this.clockStart, delivered: second.intervalDelivered, p50Us: second.p50Us, p99Us: second.p99Us, maxUs: second.maxUs });
      if (this.phase === 'measuring') this.windowTicks.push({ cpu: second.maxCpuPercent, eld: second.maxEventLoopDelayP99Us });
      this.progress();
    });
    await this.guard(pool.connect());
    return pool;
  }

  /** Waits until the server sees every subscriber (streams, sockets) or connection (pollings). */
  async waitForSubscribers(clients = this.o.clients): Promise<void> {
    if (!this.server) throw new Error('waitForSubscribers() before spawn()');
    await this.guard(waitForSubscribers(this.server, this.transport, clients, this.o.keepAlive));
  }

  /** The generator's health over the measured window (saturated: the run is invalid). */
  health(r: PoolReport): DriverHealth {
    return driverHealth(this.windowTicks, r, this.o.drainMs);
  }

  private progress(): void {
    this.hooks.onProgress?.({
      transport: this.transport,
      index: this.index,
      total: this.o.transports.length,
      phase: this.phase,
      elapsedMs: this.clockStart ? Date.now() - this.clockStart : 0,
      plannedMs: this.plannedMs,
      delivered: this.delivered,
      currentP99Us: this.lastP99,
    });
  }

  /** Runs `body` and turns what happened into the transport's result; never throws. */
  async run(body: (s: Session) => Promise<SessionFigures>): Promise<TransportResult> {
    const started = Date.now();
    try {
      this.progress();
      const figures = await body(this);
      this.setPhase('done');
      return { transport: this.transport, status: 'ok', wallMs: Date.now() - started, ...figures };
    } catch (err) {
      const reason = err instanceof Stop ? (this.failure ?? 'interrupted') : (this.failure ?? (err instanceof Error ? err.message : String(err)));
      const status = this.interrupted && !this.failure ? 'interrupted' : 'errored';
      return { transport: this.transport, status, error: reason, wallMs: Date.now() - started };
    } finally {
      for (const f of this.stopHooks) f();
      await this.pool?.close();
      await this.server?.stop();
    }
  }
}

/** Runs `body` for each transport of `o` in turn, in its own Session, and assembles the result. */
export async function runSessions(o: ScenarioOptions, hooks: RunHooks, plannedMs: number, body: (s: Session) => Promise<SessionFigures>): Promise<RunResult> {
  return runEachTransport(o, hooks, (transport, index) => new Session(transport, index, o, hooks, plannedMs).run(body));
}

/** Delivery figures: `published` events, each expected by every client. */
export function deliveryFigures(r: PoolReport, published: number, clients: number, measuredDeliveries: number, windowMs: number): DeliveryFigures {
  return {
    publishedEvents: published,
    expectedDeliveries: published * clients,
    deliveredEvents: r.received,
    eventsPerSec: round1(windowMs > 0 ? (measuredDeliveries * 1000) / windowMs : 0),
    lost: r.lost,
    duplicates: r.duplicates,
    outOfOrder: r.outOfOrder,
    gaps: r.gaps,
  };
}

/** Bytes on the wire between two snapshots, per delivered event. */
export function wireFigures(from: StatsSnapshot, to: StatsSnapshot, delivered: number): WireFigures {
  const written = to.bytesWritten - from.bytesWritten;
  return { serverBytesWritten: written, serverBytesRead: to.bytesRead - from.bytesRead, bytesPerEvent: round1(delivered > 0 ? written / delivered : 0) };
}

/** Server figures: memory at `base` (no client) and `connected`, CPU between `from` and `to`. */
export function serverFigures(s: { base: StatsSnapshot; connected: StatsSnapshot; from: StatsSnapshot; to: StatsSnapshot }, clients: number, delivered: number): ServerFigures {
  const cpuSeconds = (s.to.cpuUserUs + s.to.cpuSystemUs - s.from.cpuUserUs - s.from.cpuSystemUs) / 1e6;
  return {
    peakRssBytes: Math.max(s.from.peakRssBytes, s.to.peakRssBytes),
    baselineRssBytes: s.base.rssBytes,
    connectedRssBytes: s.connected.rssBytes,
    rssPerConnectionBytes: rssPerConnection(s.base.rssBytes, s.connected.rssBytes, clients),
    heapUsedBytes: s.to.heapUsedBytes,
    cpuSeconds: round4(cpuSeconds),
    cpuMsPer1kEvents: round4(delivered > 0 ? (cpuSeconds * 1000) / (delivered / 1000) : 0),
    eventLoopDelayP99Us: s.to.eventLoopDelayUs.p99,
  };
}

/** Summary of an encoded histogram of the scenario report (all zero when absent). */
export function summaryOf(r: PoolReport, name: string): LatencySummaryUs {
  const encoded = r.scenario?.histograms[name];
  return LatencyRecorder.summarizeEncoded(encoded === undefined ? [] : [encoded]);
}

/** A count of the scenario report (0 when absent). */
export function countOf(r: PoolReport, name: string): number {
  return r.scenario?.counts[name] ?? 0;
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
export function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
