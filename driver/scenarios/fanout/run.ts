// The fan-out scenario: N subscribers, R events/s broadcast to all of them, on the one pipeline: warm up until
// the per-second p99 settles, measure a window, drain, collect.
import { warmupCapMs, type FanoutOptions, type OptionsOf } from '../../../lib/options.ts';
import type { RunHooks, RunResult } from '../../../lib/result.ts';
import { runTransports, type Figures, type TransportRun } from '../../pipeline.ts';

/** Events the server keeps for resumption: everything a run can publish, at least 10 000. */
export function retentionFor(o: Pick<FanoutOptions, 'rate' | 'warmupMs' | 'warmupMaxMs' | 'durationMs'>, tailMs = 0): number {
  return Math.max(10_000, Math.ceil((o.rate * (warmupCapMs(o) + o.durationMs + tailMs + 1000)) / 1000));
}

/** One transport's fan-out on `run`: the figures of its window. */
export async function fanoutFigures(run: TransportRun, o: FanoutOptions): Promise<Figures> {
  const { server, pool, base, connected, s0 } = await run.setUp({ deliveriesPerSec: o.clients * o.rate, retention: retentionFor(o) });
  const w = await run.publishWindow({ rate: o.rate, payloadBytes: o.payloadBytes, warmupMs: o.warmupMs, warmupMaxMs: warmupCapMs(o), durationMs: o.durationMs });
  run.setPhase('draining');
  const report = await run.guard(pool.finish(w.lastSeq, o.drainMs));
  const end = await server.stats();
  return run.standardFigures({ report, snapshots: w.snapshots, base, connected, s0, end, publishedEvents: w.lastSeq - run.afterSeq, lastSeq: w.lastSeq, lastDueUs: w.lastDueUs, warmup: w.warmup });
}

/** Runs the fan-out scenario over `options.transports`, one at a time. */
export function runFanout(o: OptionsOf<'fanout'>, hooks: RunHooks = {}): Promise<RunResult> {
  return runTransports(o, hooks, { plannedMs: o.warmupMs + o.durationMs, deliveriesPerSec: o.clients * o.rate }, (run) => fanoutFigures(run, o));
}
