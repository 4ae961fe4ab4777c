// The stream scenario, LLM-style token streaming: every client opens its own stream (`?stream=ID&tokens=T&
// interval=MS&bytes=B` on its transport's endpoint) and the server generates T tokens for it, one every MS ms from
// the moment the request arrived, framed like any event. The polling transports poll their stream with its
// cursor. Each client process first opens one unmeasured stream, so the measured first tokens do not pay for
// loading the client path (that cold figure is reported apart). Measures time to first token, inter-token time
// as received, total time and bytes per token; the window (CPU, event-loop delay) covers the whole streaming.
import { nowUs } from '../../../lib/clock.ts';
import type { OptionsOf } from '../../../lib/options.ts';
import type { RunHooks, RunResult } from '../../../lib/result.ts';
import { CLOCK_LEAD_US, countOf, runTransports, summaryOf } from '../../pipeline.ts';
import { planGenerator } from '../../sizing.ts';

/** Runs the stream scenario over `options.transports`. */
export function runStream(o: OptionsOf<'stream'>, hooks: RunHooks = {}): Promise<RunResult> {
  const streamMs = o.tokens * o.tokenIntervalMs;
  const deliveriesPerSec = o.tokenIntervalMs > 0 ? (o.clients * 1000) / o.tokenIntervalMs : o.clients * o.tokens;
  return runTransports(o, hooks, { plannedMs: streamMs, deliveriesPerSec }, async (run) => {
    const server = await run.spawn();
    const base = await server.stats({ gc: true });
    // The processes start and warm their client path (one unmeasured stream each) before anything is measured.
    await run.launch({
      workers: planGenerator(run.transport, o.clients, deliveriesPerSec, o.workers).processes,
      scenario: { kind: 'stream', tokens: o.tokens, tokenIntervalMs: o.tokenIntervalMs, tokenBytes: o.tokenBytes },
    });
    await run.probe();
    const s0 = await server.stats();
    const t0 = nowUs() + CLOCK_LEAD_US;
    run.startClock(t0);
    // Connecting is opening the streams: each starts as its request arrives, so the window opens first.
    await run.openWindow({ startUs: t0 });
    const pool = await run.connect();
    const connected = await server.stats();
    run.setPhase('draining');
    // Every stream's last token is seq T of that stream.
    const report = await run.guard(pool.finish(o.tokens, streamMs + o.drainMs));
    const snapshots = await run.closeWindow();
    const end = await server.stats();
    const figures = run.standardFigures({ report, snapshots, base, connected, s0, end, publishedEvents: o.clients * o.tokens, expectedDeliveries: o.clients * o.tokens, lastSeq: o.tokens, lastDueUs: 0 });
    const written = end.bytesWritten - s0.bytesWritten;
    return {
      ...figures,
      stream: {
        streams: o.clients,
        tokensPerStream: o.tokens,
        firstToken: summaryOf(report, 'firstToken'),
        firstTokenCold: summaryOf(report, 'firstTokenCold'),
        interToken: summaryOf(report, 'interToken'),
        total: summaryOf(report, 'total'),
        completed: countOf(report, 'completed'),
        bytesPerToken: report.received > 0 ? written / report.received : 0,
      },
    };
  });
}
