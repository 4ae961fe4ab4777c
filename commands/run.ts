// `rtbench run FILE...`: run scenario files (a user's own, or the built-in ones under scenarios/) in turn, each
// validated before anything starts; plus what `compare` shares with it: the override flags and the output.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parseBandwidthKbit, parseDurationMs, parseIntIn, parseNumberIn, parseTransports } from '../lib/validate.ts';
import { Interrupted, UsageError } from '../lib/errors.ts';
import { TRANSPORTS, type Transport } from '../lib/transports.ts';
import { runScenario } from '../driver/scenarios/index.ts';
import { checkMachineLimits } from '../driver/preflight.ts';
import { checkLinkAllowed } from '../net/link.ts';
import type { RunHooks, RunResult } from '../lib/result.ts';
import { FIELDS, PROFILES, checkField, type FieldName, type FieldSpec, type ProfileValues, type ScenarioOptions } from '../lib/options.ts';
import { loadScenarioFile, resolveOptions } from '../scenarios/load.ts';
import { renderTerminal } from '../reports/terminal.ts';
import { renderJson } from '../reports/json.ts';
import { renderHtml } from '../reports/html.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { createProgressDisplay } from '../reports/progress.ts';
import type { ServerSource } from '../lib/result.ts';
import type { ServerPlan } from '../driver/targets.ts';
import { addServerFlags, prepareServers, serverPlanFrom, targetUrls, type ServerFlags } from './servers.ts';
import { addShardFlag, shardRunner, shardTargetFrom } from './shard-flag.ts';

/** The profile run when none is named. */
export const DEFAULT_PROFILE = 'ci';

/** Raw commander options shared by `compare` and `run` (strings until validated; undefined unless given). */
export interface ScenarioFlags extends ServerFlags {
  profile?: string;
  transports?: string;
  /** --shard i/N of compare and run (commands/shard-flag.ts). */
  shard?: string;
  /** One entry per option flag of FIELDS, by commander's attribute name (see attributeOf). */
  [attribute: string]: string | boolean | string[] | undefined;
  out: string;
  html: string | boolean;
  md?: string;
  json: boolean;
  quiet: boolean;
  color: boolean;
}

/** The options that have a flag, in FIELDS order. */
const FLAGGED = (Object.keys(FIELDS) as FieldName[]).filter((name) => (FIELDS[name] as FieldSpec).flag !== undefined);

/** commander's attribute for a flag: "--poll-interval" -> "pollInterval", "--no-keep-alive" -> "keepAlive". */
export function attributeOf(flag: string): string {
  return flag.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Adds the profile, option and output flags to `cmd`. Options have no default: the profile's values apply. */
export function addScenarioFlags(cmd: Command): Command {
  return addServerFlags(addOptionFlags(cmd))
    .option('-o, --out <dir>', 'directory for result files', 'results')
    .addOption(new Option('--html [file]', 'write the HTML report to this file').default(true, 'next to each JSON result'))
    .option('--no-html', 'do not write the HTML report')
    .option('--md <file>', 'write the Markdown summary to a file (- for stdout)')
    .option('--json', 'print the result JSON to stdout instead of the table', false)
    .option('-q, --quiet', 'no live progress', false)
    .option('--no-color', 'no colours in the table');
}

/** Adds the profile and option flags (no output flags) to `cmd`. */
export function addOptionFlags(cmd: Command): Command {
  cmd
    .option('--profile <name>', `profile of the scenario: smoke, ci or full (default: ${DEFAULT_PROFILE})`)
    .option('-t, --transports <list>', `comma-separated transports: ${TRANSPORTS.join(',')} (default: the scenario's)`);
  for (const name of FLAGGED) {
    const spec = FIELDS[name] as FieldSpec;
    const flag = spec.flag as string;
    const names = 'short' in spec && spec.short ? `${spec.short}, ${flag}` : flag;
    // a --no- flag turns off what the option's doc describes, which is on by default
    if (spec.type === 'boolean') cmd.option(names, flag.startsWith('--no-') ? `off: ${spec.doc} (on by default)` : spec.doc);
    else if (spec.type === 'enum') cmd.option(`${names} <name>`, `${spec.doc}; one of: ${spec.values.join(', ')} (default: ${spec.default})`);
    else if ('unit' in spec && spec.unit === 'kbit') cmd.option(`${names} <rate>`, `${spec.doc}, e.g. 512kbit, 2mbit, 1gbit`);
    else cmd.option(`${names} <${'unit' in spec && spec.unit === 'ms' ? 'time' : 'n'}>`, spec.doc + ('unit' in spec && spec.unit === 'ms' ? ', e.g. 500ms, 8s, 2m' : ''));
  }
  return cmd;
}

/** The options the user set on the command line (validated against FIELDS, one sentence per bad flag), and --transports. */
export function overridesFrom(f: ScenarioFlags, cmd: Command): { overrides: ProfileValues; transports?: Transport[] } {
  const o: ProfileValues = {};
  for (const name of FLAGGED) {
    const spec = FIELDS[name] as FieldSpec;
    const flag = spec.flag as string;
    const attribute = attributeOf(flag);
    if (cmd.getOptionValueSource(attribute) !== 'cli') continue;
    const raw = f[attribute];
    if (spec.type === 'boolean') o[name] = raw === true;
    else if (spec.type === 'enum') {
      if (typeof raw !== 'string') continue;
      const error = checkField(flag, spec, raw);
      if (error !== undefined) throw new UsageError(error);
      o[name] = raw;
    } else if (spec.type === 'int' || spec.type === 'number') {
      if (typeof raw !== 'string') continue;
      if ('unit' in spec && spec.unit === 'kbit') o[name] = parseBandwidthKbit(flag, raw, spec.min, spec.max);
      else if ('unit' in spec && spec.unit === 'ms') o[name] = parseDurationMs(flag, raw, spec.min, spec.max);
      else if (spec.type === 'int') o[name] = parseIntIn(flag, raw, spec.min, spec.max);
      else o[name] = parseNumberIn(flag, raw, spec.min, spec.max);
    }
  }
  return { overrides: o, ...(f.transports === undefined ? {} : { transports: parseTransports('--transports', f.transports) }) };
}

/** The --profile named (checked), or the default. */
export function profileFrom(f: ScenarioFlags): string {
  const profile = f.profile ?? DEFAULT_PROFILE;
  if (!(PROFILES as readonly string[]).includes(profile)) throw new UsageError(`--profile must be one of: ${PROFILES.join(', ')}; got "${profile}"`);
  return profile;
}

/** Registers `rtbench run`. */
export function registerRun(program: Command): void {
  addShardFlag(
    addScenarioFlags(
      program
        .command('run')
        .description('run scenario files (JSON, validated before anything starts), one after another, and write a result per file')
        .argument('<files...>', 'scenario files, e.g. scenarios/churn.json my-scenario.json'),
    ),
  ).action(async (files: string[], flags: ScenarioFlags, cmd: Command) => {
    const profile = profileFrom(flags);
    const { overrides, transports } = overridesFrom(flags, cmd);
    const shard = shardTargetFrom(flags, transports);
    if (shard) {
      const runs = files.map((file) => resolveOptions(loadScenarioFile(file), profile, overrides, [shard.transport]));
      await executeRuns(runs, flags, undefined, shardRunner(shard, runs, flags));
      return;
    }
    const servers = serverPlanFrom(flags, transports);
    // Every file is checked before the first one runs.
    const runs = files.map((file) => resolveOptions(loadScenarioFile(file), profile, overrides, servers.transports));
    await executeRuns(runs, flags, servers.plan);
  });
}

/** Runs one scenario's options (runScenario, or a shard's run). */
export type Runner = (options: ScenarioOptions, hooks: RunHooks) => Promise<RunResult>;

/**
 * Runs each of `runs` in turn with `runner`, printing and writing every result; stops at Ctrl-C (what was measured
 * is written). With a server plan (--target, --server-cmd) the runs measure those servers, after the contract check.
 */
export async function executeRuns(runs: ScenarioOptions[], flags: ScenarioFlags, plan?: ServerPlan, runner: Runner = runScenario): Promise<void> {
  // Every run must fit this machine (open files, ephemeral ports) before the first one starts.
  for (const options of runs) {
    checkMachineLimits(options);
    checkLinkAllowed(options);
  }
  const say = flags.json ? process.stderr : process.stdout;
  let servers: ServerSource | undefined;
  if (plan) {
    const other = runs.find((o) => o.kind !== 'fanout');
    if (other) throw new UsageError(`--target and --server-cmd run fan-out scenarios only, but "${other.scenario}" is a ${other.kind} scenario`);
    servers = await prepareServers(plan, [...new Set(runs.flatMap((o) => o.transports))], flags, (line) => process.stderr.write(line));
  }
  const results: RunResult[] = [];
  for (const options of runs) {
    const result = await runOne(options, flags, runner, servers);
    if (plan) result.targets = targetUrls(plan, options.transports);
    results.push(result);
    const files = writeResult(result, flags);
    if (flags.json) process.stdout.write(renderJson(result));
    else process.stdout.write(renderTerminal(result, { color: flags.color && process.stdout.isTTY === true && !process.env.NO_COLOR }));
    for (const f of files) say.write(`${f.label}: ${f.path}\n`);
    if (result.interrupted) break;
  }
  for (const f of writeCombined(results, flags)) say.write(`${f.label}: ${f.path}\n`);
  if (results.some((r) => r.interrupted)) throw new Interrupted('interrupted; what was measured is in the files above');
}

/** Runs one scenario with live progress; Ctrl-C, SIGTERM and SIGHUP stop it and keep what was measured. */
export async function runOne(options: ScenarioOptions, flags: ScenarioFlags, runner: Runner, servers?: ServerSource): Promise<RunResult> {
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
  // SIGTERM and SIGHUP (a closed terminal) are handled like Ctrl-C: stop everything, keep what was measured.
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  process.on('SIGHUP', onSigint);
  const progress = createProgressDisplay(process.stderr, { quiet: flags.quiet || flags.json });
  try {
    return await runner(options, {
      signal: controller.signal,
      ...(servers ? { servers } : {}),
      onProgress: (p) => progress.update(p),
      // Said before the run starts, so a user can stop a run that cannot be valid; also kept in the result.
      onWarnings: (warnings) => {
        for (const w of warnings) process.stderr.write(`rtbench: warning: ${w}\n`);
      },
    });
  } finally {
    progress.done();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    process.off('SIGHUP', onSigint);
  }
}

/** Writes results/<timestamp>-<scenario>.json and, unless --no-html or --html FILE, the HTML next to it. */
function writeResult(result: RunResult, flags: ScenarioFlags): { label: string; path: string }[] {
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const shard = result.shard ? `-shard-${result.shard.index}-of-${result.shard.count}` : '';
  const base = join(resolve(flags.out), `${stamp}-${result.scenario}${shard}`);
  mkdirSync(dirname(base), { recursive: true });
  const written: { label: string; path: string }[] = [];
  writeFileSync(`${base}.json`, renderJson(result));
  written.push({ label: 'result', path: `${base}.json` });
  if (flags.html === true) {
    writeFileSync(`${base}.html`, renderHtml([result], { generatedAt: new Date().toISOString() }));
    written.push({ label: 'report', path: `${base}.html` });
  }
  return written;
}

/** The outputs that cover every result of the invocation: --html FILE and --md. */
function writeCombined(results: RunResult[], flags: ScenarioFlags): { label: string; path: string }[] {
  const written: { label: string; path: string }[] = [];
  if (results.length === 0) return written;
  if (typeof flags.html === 'string') {
    const htmlPath = resolve(flags.html);
    mkdirSync(dirname(htmlPath), { recursive: true });
    writeFileSync(htmlPath, renderHtml(results, { generatedAt: new Date().toISOString() }));
    written.push({ label: 'report', path: htmlPath });
  }
  if (flags.md === '-') process.stdout.write(renderMarkdown(results));
  else if (flags.md) {
    writeFileSync(resolve(flags.md), renderMarkdown(results));
    written.push({ label: 'markdown', path: resolve(flags.md) });
  }
  return written;
}
