// The burst scenario: B events published back to back (within `burstMs`), then `quietMs` of quiet, `bursts`
// times. Shows tail latency and how long until every client has a whole burst: long polling answers a burst in
// one or two responses, short polling waits for the next poll, the streams write it as it comes.
import { nowUs } from '../../../lib/clock.ts';
import type { OptionsOf } from '../../../lib/options.ts';
import type { RunHooks, RunResult } from '../../../lib/result.ts';
import { CLOCK_LEAD_US, countOf, runTransports, summaryOf } from '../../pipeline.ts';

/** Publisher rate of a burst of `events` spread over `burstMs` (all due at once when 0), events/s. */
export function burstRate(events: number, burstMs: number): number {
  return burstMs > 0 ? (events * 1000) / burstMs : 1e9;
}

/** Runs the burst scenario over `options.transports`. */
export function runBurst(o: OptionsOf<'burst'>, hooks: RunHooks = {}): Promise<RunResult> {
  const total = o.bursts * o.burstEvents;
  // Sized from the average load (bursts are short; the generator's peak is the burst).
  const deliveriesPerSec = (total * o.clients * 1000) / Math.max(1, o.bursts * (o.burstMs + o.quietMs));
  return runTransports(o, hooks, { plannedMs: o.bursts * (o.burstMs + o.quietMs), deliveriesPerSec }, async (run) => {
    const { server, pool, base, connected, s0 } = await run.setUp({ deliveriesPerSec, retention: Math.max(10_000, total), scenario: { kind: 'burst', bursts: o.bursts, eventsPerBurst: o.burstEvents } });
    const t0 = nowUs() + CLOCK_LEAD_US;
    run.startClock(t0);
    await run.openWindow({ startUs: t0 });
    let lastDueUs = 0;
    for (let b = 0; b < o.bursts; b++) {
      const done = await run.guard(server.publishUntilStopped({ rate: burstRate(o.burstEvents, o.burstMs), count: o.burstEvents, payloadBytes: o.payloadBytes }));
      lastDueUs = done.lastDueUs;
      await run.sleep(o.quietMs);
    }
    const snapshots = await run.closeWindow();
    run.setPhase('draining');
    const report = await run.guard(pool.finish(total, o.drainMs));
    const end = await server.stats();
    return {
      ...run.standardFigures({ report, snapshots, base, connected, s0, end, publishedEvents: total, lastSeq: total, lastDueUs }),
      burst: { bursts: o.bursts, eventsPerBurst: o.burstEvents, complete: summaryOf(report, 'complete'), completed: countOf(report, 'completed') },
    };
  });
}
