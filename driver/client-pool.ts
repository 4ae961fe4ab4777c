// The driver's side of its client processes: split the subscribers, connect, gather ticks, finish, merge.
import type { ChildProcess } from 'node:child_process';
import { forkTs } from '../lib/children.ts';
import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { LatencyRecorder } from '../clients/recorder.ts';
import type { Transport } from '../lib/transports.ts';
import type { ClientMessage, ClientProcessConfig, ClientReport, ClientTick, DriverMessage } from './protocol.ts';
import type { ScenarioCommand, ScenarioReply, ScenarioReport } from './scenario-protocol.ts';

/** Options of a pool: the process config plus how many subscribers and processes in all. */
export interface PoolOptions extends Omit<ClientProcessConfig, 'clients' | 'connectConcurrency'> {
  transport: Transport;
  clients: number;
  workers: number;
  connectConcurrency?: number;
  /** Client processes to start, whatever `clients` is (default: min(workers, clients)); for pools grown later with `grow()`. */
  processes?: number;
}

/** One second across every client process. */
export interface PoolSecond {
  /** Unique deliveries so far. */
  delivered: number;
  intervalDelivered: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  maxCpuPercent: number;
  maxEventLoopDelayP99Us: number;
}

/** What every client process measured, merged. */
export interface PoolReport extends Omit<ClientReport, 'type'> {
  processes: number;
  /** CPU use of each process in its last second, percent of one core. */
  cpuPercents: number[];
}

/** Client processes of one transport. */
export class ClientPool {
  private readonly children: ChildProcess[] = [];
  private readonly shares: number[];
  private readonly ticks = new Map<ChildProcess, ClientTick>();
  private listener: ((s: PoolSecond) => void) | undefined;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: PoolOptions) {
    const n = o.processes ?? Math.max(1, Math.min(o.workers, o.clients));
    this.shares = Array.from({ length: n }, (_, i) => Math.floor(o.clients / n) + (i < o.clients % n ? 1 : 0));
  }

  /** Called once a second with the merged figures of every process. */
  onSecond(listener: (s: PoolSecond) => void): void {
    this.listener = listener;
  }

  /** Starts the processes and resolves when every subscriber is connected. */
  async connect(): Promise<void> {
    await Promise.all(
      this.shares.map((clients, index) => {
        const child = forkTs(new URL('./client-process.ts', import.meta.url), []);
        this.children.push(child);
        child.on('message', (msg: ClientMessage) => {
          if (msg.type === 'tick') this.onTick(child, msg);
        });
        const config: ClientProcessConfig = {
          transport: this.o.transport,
          baseUrl: this.o.baseUrl,
          clients,
          clientOffset: this.shares.slice(0, index).reduce((a, b) => a + b, 0),
          clientTotal: this.o.clients,
          after: this.o.after,
          measureFromSeq: this.o.measureFromSeq,
          measureToSeq: this.o.measureToSeq,
          pollIntervalMs: this.o.pollIntervalMs,
          longPollWaitMs: this.o.longPollWaitMs,
          wsCompression: this.o.wsCompression,
          connectConcurrency: this.o.connectConcurrency ?? 200,
          ...(this.o.keepAlive === undefined ? {} : { keepAlive: this.o.keepAlive }),
          ...(this.o.scenario ? { scenario: this.o.scenario } : {}),
        };
        return this.request(child, { type: 'start', config }, (m) => {
          if (m.type === 'connected') return true;
          if (m.type === 'connect-failed') throw new Error(`${this.o.transport} clients could not connect: ${m.error}`);
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
        return this.request(child, { type: 'add', clients }, (m) => {
          if (m.type === 'connected') return true;
          if (m.type === 'connect-failed') throw new Error(`${this.o.transport} clients could not connect: ${m.error}`);
          return undefined;
        });
      }),
    );
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
    const reports = await Promise.all(
      this.children.map((child) =>
        this.request(child, { type: 'finish', lastSeq, drainMs }, (m) => (m.type === 'report' ? m : undefined)),
      ),
    );
    const cpuPercents = this.children.map((c) => this.ticks.get(c)?.cpuPercent ?? 0);
    return {
      histogram: reports.length === 1 ? (reports[0] as ClientReport).histogram : encodeMerged(reports.map((r) => r.histogram)),
      received: sum(reports, 'received'),
      lost: sum(reports, 'lost'),
      duplicates: sum(reports, 'duplicates'),
      outOfOrder: sum(reports, 'outOfOrder'),
      gaps: sum(reports, 'gaps'),
      failedClients: sum(reports, 'failedClients'),
      stragglers: sum(reports, 'stragglers'),
      ...(reports.find((r) => r.firstError) ? { firstError: reports.find((r) => r.firstError)?.firstError } : {}),
      processes: this.children.length,
      cpuPercents,
      cpuUs: reports.reduce((a, r) => a + (r.cpuUs ?? 0), 0),
      ...(reports.some((r) => r.scenario) ? { scenario: mergeScenario(reports.flatMap((r) => (r.scenario ? [r.scenario] : []))) } : {}),
    };
  }

  /** Stops every process. */
  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
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

  private onTick(child: ChildProcess, tick: ClientTick): void {
    this.ticks.set(child, tick);
    // Processes tick independently: merge once every process has reported this second (or 200 ms later).
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), this.children.length === 1 ? 0 : 200);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const ticks = [...this.ticks.values()];
    const merged = LatencyRecorder.merge(ticks.map((t) => t.interval).filter((e) => e !== ''));
    const summary = LatencyRecorder.summarize(merged);
    this.listener?.({
      delivered: ticks.reduce((a, t) => a + t.delivered, 0),
      intervalDelivered: summary.count,
      p50Us: summary.p50Us,
      p99Us: summary.p99Us,
      maxUs: summary.maxUs,
      maxCpuPercent: Math.max(0, ...ticks.map((t) => t.cpuPercent)),
      maxEventLoopDelayP99Us: Math.max(0, ...ticks.map((t) => t.eventLoopDelayP99Us)),
    });
    for (const t of ticks) t.interval = '';
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
        reject(new Error(`${this.o.transport} client process exited (code ${code}, signal ${signal})`));
      };
      const cleanup = (): void => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(msg);
    });
  }
}

function sum<K extends keyof ClientReport>(reports: ClientReport[], key: K): number {
  return reports.reduce((a, r) => a + (r[key] as number), 0);
}

/** Adds up the scenario figures of every process: histograms merged, counts summed, by name. */
function mergeScenario(reports: ScenarioReport[]): ScenarioReport {
  const histograms: Record<string, string> = {};
  const counts: Record<string, number> = {};
  for (const name of new Set(reports.flatMap((r) => Object.keys(r.histograms)))) {
    const parts = reports.flatMap((r) => (r.histograms[name] === undefined ? [] : [r.histograms[name]]));
    histograms[name] = parts.length === 1 ? (parts[0] as string) : encodeMerged(parts);
  }
  for (const r of reports) for (const [name, n] of Object.entries(r.counts)) counts[name] = (counts[name] ?? 0) + n;
  return { histograms, counts };
}

function encodeMerged(encoded: string[]): string {
  return encodeIntoCompressedBase64(LatencyRecorder.merge(encoded));
}
