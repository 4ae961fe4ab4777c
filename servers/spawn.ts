// Parent side of a reference server process: spawn, wait for readiness, publish, read stats, stop.
import type { ChildProcess } from 'node:child_process';
import { childFailure, exitAccount, forkModule } from '../lib/children.ts';
import type { ServerOptions } from './options.ts';
import type { ServerReply, ServerRequest } from './ipc.ts';
import type { StatsSnapshot } from './stats.ts';
import type { PublishPlan } from './publisher.ts';
import type { Transport } from '../lib/transports.ts';

/** A reference server running in its own process. */
export interface ServerProcess {
  readonly transport: Transport;
  readonly port: number;
  readonly pid: number;
  /** e.g. http://127.0.0.1:43210 */
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
  /** Resolves when the process exits; rejects never. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; reason?: string }>;
  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** What this server cannot tell about itself, one sentence each (a server rtbench did not write; absent: everything is measured). */
  readonly notMeasured?: readonly string[];
}

/** Options of a spawned server: ServerOptions plus an optional continuous publisher (for `rtbench serve`). */
export type SpawnOptions = Partial<ServerOptions> & Pick<ServerOptions, 'transport'> & { publishRate?: number; payloadBytes?: number };

/** Starts a reference server process and resolves once it listens. */
export function spawnServer(options: SpawnOptions, startTimeoutMs = 20_000): Promise<ServerProcess> {
  const { controlToken, ...rest } = options;
  // The token goes in the environment, not on the command line where `ps` shows it to every user.
  const env = controlToken === undefined || controlToken === '' ? {} : { env: { ...process.env, RTBENCH_CONTROL_TOKEN: controlToken } };
  const child = forkModule(new URL('./host.ts', import.meta.url), [JSON.stringify(rest)], ['--expose-gc'], env);
  // 'close' comes after 'exit' once the child's stderr is read to its end, so its failure can be told.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; reason?: string }>((resolve) =>
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      const reason = childFailure(child);
      resolve({ code, signal, ...(reason === undefined ? {} : { reason }) });
    }),
  );
  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.transport} server did not report ready within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    const onMessage = (msg: ServerReply): void => {
      if (msg.type === 'ready') {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(wrap(child, options.transport, msg.port, exited, options.host));
      } else if (msg.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${options.transport} server failed to start: ${msg.error}`));
      }
    };
    child.on('message', onMessage);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${options.transport} server exited before it was ready${exitAccount(child, code, signal)}`));
    });
  });
}

/** Omit distributed over a union. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

function wrap(child: ChildProcess, transport: Transport, port: number, exited: ServerProcess['exited'], host = '127.0.0.1'): ServerProcess {
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
    port,
    pid: child.pid ?? 0,
    url: `http://${urlHost(host)}:${port}`,
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
