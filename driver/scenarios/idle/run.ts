// The idle scenario: what holding N idle connections costs one server process, swept over N. Nothing is published.
// One server per transport; its subscribers live in client processes that grow step by step (so every count is
// reached by adding connections, never by closing some), and at each step the server must hold exactly N.
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Transport } from '../../../lib/transports.ts';
import { UsageError } from '../../../lib/errors.ts';
import { SOCKETIO_PING_INTERVAL_MS } from '../../../lib/socketio.ts';
import { SOCKETS_PER_CLIENT_PROCESS, type OptionsOf } from '../../../lib/options.ts';
import type { IdlePoint, IdleSweep, RunHooks, RunResult } from '../../../lib/result.ts';
import type { ServerProcess } from '../../../servers/spawn.ts';
import type { StatsSnapshot } from '../../../servers/stats.ts';
import { readSocketSlab, readSockstat, type SockStat } from '../../sockstat.ts';
import { runTransports, type Figures, type TransportRun } from '../../pipeline.ts';

/** The idle options the runner reads. */
type IdleOptions = OptionsOf<'idle'>;

/**
 * Runs the idle sweep over `options.transports`, one transport at a time. Polling clients always keep their
 * connection alive here (`keepAlive` is not used): held connections are what is measured.
 */
export function runIdle(o: IdleOptions, hooks: RunHooks = {}): Promise<RunResult> {
  const counts = sweepCounts(o.sweep);
  return runTransports({ ...o, keepAlive: true }, hooks, { plannedMs: counts.length * o.settleMs }, (run) => idleSweep(run, o, counts));
}



/** The connection counts of a sweep, ascending, always starting at 0 (the baseline every delta is taken against). */
export function sweepCounts(sweep: readonly number[]): number[] {
  const limit = openFileLimit() - 1000;
  for (const n of sweep) {
    if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`sweep must hold integers >= 0, got ${JSON.stringify(n)}`);
    if (n > limit) throw new UsageError(`sweep asks for ${n} connections; one server process may open ${limit + 1000} files, so at most ${limit}`);
  }
  return [...new Set([0, ...sweep])].sort((a, b) => a - b);
}

/** Least-squares slope of y over x (0 with fewer than two distinct x). */
export function leastSquaresSlope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) * (x - mx);
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/** Fits the per-connection slopes of a sweep's points. */
export function fitSweep(points: IdlePoint[], keepAlive?: string): IdleSweep {
  const slope = (get: (p: IdlePoint) => number): number => leastSquaresSlope(points.map((p) => [p.connections, get(p)]));
  const kernelBytes = slope((p) => p.kernelSocketBytes);
  const sockets = points.every((p) => p.kernelTcpSockets !== undefined) ? slope((p) => p.kernelTcpSockets ?? 0) : undefined;
  const slab = points.every((p) => p.kernelSlabBytes !== undefined) ? slope((p) => p.kernelSlabBytes ?? 0) : undefined;
  const perSocket = sockets !== undefined && sockets >= 0.5;
  return {
    points,
    rssBytesPerConnection: Math.round(slope((p) => p.rssBytes)),
    heapBytesPerConnection: Math.round(slope((p) => p.heapUsedBytes)),
    kernelBytesPerConnection: Math.round(kernelBytes),
    ...(sockets !== undefined ? { kernelSocketsPerConnection: Math.round(sockets * 100) / 100 } : {}),
    ...(perSocket ? { kernelBytesPerSocket: Math.round(kernelBytes / sockets) } : {}),
    ...(slab !== undefined ? { kernelSlabBytesPerConnection: Math.round(slab) } : {}),
    ...(slab !== undefined && perSocket ? { kernelSlabBytesPerSocket: Math.round(slab / sockets) } : {}),
    ...(keepAlive ? { keepAlive } : {}),
  };
}

/** What each transport sends while idle, with the scenario's intervals. */
export function keepAliveOf(transport: Transport, o: Pick<IdleOptions, 'heartbeatMs' | 'pollIntervalMs' | 'longPollWaitMs'>): string {
  switch (transport) {
    case 'short-poll':
      return `a poll every ${o.pollIntervalMs} ms per client, answered {"events":[],"next":S} (a whole HTTP request and response)`;
    case 'long-poll':
      return `a held poll answered empty after ${o.longPollWaitMs} ms and re-issued (a whole HTTP request and response)`;
    case 'sse':
      return o.heartbeatMs > 0 ? `a ": heartbeat" comment every ${o.heartbeatMs} ms (18 bytes in one HTTP chunk)` : 'nothing (heartbeat off)';
    case 'ws':
      return o.heartbeatMs > 0 ? `an empty ping every ${o.heartbeatMs} ms (2 bytes), answered by a masked pong (6 bytes)` : 'nothing (ping off)';
    case 'fetch-stream':
      return 'nothing: the NDJSON stream has no heartbeat (an idle proxy may cut it)';
    case 'socketio':
    case 'socketio-ws':
      return `Engine.IO's own ping every ${SOCKETIO_PING_INTERVAL_MS} ms (a "2" packet, 3 bytes as a WebSocket frame) answered by "3" (7 bytes masked); the heartbeat setting does not apply`;
  }
}

/** The open-file limit of this process (servers inherit it); 20 000 when unknown. */
function openFileLimit(): number {
  try {
    const soft = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return soft ? Number(soft) : 20_000;
  } catch {
    return 20_000;
  }
}

/**
 * Short polling's cost while idle is measured over whole poll intervals once every client polls on its own
 * schedule: a client added by the sweep polls once on connecting and next after its interval plus a random
 * phase (up to one interval), so two intervals pass before measuring. The window is `settleMs` rounded up to
 * whole intervals (at least one).
 */
export function wastedWindow(o: Pick<IdleOptions, 'pollIntervalMs' | 'settleMs'>): { waitMs: number; measureMs: number } {
  const interval = Math.max(1, o.pollIntervalMs);
  return { waitMs: 2 * interval, measureMs: Math.max(1, Math.ceil(o.settleMs / interval)) * interval };
}

/** Runs the sweep for one transport; a failure keeps the points measured so far in the error. */
async function idleSweep(run: TransportRun, o: IdleOptions, counts: number[]): Promise<Figures> {
  const transport = run.transport;
  const max = counts[counts.length - 1] ?? 0;
  const workers = Math.max(1, o.workers, Math.ceil(max / SOCKETS_PER_CLIENT_PROCESS));
  const points: IdlePoint[] = [];
  const keepAlive = keepAliveOf(transport, o);
  const srv = await run.spawn({ heartbeatMs: o.heartbeatMs, wsPingMs: o.heartbeatMs, sseRetryMs: o.sseRetryMs, wsCompression: o.wsCompression });
  const pool = await run.launch({ clients: 0, workers, processes: workers, keepAlive: true });
  let base: SockStat | undefined;
  let baseSlab: number | undefined;
  let last: StatsSnapshot | undefined;
  let first: StatsSnapshot | undefined;
  try {
    for (const n of counts) {
      run.setPhase('connecting');
      if (n > pool.clients) await run.guard(pool.grow(n));
      await run.guard(holding(srv, transport, n));
      run.setPhase('measuring');
      let wasted: Pick<IdlePoint, 'wastedRequestsPerSec' | 'wastedBytesPerSec'> = {};
      if (transport === 'short-poll' && n > 0) {
        const { waitMs, measureMs } = wastedWindow(o);
        await run.sleep(waitMs);
        const sA = await run.guard(srv.stats());
        await run.sleep(measureMs);
        const sB = await run.guard(srv.stats());
        const seconds = (sB.atUs - sA.atUs) / 1e6;
        wasted = {
          wastedRequestsPerSec: (sB.requests - sA.requests) / seconds,
          wastedBytesPerSec: (sB.bytesWritten + sB.bytesRead - sA.bytesWritten - sA.bytesRead) / seconds,
        };
      } else {
        await run.sleep(o.settleMs);
      }
      const sB = await run.guard(srv.stats({ gc: true }));
      const kernel = readSockstat();
      const slab = readSocketSlab();
      if (n === 0) {
        base = kernel;
        baseSlab = slab;
      }
      first ??= sB;
      last = sB;
      if (sB.connectionsOpen !== n) throw new Error(`the server held ${sB.connectionsOpen} connections after settling at ${n}: clients dropped while idle`);
      points.push({
        connections: n,
        rssBytes: sB.rssBytes,
        heapUsedBytes: sB.heapUsedBytes,
        kernelSocketBytes: kernel && base ? kernel.tcpMemBytes - base.tcpMemBytes : 0,
        ...(slab !== undefined && baseSlab !== undefined ? { kernelSlabBytes: slab - baseSlab } : {}),
        ...(kernel && base ? { kernelTcpSockets: kernel.tcpInUse - base.tcpInUse } : {}),
        serverConnections: sB.connectionsOpen,
        serverSubscribers: sB.subscribers,
        ...(transport === 'short-poll' ? { wastedRequestsPerSec: 0, wastedBytesPerSec: 0, ...wasted } : {}),
      });
    }
  } catch (err) {
    // The points measured so far go with the error, so a failed sweep still shows them.
    if (points.length > 0 && err instanceof Error) (err as Error & { partial?: Partial<Figures> }).partial = { idle: fitSweep(points, keepAlive) };
    throw err;
  }
  const idle = fitSweep(points, keepAlive);
  const f = first as StatsSnapshot;
  const l = last as StatsSnapshot;
  return {
    idle,
    // From the 0-connection reading on: the client processes' clock estimates before it are not the sweep's.
    churn: { connectionsOpened: l.connectionsAccepted - f.connectionsAccepted, connectionsClosed: l.connectionsClosed - f.connectionsClosed, httpRequests: l.requests - f.requests, requestsPerEvent: 0 },
    server: {
      peakRssBytes: l.peakRssBytes,
      baselineRssBytes: f.rssBytes,
      connectedRssBytes: l.rssBytes,
      rssPerConnectionBytes: idle.rssBytesPerConnection,
      heapUsedBytes: l.heapUsedBytes,
      cpuSeconds: (l.cpuUserUs + l.cpuSystemUs - f.cpuUserUs - f.cpuSystemUs) / 1e6,
      cpuMsPer1kEvents: 0,
      eventLoopDelayP99Us: l.eventLoopDelayUs.p99,
    },
  };
}

/**
 * Waits until the server holds exactly `n` connections and, for the transports that keep one, `n` subscribers
 * (a stream, a socket, a held poll); rejects after a deadline with what it saw.
 */
async function holding(server: ServerProcess, transport: Transport, n: number): Promise<void> {
  const deadline = Date.now() + 30_000 + n * 5;
  const subscribes = transport !== 'short-poll';
  for (;;) {
    const s = await server.stats();
    if (s.connectionsOpen === n && (!subscribes || s.subscribers === n)) return;
    if (Date.now() > deadline) {
      throw new Error(`the ${transport} server held ${s.connectionsOpen} connections and ${s.subscribers} subscribers, expected exactly ${n}`);
    }
    await delay(50);
  }
}

