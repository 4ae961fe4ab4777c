// The churn scenario: every client reconnects after k events, resuming from its cursor (SSE with Last-Event-ID,
// the others with ?after=), at most `connectRate` reconnects/s in all, while the publisher runs at `rate`. After the
// measured window, a reconnect storm: `stormClients` dropped at once and reconnected at once. The publisher runs
// on for STORM_TAIL_MS past the window, then every client must have had every event: resumption loses nothing.
import { readFileSync } from 'node:fs';
import { warmupCapMs, type OptionsOf } from '../../../lib/options.ts';
import type { ConnectFigures, RunHooks, RunResult } from '../../../lib/result.ts';
import { countOf, runTransports, summaryOf } from '../../pipeline.ts';
import { planGenerator } from '../../sizing.ts';
import { retentionFor } from '../fanout/run.ts';

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
export function runChurn(o: OptionsOf<'churn'>, hooks: RunHooks = {}): Promise<RunResult> {
  const deliveriesPerSec = o.clients * o.rate;
  return runTransports(o, hooks, { plannedMs: o.warmupMs + o.durationMs + STORM_TAIL_MS, deliveriesPerSec }, async (run) => {
    // The connect-rate cap is shared among the processes, so their number is fixed before they start.
    const processes = Math.max(1, Math.min(planGenerator(run.transport, o.clients, deliveriesPerSec, o.workers).processes, o.clients));
    const { server, pool, base, connected, s0 } = await run.setUp({
      deliveriesPerSec,
      processes,
      retention: retentionFor(o, STORM_TAIL_MS),
      scenario: { kind: 'churn', eventsPerConnection: o.eventsPerConnection, connectRatePerSec: o.connectRate / processes },
    });
    const w = await run.publishWindow({
      rate: o.rate,
      payloadBytes: o.payloadBytes,
      warmupMs: o.warmupMs,
      warmupMaxMs: warmupCapMs(o),
      durationMs: o.durationMs,
      tailMs: STORM_TAIL_MS,
      // Reconnections are counted and timed from the moment the window opens.
      during: async () => void (await pool.command(() => ({ type: 'scenario', action: 'go' }))),
      after: async () => {
        const timeWaitSockets = countTimeWait(server.port);
        // The storm: steady churn stops, then stormClients are dropped and reconnected at once.
        const shares = stormShares(Array.from({ length: processes }, (_, i) => Math.floor(o.clients / processes) + (i < o.clients % processes ? 1 : 0)), o.stormClients);
        const replies = await pool.command((i) => ({ type: 'scenario', action: 'storm', clients: shares[i] ?? 0 }));
        return { timeWaitSockets, allReconnectedMs: Math.max(0, ...replies.map((m) => m.values.allReconnectedMs ?? 0)) };
      },
    });
    run.setPhase('draining');
    const report = await run.guard(pool.finish(w.lastSeq, o.drainMs));
    const end = await server.stats();
    const figures = run.standardFigures({ report, snapshots: w.snapshots, base, connected, s0, end, publishedEvents: w.lastSeq, lastSeq: w.lastSeq, lastDueUs: w.lastDueUs, warmup: w.warmup });
    const { from, to } = w.snapshots;
    const windowSec = Math.max(1, to.atUs - from.atUs) / 1e6;
    const reconnects = countOf(report, 'steadyReconnects');
    const cpuUs = to.cpuUserUs + to.cpuSystemUs - from.cpuUserUs - from.cpuSystemUs - to.publisher.spinUs;
    const timeWaitSockets = w.after?.timeWaitSockets;
    const connect: ConnectFigures = {
      reconnects,
      connectsPerSec: reconnects / windowSec,
      requestsPerSec: (to.requests - from.requests) / windowSec,
      newTcpConnectionsPerSec: (to.connectionsAccepted - from.connectionsAccepted) / windowSec,
      connectTime: summaryOf(report, 'connect'),
      firstEventTime: summaryOf(report, 'firstEvent'),
      serverCpuUsPerConnect: reconnects > 0 ? cpuUs / reconnects : 0,
      ...(timeWaitSockets === undefined ? {} : { timeWaitSockets }),
      ...(o.stormClients > 0
        ? {
            storm: {
              clients: countOf(report, 'stormReconnects'),
              allReconnectedMs: w.after?.allReconnectedMs ?? 0,
              connectTime: summaryOf(report, 'stormConnect'),
              firstEventTime: summaryOf(report, 'stormFirstEvent'),
            },
          }
        : {}),
    };
    return { ...figures, connect };
  });
}
