// `npm run bench:shards`: a sharded run against one run of the same clients (issue #12). Per transport (ws and sse
// by default; any transport a sharded run takes), the same fan-out (60 clients, 100 events/s, 100-byte payload, 2 s
// warm-up, 10 s window) runs (1) as one ordinary run (runScenario, as `rtbench compare` runs it) and (2) as N = 1, 2
// and 3 shards on this machine over loopback, exactly as a user runs them: one `rtbench shard-server` process and N
// `rtbench shard i/N URL` processes, whose partial results are merged as `rtbench merge` does (mergeShards). The
// warm-up is fixed (--warmup-max = --warmup) in every layout, since a shard's is. Each layout is repeated 3 times,
// interleaved (per repetition and transport: single, then 1, 2 and 3 shards, then the control) so that drift of the
// machine hits all. The control is the single run with as many client processes (--workers) as the largest sharded
// layout has (a shard runs at least one): on one machine, N shards also mean N client processes sharing its cores
// with the server, and the control tells that cost from anything sharding itself does.
// Per transport and layout: the window's deliveries against clients x window events, loss, duplicates, reordering,
// p50/p99, bytes per event and server CPU per 1 000 deliveries (median and range of the valid repetitions, or, marked,
// of the invalid ones where none is valid), what bound each repetition (a saturated shard named); the single run's
// run-to-run noise per figure, and one computed sentence per figure on whether each sharded layout's median lies
// within it. Writes <out>/shards-<date>.json (every result, the environment and the load average before and after)
// and the Markdown next to it, and prints the tables; about 10 minutes with the defaults (30 runs of 15-25 s), on a
// quiet machine. Knobs: RTBENCH_SHARDS_TRANSPORTS (comma-separated), RTBENCH_SHARDS_CLIENTS, RTBENCH_SHARDS_RATE,
// RTBENCH_SHARDS_PAYLOAD_BYTES, RTBENCH_SHARDS_WARMUP_MS, RTBENCH_SHARDS_DURATION_MS, RTBENCH_SHARDS_REPEATS,
// RTBENCH_SHARDS_COUNTS (shard counts, e.g. 1,2,3), RTBENCH_SHARDS_OUT (results directory, default bench/results).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../driver/scenarios/index.ts';
import { checkMachineLimits } from '../driver/preflight.ts';
import { describeEnvironment } from '../driver/environment.ts';
import { checkShardable, shardPlan } from '../driver/shards.ts';
import { mergeShards } from '../driver/merge.ts';
import { FIELDS, type ScenarioOptions } from '../lib/options.ts';
import { parseResult, type RunResult, type TransportResult } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import { parseIntIn, parseNumberIn, parseTransports } from '../lib/validate.ts';
import { loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { formatBytes } from '../reports/format.ts';
import { layoutText, shardsMarkdown, shardsRows, type ShardsBenchRun } from './shards-summary.ts';

const BIN = fileURLToPath(new URL('../bin/rtbench.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** How long the shard server may take to print its URL, ms. */
const START_TIMEOUT_MS = 60_000;
/** Beyond warm-up, window and drain, how long the shards may take (starting, connecting, writing), ms. */
const SHARD_SLACK_MS = 90_000;
/** How long the shard server may take to exit once every shard is done, ms. */
const SERVER_EXIT_MS = 20_000;
/** From SIGTERM to SIGKILL of a process group, ms. */
const STOP_GRACE_MS = 10_000;

const env = (name: string): string | undefined => process.env[name] || undefined;
const transports = parseTransports('RTBENCH_SHARDS_TRANSPORTS', env('RTBENCH_SHARDS_TRANSPORTS') ?? 'ws,sse');
const settings = {
  clients: parseIntIn('RTBENCH_SHARDS_CLIENTS', env('RTBENCH_SHARDS_CLIENTS') ?? 60, FIELDS.clients.min, FIELDS.clients.max),
  rate: parseNumberIn('RTBENCH_SHARDS_RATE', env('RTBENCH_SHARDS_RATE') ?? 100, FIELDS.rate.min, FIELDS.rate.max),
  payloadBytes: parseIntIn('RTBENCH_SHARDS_PAYLOAD_BYTES', env('RTBENCH_SHARDS_PAYLOAD_BYTES') ?? 100, FIELDS.payloadBytes.min, FIELDS.payloadBytes.max),
  warmupMs: parseIntIn('RTBENCH_SHARDS_WARMUP_MS', env('RTBENCH_SHARDS_WARMUP_MS') ?? 2000, FIELDS.warmupMs.min, FIELDS.warmupMs.max),
  durationMs: parseIntIn('RTBENCH_SHARDS_DURATION_MS', env('RTBENCH_SHARDS_DURATION_MS') ?? 10_000, FIELDS.durationMs.min, FIELDS.durationMs.max),
};
const repeats = parseIntIn('RTBENCH_SHARDS_REPEATS', env('RTBENCH_SHARDS_REPEATS') ?? 3, 1, 100);
const counts = [...new Set((env('RTBENCH_SHARDS_COUNTS') ?? '1,2,3').split(',').map((c) => parseIntIn('RTBENCH_SHARDS_COUNTS', c.trim(), 1, settings.clients)))].sort((a, b) => a - b);
const outDir = resolve(env('RTBENCH_SHARDS_OUT') ?? fileURLToPath(new URL('./results/', import.meta.url)));

// Every planned run validated (shardable, and within this machine's limits) before the first starts.
const file = loadBuiltin('fanout');
const optionsOf = new Map<Transport, ScenarioOptions>(
  transports.map((t) => {
    const o = resolveOptions(file, 'ci', { ...settings, warmupMaxMs: settings.warmupMs }, [t]);
    checkShardable(o);
    checkMachineLimits(o);
    return [t, o];
  }),
);
// The control: the single run with as many client processes as the largest sharded layout (one per shard).
const control = Math.max(...counts) > 1 ? [{ shards: 0, processes: Math.max(...counts) }] : [];
const layouts: { shards: number; processes?: number }[] = [{ shards: 0 }, ...counts.map((shards) => ({ shards })), ...control];
const planned = Array.from({ length: repeats }, (_, i) => i + 1).flatMap((repetition) => transports.flatMap((transport) => layouts.map((l) => ({ repetition, transport, ...l }))));
const expected = settings.clients * shardPlan(settings).windowEvents;

/** The flags that give a shard server and its shards the options `o` (the same fan-out, profile and transport). */
function cliFlags(o: ScenarioOptions): string[] {
  return [
    ...['--profile', o.profile, '-t', o.transports.join(','), '--clients', String(o.clients), '--rate', String(o.rate), '--payload', String(o.payloadBytes)],
    ...['--warmup', `${o.warmupMs}ms`, '--warmup-max', `${o.warmupMaxMs}ms`, '--duration', `${o.durationMs}ms`, '--drain', `${o.drainMs}ms`],
  ];
}

/** Every rtbench process this bench started that has not closed yet. */
const live = new Set<Cli>();

/** An rtbench CLI process, leading its own process group (its server and client processes belong to it). */
class Cli {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** Resolves once it exited and its output closed. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    args: string[],
  ) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(this);
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.closed = new Promise((done) => {
      const closed = (code: number | null, signal: NodeJS.Signals | null): void => {
        live.delete(this);
        done({ code, signal });
      };
      this.child.once('close', closed);
      this.child.on('error', (err) => {
        this.stderr += `\n${err.message}`;
        // It never started: there is nothing to wait for.
        if (this.child.pid === undefined) closed(null, null);
      });
    });
  }

  /** The last lines of its stderr, for an error. */
  tail(): string {
    return this.stderr.trim().split('\n').slice(-3).join(' | ') || 'no output on stderr';
  }

  /** Resolves with the first match of `re` in its stdout; rejects if it closes first. */
  waitFor(re: RegExp): Promise<RegExpExecArray> {
    return new Promise((resolveMatch, reject) => {
      const check = (): void => {
        const m = re.exec(this.stdout);
        if (m) {
          off();
          resolveMatch(m);
        }
      };
      const onClose = (code: number | null, signal: NodeJS.Signals | null): void => {
        off();
        reject(new Error(`${this.name} exited (${code ?? signal}) before printing ${re.source}: ${this.tail()}`));
      };
      const off = (): void => {
        this.child.stdout?.off('data', check);
        this.child.off('close', onClose);
      };
      this.child.stdout?.on('data', check);
      this.child.once('close', onClose);
      check();
    });
  }

  /** Its result, printed as JSON on stdout (--json); rejects, naming it, when there is none or its transport errored. */
  async result(): Promise<RunResult> {
    const { code, signal } = await this.closed;
    let r: RunResult;
    try {
      r = parseResult(this.stdout, this.name);
    } catch {
      throw new Error(`${this.name} exited (${code ?? signal}) without a result: ${this.tail()}`);
    }
    const t = r.transports[0];
    if (!t || t.status === 'errored') throw new Error(`${this.name}: ${t?.error ?? 'no transport measured'}`);
    return r;
  }

  /** SIGKILL to its whole process group (itself, its server and client processes). */
  kill(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }

  /**
   * SIGTERM unless it closed already (it stops its own servers and clients), SIGKILL to the group after
   * STOP_GRACE_MS; resolves once closed, with anything of its group that outlived it killed.
   */
  async stop(): Promise<void> {
    if (live.has(this)) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.kill(), STOP_GRACE_MS);
      await this.closed;
      clearTimeout(timer);
    }
    this.kill();
  }
}

const abort = new AbortController();
let signals = 0;
const onSignal = (): void => {
  signals++;
  if (signals > 1) process.exit(130);
  process.stderr.write('\nbench:shards: interrupted; stopping every server and shard and writing what was measured (again to quit now)\n');
  abort.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// Whatever ends this process, no rtbench process of its survives it.
process.on('exit', () => {
  for (const c of live) c.kill();
});

/** `p`, or a rejection once `ms` pass (naming `what`) or the bench is interrupted. */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolveValue, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    const onAbort = (): void => reject(new Error('interrupted'));
    if (abort.signal.aborted) onAbort();
    abort.signal.addEventListener('abort', onAbort, { once: true });
    void p.then(resolveValue, reject).finally(() => {
      clearTimeout(timer);
      abort.signal.removeEventListener('abort', onAbort);
    });
  });
}

/** Options every shard must have run with for the merge to be the single run's workload. */
const SAME = ['clients', 'rate', 'payloadBytes', 'warmupMs', 'warmupMaxMs', 'durationMs', 'drainMs', 'pollIntervalMs'] as const;

/**
 * `o` as `count` shards, as a user runs them: `rtbench shard-server` on loopback, then `rtbench shard i/N URL` for each
 * shard at once, their partial results merged. Every process it started is stopped before it returns or throws.
 */
async function shardedRun(o: ScenarioOptions, count: number): Promise<{ result: TransportResult; saturatedShards: number[] }> {
  const flags = cliFlags(o);
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-bench-shards-'));
  const started: Cli[] = [];
  try {
    const server = new Cli('rtbench shard-server', ['shard-server', ...flags, '--port', '0']);
    started.push(server);
    const [, url] = await bounded(server.waitFor(/^url: (http:\/\/\S+)$/m), START_TIMEOUT_MS, 'rtbench shard-server');
    const shards = Array.from({ length: count }, (_, i) => new Cli(`rtbench shard ${i}/${count}`, ['shard', `${i}/${count}`, url as string, ...flags, '--json', '--quiet', '--no-html', '--out', dir]));
    started.push(...shards);
    // One shard failing fails the run at once (the others would wait for its clients).
    const parts = await bounded(Promise.all(shards.map((s) => s.result())), o.warmupMs + o.durationMs + o.drainMs + SHARD_SLACK_MS, `the ${count} shard${count === 1 ? '' : 's'}`);
    // The server exits once every shard's clients have left.
    const exit = await bounded(server.closed, SERVER_EXIT_MS, 'rtbench shard-server, once the shards were done,');
    if (exit.code !== 0) throw new Error(`rtbench shard-server exited (${exit.code ?? exit.signal}): ${server.tail()}`);
    const merged = mergeShards(parts, shards.map((s) => s.name));
    for (const key of SAME) {
      if (merged.options[key] !== o[key]) throw new Error(`the shards ran with ${key} ${String(merged.options[key])} but the single run with ${String(o[key])}: not the same workload`);
    }
    return { result: merged.transports[0] as TransportResult, saturatedShards: parts.flatMap((p, i) => (p.transports[0]?.driver?.saturated ? [i] : [])) };
  } finally {
    await Promise.all(started.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadBefore = loadavg();
const startedAt = new Date().toISOString();
const runs: ShardsBenchRun[] = [];
for (const [i, p] of planned.entries()) {
  if (abort.signal.aborted) break;
  const o = optionsOf.get(p.transport) as ScenarioOptions;
  const label = `[${i + 1}/${planned.length}] ${p.transport} ${layoutText(p.shards, p.processes)} #${p.repetition}`;
  const began = Date.now();
  let ticker: NodeJS.Timeout | undefined;
  try {
    if (p.shards === 0) {
      const result = await runScenario(p.processes === undefined ? o : { ...o, workers: p.processes }, {
        signal: abort.signal,
        onProgress: (pr) => process.stderr.write(`\r${label}: ${pr.phase} ${Math.round(pr.elapsedMs / 1000)} s   `),
      });
      runs.push({ transport: p.transport, shards: 0, ...(p.processes === undefined ? {} : { processes: p.processes }), repetition: p.repetition, result: result.transports[0] as TransportResult });
    } else {
      ticker = setInterval(() => process.stderr.write(`\r${label}: ${Math.round((Date.now() - began) / 1000)} s   `), 1000);
      const sharded = await shardedRun(o, p.shards);
      runs.push({ transport: p.transport, shards: p.shards, repetition: p.repetition, result: sharded.result, ...(sharded.saturatedShards.length > 0 ? { saturatedShards: sharded.saturatedShards } : {}) });
    }
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    process.stderr.write(`\n${label}: ${error}\n`);
    runs.push({ transport: p.transport, shards: p.shards, ...(p.processes === undefined ? {} : { processes: p.processes }), repetition: p.repetition, result: { transport: p.transport, status: abort.signal.aborted ? 'interrupted' : 'errored', error, wallMs: Date.now() - began } });
  } finally {
    clearInterval(ticker);
  }
}
const loadAfter = loadavg();
process.stderr.write('\n');

const rows = shardsRows(runs);
const stamp = startedAt.replace(/[:.]/g, '-');
mkdirSync(outDir, { recursive: true });
const json = join(outDir, `shards-${stamp}.json`);
const md = join(outDir, `shards-${stamp}.md`);
const environment = describeEnvironment();
writeFileSync(
  json,
  `${JSON.stringify({ kind: 'rtbench-bench-shards', environment, loadavg: { before: loadBefore, after: loadAfter }, interrupted: abort.signal.aborted, startedAt, finishedAt: new Date().toISOString(), settings: { ...settings, repeats, counts, transports, expectedWindowDeliveries: expected }, rows, runs }, null, 2)}\n`,
);
const load = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
const summary = shardsMarkdown(rows, expected);
writeFileSync(
  md,
  [
    `# bench:shards, ${startedAt}${abort.signal.aborted ? ' (interrupted)' : ''}`,
    '',
    `Fan-out, ${settings.clients} clients, ${settings.rate} events/s, ${formatBytes(settings.payloadBytes)} payload, ${settings.warmupMs / 1000} s warm-up (fixed), ${settings.durationMs / 1000} s window: ` +
      `one ordinary run, ${counts.join(', ')} shard(s) (rtbench shard-server and rtbench shard i/N processes on loopback, merged)${control.length > 0 ? ` and, as a control, the single run with ${Math.max(...counts)} client processes (--workers), as many as the largest sharded layout has` : ''}; ${repeats} repetitions per transport and layout, interleaved. ` +
      `Node ${environment.node}, ${environment.cpus} × ${environment.cpuModel}${environment.gitCommit ? `, commit ${environment.gitCommit.slice(0, 12)}${environment.gitDirty ? ' (dirty)' : ''}` : ''}. ` +
      `Load average before ${load(loadBefore)}, after ${load(loadAfter)}.`,
    '',
    "Each figure: the median of the valid repetitions (lowest–highest), or of the invalid ones where a layout has no valid repetition (marked [invalid]); window deliveries: deliveries of the events due in the window, of clients × window events expected; lost / dup / reordered: summed over the repetitions; bound: what bound each repetition, and any saturated shard.",
    '',
    summary,
  ].join('\n'),
);
process.stdout.write(`${summary}\nfull results: ${json}\nMarkdown: ${md}\n`);
