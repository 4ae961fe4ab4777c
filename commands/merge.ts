// `rtbench merge SHARD.json... -o OUT.json`: the shards' partial results of one run -> the one result a single run
// with all their clients would have reported (driver/merge.ts), with its HTML report next to it.
import type { Command } from 'commander';
import { loadResult } from '../lib/result.ts';
import { mergeShards } from '../driver/merge.ts';
import { renderJson } from '../reports/json.ts';
import { renderHtml } from '../reports/html.ts';
import { renderTerminal } from '../reports/terminal.ts';
import { htmlPathFor, writeReportFile } from './report.ts';

/** Registers `rtbench merge`. */
export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description("merge the shards' partial results of one run (--shard i/N) into the result one run with all their clients would have reported")
    .argument('<files...>', "every shard's result file, e.g. shard-0.json shard-1.json")
    .requiredOption('-o, --out <file>', 'the merged result file (JSON); its HTML report is written next to it')
    .option('--no-html', 'do not write the HTML report')
    .action((files: string[], flags: { out: string; html: boolean }) => {
      const merged = mergeShards(
        files.map((f) => loadResult(f)),
        files,
      );
      writeReportFile(flags.out, renderJson(merged));
      process.stdout.write(renderTerminal(merged, { color: false }));
      process.stdout.write(`result: ${flags.out}\n`);
      if (flags.html) {
        const html = htmlPathFor(flags.out);
        writeReportFile(html, renderHtml([merged], { generatedAt: new Date().toISOString() }));
        process.stdout.write(`report: ${html}\n`);
      }
    });
}
