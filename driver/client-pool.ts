// The driver's side of its client processes: split the subscribers, connect, gather the seconds, open the window,
// finish, merge.
import type { ChildProcess } from 'node:child_process';
import { exitAccount, forkModule } from '../lib/children.ts';
import { encodeHistogram, mergeEncoded, mergeEncodedToEncoded } from '../lib/histogram.ts';
import { summarizeLoopDelay, type LoopDelaySummaryUs } from '../lib/loop-delay.ts';
import type { Transport } from '../lib/transports.ts';
import type { BrowserClock } from '../lib/result.ts';
import type { ProcessClock } from '../lib/result.ts';
import type { ClientMessage, ClientProcessConfig, ClientReport, ClientTick, DriverMessage, ProbeResult, WindowSpec } from './protocol.ts';
import type { ScenarioCommand, ScenarioReply, ScenarioReport } from './scenarios/behaviour.ts';

/** Options of a pool: the process config plus how many subscribers and processes in all. */
export interface PoolOptions extends Omit<ClientProcessConfig, 'clients' | 'connectConcurrency' | 'clientOffset' | 'clientTotal'> {
  transport: Transport;
  clients: number;
  workers: number;
  connectConcurrency?: number;
  /** Client processes to start, whatever `clients` is (default: min(workers, clients)); for pools grown later with `grow()`. */
  processes?: number;
  /** Index of the pool's first subscriber among all the run's, and their number (a shard's share; default 0 and `clients`). */
  clientOffset?: number;
  clientTotal?: number;
  /** Add each second's merged latency histogram to PoolSecond (for a shard's partial result). */
  secondHistograms?: boolean;
}

/** One second across every client process. */
export interface PoolSecond {
  /** Which second after the clock's t0 (k covers [t0 + (k-1) s, t0 + k s)). */
  second: number;
  /** Unique deliveries so far. */
  delivered: number;
  /** Deliveries received in this second, and their latency percentiles, µs. */
  intervalDelivered: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  maxCpuPercent: number;
  maxEventLoopDelayP99Us: number;
  /** This second's latency histogram (µs), compressed base64, when the pool keeps them ('' when nothing arrived). */
  interval?: string;
}

/** One client process's own figures over the window. */
export interface ProcessFigures {
  pid: number;
  /** CPU over the window, percent of one core. */
  cpuPercent: number;
  eventLoopDelay: LoopDelaySummaryUs;
}

/** What every client process measured, merged. */
export interface PoolReport extends Omit<ClientReport, 'type' | 'windowLateUs' | 'windowUs' | 'clock'> {
  processes: ProcessFigures[];
  /** Each process's clock against the server's. */
  clocks: ProcessClock[];
  /** Latest a window message arrived after the window opened, µs (0: every process knew in time). */
  windowLateUs: number;
  /** Longest window any process saw, µs. */
  windowUs: number;
}

/** How long the pool waits for the other processes' tick of a second before merging what it has, ms. */
const TICK_GATHER_MS = 300;

/** Client processes of one transport. */
export class ClientPool {
  private readonly children: ChildProcess[] = [];
  private readonly shares: number[];
  private readonly seconds = new Map<number, Map<ChildProcess, ClientTick>>();
  private readonly gatherTimers = new Map<number, NodeJS.Timeout>();
  private lastDelivered = new Map<ChildProcess, number>();
  private listener: ((s: PoolSecond) => void) | undefined;

  constructor(private readonly o: PoolOptions) {
    const n = o.processes ?? Math.max(1, Math.min(o.workers, o.clients));
    this.shares = Array.from({ length: n }, (_, i) => Math.floor(o.clients / n) + (i < o.clients % n ? 1 : 0));
  }

  /** Called once a second (after `clock()`) with the merged figures of every process. */
  onSecond(listener: (s: PoolSecond) => void): void {
    this.listener = listener;
  }

  /** Process ids of the client processes. */
  get pids(): number[] {
    return this.children.map((c) => c.pid ?? 0);
  }

  /** Starts the processes and resolves when every subscriber is connected. */
  async connect(): Promise<void> {
    if (this.children.length === 0) await this.launch();
    await Promise.all(this.children.map((child) => this.request(child, { type: 'connect' }, connected(this.o.transport))));
  }

  /** Starts the processes and sets them up (a scenario may warm its client path); nothing connects yet. */
  async launch(): Promise<void> {
    if (this.children.length > 0) throw new Error('ClientPool.launch() called twice');
    await Promise.all(
      this.shares.map((clients, index) => {
        const child = forkModule(new URL('./client-process.ts', import.meta.url), []);
        this.children.push(child);
        child.on('message', (msg: ClientMessage) => {
          if (msg.type === 'tick') this.onTick(child, msg);
        });
        const config: ClientProcessConfig = {
          transport: this.o.transport,
          baseUrl: this.o.baseUrl,
          clients,
          clientOffset: (this.o.clientOffset ?? 0) + this.shares.slice(0, index).reduce((a, b) => a + b, 0),
          clientTotal: this.o.clientTotal ?? this.o.clients,
          after: this.o.after,
          pollIntervalMs: this.o.pollIntervalMs,
          longPollWaitMs: this.o.longPollWaitMs,
          wsCompression: this.o.wsCompression,
          connectConcurrency: this.o.connectConcurrency ?? 200,
          ...(this.o.keepAlive === undefined ? {} : { keepAlive: this.o.keepAlive }),
          ...(this.o.ca === undefined ? {} : { ca: this.o.ca }),
          ...(this.o.http2 === true ? { http2: true } : {}),
          ...(this.o.scenario ? { scenario: this.o.scenario } : {}),
          ...(this.o.clientsIn === undefined ? {} : { clientsIn: this.o.clientsIn }),
          ...(this.o.clockResyncMs === undefined ? {} : { clockResyncMs: this.o.clockResyncMs }),
          ...(this.o.clockSkewUs === undefined ? {} : { clockSkewUs: this.o.clockSkewUs }),
          ...(this.o.controlHeaders === undefined ? {} : { controlHeaders: this.o.controlHeaders }),
        };
        return this.request(child, { type: 'start', config }, (m) => {
          if (m.type === 'ready') return true;
          if (m.type === 'connect-failed') throw new Error(`${this.o.transport} client process failed to start: ${m.error}`);
          return undefined;
        });
      }),
    );
  }

  /** Subscribers the pool holds (after `connect()` and every `grow()`). */
  get clients(): number {
    return this.shares.reduce((a, n) => a + n, 0);
  }

  /** Connects more subscribers, up to `total` in all, spread so every process holds an even share. */
  async grow(total: number): Promise<void> {
    if (this.children.length === 0) throw new Error('ClientPool.grow() needs connect() first');
    const adds = this.shares.map(() => 0);
    for (let have = this.clients; have < total; have++) {
      // The next subscriber goes to the process holding the fewest.
      let i = 0;
      for (let j = 1; j < this.shares.length; j++) if ((this.shares[j] as number) + (adds[j] as number) < (this.shares[i] as number) + (adds[i] as number)) i = j;
      adds[i] = (adds[i] as number) + 1;
    }
    await Promise.all(
      this.children.map((child, i) => {
        const clients = adds[i] as number;
        if (clients === 0) return undefined;
        this.shares[i] = (this.shares[i] as number) + clients;
        return this.request(child, { type: 'add', clients }, connected(this.o.transport));
      }),
    );
  }

  /** Starts every process's per-second reports, aligned to `t0Us` (µs of the host clock). */
  clock(t0Us: number): void {
    for (const child of this.children) post(child, { type: 'clock', t0Us });
  }

  /** Tells every process the measured window (before it opens); resolves once every process has applied it. */
  async window(w: WindowSpec): Promise<void> {
    await Promise.all(this.children.map((child) => this.request(child, { type: 'window', ...w }, (m) => (m.type === 'window-set' ? true : undefined))));
  }

  /** Measures the instrument from the first client process: the clock's cost and `count` loopback round trips. */
  async probe(count: number): Promise<ProbeResult> {
    const [child] = this.children;
    if (!child) throw new Error('ClientPool.probe() needs connect() first');
    return this.request(child, { type: 'probe', count }, (m) => (m.type === 'probe-result' ? m : undefined));
  }

  /** Resolves with the scheduled time of the run's first event once the first process received it, µs of the server's clock. */
  async firstEvent(): Promise<number> {
    const [child] = this.children;
    if (!child) throw new Error('ClientPool.firstEvent() needs connect() first');
    return this.request(child, { type: 'first-event' }, (m) => (m.type === 'first-event' ? m.tsUs : undefined));
  }

  /** Sends a scenario step to every process (`command(i, clients)` builds process i's) and resolves with their replies. */
  async command(command: (process: number, clients: number) => ScenarioCommand): Promise<ScenarioReply[]> {
    return Promise.all(
      this.children.map((child, i) => {
        const cmd = command(i, this.shares[i] ?? 0);
        return this.request(child, cmd, (m) => (m.type === 'scenario-reply' && m.action === cmd.action ? m : undefined));
      }),
    );
  }

  /** Waits for every process to receive up to `lastSeq` (at most `drainMs`), then merges their reports. */
  async finish(lastSeq: number, drainMs: number): Promise<PoolReport> {
    const reports = await Promise.all(this.children.map((child) => this.request(child, { type: 'finish', lastSeq, drainMs }, (m) => (m.type === 'report' ? m : undefined))));
    this.stopGathering();
    const sum = (key: 'received' | 'windowDeliveries' | 'duplicates' | 'outOfOrder' | 'gaps' | 'lost' | 'behind' | 'stragglers' | 'failedClients' | 'failedMissed' | 'negativeLatencies' | 'cpuUs'): number =>
      reports.reduce((a, r) => a + r[key], 0);
    const firstError = reports.find((r) => r.firstError !== undefined)?.firstError;
    const scenarios = reports.flatMap((r) => (r.scenario ? [r.scenario] : []));
    const browsers = reports.flatMap((r) => (r.browser ? [r.browser] : []));
    return {
      histogram: mergeEncodedToEncoded(reports.map((r) => r.histogram)),
      negativeLatencies: sum('negativeLatencies'),
      received: sum('received'),
      windowDeliveries: sum('windowDeliveries'),
      duplicates: sum('duplicates'),
      outOfOrder: sum('outOfOrder'),
      gaps: sum('gaps'),
      lost: sum('lost'),
      behind: sum('behind'),
      stragglers: sum('stragglers'),
      failedClients: sum('failedClients'),
      failedMissed: sum('failedMissed'),
      ...(firstError === undefined ? {} : { firstError }),
      lastReceiveUs: Math.max(0, ...reports.map((r) => r.lastReceiveUs)),
      eventLoopDelay: mergeEncodedToEncoded(reports.map((r) => r.eventLoopDelay)),
      cpuUs: sum('cpuUs'),
      windowUs: Math.max(0, ...reports.map((r) => r.windowUs)),
      windowLateUs: Math.max(0, ...reports.map((r) => r.windowLateUs)),
      processes: reports.map((r, i) => ({
        pid: this.children[i]?.pid ?? 0,
        cpuPercent: r.windowUs > 0 ? Math.round((r.cpuUs / r.windowUs) * 1000) / 10 : 0,
        eventLoopDelay: summarizeLoopDelay(mergeEncoded([r.eventLoopDelay])),
      })),
      clocks: reports.flatMap((r) => (r.clock ? [r.clock] : [])),
      ...(scenarios.length > 0 ? { scenario: mergeScenario(scenarios) } : {}),
      ...(browsers.length > 0 ? { browser: mergeBrowserClock(browsers) } : {}),
    };
  }

  /** Stops every process. */
  async close(): Promise<void> {
    this.stopGathering();
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            if (child.connected) child.disconnect();
            const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
            child.once('exit', () => clearTimeout(kill));
          }),
      ),
    );
  }

  private stopGathering(): void {
    for (const t of this.gatherTimers.values()) clearTimeout(t);
    this.gatherTimers.clear();
    this.seconds.clear();
  }

  /** Gathers the processes' ticks of one second; merges once all reported (or TICK_GATHER_MS after the first). */
  private onTick(child: ChildProcess, tick: ClientTick): void {
    let got = this.seconds.get(tick.second);
    if (!got) {
      got = new Map();
      this.seconds.set(tick.second, got);
      this.gatherTimers.set(
        tick.second,
        setTimeout(() => this.emit(tick.second), TICK_GATHER_MS),
      );
    }
    got.set(child, tick);
    this.lastDelivered.set(child, tick.delivered);
    if (got.size === this.children.length) this.emit(tick.second);
  }

  private emit(second: number): void {
    const got = this.seconds.get(second);
    const timer = this.gatherTimers.get(second);
    if (timer) clearTimeout(timer);
    this.gatherTimers.delete(second);
    this.seconds.delete(second);
    if (!got) return;
    const ticks = [...got.values()];
    const h = mergeEncoded(ticks.map((t) => t.interval));
    const n = h.totalCount;
    this.listener?.({
      second,
      delivered: [...this.lastDelivered.values()].reduce((a, b) => a + b, 0),
      intervalDelivered: n,
      p50Us: n === 0 ? 0 : h.getValueAtPercentile(50),
      p99Us: n === 0 ? 0 : h.getValueAtPercentile(99),
      maxUs: n === 0 ? 0 : h.maxValue,
      maxCpuPercent: Math.max(0, ...ticks.map((t) => t.cpuPercent)),
      maxEventLoopDelayP99Us: Math.max(0, ...ticks.map((t) => t.eventLoopDelayP99Us)),
      ...(this.o.secondHistograms ? { interval: n === 0 ? '' : encodeHistogram(h) } : {}),
    });
  }

  /** Sends `msg` and resolves with the first reply `accept` returns a value for; rejects if the process dies. */
  private request<T>(child: ChildProcess, msg: DriverMessage, accept: (m: ClientMessage) => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onMessage = (m: ClientMessage): void => {
        try {
          const value = accept(m);
          if (value === undefined) return;
          cleanup();
          resolve(value);
        } catch (err) {
          cleanup();
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        cleanup();
        reject(new Error(`${this.o.transport} client process exited${exitAccount(child, code, signal)}`));
      };
      const cleanup = (): void => {
        child.off('message', onMessage);
        child.off('close', onExit);
      };
      child.on('message', onMessage);
      // 'close' comes after 'exit' once the child's stderr is read to its end, so its failure can be told.
      child.once('close', onExit);
      child.send(msg, (err) => {
        if (err) {
          cleanup();
          reject(new Error(`${this.o.transport} client process is not reachable: ${err.message}`));
        }
      });
    });
  }
}

/** Sends `msg` without waiting for an answer; a process that is gone is noticed by the next request, not here. */
function post(child: ChildProcess, msg: DriverMessage): void {
  if (child.connected) child.send(msg, () => undefined);
}

/** Accepts 'connected'; throws on 'connect-failed'. */
function connected(transport: Transport): (m: ClientMessage) => true | undefined {
  return (m) => {
    if (m.type === 'connected') return true;
    if (m.type === 'connect-failed') throw new Error(`${transport} clients could not connect: ${m.error}`);
    return undefined;
  };
}

/** The browsers' clock alignment across processes: pages summed, every other figure the worst process's. */
function mergeBrowserClock(clocks: BrowserClock[]): BrowserClock {
  const worst = (key: 'timerResolutionUs' | 'bestRttUs' | 'uncertaintyUs' | 'driftUs'): number => Math.max(...clocks.map((c) => c[key]));
  const [first] = clocks as [BrowserClock];
  return {
    version: first.version,
    pages: clocks.reduce((a, c) => a + c.pages, 0),
    timerResolutionUs: worst('timerResolutionUs'),
    isolated: clocks.every((c) => c.isolated),
    bestRttUs: worst('bestRttUs'),
    uncertaintyUs: worst('uncertaintyUs'),
    driftUs: worst('driftUs'),
    clampedLatencies: clocks.reduce((a, c) => a + c.clampedLatencies, 0),
    eventSourceReconnects: clocks.reduce((a, c) => a + c.eventSourceReconnects, 0),
    ...(clocks.every((c) => c.windowCpuUs !== undefined && c.windowUs !== undefined)
      ? { windowCpuUs: clocks.reduce((a, c) => a + (c.windowCpuUs ?? 0), 0), windowUs: Math.max(...clocks.map((c) => c.windowUs ?? 0)) }
      : {}),
    ...(clocks.every((c) => c.pagesProbed === true) ? { pagesProbed: true } : {}),
  };
}

/** Adds up the scenario figures of every process: histograms merged, counts summed, by name. */
function mergeScenario(reports: ScenarioReport[]): ScenarioReport {
  const histograms: Record<string, string> = {};
  const counts: Record<string, number> = {};
  for (const name of new Set(reports.flatMap((r) => Object.keys(r.histograms)))) {
    histograms[name] = mergeEncodedToEncoded(reports.flatMap((r) => (r.histograms[name] === undefined ? [] : [r.histograms[name]])));
  }
  for (const r of reports) for (const [name, n] of Object.entries(r.counts)) counts[name] = (counts[name] ?? 0) + n;
  return { histograms, counts };
}
