// The one measurement pipeline every scenario runs on. For each transport in turn (never two at once):
// spawn its server -> connect the clients in their own processes -> warm up -> the measured window -> drain ->
// collect -> stop. A scenario is a small body that drives these steps and adds its own figures; everything a run
// has in common (Ctrl-C, a dying server, progress, the timeline, the window's exact bounds, the instrument's
// floor, the saturation verdict, turning a failure into an `errored` result) lives here once.
import { setTimeout as delay } from 'node:timers/promises';
import type { Transport } from '../lib/transports.ts';
import { nowUs } from '../lib/clock.ts';
import { mergeEncoded } from '../lib/histogram.ts';
import { hostCpuBetween, readHostCpu, type HostCpuReading } from '../lib/host-cpu.ts';
import { summarizeLoopDelay } from '../lib/loop-delay.ts';
import type { ScenarioOptions } from '../lib/options.ts';
import { certificateOfRun } from '../lib/tls.ts';
import {
  SCHEMA_VERSION,
  latencyUncertaintyUs,
  rssPerConnection,
  type DeliveryFigures,
  type InstrumentFloor,
  type LatencySummaryUs,
  type Phase,
  type RunHooks,
  type RunResult,
  type ServerFigures,
  type SteadyState,
  type TimelinePoint,
  type TransportResult,
  type WarmupFigures,
} from '../lib/result.ts';
import { spawnServer, spawnStandby, type ServerProcess, type SpawnOptions, type StandbyServer } from '../servers/spawn.ts';
import { openPath, type OpenPath } from '../net/path.ts';
import { startProxy } from '../net/proxy.ts';
import { linkSpecOf, openLink, type LinkPath } from '../net/link.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { LatencyRecorder } from '../clients/recorder.ts';
import { ClientPool, type PoolOptions, type PoolReport } from './client-pool.ts';
import { describeEnvironment } from './environment.ts';
import { judgeHealth } from './health.ts';
import type { ProbeResult, WindowSpec } from './protocol.ts';
import type { ProcessScenario } from './scenarios/behaviour.ts';
import { planGenerator } from './sizing.ts';
import { SUBSCRIBERS_PER_BROWSER } from '../clients/browser/host.ts';

/** What a scenario body returns: the figures of its transport. */
export type Figures = Omit<TransportResult, 'transport' | 'status' | 'wallMs'>;

/** How long before the publisher's first event the clients are told the clock, µs. */
export const CLOCK_LEAD_US = 100_000;
/** How long before the window opens the clients are told of it, at least, µs. */
export const WINDOW_LEAD_US = 100_000;
/** Warm-up settles when two consecutive seconds' p99 are within this share of each other, percent. */
export const WARMUP_SETTLE_PERCENT = 20;
/** Round trips the instrument probe measures. */
export const PROBE_ROUND_TRIPS = 20;

/** Thrown inside a body when the run must stop (Ctrl-C, the server died); `partial`: what it measured so far. */
class Stop extends Error {
  constructor(
    readonly partial?: Partial<Figures>,
    message = 'interrupted',
  ) {
    super(message);
  }
}

/** Ends a body that was interrupted, keeping `partial` as the transport's figures and `reason` as its error. */
export function stopWith(partial: Partial<Figures>, reason: string): never {
  throw new Stop(partial, reason);
}

/** What setUp() leaves ready: the server, the connected clients, and the server's snapshots so far. */
export interface Prepared {
  server: ServerProcess;
  pool: ClientPool;
  /** Before any client connected, and once all were (both after a forced GC). */
  base: StatsSnapshot;
  connected: StatsSnapshot;
  /** Before publishing started (the wire counts start here). */
  s0: StatsSnapshot;
}

/** Snapshots of the server and the host at the window's bounds. */
export interface WindowSnapshots {
  from: StatsSnapshot;
  to: StatsSnapshot;
  hostFrom: HostCpuReading | undefined;
  hostTo: HostCpuReading | undefined;
}

/** The proxy's read timeout a run asks for: the idle-cut fault's idle timeout (otherwise the proxy config's own). */
function readTimeoutOf(o: ScenarioOptions): { readTimeoutMs?: number } {
  return o.kind === 'faults' && o.fault === 'idle-cut' ? { readTimeoutMs: o.idleTimeoutMs } : {};
}

/** One transport's run of a scenario: the lifecycle's state and steps. */
export class TransportRun {
  server: ServerProcess | undefined;
  /** The network path from the clients to the server (direct, through a proxy, across a link, or both), once spawned. */
  path: OpenPath | LinkPath | undefined;
  /** The proxy hop behind a link (stopped before the server, the link after it). */
  private proxyHop: OpenPath | undefined;
  pool: ClientPool | undefined;
  /** Per-second figures across the client processes, from the clock's t0. */
  readonly timeline: TimelinePoint[] = [];
  /** The clock's t0 (µs), once started. */
  t0Us = 0;
  /** The measured window, once opened. */
  window: WindowSpec | undefined;
  private phase: Phase = 'starting';
  private delivered = 0;
  private lastP99 = 0;
  private failure: string | undefined;
  private interrupted = false;
  private readonly stopped: Promise<void>;
  private stopNow: () => void = () => undefined;
  private readonly cleanups: (() => void)[] = [];
  private secondListeners: ((p: TimelinePoint) => void)[] = [];
  private from: StatsSnapshot | undefined;
  private hostFrom: HostCpuReading | undefined;
  private probed: ProbeResult | undefined;
  /** What spawn() was given beyond the scenario's knobs (a restart starts the server with the same). */
  private spawnExtra: Partial<SpawnOptions> = {};
  /** Servers stopped on purpose (a restart): their exit is not a failure. */
  private readonly retired = new Set<ServerProcess>();
  /** The replacement a restart takes over with, loaded ahead by prepareRestart(). */
  private standby: StandbyServer | undefined;
  /** The run's certificate, which the clients trust, when the server speaks TLS. */
  private ca: string | undefined;
  /** The certificate and protocol every server of the run serves with, over TLS. */
  private tlsSpawn: Partial<SpawnOptions> = {};

  constructor(
    readonly transport: Transport,
    readonly index: number,
    readonly o: ScenarioOptions,
    private readonly hooks: RunHooks,
    /** Planned time after the clock starts, ms (for the progress bar). */
    private readonly plannedMs: number,
  ) {
    this.stopped = new Promise<void>((resolve) => (this.stopNow = resolve));
    const onAbort = (): void => {
      this.interrupted = true;
      this.stopNow();
    };
    if (hooks.signal?.aborted) onAbort();
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    this.cleanups.push(() => hooks.signal?.removeEventListener('abort', onAbort));
  }

  /** Moves to `phase` and reports progress. */
  setPhase(phase: Phase): void {
    this.phase = phase;
    this.progress();
  }

  /** Resolves with `p`, or throws when the run must stop first (Ctrl-C, the server died). */
  async guard<T>(p: Promise<T>): Promise<T> {
    const value = await Promise.race([p, this.stopped.then(() => Stop)]);
    if (value === Stop || this.failure !== undefined || this.interrupted) throw new Stop();
    return value as T;
  }

  /** Waits `ms`, unless the run must stop first. */
  sleep(ms: number): Promise<void> {
    return this.guard(delay(Math.max(0, ms)));
  }

  /** Waits until the host clock reads `atUs`. */
  sleepUntil(atUs: number): Promise<void> {
    return this.sleep((atUs - nowUs()) / 1000);
  }

  /** The seq the clients start after: what the server had published before the run (0 for a fresh server). */
  afterSeq = 0;

  /**
   * Spawns the transport's server with the scenario's knobs, behind the run's proxy and link when it has them (the
   * server and its proxy then in the link's namespace when the bandwidth is limited):
   * clients -> link relay -> [shaped veth] -> proxy -> server. A later exit of any of them stops the run.
   */
  async spawn(extra: Partial<SpawnOptions> = {}): Promise<ServerProcess> {
    // Over TLS every server of the run serves the run's one certificate, which the clients trust as their CA.
    const tls = this.o.tls === true || this.o.http2 === true ? await certificateOfRun() : undefined;
    this.ca = tls?.cert;
    this.tlsSpawn = tls === undefined ? {} : { tls, http2: this.o.http2 === true };
    const link = linkSpecOf(this.o);
    if (link === undefined) return this.spawnServer(extra);
    const via = this.o.via ?? 'direct';
    const path = await openLink(link, async (place) => {
      const server = await this.spawnServer({ ...extra, host: place.host, ...(place.netns === undefined ? {} : { netns: place.netns }) }, false);
      if (via === 'direct') return { host: server.host, port: server.port };
      // Not guarded: a proxy that comes up after an interrupt must still be known, to be stopped.
      const proxy = await startProxy(via, { host: server.host, port: server.port }, { host: place.host, ...(place.netns === undefined ? {} : { netns: place.netns }), ...readTimeoutOf(this.o) });
      this.proxyHop = proxy;
      this.watchPath(proxy);
      const u = new URL(proxy.url);
      return { host: u.hostname, port: Number(u.port) };
    });
    if (this.proxyHop) Object.assign(path.record, { ...this.proxyHop.record, link: path.record.link });
    // The relay carries bytes, not HTTP: over TLS the clients speak https to it (the certificate names 127.0.0.1).
    this.path = tls === undefined ? path : { ...path, url: path.url.replace(/^http:/, 'https:') };
    void path.failed.then((why) => {
      this.failure ??= `${why} mid-run`;
      this.stopNow();
    });
    return this.srv;
  }

  /** Spawns the server; with `withPath`, opens the proxy path in front of it (no link). */
  private async spawnServer(extra: Partial<SpawnOptions>, withPath = true): Promise<ServerProcess> {
    // The hooks may give the server instead (a remote target, or the user's own server, already running).
    const given = this.hooks.servers?.(this.transport);
    // Stopped while a given server was still starting: it is stopped once it is up.
    given?.catch(() => undefined);
    const server = this.adopt(
      given
        ? await this.guard(given).catch((err: unknown) => {
            void given.then((s) => s.stop(), () => undefined);
            throw err;
          })
        : await spawnServer(this.spawnOptions(extra)),
    );
    this.spawnExtra = extra;
    if (withPath) await this.openPath(server);
    return server;
  }

  /** The options of the transport's server: the scenario's knobs, then `extra`. */
  private spawnOptions(extra: Partial<SpawnOptions>): SpawnOptions {
    const o = this.o;
    return {
      ...this.tlsSpawn,
      transport: this.transport,
      wsCompression: o.wsCompression,
      sseRetryMs: o.sseRetryMs,
      maxQueuedBytes: o.maxQueuedBytes,
      // A measured run keeps its retention by count only (10 000 events, or the scenario's): what a poller or a
      // resuming client can catch up on must not depend on the payload size, or the loss figures would.
      retentionBytes: Number.MAX_SAFE_INTEGER,
      injectDelayMs: o.injectDelayMs,
      injectCpuUs: o.injectCpuUs,
      ...extra,
    };
  }

  /** Makes `server` the run's server: a later exit of it (unless retired on purpose) stops the run. */
  private adopt(server: ServerProcess): ServerProcess {
    this.server = server;
    void server.exited.then(({ code, signal, reason }) => {
      if (this.retired.has(server)) return;
      this.failure ??= `server process exited mid-run (${signal !== null ? `signal ${signal}` : `code ${code}`})${reason === undefined ? '' : `: ${reason}`}`;
      this.stopNow();
    });
    return server;
  }

  /** Opens the path to `server` the options name (once: a server started again on its port keeps it). */
  private async openPath(server: ServerProcess): Promise<void> {
    if (this.path) return;
    // Not guarded: a proxy that comes up after an interrupt must still be known, to be stopped.
    const via = this.o.via ?? 'direct';
    this.path = via === 'direct' ? { url: server.url, record: { via }, stop: () => Promise.resolve() } : await openPath({ via, ...readTimeoutOf(this.o) }, { host: server.host, port: server.port });
    this.watchPath(this.path);
  }

  /** A hop of the path that ends on its own stops the run. */
  private watchPath(path: OpenPath): void {
    void path.exited?.then((reason) => {
      this.failure ??= reason;
      this.stopNow();
    });
  }

  /** The URL the clients use: the path's (the server's own until a path is open). */
  get url(): string {
    return this.path?.url ?? this.srv.url;
  }

  /** True when something (a proxy) sits between the clients and the server. */
  get proxied(): boolean {
    return this.path !== undefined && this.path.record.via !== 'direct';
  }

  /** Loads the process a later restartServer() takes over with (it takes a second or two to start). */
  async prepareRestart(): Promise<void> {
    this.standby ??= await this.guard(spawnStandby({ ...this.spawnOptions(this.spawnExtra), port: this.srv.port }));
  }

  /**
   * A deliberate restart (the faults scenario): stops the server (SIGTERM; given a `stateFile`, it hands its stream
   * over), and `outageMs` after the stop starts it again on the same port with the same options (the replacement
   * process is loaded ahead, by prepareRestart() or here, so the outage is what was asked plus the listen). The run goes on with the new process:
   * its window is set again, and its stats continue the old one's counters (taken just before the stop). The
   * publisher is the caller's to resume. Returns when the stop began and when the new process listened, µs.
   */
  async restartServer(outageMs: number): Promise<{ server: ServerProcess; stopUs: number; listeningUs: number }> {
    const old = this.srv;
    if (!this.standby) await this.prepareRestart();
    const standby = this.standby as StandbyServer;
    this.standby = undefined;
    let fresh: ServerProcess;
    let before: StatsSnapshot;
    let stopUs: number;
    try {
      before = await this.guard(old.stats());
      this.retired.add(old);
      stopUs = nowUs();
      await old.stop();
      await this.sleepUntil(stopUs + outageMs * 1000);
      fresh = await this.guard(standby.takeOver());
    } catch (err) {
      standby.kill();
      throw err;
    }
    const listeningUs = nowUs();
    const server = this.adopt(continuing(fresh, before));
    if (this.window) await this.guard(server.window(this.window.startUs, this.window.endUs));
    this.hooks.onProcesses?.({ transport: this.transport, serverPid: server.pid, clientPids: this.pool?.pids ?? [] });
    return { server, stopUs, listeningUs };
  }

  /**
   * The common start of a run: spawn the server, start and connect the clients (as many processes as the offered
   * load needs, see sizing.ts), wait until the server holds them all, measure the instrument; with the server's
   * snapshots before any client (`base`), once all are connected (`connected`) and before publishing (`s0`).
   */
  async setUp(p: { deliveriesPerSec: number; retention?: number; scenario?: ProcessScenario; processes?: number; spawn?: Partial<SpawnOptions> }): Promise<Prepared> {
    const server = await this.spawn({ ...(p.retention === undefined ? {} : { retention: p.retention }), ...p.spawn });
    const base = await server.stats({ gc: true });
    this.afterSeq = base.lastSeq;
    this.setPhase('connecting');
    const processes = p.processes ?? (this.o.clientsIn === 'chromium' ? browserProcesses(this.o.clients) : planGenerator(this.transport, this.o.clients, p.deliveriesPerSec, this.o.workers).processes);
    const pool = await this.connect({ workers: processes, ...(p.scenario ? { scenario: p.scenario } : {}) });
    await this.waitForSubscribers();
    const connected = await server.stats({ gc: true });
    await this.probe();
    const s0 = await server.stats();
    return { server, pool, base, connected, s0 };
  }

  /** The spawned server (throws before spawn()). */
  get srv(): ServerProcess {
    if (!this.server) throw new Error('the run has no server yet');
    return this.server;
  }

  /** Starts the client processes (the scenario's clients, workers and knobs, plus `extra`) and connects them. */
  async connect(extra: Partial<PoolOptions> = {}): Promise<ClientPool> {
    const pool = this.pool ?? (await this.launch(extra));
    try {
      await this.guard(pool.connect());
    } catch (err) {
      throw await this.withRefusals(err);
    }
    return pool;
  }

  /** `err`, with the server's refused connections added when there were any (they explain a failed connect). */
  private async withRefusals(err: unknown): Promise<unknown> {
    if (!(err instanceof Error) || err instanceof Stop || !this.server) return err;
    const st = await this.server.stats().catch(() => undefined);
    if (!st || st.connectionsRefused === 0) return err;
    return new Error(`${err.message}; the server refused ${st.connectionsRefused} connections because it held as many as its open-file limit allows`);
  }

  /** Starts the client processes and sets them up, connecting nothing yet (connect() then connects them). */
  async launch(extra: Partial<PoolOptions> = {}): Promise<ClientPool> {
    const o = this.o;
    const pool = new ClientPool({
      transport: this.transport,
      baseUrl: this.url,
      clients: o.clients,
      workers: o.workers,
      after: this.afterSeq,
      pollIntervalMs: o.pollIntervalMs,
      longPollWaitMs: o.longPollWaitMs,
      wsCompression: o.wsCompression,
      keepAlive: o.keepAlive,
      ...(this.ca === undefined ? {} : { ca: this.ca, http2: o.http2 === true }),
      ...(o.clientsIn === undefined ? {} : { clientsIn: o.clientsIn }),
      ...extra,
    });
    this.pool = pool;
    pool.onSecond((s) => {
      this.delivered = s.delivered;
      this.lastP99 = s.p99Us;
      const point: TimelinePoint = { tMs: s.second * 1000, delivered: s.intervalDelivered, p50Us: s.p50Us, p99Us: s.p99Us, maxUs: s.maxUs, ...(s.interval ? { histogram: s.interval } : {}) };
      this.timeline.push(point);
      this.sampleServerCpu(point);
      for (const l of this.secondListeners) l(point);
      this.progress();
    });
    await this.guard(pool.launch());
    this.hooks.onProcesses?.({ transport: this.transport, serverPid: this.srv.pid, clientPids: pool.pids });
    return pool;
  }

  /** The server's CPU at the previous second, µs (publisher spin excluded). */
  private lastServerCpuUs: number | undefined;

  /** Adds the server's CPU since the previous second to `point` (once its snapshot arrives; a failed read leaves it out). */
  private sampleServerCpu(point: TimelinePoint): void {
    const server = this.server;
    if (!server || server.notMeasured !== undefined) return;
    server.stats().then(
      (st) => {
        const cpu = st.cpuUserUs + st.cpuSystemUs - st.publisher.spinTotalUs;
        if (this.lastServerCpuUs !== undefined && cpu >= this.lastServerCpuUs) point.serverCpuMs = (cpu - this.lastServerCpuUs) / 1000;
        this.lastServerCpuUs = cpu;
      },
      () => undefined,
    );
  }

  /** The connected pool (throws before connect()). */
  get clients(): ClientPool {
    if (!this.pool) throw new Error('the run has no clients yet');
    return this.pool;
  }

  /** Waits until the server sees every subscriber (streams, sockets) or connection (pollings). */
  async waitForSubscribers(clients = this.o.clients): Promise<void> {
    const transport = this.transport;
    const polling = transport === 'short-poll' || transport === 'long-poll';
    // Pollers without keep-alive hold no connection between requests, and through a proxy the server sees the
    // proxy's pooled connections instead of theirs: their connect() (a first poll answered) is all there is.
    if (polling && (!this.o.keepAlive || this.proxied)) return;
    // A server without rtbench's /stats cannot count them: every client's connect() is all there is.
    if (this.srv.notMeasured !== undefined) return;
    const deadline = Date.now() + 10_000 + clients * 2;
    for (;;) {
      const s = await this.guard(this.srv.stats());
      const have = polling ? s.connectionsOpen : s.subscribers;
      if (have >= clients) return;
      if (Date.now() > deadline) throw new Error(`only ${have} of ${clients} ${transport} clients reached the server within ${Math.round((deadline - Date.now() + 10_000 + clients * 2) / 1000)} s`);
      await this.sleep(20);
    }
  }

  /** Measures the instrument from a client process: the clock's cost and loopback round trips (before the window). */
  async probe(): Promise<void> {
    this.probed = await this.guard(this.clients.probe(PROBE_ROUND_TRIPS));
    // Across a link, these are the round trips the clients saw: the link's effect as measured.
    const link = this.path?.record.link;
    const rtt = this.probed.rttUs;
    if (link && rtt.length > 0) {
      link.measuredRttMinUs = rtt[0] as number;
      link.measuredRttP50Us = rtt[Math.floor((rtt.length - 1) / 2)] as number;
    }
  }

  /** Starts the clients' per-second reports at `t0Us` (µs); the timeline counts from there. */
  startClock(t0Us: number): void {
    this.t0Us = t0Us;
    this.clients.clock(t0Us);
  }

  /** Calls `listener` with every second the clients report from now on. */
  onSecond(listener: (p: TimelinePoint) => void): () => void {
    this.secondListeners.push(listener);
    return () => (this.secondListeners = this.secondListeners.filter((l) => l !== listener));
  }

  /**
   * Opens the measured window [startUs, endUs): tells the clients now (before it opens), waits until it opens,
   * then snapshots the server (restarting its peak-RSS, event-loop-delay and publisher windows) and the host.
   */
  async openWindow(w: WindowSpec): Promise<void> {
    this.window = w;
    // Both sides know the window before it opens (a process that learns of it late says so: windowLateUs).
    await this.guard(Promise.all([this.clients.window(w), this.srv.window(w.startUs, w.endUs)]));
    await this.sleepUntil(w.startUs);
    this.hostFrom = readHostCpu();
    this.from = await this.guard(this.srv.stats({ reset: true }));
    this.setPhase('measuring');
  }

  /** Closes the window (at its end, or now when it has none) and returns the snapshots at its bounds. */
  async closeWindow(): Promise<WindowSnapshots> {
    if (!this.window || !this.from) throw new Error('closeWindow() before openWindow()');
    if (this.window.endUs !== undefined) await this.sleepUntil(this.window.endUs);
    const hostTo = readHostCpu();
    const to = await this.guard(this.srv.stats({ histograms: true }));
    return { from: this.from, to, hostFrom: this.hostFrom, hostTo };
  }

  /**
   * Publishes at `rate` from a little after now; warms up for at least `warmupMs` until two consecutive seconds'
   * p99 are within WARMUP_SETTLE_PERCENT (at most `warmupMaxMs`); opens the window for `durationMs`; keeps
   * publishing `tailMs` past it; then waits for the last event's seq. `during(window)` runs while the window is
   * open (after it opened); `after()` right after it closed.
   */
  async publishWindow<A>(p: {
    rate: number;
    payloadBytes: number;
    warmupMs: number;
    warmupMaxMs: number;
    durationMs: number;
    tailMs?: number;
    during?: () => Promise<void>;
    after?: (s: WindowSnapshots) => Promise<A>;
  }): Promise<{ snapshots: WindowSnapshots; lastSeq: number; lastDueUs: number; warmup: WarmupFigures | undefined; after: A | undefined }> {
    const server = this.srv;
    const t0 = nowUs() + CLOCK_LEAD_US;
    this.startClock(t0);
    const published = server.publishUntilStopped({ rate: p.rate, count: Number.POSITIVE_INFINITY, payloadBytes: p.payloadBytes, startUs: t0 });
    this.setPhase(p.warmupMs > 0 ? 'warmup' : 'measuring');
    const settled = p.warmupMs > 0 ? await this.warmUp(t0, p.warmupMs, p.warmupMaxMs) : true;
    // The window opens at the earliest when the warm-up may end, and never before the clients can know it.
    const startUs = Math.max(t0 + p.warmupMs * 1000, nowUs() + (p.warmupMs > 0 ? WINDOW_LEAD_US : 0));
    const endUs = startUs + p.durationMs * 1000;
    await this.guard(server.stopPublisherAt(endUs + (p.tailMs ?? 0) * 1000));
    await this.openWindow({ startUs, endUs });
    if (p.during) await this.guard(p.during());
    const snapshots = await this.closeWindow();
    const after = p.after ? await this.guard(p.after(snapshots)) : undefined;
    const { lastSeq, lastDueUs } = await this.guard(published);
    // The window's last events may leave late (that is what lateness measures): read the publisher once it stopped.
    snapshots.to = { ...snapshots.to, publisher: (await this.guard(server.stats({ histograms: true }))).publisher };
    // No warm-up asked for: none is reported (not a "settled" one).
    const warmup = p.warmupMs > 0 ? { ms: Math.round((startUs - t0) / 1000), settled, capMs: p.warmupMaxMs } : undefined;
    return { snapshots, lastSeq, lastDueUs, warmup, after };
  }

  /**
   * Resolves once the warm-up may end: `warmupMs` passed and the last two whole seconds' p99 are within
   * WARMUP_SETTLE_PERCENT of each other (true), or `warmupMaxMs` passed (false).
   */
  private async warmUp(t0: number, warmupMs: number, warmupMaxMs: number): Promise<boolean> {
    const capUs = t0 + Math.max(warmupMs, warmupMaxMs) * 1000;
    const minUs = t0 + warmupMs * 1000;
    let resolveSettled!: (settled: boolean) => void;
    const done = new Promise<boolean>((resolve) => (resolveSettled = resolve));
    const check = (): void => {
      if (nowUs() >= minUs && warmupSettled(this.timeline)) resolveSettled(true);
    };
    const off = this.onSecond(check);
    // At the cap the window must still be announced a lead ahead, so the cap is checked that much earlier.
    const timer = setTimeout(() => resolveSettled(false), Math.max(0, (capUs - WINDOW_LEAD_US - nowUs()) / 1000));
    const minTimer = setTimeout(check, Math.max(0, (minUs - nowUs()) / 1000));
    try {
      return await this.guard(done);
    } finally {
      off();
      clearTimeout(timer);
      clearTimeout(minTimer);
    }
  }

  /** What the instrument adds in this run, from the probe and the publisher's lateness over the window. */
  floor(to: StatsSnapshot): InstrumentFloor {
    const rtt = this.probed?.rttUs ?? [];
    return {
      publisherLatenessP50Us: to.publisher.latenessUs.p50,
      publisherLatenessP99Us: to.publisher.latenessUs.p99,
      timestampCostNs: this.probed?.timestampCostNs ?? 0,
      ...(rtt.length > 0 ? { loopbackRttMinUs: rtt[0] as number, loopbackRttP50Us: rtt[Math.floor((rtt.length - 1) / 2)] as number, clockOffsetUs: this.probed?.clockOffsetUs ?? 0 } : {}),
    };
  }

  /**
   * The figures every published-window scenario shares: latency of the window's events, the typical second,
   * delivery and loss attribution, churn and wire, server CPU and memory, the publisher, the floor, the verdict.
   */
  standardFigures(x: {
    report: PoolReport;
    snapshots: WindowSnapshots;
    /** Before any client connected (gc'd), and once all were (gc'd). */
    base: StatsSnapshot;
    connected: StatsSnapshot;
    /** Before publishing started, and after the drain: the wire counts between them. */
    s0: StatsSnapshot;
    end: StatsSnapshot;
    publishedEvents: number;
    /** Deliveries expected in all (default publishedEvents x clients). */
    expectedDeliveries?: number;
    lastSeq: number;
    lastDueUs: number;
    warmup?: WarmupFigures;
  }): Figures {
    const { report: r, snapshots: w } = x;
    const latency = LatencyRecorder.summarizeEncoded([r.histogram]);
    const windowUs = Math.max(1, w.to.atUs - w.from.atUs);
    const windowSec = this.window?.endUs !== undefined ? (this.window.endUs - this.window.startUs) / 1e6 : windowUs / 1e6;
    const spinUs = w.to.publisher.spinUs;
    const serverCpuUs = Math.max(0, w.to.cpuUserUs + w.to.cpuSystemUs - w.from.cpuUserUs - w.from.cpuSystemUs - spinUs);
    const requests = w.to.requests - w.from.requests;
    const written = x.end.bytesWritten - x.s0.bytesWritten;
    const keepsConnections = holdsConnections(this.transport, this.o.keepAlive);
    const eld = summarizeLoopDelay(mergeEncoded([r.eventLoopDelay]));
    const host = hostCpuBetween(w.hostFrom, w.hostTo);
    const serverCpuPercent = Math.round((serverCpuUs / windowUs) * 1000) / 10;
    const driver = judgeHealth({
      latency,
      processes: r.processes,
      eventLoopDelay: eld,
      eventLoopDelayHistogram: r.eventLoopDelay,
      clientCpuUs: r.cpuUs,
      windowDeliveries: r.windowDeliveries,
      ...(host ? { host } : {}),
      // A server without rtbench's /stats has no CPU figure: not measured, not 0%.
      ...(this.server?.notMeasured === undefined ? { serverCpuPercent } : {}),
    });
    const delivery: DeliveryFigures = {
      publishedEvents: x.publishedEvents,
      expectedDeliveries: x.expectedDeliveries ?? x.publishedEvents * this.o.clients,
      deliveredEvents: r.received,
      windowDeliveries: r.windowDeliveries,
      eventsPerSec: r.windowDeliveries / windowSec,
      ...(x.lastDueUs > 0 && r.lastReceiveUs > 0 ? { deliveryLagUs: Math.max(0, r.lastReceiveUs - x.lastDueUs) } : {}),
      lost: r.lost,
      stragglers: r.stragglers,
      behind: r.behind,
      failedClients: r.failedClients,
      failedMissed: r.failedMissed,
      ...(r.firstError === undefined ? {} : { failureReason: r.firstError }),
      negativeLatencies: r.negativeLatencies,
      duplicates: r.duplicates,
      outOfOrder: r.outOfOrder,
      gaps: r.gaps,
    };
    const server: ServerFigures = {
      peakRssBytes: Math.max(w.from.peakRssBytes, w.to.peakRssBytes),
      baselineRssBytes: x.base.rssBytes,
      connectedRssBytes: x.connected.rssBytes,
      ...(keepsConnections ? { rssPerConnectionBytes: rssPerConnection(x.base.rssBytes, x.connected.rssBytes, this.o.clients) } : {}),
      heapUsedBytes: w.to.heapUsedBytes,
      cpuSeconds: serverCpuUs / 1e6,
      cpuMsPer1kEvents: r.windowDeliveries > 0 ? serverCpuUs / r.windowDeliveries : 0,
      eventLoopDelayP99Us: w.to.eventLoopDelayUs.p99,
      slowConsumersCut: x.end.slowConsumersCut - w.from.slowConsumersCut,
      connectionsRefused: x.end.connectionsRefused - x.base.connectionsRefused,
    };
    if (server.rssPerConnectionBytes === undefined) delete server.rssPerConnectionBytes;
    const l = w.to.publisher.latenessUs;
    // A server without rtbench's /stats and publisher: its own figures are not measured, not zero.
    const notMeasured = this.server?.notMeasured;
    const measured = notMeasured === undefined;
    return {
      latency,
      histogram: r.histogram,
      steadyState: this.steadyState(),
      timeline: this.markedTimeline(),
      ...(x.warmup ? { warmup: x.warmup } : {}),
      ...(measured
        ? {
            publisher: {
              latenessUs: { count: l.count, p50Us: l.p50, p99Us: l.p99, maxUs: l.max },
              ...(w.to.publisher.latenessHistogram === undefined ? {} : { latenessHistogram: w.to.publisher.latenessHistogram }),
              spinCpuMs: spinUs / 1000,
            },
            floor: this.floor(w.to),
            clock: { processes: r.clocks, latencyUncertaintyUs: latencyUncertaintyUs(r.clocks) },
          }
        : { notMeasured: [...notMeasured] }),
      delivery,
      ...(measured
        ? {
            churn: {
              connectionsOpened: w.to.connectionsAccepted - w.from.connectionsAccepted,
              connectionsClosed: w.to.connectionsClosed - w.from.connectionsClosed,
              httpRequests: requests,
              requestsPerEvent: r.windowDeliveries > 0 ? requests / r.windowDeliveries : 0,
            },
            wire: {
              serverBytesWritten: written,
              serverBytesRead: x.end.bytesRead - x.s0.bytesRead,
              bytesPerEvent: r.received > 0 ? written / r.received : 0,
              ...(x.end.tls === undefined ? {} : { tls: x.end.tls }),
            },
            server,
          }
        : {}),
      driver,
      invalid: invalidReasons(driver.saturated ? driver.reasons : [], delivery, r.windowLateUs, this.o.drainMs),
      ...(measured && r.browser ? { browser: r.browser } : {}),
    };
  }

  /** The timeline with the window's seconds marked. */
  private markedTimeline(): TimelinePoint[] {
    return this.window ? markWindow(this.timeline, this.t0Us, this.window) : this.timeline;
  }

  /** Median over the window's whole seconds of their p50 and p99 (absent when the window holds no whole second). */
  private steadyState(): SteadyState | undefined {
    return steadyStateOf(this.markedTimeline());
  }

  private progress(): void {
    this.hooks.onProgress?.({
      transport: this.transport,
      index: this.index,
      total: this.o.transports.length,
      phase: this.phase,
      elapsedMs: this.t0Us > 0 ? Math.max(0, (nowUs() - this.t0Us) / 1000) : 0,
      plannedMs: this.plannedMs,
      delivered: this.delivered,
      currentP99Us: this.lastP99,
    });
  }

  /** Runs `body` and turns what happened into the transport's result; never throws. */
  async run(body: (run: TransportRun) => Promise<Figures>): Promise<TransportResult> {
    const started = Date.now();
    try {
      this.progress();
      const figures = await body(this);
      this.setPhase('done');
      return { transport: this.transport, status: 'ok', wallMs: Date.now() - started, ...figures, ...(await this.pathRecord()) };
    } catch (err) {
      const reason = err instanceof Stop ? (this.failure ?? err.message) : (this.failure ?? (err instanceof Error ? err.message : String(err)));
      const status = (this.interrupted || this.hooks.signal?.aborted === true) && this.failure === undefined ? 'interrupted' : 'errored';
      // Keep what was measured so far: what the body attached to its error, or what the clients have when the user stopped the run.
      let partial: Partial<TransportResult> = (err as { partial?: Partial<Figures> } | undefined)?.partial ?? {};
      if (status === 'interrupted' && this.pool) {
        const report = await Promise.race([this.pool.finish(Number.MAX_SAFE_INTEGER, 0).catch(() => undefined), delay(3000)]);
        if (report) partial = { latency: LatencyRecorder.summarizeEncoded([report.histogram]), histogram: report.histogram };
      }
      return { transport: this.transport, status, error: reason, wallMs: Date.now() - started, ...partial, ...(await this.pathRecord()) };
    } finally {
      for (const f of this.cleanups) f();
      this.standby?.kill();
      await this.pool?.close();
      // Outermost last: the proxy (in front of the server) first, the link (its relay and namespace) after the server.
      const linked = this.path !== undefined && 'failed' in this.path;
      if (!linked) await this.path?.stop();
      await this.proxyHop?.stop();
      await this.server?.stop();
      if (linked) await this.path?.stop();
    }
  }

  /** `{ path }` when the run's path was more than the loopback straight to the server (with the relay's precision), else nothing. */
  private async pathRecord(): Promise<Pick<TransportResult, 'path'>> {
    const path = this.path;
    const record = path?.record;
    if (path === undefined || record === undefined || (record.via === 'direct' && record.link === undefined)) return {};
    const relay = 'stats' in path ? await Promise.race([path.stats().catch(() => undefined), delay(2000)]) : undefined;
    if (relay && record.link && relay.chunks > 0) {
      record.link.relayLateP50Us = relay.releaseLateP50Us;
      record.link.relayLateP99Us = relay.releaseLateP99Us;
    }
    return { path: record };
  }
}

/**
 * `server` with its stats continuing `before` (the last snapshot of the process it replaced): counters since start
 * are added up, the connections `before` held counted as closed (the stop closed them).
 */
function continuing(server: ServerProcess, before: StatsSnapshot): ServerProcess {
  return {
    ...server,
    async stats(opts) {
      const s = await server.stats(opts);
      return {
        ...s,
        connectionsAccepted: s.connectionsAccepted + before.connectionsAccepted,
        connectionsClosed: s.connectionsClosed + before.connectionsClosed + before.connectionsOpen,
        requests: s.requests + before.requests,
        deliveries: s.deliveries + before.deliveries,
        slowConsumersCut: s.slowConsumersCut + before.slowConsumersCut,
        connectionsRefused: s.connectionsRefused + before.connectionsRefused,
        bytesWritten: s.bytesWritten + before.bytesWritten,
        bytesRead: s.bytesRead + before.bytesRead,
        cpuUserUs: s.cpuUserUs + before.cpuUserUs,
        cpuSystemUs: s.cpuSystemUs + before.cpuSystemUs,
        peakRssBytes: Math.max(s.peakRssBytes, before.peakRssBytes),
        publisher: { ...s.publisher, spinUs: s.publisher.spinUs + before.publisher.spinUs, spinTotalUs: s.publisher.spinTotalUs + before.publisher.spinTotalUs },
      };
    },
  };
}

/** Client processes (each one Chromium) for `clients` browser subscribers: SUBSCRIBERS_PER_BROWSER each at most. */
export function browserProcesses(clients: number): number {
  return Math.max(1, Math.ceil(clients / SUBSCRIBERS_PER_BROWSER));
}

/** Whether a transport's clients hold a connection between events: pollers without keep-alive do not (no RSS per connection then). */
export function holdsConnections(transport: Transport, keepAlive: boolean): boolean {
  return keepAlive || !(transport === 'short-poll' || transport === 'long-poll');
}

/** Why a transport's figures cannot be trusted, one sentence each (empty: valid). */
export function invalidReasons(saturation: string[], d: DeliveryFigures, windowLateUs: number, drainMs: number): string[] {
  const out = [...saturation];
  if ((d.failedClients ?? 0) > 0) out.push(`${d.failedClients} client(s) failed (${d.failedMissed ?? 0} events never received): ${d.failureReason ?? 'no reason recorded'}`);
  if ((d.stragglers ?? 0) > 0) out.push(`${d.stragglers} client(s) were still ${d.behind ?? 0} events behind when the ${drainMs} ms drain ended`);
  if ((d.negativeLatencies ?? 0) > 0) out.push(`${d.negativeLatencies} latencies came out negative: the clocks disagree, so no latency of this run can be trusted`);
  if (windowLateUs > 0) out.push(`a client process learned of the window ${(windowLateUs / 1000).toFixed(1)} ms after it opened: it was stalled`);
  return out;
}

/** Marks the seconds of `timeline` (counted from `t0Us`) that lie wholly inside the window. */
export function markWindow(timeline: readonly TimelinePoint[], t0Us: number, w: WindowSpec): TimelinePoint[] {
  return timeline.map((p) => {
    const endUs = t0Us + p.tMs * 1000;
    const inside = endUs - 1e6 >= w.startUs && (w.endUs === undefined || endUs <= w.endUs);
    return inside ? { ...p, window: true } : p;
  });
}

/** Median over the marked window seconds (with deliveries) of their p50 and p99; undefined when there is none. */
export function steadyStateOf(timeline: readonly TimelinePoint[]): SteadyState | undefined {
  const seconds = timeline.filter((p) => p.window === true && p.delivered > 0);
  if (seconds.length === 0) return undefined;
  return { seconds: seconds.length, p50Us: medianOf(seconds.map((p) => p.p50Us)), p99Us: medianOf(seconds.map((p) => p.p99Us)) };
}

/** The warm-up has settled once the last two consecutive seconds' p99 are within WARMUP_SETTLE_PERCENT of each other. */
export function warmupSettled(timeline: readonly TimelinePoint[]): boolean {
  const [a, b] = timeline.slice(-2);
  return a !== undefined && b !== undefined && b.tMs === a.tMs + 1000 && within(a.p99Us, b.p99Us, WARMUP_SETTLE_PERCENT);
}

/** True when a and b are within `percent` of the larger. */
function within(a: number, b: number, percent: number): boolean {
  const hi = Math.max(a, b);
  return hi === 0 || Math.abs(a - b) <= (hi * percent) / 100;
}

function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : Math.round(((s[mid - 1] as number) + (s[mid] as number)) / 2);
}

/**
 * Runs `one` for each transport of `options` in turn (never two at once) and assembles the RunResult; after an
 * interrupt the transports not yet started are recorded as interrupted.
 */
export async function runEachTransport(options: ScenarioOptions, hooks: RunHooks, one: (transport: Transport, index: number) => Promise<TransportResult>, warnings: string[] = []): Promise<RunResult> {
  const startedAt = new Date().toISOString();
  if (warnings.length > 0) hooks.onWarnings?.(warnings);
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
    invalid: transports.some((t) => (t.invalid?.length ?? 0) > 0),
    ...(warnings.length > 0 ? { warnings } : {}),
    environment: describeEnvironment(),
    transports,
  };
}

/**
 * Runs `body` for each transport of `o` in turn, each in its own TransportRun, and assembles the result.
 * `plannedMs`: the time after the clock starts (for progress); `deliveriesPerSec`: the offered load, from which
 * each transport's generator is sized and a machine that cannot generate it is warned about before the run.
 */
export function runTransports(o: ScenarioOptions, hooks: RunHooks, plan: { plannedMs: number; deliveriesPerSec?: number }, body: (run: TransportRun) => Promise<Figures>): Promise<RunResult> {
  const load = plan.deliveriesPerSec;
  const warnings = load === undefined ? [] : o.transports.flatMap((t) => planGenerator(t, o.clients, load, o.workers).warning ?? []);
  return runEachTransport(o, hooks, (transport, index) => new TransportRun(transport, index, o, hooks, plan.plannedMs).run(body), warnings);
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
