// The scenario registry: one runner per scenario kind, all with the same signature and the same result shape.
import type { RunHooks, RunResult } from '../lib/result.ts';
import type { ScenarioKind, ScenarioOptions } from '../lib/options.ts';
import { runFanout } from './run.ts';
import { runChurn } from './churn.ts';
import { runChat } from './chat.ts';
import { runBurst } from './burst.ts';
import { runStream } from './stream.ts';
import { runIdle } from './idle.ts';
import { runCapacity } from './capacity.ts';
import { runPollCeiling } from './poll-ceiling.ts';

export type { ScenarioKind, ScenarioOptions, OptionsOf } from '../lib/options.ts';

/** Runs one scenario over `options.transports`, one transport at a time; a transport's failure is recorded, not thrown. */
export type ScenarioRunner = (options: ScenarioOptions, hooks: RunHooks) => Promise<RunResult>;

/** The runner of each scenario kind. */
export const RUNNERS: Record<ScenarioKind, ScenarioRunner> = {
  fanout: (o, hooks) => {
    if (o.kind !== 'fanout') throw new Error(`the fanout runner got a "${o.kind}" scenario`);
    return runFanout(o, hooks);
  },
  churn: runChurn,
  chat: runChat,
  idle: runIdle,
  burst: runBurst,
  stream: runStream,
  capacity: runCapacity,
  'poll-ceiling': runPollCeiling,
};

/** Runs `options` with its kind's runner; the result is `invalid` when a load generator saturated in any transport. */
export async function runScenario(options: ScenarioOptions, hooks: RunHooks = {}): Promise<RunResult> {
  const result = await RUNNERS[options.kind](options, hooks);
  return { ...result, invalid: result.invalid === true || result.transports.some((t) => t.driver?.saturated === true) };
}
