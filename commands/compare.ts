// `rtbench compare`: run a built-in scenario (fan-out by default, its ci profile) over the transports, print the
// table, write the result files. Flags given explicitly override the profile's values.
import type { Command } from 'commander';
import { builtinScenarios, loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { addScenarioFlags, executeRuns, overridesFrom, profileFrom, type ScenarioFlags } from './run.ts';
import { serverPlanFrom } from './servers.ts';
import { addShardFlag, shardRunner, shardTargetFrom } from './shard-flag.ts';

/** Raw commander options of `compare`. */
interface CompareFlags extends ScenarioFlags {
  scenario: string;
}

/** Registers `rtbench compare`. */
export function registerCompare(program: Command): void {
  addShardFlag(
    addScenarioFlags(
      program
        .command('compare')
        .description('run a built-in scenario over the transports, one at a time, and print a side-by-side comparison')
        .option('--scenario <name>', `built-in scenario: ${builtinScenarios().join(', ')}`, 'fanout'),
    ),
  ).action(async (flags: CompareFlags, cmd: Command) => {
    const profile = profileFrom(flags);
    const { overrides, transports } = overridesFrom(flags, cmd);
    const shard = shardTargetFrom(flags, transports);
    const file = loadBuiltin(flags.scenario);
    if (shard) {
      const runs = [resolveOptions(file, profile, overrides, [shard.transport])];
      await executeRuns(runs, flags, undefined, shardRunner(shard, runs, flags));
      return;
    }
    const servers = serverPlanFrom(flags, transports);
    await executeRuns([resolveOptions(file, profile, overrides, servers.transports)], flags, servers.plan);
  });
}
