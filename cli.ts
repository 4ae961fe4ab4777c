// rtbench command line: argv -> command modules. The only place that prints errors and picks exit codes.
import { Command, CommanderError } from 'commander';
import { EXIT, RtbenchError, UsageError } from './lib/errors.ts';
import { TRANSPORTS } from './lib/transports.ts';
import { registerCompare } from './commands/compare.ts';
import { registerRun } from './commands/run.ts';
import { registerServe } from './commands/serve.ts';
import { registerReport } from './commands/report.ts';
import { registerGate } from './commands/gate.ts';
import { registerCheck } from './commands/check.ts';
import { registerMerge } from './commands/merge.ts';
import { registerShard } from './commands/shard.ts';
import { registerK8s } from './commands/k8s.ts';
import { registerPaths } from './commands/paths.ts';

const VERSION = '0.1.0';

/** Builds the commander program with every subcommand. */
export function buildProgram(): Command {
  const program = new Command('rtbench')
    .description(`Measure and compare realtime web transports: ${TRANSPORTS.join(', ')}`)
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ outputError: (str, write) => write(str) });
  registerCompare(program);
  registerRun(program);
  registerServe(program);
  registerReport(program);
  registerGate(program);
  registerCheck(program);
  registerMerge(program);
  registerShard(program);
  registerK8s(program);
  registerPaths(program);
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

/** Prints an error the way a user wants to see it and returns the exit code. */
function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (help, version, unknown option)
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
    return EXIT.usage;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`rtbench: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof RtbenchError) {
    process.stderr.write(`rtbench: ${err.message}\n`);
    if (err.code === 'EREGRESSION') return EXIT.regression;
    return err.code === 'EINTERRUPTED' ? EXIT.interrupted : EXIT.failure;
  }
  process.stderr.write(`rtbench: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.failure;
}

await main();
