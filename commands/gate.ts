// `rtbench gate` and `rtbench baseline save`: the CI performance regression gate (docs/gate.md).
// Every flag and file is validated before anything runs; the gate's verdict becomes exit code 0 or 99.
import type { Command } from 'commander';
import type { RunResult } from '../lib/result.ts';
import { EXIT, RegressionFound, UsageError } from '../lib/errors.ts';
import { FANOUT_FIELDS } from '../lib/options.ts';
import { parseIntIn } from '../lib/validate.ts';
import { loadBaseline, loadRounds, makeBaseline, renderBaseline, writeTextFile, type Baseline } from '../gate/baseline.ts';
import { compareRuns, describeWorkloadDiff, workloadKey, type GateReport } from '../gate/compare.ts';
import { checkRounds, defaultConfig, findConfig, loadConfig, parseConfig, toRawConfig, type GateConfig } from '../gate/config.ts';
import { renderGateJson, renderGateMarkdown, renderGateTable } from '../gate/render.ts';
import { runAbRounds, runRounds, shellQuote, type ExecFn, type RoundInfo, type RunFn } from '../gate/runner.ts';
import type { GateScenario } from '../gate/config.ts';
import { parseTransports } from '../lib/validate.ts';
import type { Transport } from '../lib/transports.ts';
import type { ServerPlan } from '../driver/targets.ts';
import { addServerFlags, checkBeforeRounds, prepareServers, serverPlanFrom, type ServerFlags } from './servers.ts';

/** Raw flags of `rtbench gate` (strings until validated). */
export interface GateFlags extends ServerFlags {
  transports?: string;
  /** With --ab: the base build's server command (the candidate's is --server-cmd). */
  baselineServerCmd?: string;
  baseline?: string;
  current?: string[];
  config?: string;
  rounds?: string;
  alpha?: string;
  strict?: boolean;
  md?: string;
  json?: boolean;
  ab?: boolean;
  baselineCmd?: string;
}

/** Raw flags of `rtbench baseline save`. */
export interface BaselineSaveFlags extends ServerFlags {
  transports?: string;
  out?: string;
  config?: string;
  rounds?: string;
  from?: string[];
}

/** Where the commands write and what they run. Injectable for tests. */
export interface GateIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  cwd: string;
  now: () => string;
  /** Runs one fan-out (runFanout unless a test substitutes it); the rounds of --baseline and baseline save. */
  run?: RunFn;
  /** Runs one round's command of either side of --ab (execCommand unless a test substitutes it). */
  exec?: ExecFn;
  signal?: AbortSignal;
}

/** Parses --alpha: a number above 0 and at most 0.5. */
export function parseAlpha(raw: string): number {
  const text = raw.trim();
  const value = text === '' ? Number.NaN : Number(text);
  if (!(value > 0 && value <= 0.5)) throw new UsageError(`--alpha must be a number above 0 and at most 0.5, got "${text}"`);
  return value;
}

/** The config in force: --config, else ./rtbench.config.json, else the baseline's own, else the defaults. */
function resolveConfig(flag: string | undefined, cwd: string, baseline?: Baseline): GateConfig {
  if (flag !== undefined) {
    if (flag === '') throw new UsageError('--config needs a file name, got ""');
    return loadConfig(flag);
  }
  const found = findConfig(cwd);
  if (found) return loadConfig(found);
  return baseline?.config ?? defaultConfig();
}

/** One stderr line per run: "rtbench gate: round 3/10 fanout (baseline build): ws, sse". */
function progressLine(io: GateIo, command: 'gate' | 'baseline', ab = false): (info: RoundInfo) => void {
  return (info) => {
    const who = ab ? ` (${info.side === 'baseline' ? 'baseline build' : 'candidate'})` : '';
    io.stderr.write(`rtbench ${command}: round ${info.round}/${info.rounds} ${info.scenario}${who}: ${info.transports.join(', ')}\n`);
  };
}

/** Validated plan of a gate run. */
interface GatePlan {
  mode: 'current' | 'run' | 'ab';
  config: GateConfig;
  baseline?: Baseline;
  current: RunResult[];
  rounds: number;
}

/** Validates every flag and file of `rtbench gate`; runs nothing. */
export function planGate(flags: GateFlags, io: Pick<GateIo, 'cwd'>): GatePlan {
  const current = flags.current ?? [];
  if (flags.baselineServerCmd !== undefined) {
    if (!flags.ab) throw new UsageError('--baseline-server-cmd only applies with --ab');
    if (flags.serverCmd === undefined) throw new UsageError('--baseline-server-cmd needs --server-cmd, the candidate server\'s command');
    if (flags.baselineCmd !== undefined) throw new UsageError('--baseline-server-cmd and --baseline-cmd exclude each other: the baseline side runs this rtbench against the base server');
    if (flags.baselineServerCmd.trim() === '') throw new UsageError('--baseline-server-cmd needs a command, got ""');
  }
  if (flags.ab) {
    if (flags.baselineServerCmd === undefined && (flags.baselineCmd === undefined || flags.baselineCmd.trim() === '')) throw new UsageError('--ab needs --baseline-cmd "<command that runs the baseline build and prints its result JSON>"');
    if (flags.target !== undefined) throw new UsageError('--ab compares two builds, so it takes --server-cmd and --baseline-server-cmd rather than --target');
    if (flags.baseline !== undefined) throw new UsageError('--ab measures the baseline with --baseline-cmd, so it takes no --baseline file');
    if (current.length > 0) throw new UsageError('--ab runs the candidate itself, so it takes no --current files');
  } else {
    if (flags.baselineCmd !== undefined) throw new UsageError('--baseline-cmd only applies with --ab');
    if (flags.baseline === undefined || flags.baseline === '') throw new UsageError('gate needs --baseline FILE (written by rtbench baseline save), or --ab with --baseline-cmd');
    if (current.length > 0 && flags.rounds !== undefined) throw new UsageError('--rounds sets how many rounds to run, so it cannot be used with --current files');
    if (current.length > 0 && (flags.target !== undefined || flags.serverCmd !== undefined)) throw new UsageError('--current files were measured already, so they take no --target or --server-cmd');
  }
  if (flags.md === '') throw new UsageError('--md needs a file name, or "-" for stdout, got ""');
  if (flags.json && flags.md === '-') throw new UsageError('--json and --md - both print to stdout; write the Markdown to a file instead');
  const alpha = flags.alpha === undefined ? undefined : parseAlpha(flags.alpha);
  const roundsFlag = flags.rounds === undefined ? undefined : parseIntIn('--rounds', flags.rounds, 1, 1000);

  const baseline = flags.baseline === undefined ? undefined : loadBaseline(flags.baseline);
  const fileConfig = resolveConfig(flags.config, io.cwd, baseline);
  const config: GateConfig = { ...fileConfig, alpha: alpha ?? fileConfig.alpha, strict: flags.strict === true || fileConfig.strict, rounds: roundsFlag ?? fileConfig.rounds };
  const currentRounds = current.flatMap((f) => loadRounds(f));

  if (currentRounds.length === 0) checkRounds(config, roundsFlag === undefined ? 'the configured rounds' : '--rounds');
  if (flags.ab) {
    if (config.scenarios.length !== 1) throw new UsageError(`--ab runs one scenario, but the config names ${config.scenarios.length}; keep one in "scenarios"`);
    return { mode: 'ab', config, current: [], rounds: config.rounds };
  }
  if (currentRounds.length === 0 && baseline) {
    // Running: every scenario must have baseline rounds of the same workload, or the rounds would be wasted.
    for (const s of config.scenarios) {
      const key = workloadKey(s.options);
      if (!baseline.rounds.some((r) => workloadKey(r.options) === key)) {
        const [first] = baseline.rounds;
        const diff = first ? describeWorkloadDiff(first.options, s.options) : '';
        throw new UsageError(`baseline "${baseline.file}" has no rounds of scenario "${s.name}" with these options (${diff}); re-save the baseline or align the config`);
      }
    }
  }
  return { mode: currentRounds.length > 0 ? 'current' : 'run', config, baseline, current: currentRounds, rounds: config.rounds };
}

/** Runs `rtbench gate`: plans, collects rounds, compares, prints; returns the report (exit code is the caller's). */
export async function runGate(flags: GateFlags, io: GateIo): Promise<GateReport> {
  const plan = planGate(flags, io);
  let baselineRounds = plan.baseline?.rounds ?? [];
  let currentRounds = plan.current;
  const onRound = progressLine(io, 'gate', plan.mode === 'ab');
  const { scenarios, servers } = gateServers(flags, plan.config.scenarios);
  if (plan.mode === 'run') {
    const source = await prepareServers(servers, transportsOf(scenarios), flags, (line) => io.stderr.write(line));
    currentRounds = await runRounds(scenarios, plan.rounds, { run: io.run, signal: io.signal, onRound, ...(source ? { servers: source } : {}) });
  } else if (plan.mode === 'ab') {
    const [scenario] = scenarios;
    if (!scenario) throw new UsageError('the config names no scenario');
    const command = servers?.kind === 'command' ? servers : undefined;
    const sides = command ? abServerArgs(flags, command) : undefined;
    if (command && flags.check !== false) {
      // Both builds' servers are checked before any round; the rounds' own compare runs skip it (--no-check).
      const say = (line: string): void => void io.stderr.write(line);
      await checkBeforeRounds(command, scenario.options.transports, say);
      if (flags.baselineServerCmd !== undefined) await checkBeforeRounds({ ...command, command: flags.baselineServerCmd }, scenario.options.transports, say);
    }
    const ab = await runAbRounds(scenario, plan.rounds, { baselineCmd: flags.baselineCmd ?? '', ...(sides ?? {}), exec: io.exec, signal: io.signal, onRound });
    baselineRounds = ab.baseline;
    currentRounds = ab.current;
  }
  const report = compareRuns(baselineRounds, currentRounds, plan.config);
  if (flags.json) io.stdout.write(renderGateJson(report));
  else if (flags.md === '-') io.stdout.write(renderGateMarkdown(report));
  else io.stdout.write(renderGateTable(report));
  if (flags.md !== undefined && flags.md !== '-') {
    writeTextFile(flags.md, renderGateMarkdown(report), 'Markdown file', true);
    io.stderr.write(`rtbench gate: appended the Markdown summary to ${flags.md}\n`);
  }
  return report;
}

/** The gate scenarios with --transports applied, and the server plan of --target or --server-cmd. */
function gateServers(flags: ServerFlags & { transports?: string }, scenarios: readonly GateScenario[]): { scenarios: GateScenario[]; servers?: ServerPlan } {
  const named = flags.transports === undefined ? undefined : parseTransports('--transports', flags.transports);
  const sp = serverPlanFrom(flags, named ?? (flags.serverCmd !== undefined ? transportsOf(scenarios) : undefined));
  const transports = sp.transports;
  const out = transports === undefined ? [...scenarios] : scenarios.map((s) => ({ ...s, options: { ...s.options, transports: [...transports] } }));
  return { scenarios: out, ...(sp.plan ? { servers: sp.plan } : {}) };
}

/** Every transport of the scenarios, once each. */
function transportsOf(scenarios: readonly GateScenario[]): Transport[] {
  return [...new Set(scenarios.flatMap((s) => s.options.transports))];
}

/** The compare flags of each side of --ab with server commands: the candidate's --server-cmd, the base's --baseline-server-cmd. */
function abServerArgs(flags: GateFlags, plan: Extract<ServerPlan, { kind: 'command' }>): { candidateArgs: string; baselineArgs?: string } {
  const where = plan.portOnly ? `--server-port ${new URL(plan.url).port}` : `--server-url ${shellQuote(plan.url)}`;
  const token = plan.token === undefined ? '' : ` --control-token ${shellQuote(plan.token)}`;
  const args = (command: string): string => `--server-cmd ${shellQuote(command)} ${where}${token} --no-check`;
  return { candidateArgs: args(plan.command), ...(flags.baselineServerCmd === undefined ? {} : { baselineArgs: args(flags.baselineServerCmd) }) };
}

/** Derives gate scenarios from result files (one per distinct workload) when no config names them. */
function configFromRounds(rounds: readonly RunResult[]): GateConfig {
  const base = defaultConfig();
  const seen = new Map<string, { name: string; options: RunResult['options'] }>();
  for (const r of rounds) {
    const kind = r.options.kind ?? 'fanout';
    if (kind !== 'fanout') throw new UsageError(`the gate compares fan-out runs, but a --from result is a ${kind} run (scenario "${r.scenario}")`);
    const key = workloadKey(r.options);
    if (!seen.has(key)) {
      const name = seen.size === 0 ? r.scenario : `${r.scenario}-${seen.size + 1}`;
      seen.set(key, { name: name.replace(/[^\w.-]/g, '_').slice(0, 64) || 'fanout', options: r.options });
    }
  }
  const raw = toRawConfig(base);
  raw.scenarios = [...seen.values()].map((s) => {
    // The gate scenario holds the fan-out options (lib/options.ts); the result's other fields (kind, profile) are not options of it.
    const options = Object.fromEntries(FANOUT_FIELDS.map((k) => [k, s.options[k]]));
    return { name: s.name, transports: s.options.transports, options };
  });
  return parseConfig(raw, 'scenarios of the --from results');
}

/** Runs `rtbench baseline save`: runs rounds (or wraps --from result files) and writes the baseline file. */
export async function runBaselineSave(flags: BaselineSaveFlags, io: GateIo): Promise<void> {
  if (flags.out === undefined || flags.out === '' || flags.out === '-') throw new UsageError(`--out needs a file name, got "${flags.out ?? ''}"`);
  const from = flags.from ?? [];
  if (from.length > 0 && flags.rounds !== undefined) throw new UsageError('--rounds sets how many rounds to run, so it cannot be used with --from files');
  const roundsFlag = flags.rounds === undefined ? undefined : parseIntIn('--rounds', flags.rounds, 1, 1000);
  const fromRounds = from.flatMap((f) => loadRounds(f));
  let config: GateConfig;
  if (flags.config !== undefined || findConfig(io.cwd)) config = resolveConfig(flags.config, io.cwd);
  else config = fromRounds.length > 0 ? configFromRounds(fromRounds) : defaultConfig();
  if (roundsFlag !== undefined) {
    config = { ...config, rounds: roundsFlag };
    if (fromRounds.length === 0) checkRounds(config, '--rounds');
  }
  if (fromRounds.length > 0 && (flags.target !== undefined || flags.serverCmd !== undefined)) throw new UsageError('--from files were measured already, so they take no --target or --server-cmd');
  const { scenarios, servers } = gateServers(flags, config.scenarios);
  config = { ...config, scenarios };
  let rounds = fromRounds;
  if (fromRounds.length === 0) {
    const source = await prepareServers(servers, transportsOf(scenarios), flags, (line) => io.stderr.write(line));
    rounds = await runRounds(config.scenarios, config.rounds, { run: io.run, signal: io.signal, onRound: progressLine(io, 'baseline'), ...(source ? { servers: source } : {}) });
  }
  writeTextFile(flags.out, renderBaseline(makeBaseline(config, rounds, io.now())), 'baseline file');
  const transports = new Set(rounds.flatMap((r) => r.transports.map((t) => t.transport)));
  io.stderr.write(`rtbench baseline: wrote ${flags.out} (${rounds.length} results, ${transports.size} transports)\n`);
}

/** Aborts on the first Ctrl-C (the runner stops after the current transport); exits at once on the second. */
function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write('\nrtbench: interrupted; stopping the current round (Ctrl-C again to quit now)\n');
      controller.abort();
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  return fn(controller.signal).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  });
}

function processIo(signal: AbortSignal): GateIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), now: () => new Date().toISOString(), signal };
}

/** Registers `rtbench gate ...` and `rtbench baseline save ...` on the program. */
export function registerGate(program: Command): void {
  const gate = program
    .command('gate')
    .description(`compare current results with a baseline per transport and metric; exit ${EXIT.regression} on a regression`)
    .option('--baseline <file>', 'baseline file written by `rtbench baseline save`')
    .option('--current <files...>', 'compare these result files (rtbench compare --json output, arrays, or baselines) instead of running rounds')
    .option('--config <file>', 'gate config (default: ./rtbench.config.json, else the baseline\'s own config)')
    .option('--rounds <n>', 'rounds to run per side (default: from the config, 10)')
    .option('--alpha <a>', 'significance level of the one-sided tests against the floor (default: from the config, 0.01)')
    .option('--strict', 'an inconclusive metric fails the gate too')
    .option('--md <file>', 'append a Markdown summary to this file, e.g. "$GITHUB_STEP_SUMMARY" ("-" prints it instead of the table)')
    .option('--json', 'print the gate report as JSON instead of the table')
    .option('--ab', "same-job A/B: alternate rounds of --baseline-cmd (the baseline build) and of this build's rtbench compare, each in a fresh process")
    .option('--baseline-cmd <command>', 'with --ab: shell command printing one result JSON; {args}, {transports}, {round} are filled in')
    .option('--baseline-server-cmd <command>', "with --ab and --server-cmd: the base build's server command; both sides run this rtbench against their own server")
    .option('-t, --transports <list>', 'transports of every gate scenario (with --server-cmd: the ones your server offers)')
    .addHelpText(
      'after',
      `\nExit codes: 0 pass (inconclusive passes unless --strict), ${EXIT.regression} regression or failed exact gate, 2 usage error.\n\nExamples:\n  rtbench baseline save --out baseline.json\n  rtbench gate --baseline baseline.json --md "$GITHUB_STEP_SUMMARY"\n  rtbench gate --baseline baseline.json --current pr-run.json --json\n  rtbench gate --ab --baseline-cmd "node ../base/bin/rtbench.js compare --json --quiet --no-html --out /tmp/ab {args}"\n\nSee docs/gate.md.`,
    );
  addServerFlags(gate).action(async (flags: GateFlags) => {
    const report = await interruptible((signal) => runGate(flags, processIo(signal)));
    if (report.outcome === 'regression') throw new RegressionFound();
  });

  const baseline = program.command('baseline').description('manage gate baselines');
  const save = baseline
    .command('save')
    .description('run the gate scenarios for N rounds (or wrap result files) and write a baseline file')
    .option('--out <file>', 'baseline file to write (.json)')
    .option('--config <file>', 'gate config (default: ./rtbench.config.json, else the built-in defaults)')
    .option('--rounds <n>', 'rounds to run (default: from the config, 10)')
    .option('--from <files...>', 'wrap these result files instead of running rounds')
    .option('-t, --transports <list>', 'transports of every gate scenario (with --server-cmd: the ones your server offers)');
  addServerFlags(save).action(async (flags: BaselineSaveFlags) => {
    await interruptible((signal) => runBaselineSave(flags, processIo(signal)));
  });
}
