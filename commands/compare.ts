// `rtbench compare`: run a built-in scenario (fan-out by default, its ci profile) over the transports, print the
// table, write the result files. Flags given explicitly override the profile's values.
import type { Command } from 'commander';
import { builtinScenarios, loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { addScenarioFlags, executeRuns, overridesFrom, profileFrom, type ScenarioFlags } from './run.ts';
import { serverPlanFrom } from './servers.ts';

/** Raw commander options of `compare`. */
interface CompareFlags extends ScenarioFlags {
  scenario: string;
}

/** Registers `rtbench compare`. */
export function registerCompare(program: Command): void {
  addScenarioFlags(
    program
      .command('compare')
      .description('run a built-in scenario over the transports, one at a time, and print a side-by-side comparison')
      .option('--scenario <name>', `built-in scenario: ${builtinScenarios().join(', ')}`, 'fanout'),
  ).action(async (flags: CompareFlags, cmd: Command) => {
    const file = loadBuiltin(flags.scenario);
    const profile = profileFrom(flags);
    const { overrides, transports } = overridesFrom(flags, cmd);
    const servers = serverPlanFrom(flags, transports);
    await executeRuns([resolveOptions(file, profile, overrides, servers.transports)], flags, servers.plan);
  });
}
