// `npm run bench:gate -- <step>`: the benchmark of the CI gate (issue #5, docs/gate.md "Benchmark").
//   run      runs the blocks of PLAN that are not in bench/results/gate-rounds.json yet (10 gate rounds each,
//            through gate/runner.ts) and saves the file after every block, so an interrupted run resumes;
//   analyze  compares the blocks with gate/compare.ts: every pair of clean blocks is an A/A comparison (and, split
//            into even and odd rounds, an interleaved one), every injected block is compared with the clean block
//            before it and with every clean block; writes bench/results/gate-summary.json;
//   cli      runs the real CLI end to end (baseline save, gate, gate --current, and with `cli ab` the --ab mode),
//            timing each command; writes bench/results/gate-cli.json.
// The machine is shared: the load average is recorded at the start and end of every block and command.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeEnvironment } from '../driver/environment.ts';
import type { Environment, RunResult } from '../lib/result.ts';
import { compareRuns, type GateReport, type GateRow, type Verdict } from '../gate/compare.ts';
import { parseConfig, type GateConfig, type GateScenario } from '../gate/config.ts';
import { metricValue } from '../gate/metrics.ts';
import { runRounds } from '../gate/runner.ts';
import { median } from '../gate/stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'results');
const ROUNDS_FILE = join(OUT, 'gate-rounds.json');
const SUMMARY_FILE = join(OUT, 'gate-summary.json');
const CLI_FILE = join(OUT, 'gate-cli.json');
const CONFIG_FILE = join(OUT, 'gate-config.json');
const CLI_BASELINE_FILE = join(OUT, 'gate-cli-baseline.json');

/** The gate config benchmarked: default rounds, alpha, correction and metrics; a small profile of three transports. */
const RAW_CONFIG = {
  transports: ['ws', 'sse', 'long-poll'],
  profiles: { bench: { clients: 20, rate: 100, warmupMs: 300, durationMs: 1500 } },
  scenarios: [{ name: 'fanout-bench', profile: 'bench' }],
};

/** Rounds per block: one side of one gate comparison, as the default gate runs it. */
const BLOCK_ROUNDS = 10;

/** One step of the plan: a block of BLOCK_ROUNDS rounds, clean or with a test knob. */
interface PlanStep {
  label: string;
  kind: 'clean' | 'delay' | 'cpu';
  /** injectDelayMs of the block, ms. */
  delayMs?: number;
  /** Injected blocks: the clean block they are compared with. */
  baseline?: string;
}

/** Clean blocks alternate with injected ones, so each injected block has a clean baseline measured just before it. */
const PLAN: PlanStep[] = [
  { label: 'clean-1', kind: 'clean' },
  { label: 'clean-2', kind: 'clean' },
  { label: 'delay-1ms-a', kind: 'delay', delayMs: 1, baseline: 'clean-2' },
  { label: 'clean-3', kind: 'clean' },
  { label: 'delay-1ms-b', kind: 'delay', delayMs: 1, baseline: 'clean-3' },
  { label: 'clean-4', kind: 'clean' },
  { label: 'delay-1ms-c', kind: 'delay', delayMs: 1, baseline: 'clean-4' },
  { label: 'clean-5', kind: 'clean' },
  { label: 'cpu-a', kind: 'cpu', baseline: 'clean-5' },
  { label: 'clean-6', kind: 'clean' },
  { label: 'cpu-b', kind: 'cpu', baseline: 'clean-6' },
  { label: 'clean-7', kind: 'clean' },
  { label: 'delay-2ms-a', kind: 'delay', delayMs: 2, baseline: 'clean-7' },
  { label: 'clean-8', kind: 'clean' },
  { label: 'delay-2ms-b', kind: 'delay', delayMs: 2, baseline: 'clean-8' },
  { label: 'delay-5ms-a', kind: 'delay', delayMs: 5, baseline: 'clean-8' },
];

/** Clean blocks whose server CPU per event sets the CPU injection. */
const CPU_REFERENCE_BLOCKS = ['clean-1', 'clean-2'];
/** Transports whose CPU per event the injection is sized to double. */
const CPU_REFERENCE_TRANSPORTS = ['ws', 'sse'];

type Load = [number, number, number];

/** What was recorded about one block besides its rounds. */
interface BlockMeta {
  label: string;
  kind: PlanStep['kind'];
  injectDelayMs: number;
  injectCpuUs: number;
  baseline: string | null;
  startedAt: string;
  finishedAt: string;
  wallMs: number;
  /** Wall time of each round, ms. */
  roundWallMs: number[];
  /** os.loadavg() (1, 5, 15 min) when the block started and ended. */
  loadStart: Load;
  loadEnd: Load;
}

interface Block {
  meta: BlockMeta;
  rounds: RunResult[];
}

/** How the CPU injection was sized. */
interface CpuDerivation {
  blocks: string[];
  /** Median server.cpuMsPer1kEvents (= µs per delivery) per transport over the reference blocks. */
  medianUsPerDelivery: Record<string, number>;
  /** The injected µs per event per subscriber: the median over the reference transports' rounds, rounded. */
  injectCpuUs: number;
}

interface RoundsFile {
  kind: 'rtbench-bench-gate-rounds';
  schemaVersion: 1;
  config: typeof RAW_CONFIG;
  environment: Environment;
  /** `git status --porcelain` when the first block started: other engineers edit the tree concurrently. */
  gitStatus: string;
  cpu: CpuDerivation | null;
  blocks: Block[];
}

const loadavg = (): Load => os.loadavg().map((l) => Math.round(l * 100) / 100) as Load;
const config = (): GateConfig => parseConfig(RAW_CONFIG, 'bench/gate.ts');
const say = (line: string): void => void process.stderr.write(`bench:gate: ${line}\n`);

/** Writes the rounds file with one round per line, so it stays valid JSON yet readable and diffable. */
function saveRounds(f: RoundsFile): void {
  const { blocks, ...head } = f;
  const parts = blocks.map((b) => `{"meta": ${JSON.stringify(b.meta)}, "rounds": [\n${b.rounds.map((r) => JSON.stringify(r)).join(',\n')}\n]}`);
  writeFileSync(ROUNDS_FILE, `${JSON.stringify(head, null, 2).slice(0, -2)},\n  "blocks": [\n${parts.join(',\n')}\n]}\n`);
}

function loadRoundsFile(): RoundsFile | undefined {
  return existsSync(ROUNDS_FILE) ? (JSON.parse(readFileSync(ROUNDS_FILE, 'utf8')) as RoundsFile) : undefined;
}

function runText(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', () => resolve(out));
    child.on('error', () => resolve(''));
  });
}

function values(rounds: readonly RunResult[], transport: string, metric: string): number[] {
  return rounds.flatMap((r) => r.transports.filter((t) => t.transport === transport && t.status === 'ok')).flatMap((t) => metricValue(t, metric) ?? []);
}

function deriveCpu(blocks: readonly Block[]): CpuDerivation {
  const rounds = blocks.filter((b) => CPU_REFERENCE_BLOCKS.includes(b.meta.label)).flatMap((b) => b.rounds);
  const medianUsPerDelivery: Record<string, number> = {};
  for (const t of config().scenarios[0]?.options.transports ?? []) medianUsPerDelivery[t] = median(values(rounds, t, 'server.cpuMsPer1kEvents'));
  const pooled = CPU_REFERENCE_TRANSPORTS.flatMap((t) => values(rounds, t, 'server.cpuMsPer1kEvents'));
  return { blocks: CPU_REFERENCE_BLOCKS, medianUsPerDelivery, injectCpuUs: Math.max(1, Math.round(median(pooled))) };
}

/** `run`: the blocks of PLAN not recorded yet. */
async function runPlan(signal: AbortSignal): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const [scenario] = config().scenarios;
  if (!scenario) throw new Error('the bench config names no scenario');
  const file: RoundsFile = loadRoundsFile() ?? {
    kind: 'rtbench-bench-gate-rounds',
    schemaVersion: 1,
    config: RAW_CONFIG,
    environment: describeEnvironment(),
    gitStatus: await runText('git', ['status', '--porcelain']),
    cpu: null,
    blocks: [],
  };
  for (const step of PLAN) {
    if (file.blocks.some((b) => b.meta.label === step.label)) continue;
    if (step.kind === 'cpu' && !file.cpu) {
      file.cpu = deriveCpu(file.blocks);
      say(`CPU injection: ${file.cpu.injectCpuUs} µs per event per subscriber (${JSON.stringify(file.cpu.medianUsPerDelivery)} µs per delivery)`);
    }
    const injectDelayMs = step.delayMs ?? 0;
    const injectCpuUs = step.kind === 'cpu' ? (file.cpu?.injectCpuUs ?? 0) : 0;
    const s: GateScenario = { name: scenario.name, options: { ...scenario.options, injectDelayMs, injectCpuUs } };
    const loadStart = loadavg();
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const starts: number[] = [];
    say(`${step.label}: ${BLOCK_ROUNDS} rounds (injectDelayMs ${injectDelayMs}, injectCpuUs ${injectCpuUs}), load ${loadStart.join(' ')}`);
    const rounds = await runRounds([s], BLOCK_ROUNDS, { signal, onRound: () => starts.push(performance.now()) });
    const end = performance.now();
    const roundWallMs = starts.map((t, i) => Math.round((starts[i + 1] ?? end) - t));
    const meta: BlockMeta = {
      label: step.label,
      kind: step.kind,
      injectDelayMs,
      injectCpuUs,
      baseline: step.baseline ?? null,
      startedAt,
      finishedAt: new Date().toISOString(),
      wallMs: Math.round(end - t0),
      roundWallMs,
      loadStart,
      loadEnd: loadavg(),
    };
    file.blocks.push({ meta, rounds });
    saveRounds(file);
    say(`${step.label}: done in ${(meta.wallMs / 1000).toFixed(1)} s, load ${meta.loadEnd.join(' ')}`);
  }
}

/** A gate row reduced to what the summary needs. */
interface RowBrief {
  transport: string;
  metric: string;
  verdict: Verdict;
  changePercent: number | null;
  ciPercent: GateRow['ciPercent'];
  pValue: number | null;
  pAdjusted: number | null;
  reason: string;
}

const brief = (r: GateRow): RowBrief => ({
  transport: r.transport,
  metric: r.metric,
  verdict: r.verdict,
  changePercent: round(r.changePercent),
  ciPercent: r.ciPercent && { lower: round(r.ciPercent.lower), upper: round(r.ciPercent.upper) },
  pValue: r.pValue,
  pAdjusted: r.pAdjusted,
  reason: r.reason,
});

function round(n: number | null, digits = 2): number | null {
  if (n === null) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A row as one line: transport, metric, verdict, change, interval, decisive p-value. */
function line(r: GateRow): string {
  const pc = (n: number | null | undefined): string => (n === null || n === undefined ? '?' : `${n > 0 ? '+' : ''}${round(n)}%`);
  const ci = r.ciPercent ? ` [${pc(r.ciPercent.lower)}, ${pc(r.ciPercent.upper)}]` : '';
  const p = r.pAdjusted === null ? '' : ` p ${Number(r.pAdjusted.toPrecision(2))}`;
  return `${r.transport} ${r.metric} ${r.verdict} ${pc(r.changePercent)}${ci}${p}`;
}

/** One gate comparison of two blocks, with the default correction (Holm) and, for contrast, none. */
interface Comparison {
  baseline: string;
  current: string;
  outcome: GateReport['outcome'];
  counts: GateReport['counts'];
  /** Outcome under --strict (inconclusive fails). */
  strictOutcome: GateReport['outcome'];
  /** Outcome with `"correction": "none"`, same data. */
  outcomeNoCorrection: GateReport['outcome'];
  /** Rows that regressed, failed or improved (Holm), in full. */
  decided: RowBrief[];
  /** Inconclusive rows (Holm), one line each: "ws latency.p99Us inconclusive +2.1% [-23%, +37%] p(Holm) 1". */
  inconclusive: string[];
  /** Rows that regressed or failed without the correction, one line each. */
  failedNoCorrection: string[];
  warnings: string[];
  load: { baselineStart: Load; baselineEnd: Load; currentStart: Load; currentEnd: Load };
  compareMs: number;
}

function compareBlocks(base: Block, cur: Block): Comparison {
  const holm = config();
  const t0 = performance.now();
  const report = compareRuns(base.rounds, cur.rounds, holm);
  const compareMs = performance.now() - t0;
  const none = compareRuns(base.rounds, cur.rounds, { ...holm, correction: 'none' });
  const failed = (r: GateRow): boolean => r.verdict === 'regression' || r.verdict === 'fail';
  return {
    baseline: base.meta.label,
    current: cur.meta.label,
    outcome: report.outcome,
    counts: report.counts,
    strictOutcome: report.counts.inconclusive > 0 ? 'regression' : report.outcome,
    outcomeNoCorrection: none.outcome,
    decided: report.rows.filter((r) => r.verdict !== 'pass' && r.verdict !== 'inconclusive').map(brief),
    inconclusive: report.rows.filter((r) => r.verdict === 'inconclusive').map(line),
    failedNoCorrection: none.rows.filter(failed).map(line),
    warnings: report.warnings.filter((w) => !/test knob/.test(w)),
    load: { baselineStart: base.meta.loadStart, baselineEnd: base.meta.loadEnd, currentStart: cur.meta.loadStart, currentEnd: cur.meta.loadEnd },
    compareMs: Math.round(compareMs * 10) / 10,
  };
}

/** Counts rows by "transport metric verdict" (the first three words of their lines). */
function tally(lines: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) {
    const key = l.split(' ').slice(0, 3).join(' ');
    out[key] = (out[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

function spread(xs: readonly number[]): { median: number; min: number; max: number } {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** Sensitivity metrics shown per injected block. */
const WATCHED = ['latency.p50Us', 'latency.p99Us', 'server.cpuMsPer1kEvents', 'delivery.eventsPerSec'];

/** `analyze`: A/A comparisons, sensitivity, wall times; prints a digest and writes the summary file. */
function analyze(): void {
  const file = loadRoundsFile();
  if (!file) throw new Error(`no ${ROUNDS_FILE}; run the "run" step first`);
  const clean = file.blocks.filter((b) => b.meta.kind === 'clean');
  const transports = config().scenarios[0]?.options.transports ?? [];

  // A/A: every pair of clean blocks, the earlier one as the baseline (as a baseline saved before the change).
  const aa: Comparison[] = [];
  for (let i = 0; i < clean.length; i += 1) for (let j = i + 1; j < clean.length; j += 1) aa.push(compareBlocks(clean[i] as Block, clean[j] as Block));
  // Pairs that share no block: (1,2), (3,4), ...
  const disjoint = aa.filter((c) => {
    const n = Number(c.baseline.split('-')[1]);
    return n % 2 === 1 && c.current === `clean-${n + 1}`;
  });
  // Interleaved A/A: the 20 rounds of two clean blocks split into even and odd rounds (10 per side, 5 from each
  // block), so both sides saw the same machine states, as the same-job A/B mode (--ab) arranges by design.
  const interleaved: Comparison[] = [];
  for (let i = 0; i < clean.length; i += 1) {
    for (let j = i + 1; j < clean.length; j += 1) {
      const [bi, bj] = [clean[i] as Block, clean[j] as Block];
      const side = (parity: number): Block => ({
        meta: { ...bi.meta, label: `${bi.meta.label}+${bj.meta.label}/${parity === 0 ? 'even' : 'odd'}`, loadEnd: bj.meta.loadEnd },
        rounds: [...bi.rounds, ...bj.rounds].filter((_, k) => k % 2 === parity),
      });
      interleaved.push(compareBlocks(side(0), side(1)));
    }
  }
  const fp = (cs: readonly Comparison[]) => ({
    comparisons: cs.length,
    regressionOutcomes: cs.filter((c) => c.outcome === 'regression').length,
    withAnyInconclusive: cs.filter((c) => c.counts.inconclusive > 0).length,
    strictFailures: cs.filter((c) => c.strictOutcome === 'regression').length,
    noCorrectionFailures: cs.filter((c) => c.outcomeNoCorrection === 'regression').length,
    rowsTotal: cs.reduce((n, c) => n + Object.values(c.counts).reduce((a, b) => a + b, 0), 0),
    rowsInconclusive: cs.reduce((n, c) => n + c.counts.inconclusive, 0),
    rowsRegressionOrFail: cs.reduce((n, c) => n + c.counts.regression + c.counts.fail, 0),
    notPassedByRow: tally(cs.flatMap((c) => [...c.decided.map((r) => `${r.transport} ${r.metric} ${r.verdict}`), ...c.inconclusive])),
    failedNoCorrectionByRow: tally(cs.flatMap((c) => c.failedNoCorrection)),
  });

  // Sensitivity: each injected block against its planned clean baseline; also against every clean block.
  const injected = file.blocks.filter((b) => b.meta.kind !== 'clean');
  const sensitivity = injected.map((b) => {
    const base = clean.find((c) => c.meta.label === b.meta.baseline);
    const primary = base ? compareBlocks(base, b) : undefined;
    const all = clean.map((c) => compareRuns(c.rounds, b.rounds, config()));
    const caughtVsAllClean: Record<string, number> = {};
    for (const t of transports) {
      for (const m of WATCHED) caughtVsAllClean[`${t} ${m}`] = all.filter((r) => r.rows.some((row) => row.transport === t && row.metric === m && row.verdict === 'regression')).length;
    }
    const verdicts: Record<string, string> = {};
    for (const t of transports) {
      for (const m of WATCHED) {
        const row = primary?.decided.find((r) => r.transport === t && r.metric === m);
        const undecided = primary?.inconclusive.find((l) => l.startsWith(`${t} ${m} `));
        verdicts[`${t} ${m}`] = row ? `${row.verdict} ${row.changePercent ?? '?'}%` : undecided ? undecided.split(' ').slice(2, 4).join(' ') : 'pass';
      }
    }
    const medians: Record<string, Record<string, number>> = {};
    for (const t of transports) {
      medians[t] = {};
      for (const m of WATCHED) (medians[t] as Record<string, number>)[m] = median(values(b.rounds, t, m));
    }
    return {
      label: b.meta.label,
      injectDelayMs: b.meta.injectDelayMs,
      injectCpuUs: b.meta.injectCpuUs,
      baseline: b.meta.baseline,
      outcome: primary?.outcome ?? null,
      verdicts,
      medians,
      primary,
      outcomesVsAllClean: `${all.filter((r) => r.outcome === 'regression').length} of ${all.length}`,
      caughtVsAllClean,
    };
  });

  const cleanMedians: Record<string, Record<string, number>> = {};
  const cleanRounds = clean.flatMap((b) => b.rounds);
  for (const t of transports) {
    cleanMedians[t] = {};
    for (const m of [...WATCHED, 'server.rssPerConnectionBytes', 'wire.bytesPerEvent', 'churn.requestsPerEvent']) {
      (cleanMedians[t] as Record<string, number>)[m] = median(values(cleanRounds, t, m));
    }
  }
  const allBlocks = file.blocks.map((b) => b.meta);
  const loads = allBlocks.flatMap((m) => [m.loadStart[0], m.loadEnd[0]]);
  const saturated = file.blocks.flatMap((b) => b.rounds.flatMap((r) => r.transports.filter((t) => t.driver?.saturated).map((t) => `${b.meta.label}/${t.transport}`)));
  const errored = file.blocks.flatMap((b) => b.rounds.flatMap((r) => r.transports.filter((t) => t.status !== 'ok').map((t) => `${b.meta.label}/${t.transport}: ${t.error ?? t.status}`)));
  const summary = {
    kind: 'rtbench-bench-gate-summary',
    generatedAt: new Date().toISOString(),
    environment: file.environment,
    gitStatusAtStart: file.gitStatus,
    config: file.config,
    blockRounds: BLOCK_ROUNDS,
    blocks: allBlocks.map((m) => ({ label: m.label, startedAt: m.startedAt, wallMs: m.wallMs, loadStart: m.loadStart, loadEnd: m.loadEnd, injectDelayMs: m.injectDelayMs, injectCpuUs: m.injectCpuUs })),
    load1Min: spread(loads),
    saturatedTransportRounds: saturated,
    erroredTransportRounds: errored,
    cleanMedians,
    cpu: file.cpu,
    falsePositives: {
      allPairs: fp(aa),
      disjointPairs: { pairs: disjoint.map((c) => `${c.baseline} vs ${c.current}`), ...fp(disjoint) },
      interleavedSplits: fp(interleaved),
    },
    sensitivity,
    wallTime: {
      roundMs: spread(allBlocks.flatMap((m) => m.roundWallMs)),
      tenRoundsMs: spread(allBlocks.map((m) => m.wallMs)),
      compareRunsMs: spread(aa.map((c) => c.compareMs)),
    },
    aaComparisons: aa,
    interleavedComparisons: interleaved,
  };
  writeFileSync(SUMMARY_FILE, `${JSON.stringify(summary, null, 2)}\n`);

  const f = summary.falsePositives;
  const lines = [
    `machine: ${file.environment.cpus} x ${file.environment.cpuModel}, Node ${file.environment.node}; load (1 min) ${summary.load1Min.min}..${summary.load1Min.max}`,
    `A/A, all pairs of ${clean.length} clean blocks: ${f.allPairs.regressionOutcomes} of ${f.allPairs.comparisons} failed; ${f.allPairs.withAnyInconclusive} had an inconclusive row; strict ${f.allPairs.strictFailures}; no correction ${f.allPairs.noCorrectionFailures}`,
    `A/A, disjoint pairs: ${f.disjointPairs.regressionOutcomes} of ${f.disjointPairs.comparisons} failed; ${f.disjointPairs.withAnyInconclusive} inconclusive`,
    `A/A, interleaved even/odd splits: ${f.interleavedSplits.regressionOutcomes} of ${f.interleavedSplits.comparisons} failed; ${f.interleavedSplits.withAnyInconclusive} inconclusive; no correction ${f.interleavedSplits.noCorrectionFailures}`,
    `not passed (Holm): ${JSON.stringify(f.allPairs.notPassedByRow)}`,
    `interleaved, not passed (Holm): ${JSON.stringify(f.interleavedSplits.notPassedByRow)}`,
    `failed without correction: ${JSON.stringify(f.allPairs.failedNoCorrectionByRow)}`,
    ...sensitivity.map((s) => `${s.label} vs ${s.baseline}: ${s.outcome}; ${Object.entries(s.verdicts).filter(([, v]) => v !== 'pass').map(([k, v]) => `${k} ${v}`).join('; ') || 'all watched metrics pass'}; vs all clean: ${s.outcomesVsAllClean}`),
    `round ${JSON.stringify(summary.wallTime.roundMs)} ms; 10 rounds ${JSON.stringify(summary.wallTime.tenRoundsMs)} ms; compareRuns ${JSON.stringify(summary.wallTime.compareRunsMs)} ms`,
    `saturated: ${saturated.length}, errored: ${errored.length}`,
    `summary: ${SUMMARY_FILE}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** One timed CLI command. */
interface CliRun {
  name: string;
  args: string[];
  exitCode: number | null;
  wallMs: number;
  loadStart: Load;
  loadEnd: Load;
  /** The report's outcome and counts, for gate commands with --json. */
  outcome?: string;
  counts?: Record<string, number>;
  notPassed?: RowBrief[];
  stderrTail: string[];
}

function runCli(name: string, args: string[], timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve) => {
    const loadStart = loadavg();
    const t0 = performance.now();
    say(`${name}: node bin/rtbench.js ${args.join(' ')}`);
    const child = spawn(process.execPath, ['bin/rtbench.js', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      process.stderr.write(c);
    });
    child.on('close', (code) => {
      const run: CliRun = { name, args, exitCode: code, wallMs: Math.round(performance.now() - t0), loadStart, loadEnd: loadavg(), stderrTail: err.trim().split('\n').slice(-3) };
      if (args.includes('--json') && out.trim().startsWith('{')) {
        const report = JSON.parse(out) as GateReport;
        Object.assign(run, { outcome: report.outcome, counts: report.counts, notPassed: report.rows.filter((r) => r.verdict !== 'pass').map(brief) });
        writeFileSync(join(OUT, `gate-cli-report-${name}.json`), out);
      }
      say(`${name}: exit ${code} in ${(run.wallMs / 1000).toFixed(1)} s`);
      resolve(run);
    });
  });
}

/** `cli`: the real CLI end to end; `cli ab` adds the same-job A/B mode. */
async function cli(withAb: boolean): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(CONFIG_FILE, `${JSON.stringify(RAW_CONFIG, null, 2)}\n`);
  const rel = (p: string): string => p.slice(ROOT.length);
  const runs: CliRun[] = [];
  runs.push(await runCli('baseline-save', ['baseline', 'save', '--config', rel(CONFIG_FILE), '--out', rel(CLI_BASELINE_FILE)], 600_000));
  runs.push(await runCli('gate', ['gate', '--baseline', rel(CLI_BASELINE_FILE), '--config', rel(CONFIG_FILE), '--json'], 600_000));
  runs.push(await runCli('gate-current-only', ['gate', '--baseline', rel(CLI_BASELINE_FILE), '--current', rel(CLI_BASELINE_FILE), '--config', rel(CONFIG_FILE), '--json'], 120_000));
  if (withAb) {
    const tmp = mkdtempSync(join(os.tmpdir(), 'rtbench-bench-gate-ab-'));
    const cmd = `node bin/rtbench.js compare --json --quiet --no-html --out ${tmp} {args}`;
    runs.push(await runCli('gate-ab', ['gate', '--ab', '--config', rel(CONFIG_FILE), '--baseline-cmd', cmd, '--json'], 900_000));
    rmSync(tmp, { recursive: true, force: true });
  }
  const previous = existsSync(CLI_FILE) ? (JSON.parse(readFileSync(CLI_FILE, 'utf8')) as { runs: CliRun[] }).runs : [];
  const kept = previous.filter((p) => !runs.some((r) => r.name === p.name));
  writeFileSync(CLI_FILE, `${JSON.stringify({ kind: 'rtbench-bench-gate-cli', environment: describeEnvironment(), config: RAW_CONFIG, runs: [...kept, ...runs] }, null, 2)}\n`);
  say(`wrote ${CLI_FILE}`);
}

const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
const [step = 'run', arg] = process.argv.slice(2);
if (step === 'run') await runPlan(controller.signal);
else if (step === 'analyze') analyze();
else if (step === 'cli') await cli(arg === 'ab');
else {
  process.stderr.write(`bench:gate: unknown step "${step}"; expected one of: run, analyze, cli [ab]\n`);
  process.exitCode = 2;
}
