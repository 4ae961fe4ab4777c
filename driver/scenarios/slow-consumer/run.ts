// The slow-consumer scenario: a fan-out where a share of the clients reads slowly (or stops reading) while the
// window is open, then reads at full speed again. The pollings are immune by construction (the server queues
// nothing between requests; a slow poller only falls behind). The streams queue every event for every subscriber
// until it is read: without a bound (maxQueuedBytes 0) the server's memory grows with each stalled reader; with one
// the server cuts it, and it must resume with its cursor and loses what retention no longer holds. Measured: the
// healthy clients' latency and loss, the server's peak RSS and its growth, the cuts, and what the cut clients got
// back and lost.
import { warmupCapMs, type OptionsOf } from '../../../lib/options.ts';
import type { RunHooks, RunResult, SlowConsumerFigures } from '../../../lib/result.ts';
import { countOf, runTransports, summaryOf } from '../../pipeline.ts';
import { retentionFor } from '../fanout/run.ts';

/** Slow clients of `clients` for a share `fraction`: rounded, at least one when the share is above 0. */
export function slowClientsOf(clients: number, fraction: number): number {
  if (fraction <= 0) return 0;
  return Math.min(clients, Math.max(1, Math.round(clients * fraction)));
}

/** Runs the slow-consumer scenario over `options.transports`, one at a time. */
export function runSlowConsumer(o: OptionsOf<'slow-consumer'>, hooks: RunHooks = {}): Promise<RunResult> {
  const deliveriesPerSec = o.clients * o.rate;
  const slowClients = slowClientsOf(o.clients, o.slowFraction);
  const retention = o.retentionEvents > 0 ? o.retentionEvents : retentionFor(o);
  return runTransports(o, hooks, { plannedMs: o.warmupMs + o.durationMs, deliveriesPerSec }, async (run) => {
    const { server, pool, base, connected, s0 } = await run.setUp({
      deliveriesPerSec,
      retention,
      scenario: { kind: 'slow-consumer', slowClients, readBytesPerSec: o.slowReadBytesPerSec },
    });
    // The slow clients are slow from the first event on (their connection never had a fast reader's buffers) and
    // read at full speed again once the window closed.
    await run.guard(pool.command(() => ({ type: 'scenario', action: 'slow' })));
    const w = await run.publishWindow({
      rate: o.rate,
      payloadBytes: o.payloadBytes,
      warmupMs: o.warmupMs,
      warmupMaxMs: warmupCapMs(o),
      durationMs: o.durationMs,
      after: async () => void (await pool.command(() => ({ type: 'scenario', action: 'recover' }))),
    });
    run.setPhase('draining');
    const report = await run.guard(pool.finish(w.lastSeq, o.drainMs));
    const end = await server.stats();
    const figures = run.standardFigures({ report, snapshots: w.snapshots, base, connected, s0, end, publishedEvents: w.lastSeq, lastSeq: w.lastSeq, lastDueUs: w.lastDueUs, warmup: w.warmup });
    const pull = run.transport === 'short-poll' || run.transport === 'long-poll';
    const slowConsumer: SlowConsumerFigures = {
      slowClients,
      healthyClients: o.clients - slowClients,
      readBytesPerSec: o.slowReadBytesPerSec,
      pull,
      ...(pull ? {} : { maxQueuedBytes: o.maxQueuedBytes }),
      retentionEvents: retention,
      cuts: end.slowConsumersCut - s0.slowConsumersCut,
      healthyLost: countOf(report, 'healthyLost'),
      cutClients: countOf(report, 'cutClients'),
      resumes: countOf(report, 'resumes'),
      recoveredEvents: countOf(report, 'recovered'),
      slowLost: countOf(report, 'slowLost'),
      slowGaps: countOf(report, 'slowGaps'),
      slowStragglers: countOf(report, 'slowStragglers'),
      slowLatency: summaryOf(report, 'slowLatency'),
      rssGrowthBytes: (figures.server?.peakRssBytes ?? 0) - (figures.server?.connectedRssBytes ?? 0),
    };
    // The slow clients' latencies are recorded apart, their negative ones too: an error of the instrument either way.
    const negative = countOf(report, 'slowNegative');
    if (negative > 0 && figures.delivery) {
      figures.delivery.negativeLatencies = (figures.delivery.negativeLatencies ?? 0) + negative;
      figures.invalid = [...(figures.invalid ?? []), `${negative} latencies of the slow clients came out negative: the clocks disagree`];
    }
    return { ...figures, slowConsumer };
  });
}
