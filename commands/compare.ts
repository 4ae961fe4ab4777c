// `rtbench compare`: run the fan-out scenario over the transports, print the table, write the result files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDurationMs, parseIntIn, parseTransports } from '../lib/validate.ts';
import { Interrupted, UsageError } from '../lib/errors.ts';
import { DEFAULT_FANOUT, workersFor } from '../scenarios/fanout.ts';
import { runFanout } from '../driver/run.ts';
import type { FanoutOptions, RunResult } from '../driver/result.ts';
import { renderTerminal } from '../reports/terminal.ts';
import { renderJson } from '../reports/json.ts';
import { renderHtml } from '../reports/html.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { createProgressDisplay } from '../reports/progress.ts';

/** Raw commander options of `compare` (strings until validated). */
interface CompareFlags {
  scenario: string;
  transports?: string;
  clients: string;
  rate: string;
  payload: string;
  duration: string;
  warmup: string;
  pollInterval: string;
  longPollWait: string;
  drain: string;
  workers?: string;
  wsCompression: boolean;
  injectDelayMs: string;
  injectCpuUs: string;
  out: string;
  html: string | boolean;
  md?: string;
  json: boolean;
  quiet: boolean;
  color: boolean;
}

/** Turns validated flags into run options; throws UsageError naming the first bad flag. */
export function fanoutOptionsFrom(f: CompareFlags): FanoutOptions {
  if (f.scenario !== 'fanout') throw new UsageError(`unknown scenario "${f.scenario}"; expected one of: fanout`);
  const clients = parseIntIn('--clients', f.clients, 1, 100_000);
  const o: FanoutOptions = {
    ...DEFAULT_FANOUT,
    transports: parseTransports('--transports', f.transports),
    clients,
    rate: parseIntIn('--rate', f.rate, 1, 1_000_000),
    payloadBytes: parseIntIn('--payload', f.payload, 0, 1_048_576),
    durationMs: parseDurationMs('--duration', f.duration, 100),
    warmupMs: parseDurationMs('--warmup', f.warmup, 0),
    pollIntervalMs: parseDurationMs('--poll-interval', f.pollInterval, 0, 600_000),
    longPollWaitMs: parseDurationMs('--long-poll-wait', f.longPollWait, 1, 120_000),
    drainMs: parseDurationMs('--drain', f.drain, 0, 600_000),
    workers: workersFor(clients, f.workers === undefined ? undefined : parseIntIn('--workers', f.workers, 1, 64)),
    wsCompression: f.wsCompression,
    injectDelayMs: parseIntIn('--inject-delay-ms', f.injectDelayMs, 0, 60_000),
    injectCpuUs: parseIntIn('--inject-cpu-us', f.injectCpuUs, 0, 1_000_000),
  };
  const events = Math.round((o.rate * (o.warmupMs + o.durationMs)) / 1000);
  if (events * o.clients > 2_000_000_000) throw new UsageError(`--rate x (--warmup + --duration) x --clients asks for ${events * o.clients} deliveries; keep it under 2 000 000 000`);
  return o;
}

/** Registers `rtbench compare`. */
export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('run a scenario over the transports, one at a time, and print a side-by-side comparison')
    .option('--scenario <name>', 'scenario to run', 'fanout')
    .option('-t, --transports <list>', 'comma-separated transports: short-poll,long-poll,ws,sse,fetch-stream (default: all)')
    .option('-c, --clients <n>', 'subscribers per transport', String(DEFAULT_FANOUT.clients))
    .option('-r, --rate <n>', 'events published per second', String(DEFAULT_FANOUT.rate))
    .option('-p, --payload <bytes>', 'payload bytes per event', String(DEFAULT_FANOUT.payloadBytes))
    .option('-d, --duration <time>', 'measured window, e.g. 8s', `${DEFAULT_FANOUT.durationMs / 1000}s`)
    .option('-w, --warmup <time>', 'warm-up before measuring, e.g. 2s', `${DEFAULT_FANOUT.warmupMs / 1000}s`)
    .option('--poll-interval <time>', 'short-poll interval', `${DEFAULT_FANOUT.pollIntervalMs}ms`)
    .option('--long-poll-wait <time>', 'long-poll wait', `${DEFAULT_FANOUT.longPollWaitMs}ms`)
    .option('--drain <time>', 'longest wait for stragglers after publishing stops', `${DEFAULT_FANOUT.drainMs}ms`)
    .option('--workers <n>', 'client processes (default: 1 per 15 000 clients)')
    .option('--ws-compression', 'enable WebSocket per-message deflate', false)
    .option('--inject-delay-ms <ms>', 'test knob: the servers delay every publish tick by this much', '0')
    .option('--inject-cpu-us <us>', 'test knob: the servers burn this much CPU per event per subscriber', '0')
    .option('-o, --out <dir>', 'directory for result files', 'results')
    .option('--html [file]', 'write the HTML report (default: next to the JSON result)', true)
    .option('--no-html', 'do not write the HTML report')
    .option('--md <file>', 'write the Markdown summary to a file (- for stdout)')
    .option('--json', 'print the result JSON to stdout instead of the table', false)
    .option('-q, --quiet', 'no live progress', false)
    .option('--no-color', 'no colours in the table')
    .action(async (flags: CompareFlags) => {
      const options = fanoutOptionsFrom(flags);
      await compare(options, flags);
    });
}

async function compare(options: FanoutOptions, flags: CompareFlags): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\nrtbench: interrupted; stopping servers and clients and saving what was measured (Ctrl-C again to quit now)\n');
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const progress = createProgressDisplay(process.stderr, { quiet: flags.quiet || flags.json });
  let result: RunResult;
  try {
    result = await runFanout(options, { signal: controller.signal, onProgress: (p) => progress.update(p) });
  } finally {
    progress.done();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  const files = writeResult(result, flags);
  if (flags.json) process.stdout.write(renderJson(result));
  else process.stdout.write(renderTerminal(result, { color: flags.color && process.stdout.isTTY === true && !process.env.NO_COLOR }));
  const say = flags.json ? process.stderr : process.stdout;
  for (const f of files) say.write(`${f.label}: ${f.path}\n`);
  if (result.interrupted) throw new Interrupted('interrupted; what was measured is in the files above');
}

/** Writes results/<timestamp>-<scenario>.json (+ .html, + .md); returns what was written. */
function writeResult(result: RunResult, flags: CompareFlags): { label: string; path: string }[] {
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const base = join(resolve(flags.out), `${stamp}-${result.scenario}`);
  mkdirSync(dirname(base), { recursive: true });
  const written: { label: string; path: string }[] = [];
  writeFileSync(`${base}.json`, renderJson(result));
  written.push({ label: 'result', path: `${base}.json` });
  if (flags.html !== false) {
    const htmlPath = typeof flags.html === 'string' ? resolve(flags.html) : `${base}.html`;
    mkdirSync(dirname(htmlPath), { recursive: true });
    writeFileSync(htmlPath, renderHtml([result], { generatedAt: new Date().toISOString() }));
    written.push({ label: 'report', path: htmlPath });
  }
  if (flags.md === '-') process.stdout.write(renderMarkdown([result]));
  else if (flags.md) {
    writeFileSync(resolve(flags.md), renderMarkdown([result]));
    written.push({ label: 'markdown', path: resolve(flags.md) });
  }
  return written;
}
