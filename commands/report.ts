// `rtbench report RESULT.json [...]`: render saved results as HTML, Markdown, or terminal tables.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.ts';
import { renderHtml } from '../reports/html.ts';
import { loadResult } from '../lib/result.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { renderTerminalRuns } from '../reports/terminal.ts';

/** Options of `rtbench report`. */
export interface ReportOptions {
  /** Write a self-contained HTML report here. */
  html?: string;
  /** Write Markdown here; "-" prints it to stdout. */
  md?: string;
}

/** Where `rtbench report` writes: stdout for reports, stderr for "wrote FILE" notes. Injectable for tests. */
export interface ReportIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown };
  /** ISO time for the HTML generated-at line. */
  now: () => string;
}

/** Path of the HTML report written next to a JSON result ("results/run.json" -> "results/run.html"). */
export function htmlPathFor(jsonPath: string): string {
  return /\.json$/i.test(jsonPath) ? jsonPath.replace(/\.json$/i, '.html') : `${jsonPath}.html`;
}

/** Writes `text` to `file`; throws UsageError naming the file when it cannot. */
export function writeReportFile(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'its directory does not exist' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot write report file "${file}": ${why}`);
  }
}

/** Runs `rtbench report`: validates every file first, then writes what was asked for. */
export function runReport(files: readonly string[], opts: ReportOptions, io: ReportIo): void {
  if (files.length === 0) throw new UsageError('report needs at least one RESULT.json file');
  if (opts.html === '' || opts.html === '-') throw new UsageError('--html needs a file name, got "' + (opts.html ?? '') + '"');
  if (opts.md === '') throw new UsageError('--md needs a file name or "-" for stdout, got ""');
  const results = files.map((f) => loadResult(f));
  const notes = opts.md === '-' ? io.stderr : io.stdout;
  if (opts.html !== undefined) {
    writeReportFile(opts.html, renderHtml(results, { generatedAt: io.now() }));
    notes.write(`wrote HTML report: ${opts.html}\n`);
  }
  if (opts.md !== undefined) {
    const md = renderMarkdown(results);
    if (opts.md === '-') {
      io.stdout.write(md);
    } else {
      writeReportFile(opts.md, md);
      notes.write(`wrote Markdown report: ${opts.md}\n`);
    }
  }
  if (opts.html === undefined && opts.md === undefined) {
    const color = io.stdout.isTTY === true && !('NO_COLOR' in process.env);
    io.stdout.write(renderTerminalRuns(results, { color }));
  }
}

/** Registers `rtbench report` on the program. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description('render saved results: a self-contained HTML file with charts, Markdown, or terminal tables')
    .argument('<result...>', 'result JSON files; two runs of one scenario are shown as before/after')
    .option('--html <file>', 'write one self-contained HTML report (charts inlined, opens offline)')
    .option('--md <file>', 'write the summary as Markdown ("-" prints it to stdout)')
    .addHelpText('after', '\nWithout --html or --md, prints a table per result; two results of one scenario are followed by the change of every row.\n\nExamples:\n  rtbench report results/run.json --html report.html\n  rtbench report before.json after.json --md - >> "$GITHUB_STEP_SUMMARY"')
    .action((files: string[], opts: ReportOptions) => {
      runReport(files, opts, { stdout: process.stdout, stderr: process.stderr, now: () => new Date().toISOString() });
    });
}
