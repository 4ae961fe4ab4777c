// The scenario runners, by kind: every one runs on the pipeline (driver/pipeline.ts) and returns the same result shape.
import type { OptionsOf, ScenarioKind, ScenarioOptions } from '../../lib/options.ts';
import type { RunHooks, RunResult } from '../../lib/result.ts';
import { runBurst } from './burst/run.ts';
import { runCapacity } from './capacity/run.ts';
import { runChat } from './chat/run.ts';
import { runChurn } from './churn/run.ts';
import { runFanout } from './fanout/run.ts';
import { runFaults } from './faults/run.ts';
import { runIdle } from './idle/run.ts';
import { runPollCeiling } from './poll-ceiling/run.ts';
import { runSlowConsumer } from './slow-consumer/run.ts';
import { runStream } from './stream/run.ts';
import { runBrowserLimits } from './browser-limits/run.ts';
import { checkMachineLimits } from '../preflight.ts';

/** The runner of each scenario kind. */
export const RUNNERS: { [K in ScenarioKind]: (options: OptionsOf<K>, hooks?: RunHooks) => Promise<RunResult> } = {
  fanout: runFanout,
  churn: runChurn,
  chat: runChat,
  idle: runIdle,
  burst: runBurst,
  stream: runStream,
  capacity: runCapacity,
  'poll-ceiling': runPollCeiling,
  'slow-consumer': runSlowConsumer,
  faults: runFaults,
  'browser-limits': runBrowserLimits,
};

/**
 * Runs `options` with its kind's runner, one transport at a time; a transport's failure is recorded, not thrown.
 * A run this machine cannot hold (open files, ephemeral ports) is refused first, before anything starts.
 */
export async function runScenario(options: ScenarioOptions, hooks: RunHooks = {}): Promise<RunResult> {
  checkMachineLimits(options);
  const run = RUNNERS[options.kind] as (o: ScenarioOptions, hooks?: RunHooks) => Promise<RunResult>;
  return run(options, hooks);
}
