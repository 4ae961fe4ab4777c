// Runs the gate's rounds. One round = one runFanout call per scenario over all its transports, so transports
// interleave; the transport order rotates every round to spread machine drift evenly. The A/B mode alternates
// rounds of a baseline build (an external command printing a RunResult) with the candidate (in process).
import { spawn } from 'node:child_process';
import type { RunHooks, RunResult } from '../lib/result.ts';
import { FANOUT_FIELDS, FIELDS, type FieldSpec, type OptionsOf } from '../lib/options.ts';
import { RtbenchError, UsageError } from '../lib/errors.ts';
import { runFanout } from '../driver/scenarios/fanout/run.ts';
import { parseResult } from '../lib/result.ts';
import type { GateScenario } from './config.ts';
import { describeWorkloadDiff, workloadKey } from './compare.ts';

/** Runs one fan-out; runFanout unless a test substitutes it. */
export type RunFn = (options: OptionsOf<'fanout'>, hooks?: RunHooks) => Promise<RunResult>;

/** Runs a shell command and resolves with its stdout. */
export type ExecFn = (command: string, signal?: AbortSignal) => Promise<string>;

/** Which round is running, for progress lines. */
export interface RoundInfo {
  /** 1-based round number and the total. */
  round: number;
  rounds: number;
  scenario: string;
  /** "baseline" (A/B mode, the external command), "current" otherwise. */
  side: 'baseline' | 'current';
  transports: readonly string[];
}

/** Options of a round runner. */
export interface RoundOptions {
  run?: RunFn;
  signal?: AbortSignal;
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
  const out: RunResult[] = [];
  for (let i = 0; i < rounds; i += 1) {
    for (const s of scenarios) {
      if (opts.signal?.aborted) throw interrupted(i, rounds);
      const transports = rotate(s.options.transports, i);
      opts.onRound?.({ round: i + 1, rounds, scenario: s.name, side: 'current', transports });
      const result = await withChildSignal(opts.signal, (signal) => run({ ...s.options, transports }, { signal }));
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

/** Fills the placeholders of a --baseline-cmd: {args}, {transports}, {round}. */
export function expandCommand(template: string, o: OptionsOf<'fanout'>, round: number): string {
  return template
    .replaceAll('{args}', compareArgs(o))
    .replaceAll('{transports}', o.transports.join(','))
    .replaceAll('{round}', String(round));
}

/** Runs `command` in a shell; resolves with stdout, rejects with one sentence when it fails. stderr passes through. */
export const execCommand: ExecFn = (command, signal) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'inherit'], signal });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => reject(new RtbenchError('EIO', `baseline command failed to start: ${err.message}`)));
    child.on('close', (code, sig) => {
      if (code === 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(new RtbenchError('EIO', `baseline command exited with ${code === null ? `signal ${sig ?? 'unknown'}` : `code ${code}`}: ${command}`));
    });
  });

/** Options of the A/B runner. */
export interface AbOptions extends RoundOptions {
  /** Shell command template that runs the baseline build and prints one RunResult as JSON. */
  baselineCmd: string;
  exec?: ExecFn;
}

/**
 * Same-job A/B: `rounds` rounds of one scenario, each running the baseline command and the candidate, in
 * alternating order (A then B on even rounds, B then A on odd ones) and with the transport order rotated.
 * The baseline command's output must be a RunResult of the same workload.
 */
export async function runAbRounds(scenario: GateScenario, rounds: number, opts: AbOptions): Promise<{ baseline: RunResult[]; current: RunResult[] }> {
  const run = opts.run ?? runFanout;
  const exec = opts.exec ?? execCommand;
  const baseline: RunResult[] = [];
  const current: RunResult[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const options = { ...scenario.options, transports: rotate(scenario.options.transports, i) };
    const sides: Array<'baseline' | 'current'> = i % 2 === 0 ? ['baseline', 'current'] : ['current', 'baseline'];
    for (const side of sides) {
      if (opts.signal?.aborted) throw interrupted(i, rounds);
      opts.onRound?.({ round: i + 1, rounds, scenario: scenario.name, side, transports: options.transports });
      if (side === 'current') {
        const result = await withChildSignal(opts.signal, (signal) => run(options, { signal }));
        if (opts.signal?.aborted || result.interrupted) throw interrupted(i, rounds);
        current.push(result);
        continue;
      }
      const command = expandCommand(opts.baselineCmd, options, i + 1);
      const stdout = await exec(command, opts.signal).catch((err: unknown) => {
        if (opts.signal?.aborted) throw interrupted(i, rounds);
        throw err;
      });
      const result = parseBaselineOutput(stdout);
      if (workloadKey(result.options) !== workloadKey(options)) {
        throw new UsageError(`the baseline command ran another workload than the gate scenario "${scenario.name}" (${describeWorkloadDiff(result.options, options)}); put {args} in --baseline-cmd or pass matching flags`);
      }
      baseline.push(result);
    }
  }
  return { baseline, current };
}

/** Parses the baseline command's stdout as one RunResult (the whole output, or its last JSON object). */
export function parseBaselineOutput(stdout: string): RunResult {
  const text = stdout.trim();
  const start = text.startsWith('{') ? 0 : text.indexOf('\n{') + 1;
  if (text === '' || (start === 0 && !text.startsWith('{'))) {
    throw new RtbenchError('EIO', 'the baseline command printed no result JSON on stdout; run `rtbench compare --json --quiet ...` in it');
  }
  try {
    return parseResult(text.slice(start), 'output of --baseline-cmd');
  } catch (err) {
    throw new RtbenchError('EIO', err instanceof Error ? err.message : String(err));
  }
}
