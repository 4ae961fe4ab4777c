// `rtbench check URL --transports LIST`: checks that a server speaks the wire contract (docs/own-server.md) and
// names the first rule it breaks, in one sentence; exit 0 when every transport passes.
import type { Command } from 'commander';
import { RtbenchError, UsageError } from '../lib/errors.ts';
import { parseTransports } from '../lib/validate.ts';
import { checkContract } from '../driver/check.ts';
import { checkUrl } from '../driver/targets.ts';

/** Raw flags of `rtbench check`. */
interface CheckFlags {
  transports?: string;
  controlToken?: string;
}

/** Registers `rtbench check`. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check that the server at URL speaks the wire contract for each transport it offers; names the first rule broken')
    .argument('<url>', 'base URL of the server, e.g. http://127.0.0.1:3000')
    .option('-t, --transports <list>', 'transports the server offers, each at its path of docs/protocol.md, e.g. sse,ws')
    .option('--control-token <token>', 'control token for POST /publish (default: $RTBENCH_CONTROL_TOKEN)')
    .action(async (rawUrl: string, flags: CheckFlags) => {
      const url = checkUrl('the URL', rawUrl);
      if (flags.transports === undefined) throw new UsageError('check needs --transports naming the transports the server offers, e.g. --transports sse,ws');
      const transports = parseTransports('--transports', flags.transports);
      const token = flags.controlToken ?? (process.env.RTBENCH_CONTROL_TOKEN || undefined);
      const broken: string[] = [];
      for (const t of transports) {
        const outcome = await checkContract(url, t, token);
        if (outcome.ok) process.stdout.write(`ok    ${t}: ${outcome.rules} rules\n`);
        else {
          process.stdout.write(`FAIL  ${t}: ${outcome.rule}\n`);
          broken.push(`${t}: ${outcome.rule}`);
        }
      }
      if (broken.length > 0) throw new RtbenchError('ESERVER', `the server at ${url} breaks the contract (${broken.join('; ')})`);
    });
}
