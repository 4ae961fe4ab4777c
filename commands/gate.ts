// `rtbench gate` and `rtbench baseline save`: the CI performance regression gate (see docs/gate.md).
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.ts';

/** Registers `rtbench gate ...` and `rtbench baseline save ...` on the program. */
export function registerGate(program: Command): void {
  program
    .command('gate')
    .description('compare current results with a baseline; exit 99 on a regression')
    .requiredOption('--baseline <file>', 'baseline file written by `rtbench baseline save`')
    .action(() => {
      throw new UsageError('rtbench gate is not implemented yet');
    });
  const baseline = program.command('baseline').description('manage gate baselines');
  baseline
    .command('save')
    .description('run rounds (or wrap result files) and write a baseline file')
    .requiredOption('--out <file>', 'baseline file to write')
    .action(() => {
      throw new UsageError('rtbench baseline save is not implemented yet');
    });
}
