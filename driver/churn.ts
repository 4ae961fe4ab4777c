// The churn scenario: every client reconnects after k events, resuming from its cursor (SSE with Last-Event-ID,
// the others with ?after=), at most `connectRate` reconnects/s in all, while the publisher runs at `rate`. After the
// measured window, a reconnect storm: `stormClients` dropped at once and reconnected at once. The publisher runs
// on for STORM_TAIL_MS past the window, then every client must have had every event: resumption loses nothing.
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { OptionsOf, ScenarioRunner } from './scenarios.ts';
import { LatencyRecorder } from '../clients/recorder.ts';
import { eventCounts } from './run.ts';
import type { ConnectFigures } from '../lib/result.ts';
import { countOf, deliveryFigures, round1, round4, runSessions, serverFigures, summaryOf, wireFigures } from './session.ts';

/** How long the publisher runs on after the measured window, while the storm happens, ms. */
export const STORM_TAIL_MS = 1000;

/** TCP state code of TIME_WAIT in /proc/net/tcp. */
const TIME_WAIT = '06';

/**
 * Sockets in TIME_WAIT whose local or remote port is `port`, from /proc/net/tcp and /proc/net/tcp6 (this host's
 * network namespace: both the clients' and the server's ends); undefined where /proc/net/tcp does not exist.
 */
export function countTimeWait(port: number, tables: string[] = readTcpTables()): number | undefined {
  if (tables.length === 0) return undefined;
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of tables) {
    for (const line of table.split('\n').slice(1)) {
      // sl local_address rem_address st ...  e.g. "0: 0100007F:A2C4 0100007F:1F90 06 ..."
      const f = line.trim().split(/\s+/);
      if (f[3] !== TIME_WAIT) continue;
      if (f[1]?.endsWith(`:${hex}`) || f[2]?.endsWith(`:${hex}`)) count++;
    }
  }
  return count;
}

function readTcpTables(): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      out.push(readFileSync(file, 'utf8'));
    } catch {
      // no IPv6, or not Linux
    }
  }
  return out;
}

/** Clients of each process to drop in the storm: `storm` in all, filling processes in order. */
export function stormShares(shares: readonly number[], storm: number): number[] {
  let left = storm;
  return shares.map((n) => {
    const take = Math.min(n, left);
    left -= take;
    return take;
  });
}

/** Runs the churn scenario over `options.transports`. */
export const runChurn: ScenarioRunner = (options, hooks) => {
  if (options.kind !== 'churn') throw new Error(`the churn runner got a "${options.kind}" scenario`);
  const o: OptionsOf<'churn'> = options;
  const counts = eventCounts(o);
  const tail = Math.max(1, Math.round((o.rate * STORM_TAIL_MS) / 1000));
  const total = counts.warmup + counts.measured + tail;
  const processes = Math.max(1, Math.min(o.workers, o.clients));
  return runSessions(o, hooks, o.warmupMs + o.durationMs + STORM_TAIL_MS, async (s) => {
    const server = await s.spawn({ retention: Math.max(10_000, total) });
    const base = await server.stats({ gc: true });
    s.setPhase('connecting');
    const pool = await s.connectPool({
      measureFromSeq: counts.warmup + 1,
      measureToSeq: counts.warmup + counts.measured,
      scenario: { kind: 'churn', eventsPerConnection: o.eventsPerConnection, connectRatePerSec: o.connectRate / processes },
    });
    await s.waitForSubscribers();
    const connected = await server.stats({ gc: true });
    const s0 = await server.stats();
    s.startClock();
    s.setPhase(o.warmupMs > 0 ? 'warmup' : 'measuring');
    const published = server.publish({ rate: o.rate, count: total, payloadBytes: o.payloadBytes });
    if (o.warmupMs > 0) await s.guard(delay(o.warmupMs));
    await s.guard(pool.command(() => ({ type: 'scenario', action: 'go' })));
    const from = await server.stats({ reset: true });
    const started = Date.now();
    s.setPhase('measuring');
    await s.guard(delay(o.durationMs));
    const to = await server.stats();
    const windowMs = Date.now() - started;
    const timeWaitSockets = countTimeWait(server.port);
    // The storm: steady churn stops, then stormClients are dropped and reconnected at once.
    const shares = stormShares(Array.from({ length: processes }, (_, i) => Math.floor(o.clients / processes) + (i < o.clients % processes ? 1 : 0)), o.stormClients);
    const replies = await s.guard(pool.command((i) => ({ type: 'scenario', action: 'storm', clients: shares[i] ?? 0 })));
    const lastSeq = await s.guard(published);
    s.setPhase('draining');
    const r = await s.guard(pool.finish(lastSeq, o.drainMs));
    const end = await server.stats();
    const latency = LatencyRecorder.summarizeEncoded([r.histogram]);
    const reconnects = countOf(r, 'steadyReconnects');
    const windowSec = windowMs / 1000;
    const cpuUs = to.cpuUserUs + to.cpuSystemUs - from.cpuUserUs - from.cpuSystemUs;
    const connect: ConnectFigures = {
      reconnects,
      connectsPerSec: round1(reconnects / windowSec),
      requestsPerSec: round1((to.requests - from.requests) / windowSec),
      newTcpConnectionsPerSec: round1((to.connectionsAccepted - from.connectionsAccepted) / windowSec),
      connectTime: summaryOf(r, 'connect'),
      firstEventTime: summaryOf(r, 'firstEvent'),
      serverCpuUsPerConnect: Math.round(reconnects > 0 ? cpuUs / reconnects : 0),
      ...(timeWaitSockets === undefined ? {} : { timeWaitSockets }),
      ...(o.stormClients > 0
        ? {
            storm: {
              clients: countOf(r, 'stormReconnects'),
              allReconnectedMs: Math.max(0, ...replies.map((m) => m.values.allReconnectedMs ?? 0)),
              connectTime: summaryOf(r, 'stormConnect'),
              firstEventTime: summaryOf(r, 'stormFirstEvent'),
            },
          }
        : {}),
    };
    return {
      latency,
      histogram: r.histogram,
      timeline: s.timeline,
      delivery: deliveryFigures(r, lastSeq, o.clients, latency.count, windowMs),
      churn: {
        connectionsOpened: to.connectionsAccepted - from.connectionsAccepted,
        connectionsClosed: to.connectionsClosed - from.connectionsClosed,
        httpRequests: to.requests - from.requests,
        requestsPerEvent: round4(latency.count > 0 ? (to.requests - from.requests) / latency.count : 0),
      },
      wire: wireFigures(s0, end, r.received),
      server: serverFigures({ base, connected, from, to }, o.clients, latency.count),
      driver: s.health(r),
      connect,
    };
  });
};
