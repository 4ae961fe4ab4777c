// The scenario registry: one runner per scenario kind, all with the same signature and the same result shape.
import type { RunHooks, RunResult } from './result.ts';
import type { ScenarioKind, ScenarioOptions } from '../scenarios/schema.ts';
import { runFanout } from './run.ts';

export type { ScenarioKind, ScenarioOptions, OptionsOf } from '../scenarios/schema.ts';

/** Runs one scenario over `options.transports`, one transport at a time; never throws for a transport's failure. */
export type ScenarioRunner = (options: ScenarioOptions, hooks: RunHooks) => Promise<RunResult>;

function notYet(kind: ScenarioKind): ScenarioRunner {
  return () => Promise.reject(new Error(`the ${kind} scenario has no runner yet`));
}

/** The runner of each scenario kind. */
export const RUNNERS: Record<ScenarioKind, ScenarioRunner> = {
  fanout: (o, hooks) => runFanout(o, hooks),
  churn: notYet('churn'),
  chat: notYet('chat'),
  idle: notYet('idle'),
  burst: notYet('burst'),
  stream: notYet('stream'),
  capacity: notYet('capacity'),
  'poll-ceiling': notYet('poll-ceiling'),
};
