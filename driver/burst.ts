// The burst scenario: B events published back to back (within `burstMs`), then `quietMs` of quiet, `bursts`
// times. Shows tail latency and how long until every client has a whole burst: long polling answers a burst in
// one or two responses, short polling waits for the next poll, the streams write it as it comes.
import { setTimeout as delay } from 'node:timers/promises';
import type { OptionsOf, ScenarioRunner } from './scenarios.ts';
import { LatencyRecorder } from '../clients/recorder.ts';
import { countOf, deliveryFigures, runSessions, serverFigures, summaryOf, wireFigures } from './session.ts';

/** Publisher rate of a burst of `events` spread over `burstMs` (all due at once when 0), events/s. */
export function burstRate(events: number, burstMs: number): number {
  return burstMs > 0 ? (events * 1000) / burstMs : 1e9;
}

/** Runs the burst scenario over `options.transports`. */
export const runBurst: ScenarioRunner = (options, hooks) => {
  if (options.kind !== 'burst') throw new Error(`the burst runner got a "${options.kind}" scenario`);
  const o: OptionsOf<'burst'> = options;
  const total = o.bursts * o.burstEvents;
  return runSessions(o, hooks, o.bursts * (o.burstMs + o.quietMs), async (s) => {
    const server = await s.spawn({ retention: Math.max(10_000, total) });
    const base = await server.stats({ gc: true });
    s.setPhase('connecting');
    const pool = await s.connectPool({ measureFromSeq: 1, measureToSeq: total, scenario: { kind: 'burst', bursts: o.bursts, eventsPerBurst: o.burstEvents } });
    await s.waitForSubscribers();
    const connected = await server.stats({ gc: true });
    const from = await server.stats({ reset: true });
    s.startClock();
    s.setPhase('measuring');
    const started = Date.now();
    for (let b = 0; b < o.bursts; b++) {
      await s.guard(server.publish({ rate: burstRate(o.burstEvents, o.burstMs), count: o.burstEvents, payloadBytes: o.payloadBytes }));
      await s.guard(delay(o.quietMs));
    }
    const windowMs = Date.now() - started;
    const to = await server.stats();
    s.setPhase('draining');
    const r = await s.guard(pool.finish(total, o.drainMs));
    const end = await server.stats();
    const latency = LatencyRecorder.summarizeEncoded([r.histogram]);
    return {
      latency,
      histogram: r.histogram,
      timeline: s.timeline,
      delivery: deliveryFigures(r, total, o.clients, latency.count, windowMs),
      churn: {
        connectionsOpened: to.connectionsAccepted - from.connectionsAccepted,
        connectionsClosed: to.connectionsClosed - from.connectionsClosed,
        httpRequests: to.requests - from.requests,
        requestsPerEvent: Math.round(((to.requests - from.requests) / Math.max(1, latency.count)) * 10_000) / 10_000,
      },
      wire: wireFigures(from, end, r.received),
      server: serverFigures({ base, connected, from, to }, o.clients, latency.count),
      driver: s.health(r),
      burst: { bursts: o.bursts, eventsPerBurst: o.burstEvents, complete: summaryOf(r, 'complete'), completed: countOf(r, 'completed') },
    };
  });
};
