// The fan-out scenario: N subscribers, R events/s broadcast to all of them, on the one pipeline: warm up until
// the per-second p99 settles, measure a window, drain, collect.
import type { Transport } from '../../../lib/transports.ts';
import { warmupCapMs, type FanoutOptions, type OptionsOf } from '../../../lib/options.ts';
import type { RunHooks, RunResult } from '../../../lib/result.ts';
import { runTransports, type Figures, type TransportRun } from '../../pipeline.ts';
import { planGenerator } from '../../sizing.ts';

/** Events the server keeps for resumption: everything a run can publish, at least 10 000. */
export function retentionFor(o: Pick<FanoutOptions, 'rate' | 'warmupMs' | 'warmupMaxMs' | 'durationMs'>, tailMs = 0): number {
  return Math.max(10_000, Math.ceil((o.rate * (warmupCapMs(o) + o.durationMs + tailMs + 1000)) / 1000));
}

/** The generator of one transport for a fan-out: processes from the offered load (clients x rate). */
export function generatorFor(transport: Transport, o: Pick<FanoutOptions, 'clients' | 'rate' | 'workers'>): { processes: number; warning?: string } {
  return planGenerator(transport, o.clients, o.clients * o.rate, o.workers);
}

/** Warnings before a fan-out-like run: a transport whose offered load this machine cannot generate. */
export function generatorWarnings(o: Pick<FanoutOptions, 'transports' | 'clients' | 'rate' | 'workers'>): string[] {
  return o.transports.flatMap((t) => generatorFor(t, o).warning ?? []);
}

/** One transport's fan-out on `run`: the figures of its window. */
export async function fanoutFigures(run: TransportRun, o: FanoutOptions): Promise<Figures> {
  const server = await run.spawn({ retention: retentionFor(o) });
  const base = await server.stats({ gc: true });
  run.setPhase('connecting');
  await run.connect({ workers: generatorFor(run.transport, o).processes });
  await run.waitForSubscribers();
  const connected = await server.stats({ gc: true });
  await run.probe();
  const s0 = await server.stats();
  const w = await run.publishWindow({ rate: o.rate, payloadBytes: o.payloadBytes, warmupMs: o.warmupMs, warmupMaxMs: warmupCapMs(o), durationMs: o.durationMs });
  run.setPhase('draining');
  const report = await run.guard(run.clients.finish(w.lastSeq, o.drainMs));
  const end = await server.stats();
  return run.standardFigures({ report, snapshots: w.snapshots, base, connected, s0, end, publishedEvents: w.lastSeq, lastSeq: w.lastSeq, lastDueUs: w.lastDueUs, warmup: w.warmup });
}

/** Runs the fan-out scenario over `options.transports`, one at a time. */
export function runFanout(o: OptionsOf<'fanout'>, hooks: RunHooks = {}): Promise<RunResult> {
  return runTransports(o, hooks, o.warmupMs + o.durationMs, (run) => fanoutFigures(run, o), generatorWarnings(o));
}
