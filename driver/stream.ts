// The stream scenario, LLM-style token streaming: every client opens its own stream (`?stream=ID&tokens=T&
// interval=MS&bytes=B` on its transport's endpoint) and the server generates T tokens for it, one every MS ms from
// the moment the request arrived, framed like any event. The polling transports poll their stream with its
// cursor. Measures time to first token, inter-token time as received, total time and bytes per token.
import type { OptionsOf, ScenarioRunner } from './scenarios.ts';
import { LatencyRecorder } from '../clients/recorder.ts';
import { countOf, deliveryFigures, round1, runSessions, serverFigures, summaryOf } from './session.ts';

/** Runs the stream scenario over `options.transports`. */
export const runStream: ScenarioRunner = (options, hooks) => {
  if (options.kind !== 'stream') throw new Error(`the stream runner got a "${options.kind}" scenario`);
  const o: OptionsOf<'stream'> = options;
  const streamMs = o.tokens * o.tokenIntervalMs;
  return runSessions(o, hooks, streamMs, async (s) => {
    const server = await s.spawn();
    const base = await server.stats({ gc: true });
    const from = await server.stats({ reset: true });
    // Connecting is opening the streams: each starts as its request arrives.
    s.startClock();
    s.setPhase('measuring');
    const started = Date.now();
    const pool = await s.connectPool({
      measureFromSeq: 1,
      measureToSeq: o.tokens,
      scenario: { kind: 'stream', tokens: o.tokens, tokenIntervalMs: o.tokenIntervalMs, tokenBytes: o.tokenBytes },
    });
    const connected = await server.stats();
    s.setPhase('draining');
    // Every stream's last token is seq T of that stream.
    const r = await s.guard(pool.finish(o.tokens, streamMs + o.drainMs));
    const windowMs = Date.now() - started;
    const to = await server.stats();
    const latency = LatencyRecorder.summarizeEncoded([r.histogram]);
    const written = to.bytesWritten - from.bytesWritten;
    return {
      latency,
      histogram: r.histogram,
      timeline: s.timeline,
      // Every stream is its own: clients x tokens events, each expected once.
      delivery: { ...deliveryFigures(r, o.tokens, o.clients, latency.count, windowMs), publishedEvents: o.clients * o.tokens },
      churn: {
        connectionsOpened: to.connectionsAccepted - from.connectionsAccepted,
        connectionsClosed: to.connectionsClosed - from.connectionsClosed,
        httpRequests: to.requests - from.requests,
        requestsPerEvent: Math.round(((to.requests - from.requests) / Math.max(1, r.received)) * 10_000) / 10_000,
      },
      wire: { serverBytesWritten: written, serverBytesRead: to.bytesRead - from.bytesRead, bytesPerEvent: round1(r.received > 0 ? written / r.received : 0) },
      server: serverFigures({ base, connected, from, to }, o.clients, latency.count),
      driver: s.health(r),
      stream: {
        streams: o.clients,
        tokensPerStream: o.tokens,
        firstToken: summaryOf(r, 'firstToken'),
        interToken: summaryOf(r, 'interToken'),
        total: summaryOf(r, 'total'),
        completed: countOf(r, 'completed'),
        bytesPerToken: round1(r.received > 0 ? written / r.received : 0),
      },
    };
  });
};
