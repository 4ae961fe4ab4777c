// The chat scenario, bidirectional: every client sends messages upstream (WebSocket: a text frame on its socket;
// the HTTP transports: POST /publish) on a fixed schedule, and every client receives the broadcast of all of
// them. Each message carries its sender and scheduled send time; the sender records the round trip when its own
// message comes back. Upstream cost: server bytes read and HTTP requests per upstream message.
import { nowUs } from '../../../lib/clock.ts';
import type { OptionsOf } from '../../../lib/options.ts';
import type { RunHooks, RunResult } from '../../../lib/result.ts';
import { CLOCK_LEAD_US, countOf, runTransports, summaryOf } from '../../pipeline.ts';

/** How long the processes get to receive the start time before the first message is due, µs. */
const START_LEAD_US = 100_000;

/** Messages of each client whose round trip is not recorded (those due within the warm-up). */
export function warmupMessages(o: Pick<OptionsOf<'chat'>, 'warmupMs' | 'sendRatePerClient' | 'messagesPerClient'>): number {
  return Math.min(o.messagesPerClient - 1, Math.round((o.warmupMs * o.sendRatePerClient) / 1000));
}

/** Runs the chat scenario over `options.transports`. */
export function runChat(o: OptionsOf<'chat'>, hooks: RunHooks = {}): Promise<RunResult> {
  const expected = o.clients * o.messagesPerClient;
  const sendMs = (o.messagesPerClient * 1000) / o.sendRatePerClient;
  // Every message reaches every client: clients x clients x sendRate deliveries per second.
  const deliveriesPerSec = o.clients * o.clients * o.sendRatePerClient;
  return runTransports(o, hooks, { plannedMs: sendMs, deliveriesPerSec }, async (run) => {
    const { server, pool, base, connected, s0 } = await run.setUp({
      deliveriesPerSec,
      retention: Math.max(10_000, expected),
      scenario: { kind: 'chat', messagesPerClient: o.messagesPerClient, sendRatePerClient: o.sendRatePerClient, payloadBytes: o.payloadBytes, warmupMessages: warmupMessages(o) },
    });
    const t0 = nowUs() + CLOCK_LEAD_US;
    run.startClock(t0);
    const startUs = t0 + START_LEAD_US;
    // The clients schedule their messages from startUs; the window opens then and lasts until all are published.
    const sending = pool.command(() => ({ type: 'scenario', action: 'send', startUs }));
    await run.openWindow({ startUs });
    const replies = await run.guard(sending);
    const sent = replies.reduce((a, m) => a + (m.values.sent ?? 0), 0);
    const failedSends = replies.reduce((a, m) => a + (m.values.failed ?? 0), 0);
    // A WebSocket send resolves once written: wait (at most the drain) until the server has published them all.
    const deadline = Date.now() + o.drainMs;
    let published = (await server.stats()).lastSeq;
    while (published < sent - failedSends && Date.now() < deadline) {
      await run.sleep(10);
      published = (await server.stats()).lastSeq;
    }
    const snapshots = await run.closeWindow();
    run.setPhase('draining');
    const report = await run.guard(pool.finish(snapshots.to.lastSeq, o.drainMs));
    const end = await server.stats();
    const figures = run.standardFigures({ report, snapshots, base, connected, s0, end, publishedEvents: snapshots.to.lastSeq, lastSeq: snapshots.to.lastSeq, lastDueUs: 0 });
    const { from, to } = snapshots;
    return {
      ...figures,
      roundTrip: {
        messagesSent: sent,
        failedSends,
        echoed: countOf(report, 'echoed'),
        latency: summaryOf(report, 'roundTrip'),
        // Up to the moment every message was published: closing the clients afterwards is not upstream cost.
        serverBytesReadPerMessage: sent > 0 ? (to.bytesRead - from.bytesRead) / sent : 0,
        httpRequestsPerMessage: sent > 0 ? (to.requests - from.requests) / sent : 0,
      },
    };
  });
}
