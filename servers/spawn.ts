// Parent side of a reference server process: spawn, wait for readiness, publish, read stats, stop.
import type { ChildProcess } from 'node:child_process';
import { childFailure, exitAccount, forkModule } from '../lib/children.ts';
import type { ServerOptions } from './options.ts';
import type { ServerReply, ServerRequest } from './ipc.ts';
import type { StatsSnapshot } from './stats.ts';
import type { PublishPlan } from './publisher.ts';
import type { ArrivalCounts } from './arrivals.ts';
import type { Transport } from '../lib/transports.ts';
import { TLS_ENV } from '../lib/tls.ts';

/** A reference server running in its own process. */
export interface ServerProcess {
  readonly transport: Transport;
  /** The address it listens on (127.0.0.1, or its namespace's veth address). */
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** e.g. http://127.0.0.1:43210 (https:// over TLS) */
  readonly url: string;
  /** Publishes per `plan`; resolves with the last seq when done. */
  publish(plan: PublishPlan): Promise<number>;
  /** Publishes per `plan`; resolves with the last seq and when that event was due (µs) once the publisher stops. */
  publishUntilStopped(plan: PublishPlan): Promise<{ lastSeq: number; lastDueUs: number }>;
  /** Makes the running publisher stop after the events due before `endUs` (µs of the host clock). */
  stopPublisherAt(endUs: number): Promise<void>;
  /** Stops a running publisher. */
  stopPublisher(): Promise<number>;
  /** Tells the publisher the measured window: only events due in [startUs, endUs) count in its lateness. */
  window(startUs: number, endUs?: number): Promise<void>;
  /** The server's /stats snapshot; `reset` restarts its peak-RSS, event-loop-delay and publisher windows; `histograms` adds the encoded publisher lateness. */
  stats(opts?: { reset?: boolean; gc?: boolean; histograms?: boolean }): Promise<StatsSnapshot>;
  /** Resets `fraction` of the server's open connections at once (TCP RST): how many, of how many open, and when (µs). */
  resetConnections(fraction: number): Promise<{ reset: number; open: number; atUs: number }>;
  /** Connections and requests the server accepted per 100 ms, `bins` bins from the one holding `fromUs` (needs recordArrivals). */
  arrivals(fromUs: number, bins: number): Promise<ArrivalCounts>;
  /** Resolves when the process exits; rejects never. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; reason?: string }>;
  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** What this server cannot tell about itself, one sentence each (a server rtbench did not write; absent: everything is measured). */
  readonly notMeasured?: readonly string[];
}

/** Options of a spawned server: ServerOptions plus an optional continuous publisher (for `rtbench serve`). */
export type SpawnOptions = Partial<ServerOptions> & Pick<ServerOptions, 'transport'> & { publishRate?: number; payloadBytes?: number; /** Network namespace to run the server in (net/netns.ts). */ netns?: string };

/** The exit of a server process. */
type Exit = { code: number | null; signal: NodeJS.Signals | null; reason?: string };

/** Forks a server process (`standby`: loaded, listening only when told to take over) and the promise of its exit. */
function fork(options: SpawnOptions, standby: boolean): { child: ChildProcess; exited: Promise<Exit> } {
  const { netns, tls, controlToken, ...serverOptions } = options;
  // The key and the control token go in the environment, not on the command line where `ps` shows them to every user.
  const secrets = { ...(tls === undefined ? {} : { [TLS_ENV]: JSON.stringify(tls) }), ...(controlToken === undefined || controlToken === '' ? {} : { RTBENCH_CONTROL_TOKEN: controlToken }) };
  const env = Object.keys(secrets).length === 0 ? {} : { env: { ...process.env, ...secrets } };
  const child = forkModule(new URL('./host.ts', import.meta.url), [JSON.stringify(standby ? { ...serverOptions, standby } : serverOptions)], ['--expose-gc'], { ...env, ...(netns === undefined ? {} : { netns }) });
  // 'close' comes after 'exit' once the child's stderr is read to its end, so its failure can be told.
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      const reason = childFailure(child);
      resolve({ code, signal, ...(reason === undefined ? {} : { reason }) });
    }),
  );
  return { child, exited };
}

/** Resolves once `child` reports `awaited` (killing it when that takes over `timeoutMs`), with that message. */
function until<T extends ServerReply['type']>(child: ChildProcess, exited: Promise<Exit>, transport: Transport, awaited: T, timeoutMs: number): Promise<Extract<ServerReply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${transport} server did not report ${awaited} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (msg: ServerReply): void => {
      if (msg.type === awaited) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(msg as Extract<ServerReply, { type: T }>);
      } else if (msg.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${transport} server failed to start: ${msg.error}`));
      }
    };
    child.on('message', onMessage);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${transport} server exited before it was ready${exitAccount(child, code, signal)}`));
    });
  });
}

/** Starts a reference server process and resolves once it listens. */
export async function spawnServer(options: SpawnOptions, startTimeoutMs = 20_000): Promise<ServerProcess> {
  const { child, exited } = fork(options, false);
  const ready = await until(child, exited, options.transport, 'ready', startTimeoutMs);
  return wrap(child, options.transport, options.host ?? '127.0.0.1', ready.port, exited, options.tls === undefined ? 'http' : 'https');
}

/** A server process started ahead of time (a restart's replacement): loaded, not yet listening. */
export interface StandbyServer {
  /** Starts the server (it reads its state file first) and resolves once it listens. */
  takeOver(): Promise<ServerProcess>;
  /** Ends it without taking over. */
  kill(): void;
}

/** Starts a server process that loads everything and waits, listening only once takeOver() is called. */
export async function spawnStandby(options: SpawnOptions, startTimeoutMs = 20_000): Promise<StandbyServer> {
  const { child, exited } = fork(options, true);
  await until(child, exited, options.transport, 'standing-by', startTimeoutMs);
  return {
    async takeOver() {
      child.send({ type: 'take-over' } satisfies ServerRequest);
      const ready = await until(child, exited, options.transport, 'ready', startTimeoutMs);
      return wrap(child, options.transport, options.host ?? '127.0.0.1', ready.port, exited, options.tls === undefined ? 'http' : 'https');
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}

/** Omit distributed over a union. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

function wrap(child: ChildProcess, transport: Transport, host: string, port: number, exited: ServerProcess['exited'], scheme = 'http'): ServerProcess {
  let nextId = 1;
  const pending = new Map<number, { resolve: (msg: ServerReply) => void; reject: (err: Error) => void }>();
  child.on('message', (msg: ServerReply) => {
    if ('id' in msg) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      p?.resolve(msg);
    }
  });
  void exited.then(({ code, signal }) => {
    const err = new Error(`${transport} server process exited${exitAccount(child, code, signal)}`);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });
  let gone = false;
  void exited.then(() => (gone = true));

  const request = (msg: WithoutId<ServerRequest>): Promise<ServerReply> =>
    new Promise((resolve, reject) => {
      if (gone || !child.connected) return reject(new Error(`${transport} server process is not running`));
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ ...msg, id } as ServerRequest);
    });

  return {
    transport,
    host,
    port,
    pid: child.pid ?? 0,
    url: `${scheme}://${urlHost(host)}:${port}`,
    exited,
    async publish(plan) {
      const reply = await request({ type: 'publish', plan });
      return reply.type === 'published' ? reply.lastSeq : 0;
    },
    async publishUntilStopped(plan) {
      const reply = await request({ type: 'publish', plan });
      return reply.type === 'published' ? { lastSeq: reply.lastSeq, lastDueUs: reply.lastDueUs } : { lastSeq: 0, lastDueUs: 0 };
    },
    async window(startUs, endUs) {
      await request({ type: 'window', startUs, ...(endUs === undefined ? {} : { endUs }) });
    },
    async stopPublisherAt(endUs) {
      await request({ type: 'stop-at', endUs });
    },
    async stopPublisher() {
      const reply = await request({ type: 'stop-publisher' });
      return reply.type === 'published' ? reply.lastSeq : 0;
    },
    async stats(opts = {}) {
      const reply = await request({ type: 'stats', reset: opts.reset, gc: opts.gc, histograms: opts.histograms });
      if (reply.type !== 'stats') throw new Error(`${transport} server answered ${reply.type} to a stats request`);
      return reply.stats;
    },
    async resetConnections(fraction) {
      const reply = await request({ type: 'reset-connections', fraction });
      if (reply.type !== 'reset') throw new Error(`${transport} server answered ${reply.type === 'error' ? reply.error : reply.type} to a reset request`);
      return { reset: reply.reset, open: reply.open, atUs: reply.atUs };
    },
    async arrivals(fromUs, bins) {
      const reply = await request({ type: 'arrivals', fromUs, bins });
      if (reply.type !== 'arrivals') throw new Error(`${transport} server answered ${reply.type === 'error' ? reply.error : reply.type} to an arrivals request`);
      return reply.counts;
    },
    async stop(graceMs = 3000) {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The host part of a URL reaching a server that listens on `host`: a wildcard address is reached on loopback, IPv6 goes in brackets. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
