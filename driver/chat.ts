// The chat scenario, bidirectional: every client sends messages upstream (WebSocket: a text frame on its socket;
// the HTTP transports: POST /publish) on a fixed schedule, and every client receives the broadcast of all of
// them. Each message carries its sender and scheduled send time; the sender records the round trip when its own
// message comes back. Upstream cost: server bytes read and HTTP requests per upstream message.
import { setTimeout as delay } from 'node:timers/promises';
import type { OptionsOf, ScenarioRunner } from './scenarios.ts';
import { LatencyRecorder } from '../clients/recorder.ts';
import { nowUs } from '../clients/client.ts';
import { countOf, deliveryFigures, round4, runSessions, serverFigures, summaryOf, wireFigures } from './session.ts';

/** How long the processes get to receive the start time before the first message is due, µs. */
const START_LEAD_US = 100_000;

/** Messages of each client whose round trip is not recorded (those due within the warm-up). */
export function warmupMessages(o: Pick<OptionsOf<'chat'>, 'warmupMs' | 'sendRatePerClient' | 'messagesPerClient'>): number {
  return Math.min(o.messagesPerClient - 1, Math.round((o.warmupMs * o.sendRatePerClient) / 1000));
}

/** Runs the chat scenario over `options.transports`. */
export const runChat: ScenarioRunner = (options, hooks) => {
  if (options.kind !== 'chat') throw new Error(`the chat runner got a "${options.kind}" scenario`);
  const o: OptionsOf<'chat'> = options;
  const expected = o.clients * o.messagesPerClient;
  const sendMs = (o.messagesPerClient * 1000) / o.sendRatePerClient;
  return runSessions(o, hooks, sendMs, async (s) => {
    const server = await s.spawn({ retention: Math.max(10_000, expected) });
    const base = await server.stats({ gc: true });
    s.setPhase('connecting');
    const pool = await s.connectPool({
      measureFromSeq: 1,
      measureToSeq: expected,
      scenario: { kind: 'chat', messagesPerClient: o.messagesPerClient, sendRatePerClient: o.sendRatePerClient, payloadBytes: o.payloadBytes, warmupMessages: warmupMessages(o) },
    });
    await s.waitForSubscribers();
    const connected = await server.stats({ gc: true });
    const from = await server.stats({ reset: true });
    s.startClock();
    s.setPhase('measuring');
    const started = Date.now();
    const startUs = nowUs() + START_LEAD_US;
    const replies = await s.guard(pool.command(() => ({ type: 'scenario', action: 'send', startUs })));
    const sent = replies.reduce((a, m) => a + (m.values.sent ?? 0), 0);
    const failedSends = replies.reduce((a, m) => a + (m.values.failed ?? 0), 0);
    // A WebSocket send resolves once written: wait (at most the drain) until the server has published them all.
    const deadline = Date.now() + o.drainMs;
    let to = await server.stats();
    while (to.lastSeq < sent - failedSends && Date.now() < deadline) {
      await s.guard(delay(10));
      to = await server.stats();
    }
    const windowMs = Date.now() - started;
    s.setPhase('draining');
    const published = to.lastSeq;
    const r = await s.guard(pool.finish(published, o.drainMs));
    const end = await server.stats();
    const latency = LatencyRecorder.summarizeEncoded([r.histogram]);
    const echoed = countOf(r, 'echoed');
    return {
      latency,
      histogram: r.histogram,
      timeline: s.timeline,
      delivery: { ...deliveryFigures(r, published, o.clients, latency.count, windowMs), publishedEvents: published },
      churn: {
        connectionsOpened: end.connectionsAccepted - from.connectionsAccepted,
        connectionsClosed: end.connectionsClosed - from.connectionsClosed,
        httpRequests: end.requests - from.requests,
        requestsPerEvent: round4(r.received > 0 ? (end.requests - from.requests) / r.received : 0),
      },
      wire: wireFigures(from, end, r.received),
      server: serverFigures({ base, connected, from, to }, o.clients, latency.count),
      driver: s.health(r),
      roundTrip: {
        messagesSent: sent,
        failedSends,
        echoed,
        latency: summaryOf(r, 'roundTrip'),
        // Up to the moment every message was published: closing the clients afterwards is not upstream cost.
        serverBytesReadPerMessage: round4(sent > 0 ? (to.bytesRead - from.bytesRead) / sent : 0),
        httpRequestsPerMessage: round4(sent > 0 ? (to.requests - from.requests) / sent : 0),
      },
    };
  });
};
