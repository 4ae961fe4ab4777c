// Runs the gate's rounds. One round = one runFanout call per scenario over all its transports, so transports
// interleave; the transport order rotates every round to spread machine drift evenly. The A/B mode alternates
// rounds of a baseline build and of the candidate (this build), both as fresh `rtbench compare` subprocesses
// started the same way, each printing a RunResult.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunHooks, RunResult, ServerSource } from '../lib/result.ts';
import { FANOUT_FIELDS, FIELDS, type FieldSpec, type OptionsOf } from '../lib/options.ts';
import { RtbenchError, UsageError } from '../lib/errors.ts';
import { FROM_SOURCES } from '../lib/children.ts';
import { spawnGroup, stopGroup } from '../lib/process-group.ts';
import { runFanout } from '../driver/scenarios/fanout/run.ts';
import { checkMachineLimits } from '../driver/preflight.ts';
import { parseResult } from '../lib/result.ts';
import type { GateScenario } from './config.ts';
import { describeWorkloadDiff, workloadKey } from './compare.ts';

/** Runs one fan-out; runFanout unless a test substitutes it. */
export type RunFn = (options: OptionsOf<'fanout'>, hooks?: RunHooks) => Promise<RunResult>;

/** Runs a shell command and resolves with its stdout; rejects when it fails or `signal` stops it. */
export type ExecFn = (command: string, signal?: AbortSignal) => Promise<string>;

/** Which round is running, for progress lines. */
export interface RoundInfo {
  /** 1-based round number and the total. */
  round: number;
  rounds: number;
  scenario: string;
  /** "baseline" (A/B mode, the baseline build's command), "current" otherwise (A/B mode: this build's command). */
  side: 'baseline' | 'current';
  transports: readonly string[];
}

/** Options of a round runner. */
export interface RoundOptions {
  run?: RunFn;
  signal?: AbortSignal;
  /** The servers to measure when rtbench does not spawn its own (--target, --server-cmd). */
  servers?: ServerSource;
  /** Called before each run. */
  onRound?: (info: RoundInfo) => void;
}

/** `items` rotated left by `k` ([a, b, c] by 1 is [b, c, a]). */
export function rotate<T>(items: readonly T[], k: number): T[] {
  if (items.length === 0) return [];
  const s = ((k % items.length) + items.length) % items.length;
  return [...items.slice(s), ...items.slice(0, s)];
}

/**
 * Runs `fn` with a signal of its own that follows `parent`, so listeners that a run leaves on its signal are
 * dropped with it instead of piling up on the gate's signal over many rounds.
 */
async function withChildSignal<T>(parent: AbortSignal | undefined, fn: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (!parent) return fn(undefined);
  const child = new AbortController();
  const forward = (): void => child.abort();
  parent.addEventListener('abort', forward, { once: true });
  try {
    return await fn(child.signal);
  } finally {
    parent.removeEventListener('abort', forward);
  }
}

function interrupted(done: number, total: number): RtbenchError {
  return new RtbenchError('EINTERRUPTED', `interrupted after ${done} of ${total} rounds; nothing was compared or saved`);
}

/** Runs `rounds` rounds of every scenario, rotating the transport order each round; returns every RunResult. */
export async function runRounds(scenarios: readonly GateScenario[], rounds: number, opts: RoundOptions = {}): Promise<RunResult[]> {
  const run = opts.run ?? runFanout;
  // Every scenario must fit this machine (open files, ephemeral ports) before the first round starts.
  if (opts.run === undefined) for (const s of scenarios) checkMachineLimits(s.options);
  const out: RunResult[] = [];
  for (let i = 0; i < rounds; i += 1) {
    for (const s of scenarios) {
      if (opts.signal?.aborted) throw interrupted(i, rounds);
      const transports = rotate(s.options.transports, i);
      opts.onRound?.({ round: i + 1, rounds, scenario: s.name, side: 'current', transports });
      const result = await withChildSignal(opts.signal, (signal) => run({ ...s.options, transports }, { signal, ...(opts.servers ? { servers: opts.servers } : {}) }));
      if (opts.signal?.aborted || result.interrupted) throw interrupted(i, rounds);
      out.push(result);
    }
  }
  return out;
}

/**
 * The `rtbench compare` flags that reproduce `o` (the `{args}` placeholder of --baseline-cmd), derived from the
 * fan-out options' flags in lib/options.ts: every option is spelled out, so the other build runs exactly this
 * workload whatever its own defaults are. The injection knobs are left out (a baseline build does not inject).
 */
export function compareArgs(o: OptionsOf<'fanout'>): string {
  const args = [`--transports ${o.transports.join(',')}`];
  for (const name of FANOUT_FIELDS) {
    const spec = FIELDS[name] as FieldSpec;
    if (spec.flag === undefined || name === 'injectDelayMs' || name === 'injectCpuUs') continue;
    const value = o[name];
    if (spec.type === 'boolean') {
      // A boolean flag sets the non-default value: --ws-compression turns it on, --no-keep-alive turns it off.
      if (value !== spec.default) args.push(spec.flag);
    } else {
      args.push(`${spec.flag} ${String(value)}${'unit' in spec && spec.unit === 'ms' ? 'ms' : ''}`);
    }
  }
  return args.join(' ');
}

/** The test-knob flags of `o` (--inject-delay-ms, --inject-cpu-us) when set; the candidate side passes them. */
export function knobArgs(o: Pick<OptionsOf<'fanout'>, 'injectDelayMs' | 'injectCpuUs'>): string {
  const args: string[] = [];
  if (o.injectDelayMs > 0) args.push(`--inject-delay-ms ${o.injectDelayMs}`);
  if (o.injectCpuUs > 0) args.push(`--inject-cpu-us ${o.injectCpuUs}`);
  return args.join(' ');
}

/** Absolute path of this build's entry: bin/rtbench.js from the sources, cli.js compiled (no loader needed). */
export const RTBENCH_BIN = fileURLToPath(new URL(FROM_SOURCES ? '../bin/rtbench.js' : '../cli.js', import.meta.url));

/** `s` quoted for a POSIX shell (unchanged when it needs no quoting). */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that runs one round of the candidate in A/B mode: this build's `rtbench compare` in a fresh Node
 * process (the one running the gate), result JSON on stdout, result files into `outDir`, with the round's flags.
 */
export function candidateCommand(outDir: string, o: Parameters<typeof compareArgs>[0]): string {
  const knobs = knobArgs(o);
  const node = shellQuote(process.execPath);
  return `${node} ${shellQuote(RTBENCH_BIN)} compare --json --quiet --no-html --out ${shellQuote(outDir)} ${compareArgs(o)}${knobs === '' ? '' : ` ${knobs}`}`;
}

/** Fills the placeholders of a --baseline-cmd: {args}, {transports}, {round}. */
export function expandCommand(template: string, o: OptionsOf<'fanout'>, round: number): string {
  return template
    .replaceAll('{args}', compareArgs(o))
    .replaceAll('{transports}', o.transports.join(','))
    .replaceAll('{round}', String(round));
}

/** How long a stopped command may take to finish its round and exit before its process group is killed, ms. */
export const EXEC_STOP_GRACE_MS = 30_000;

/**
 * An ExecFn that runs `command` in a shell in a process group of its own; resolves with its stdout, rejects with
 * one sentence when it fails. stderr passes through. When `signal` aborts, the whole group gets SIGINT, as Ctrl-C
 * in a terminal would send (rtbench then stops its servers and clients and exits), and SIGKILL if it is still
 * there after `stopGraceMs`; the promise rejects with EINTERRUPTED only once every process holding its output has
 * exited, so nothing it started outlives the gate.
 */
export function makeExecCommand(stopGraceMs = EXEC_STOP_GRACE_MS): ExecFn {
  return (command, signal) => new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new RtbenchError('EINTERRUPTED', `interrupted before it started: ${command}`));
      return;
    }
    // A group still running when the gate exits is killed (a second Ctrl-C exits at once).
    const child = spawnGroup(command, { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    // Set once aborted: ends the stop (anything of the group that closed its output and stayed is killed).
    let stopped: (() => void) | undefined;
    const onAbort = (): void => {
      stopped = stopGroup(child, 'SIGINT', stopGraceMs);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => {
      signal?.removeEventListener('abort', onAbort);
      stopped?.();
    };
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => {
      finish();
      reject(new RtbenchError('EIO', `failed to start: ${err.message}: ${command}`));
    });
    child.on('close', (code, sig) => {
      finish();
      if (stopped !== undefined) reject(new RtbenchError('EINTERRUPTED', `interrupted: ${command}`));
      else if (code === 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(new RtbenchError('EIO', `exited with ${code === null ? `signal ${sig ?? 'unknown'}` : `code ${code}`}: ${command}`));
    });
  });
}

/** Runs a command of either side of --ab: makeExecCommand with the default grace. */
export const execCommand: ExecFn = makeExecCommand();

/** Options of the A/B runner. */
export interface AbOptions extends Omit<RoundOptions, 'run' | 'servers'> {
  /** Shell command template that runs the baseline build and prints one RunResult as JSON ('': this build's compare with `baselineArgs`). */
  baselineCmd: string;
  /** Flags added to this build's compare on the baseline side when `baselineCmd` is '' (the base server's --server-cmd ...). */
  baselineArgs?: string;
  /** Flags added to the candidate's compare (the candidate server's --server-cmd ...). */
  candidateArgs?: string;
  /** Runs both sides' commands (execCommand unless a test substitutes it). */
  exec?: ExecFn;
}

/** Who ran a side in A/B mode, for messages. */
const SIDE_NAME = { baseline: 'the baseline command', current: "the candidate (this build's rtbench compare)" } as const;

/**
 * Same-job A/B: `rounds` rounds of one scenario, each running the baseline command and the candidate, in
 * alternating order (A then B on even rounds, B then A on odd ones) and with the transport order rotated. Both
 * sides run the same way: a fresh subprocess through `exec`, the baseline build's from `baselineCmd`, the
 * candidate's from candidateCommand (this build's bin/rtbench.js, its result files written to a temporary
 * directory removed afterwards). Each side's output must be a RunResult of the scenario's workload.
 */
export async function runAbRounds(scenario: GateScenario, rounds: number, opts: AbOptions): Promise<{ baseline: RunResult[]; current: RunResult[] }> {
  const exec = opts.exec ?? execCommand;
  const results = { baseline: [] as RunResult[], current: [] as RunResult[] };
  const outDir = mkdtempSync(join(tmpdir(), 'rtbench-gate-ab-'));
  try {
    for (let i = 0; i < rounds; i += 1) {
      const options = { ...scenario.options, transports: rotate(scenario.options.transports, i) };
      const sides: Array<'baseline' | 'current'> = i % 2 === 0 ? ['baseline', 'current'] : ['current', 'baseline'];
      for (const side of sides) {
        if (opts.signal?.aborted) throw interrupted(i, rounds);
        opts.onRound?.({ round: i + 1, rounds, scenario: scenario.name, side, transports: options.transports });
        const command =
          side === 'current'
            ? `${candidateCommand(outDir, options)}${opts.candidateArgs ? ` ${opts.candidateArgs}` : ''}`
            : opts.baselineCmd === ''
              ? `${candidateCommand(outDir, { ...options, injectDelayMs: 0, injectCpuUs: 0 })} ${opts.baselineArgs ?? ''}`
              : expandCommand(opts.baselineCmd, options, i + 1);
        const stdout = await exec(command, opts.signal).catch((err: unknown) => {
          if (opts.signal?.aborted) throw interrupted(i, rounds);
          throw new RtbenchError('EIO', `${SIDE_NAME[side]} failed: ${err instanceof Error ? err.message : String(err)}`);
        });
        const result = parseRunOutput(stdout, side);
        if (result.interrupted) throw interrupted(i, rounds);
        if (workloadKey(result.options) !== workloadKey(options)) {
          const what = `${SIDE_NAME[side]} ran another workload than the gate scenario "${scenario.name}" (${describeWorkloadDiff(result.options, options)})`;
          if (side === 'baseline') throw new UsageError(`${what}; put {args} in --baseline-cmd or pass matching flags`);
          throw new RtbenchError('EIO', `${what}; the gate's flags for rtbench compare do not reproduce the scenario`);
        }
        results[side].push(result);
      }
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  return results;
}

/** Parses the stdout of one side's command as one RunResult (the whole output, or the JSON after its log lines). */
export function parseRunOutput(stdout: string, side: 'baseline' | 'current'): RunResult {
  const text = stdout.trim();
  const start = text.startsWith('{') ? 0 : text.indexOf('\n{') + 1;
  if (text === '' || (start === 0 && !text.startsWith('{'))) {
    const hint = side === 'baseline' ? '; run `rtbench compare --json --quiet ...` in it' : '';
    throw new RtbenchError('EIO', `${SIDE_NAME[side]} printed no result JSON on stdout${hint}`);
  }
  try {
    return parseResult(text.slice(start), side === 'baseline' ? 'output of --baseline-cmd' : 'output of the candidate');
  } catch (err) {
    throw new RtbenchError('EIO', err instanceof Error ? err.message : String(err));
  }
}

/** Parses the baseline command's stdout as one RunResult (parseRunOutput of the baseline side). */
export function parseBaselineOutput(stdout: string): RunResult {
  return parseRunOutput(stdout, 'baseline');
}
