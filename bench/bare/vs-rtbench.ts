// `npm run bench:bare`: rtbench's ws and SSE fan-out latency next to the bare yardstick (bench/bare/broadcast.ts),
// in the same run, alternating the two. Target: rtbench's p50 within 0.3 ms of the bare script's, its p99 within
// 1.5x. Writes bench/results/bare-vs-rtbench-<timestamp>.json and prints a table (medians over repetitions).
//
//   npm run bench:bare -- [--reps 3] [--warmup 2000] [--duration 8000] [--client-processes 1]
//                         [--rates 100,3000] [--transports ws,sse] [--clients 100] [--payload 100]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const TARGET_P50_DIFF_MS = 0.3;
const TARGET_P99_RATIO = 1.5;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The figures compared, from either side; undefined when a side did not report them. */
interface Figures {
  p50Us?: number;
  p90Us?: number;
  p99Us?: number;
  p999Us?: number;
  maxUs?: number;
  count?: number;
  lost?: number;
  duplicates?: number;
}
interface Run {
  side: 'bare' | 'rtbench';
  rate: number;
  transport: string;
  rep: number;
  ok: boolean;
  error?: string;
  wallMs: number;
  figures: Figures;
  /** Side-specific figures: bare's publisher lateness and CPU; rtbench's driver health, server CPU, keys seen. */
  extra: Record<string, unknown>;
}

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '8000' },
    'client-processes': { type: 'string', default: '1' },
    rates: { type: 'string', default: '100,3000' },
    transports: { type: 'string', default: 'ws,sse' },
    clients: { type: 'string', default: '100' },
    payload: { type: 'string', default: '100' },
  },
});
const int = (name: keyof typeof values, min: number, max: number): number => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got ${values[name]}`);
  return v;
};
const settings = {
  reps: int('reps', 1, 50),
  warmupMs: int('warmup', 0, 600_000),
  durationMs: int('duration', 100, 3_600_000),
  clientProcesses: int('client-processes', 1, 64),
  clients: int('clients', 1, 10_000),
  payloadBytes: int('payload', 0, 1_000_000),
  rates: String(values.rates).split(',').map(Number),
  transports: String(values.transports).split(','),
};
if (settings.rates.some((r) => !(r > 0 && r <= 100_000))) throw new Error(`--rates must be numbers in (0, 100000], got ${values.rates}`);
if (settings.transports.some((t) => t !== 'ws' && t !== 'sse')) throw new Error(`--transports must be ws and/or sse, got ${values.transports}`);
/** The benchmark proper; anything shorter is a smoke run and says so in its file. */
const smoke = settings.warmupMs < 2000 || settings.durationMs < 8000 || settings.reps < 3;

// ---- running one side -------------------------------------------------------------------------------------------

let current: ChildProcess | undefined;
/** rtbench's --out directory of the run in progress (a fresh temporary directory, removed after the run). */
let currentDir: string | undefined;
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    // Stop the run in progress, wait (at most 10 s) for it to exit, remove its directory, then exit.
    stopping = true;
    const child = current;
    const quit = (): never => {
      if (currentDir) rmSync(currentDir, { recursive: true, force: true });
      process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    if (!child || child.exitCode !== null || child.signalCode !== null) return quit();
    child.once('close', quit);
    child.kill('SIGTERM');
    setTimeout(() => {
      child.kill('SIGKILL');
      quit();
    }, 10_000);
  });
}

/** Runs node with `args` in the repository root; resolves with its stdout, or rejects with why it failed. */
function runNode(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (stopping) return reject(new Error('stopping'));
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    current = child;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      if (code === 0) resolve(stdout);
      else reject(new Error(`exit code ${code}, signal ${signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** A number at `path` in `o`, or undefined (the rtbench schema is being extended: read it defensively). */
function numAt(o: unknown, ...path: string[]): number | undefined {
  let v: unknown = o;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function objAt(o: unknown, key: string): Record<string, unknown> | undefined {
  const v = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined;
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

async function runBare(transport: string, rate: number): Promise<Pick<Run, 'figures' | 'extra'>> {
  const args = ['--import', 'tsx', 'bench/bare/broadcast.ts', '--transport', transport, '--clients', String(settings.clients), '--rate', String(rate)];
  args.push('--payload', String(settings.payloadBytes), '--warmup', String(settings.warmupMs), '--duration', String(settings.durationMs));
  args.push('--client-processes', String(settings.clientProcesses));
  const out = JSON.parse(await runNode(args, settings.warmupMs + settings.durationMs + 120_000)) as unknown;
  return {
    figures: {
      p50Us: numAt(out, 'latencyUs', 'p50'),
      p90Us: numAt(out, 'latencyUs', 'p90'),
      p99Us: numAt(out, 'latencyUs', 'p99'),
      p999Us: numAt(out, 'latencyUs', 'p999'),
      maxUs: numAt(out, 'latencyUs', 'max'),
      count: numAt(out, 'latencyUs', 'count'),
      lost: numAt(out, 'lost'),
      duplicates: numAt(out, 'duplicates'),
    },
    extra: { publisherLatenessUs: objAt(out, 'publisherLatenessUs'), clientCpuPercent: numAt(out, 'clientCpuPercent'), serverCpuPercent: numAt(out, 'serverCpuPercent') },
  };
}

async function runRtbench(transport: string, rate: number): Promise<Pick<Run, 'figures' | 'extra'>> {
  const dir = (currentDir = mkdtempSync(join(os.tmpdir(), 'rtbench-bare-')));
  try {
    const args = ['bin/rtbench.js', 'compare', '--transports', transport, '--clients', String(settings.clients), '--rate', String(rate)];
    args.push('--payload', String(settings.payloadBytes), '--warmup', `${settings.warmupMs}ms`, '--duration', `${settings.durationMs}ms`);
    args.push('--workers', String(settings.clientProcesses), '--json', '--quiet', '--no-html', '--out', dir);
    const out = JSON.parse(await runNode(args, settings.warmupMs + settings.durationMs + 180_000)) as unknown;
    const list = (out as { transports?: unknown }).transports;
    const t: unknown = Array.isArray(list) ? list.find((x: unknown) => typeof x === 'object' && x !== null && (x as { transport?: unknown }).transport === transport) : undefined;
    if (t === undefined) throw new Error(`rtbench printed no result for ${transport}`);
    const latency = objAt(t, 'latency');
    const delivery = objAt(t, 'delivery');
    const driver = objAt(t, 'driver');
    const keys = {
      transport: Object.keys(t as object),
      latency: Object.keys(latency ?? {}),
      delivery: Object.keys(delivery ?? {}),
      driver: Object.keys(driver ?? {}),
    };
    const status = (t as { status?: unknown }).status;
    if (status !== 'ok') throw new Error(`rtbench ${transport} status ${String(status)}: ${String((t as { error?: unknown }).error)}`);
    return {
      figures: {
        p50Us: numAt(latency, 'p50Us'),
        p90Us: numAt(latency, 'p90Us'),
        p99Us: numAt(latency, 'p99Us'),
        p999Us: numAt(latency, 'p999Us'),
        maxUs: numAt(latency, 'maxUs'),
        count: numAt(latency, 'count'),
        lost: numAt(delivery, 'lost'),
        duplicates: numAt(delivery, 'duplicates'),
      },
      extra: {
        saturated: driver?.saturated,
        reasons: driver?.reasons,
        processes: driver?.processes,
        clientMaxCpuPercent: driver?.maxCpuPercent,
        serverCpuPercent: (() => {
          const s = numAt(t, 'server', 'cpuSeconds');
          return s === undefined ? undefined : Math.round((s / (settings.durationMs / 1000)) * 1000) / 10;
        })(),
        keys,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    currentDir = undefined;
  }
}

// ---- the runs ---------------------------------------------------------------------------------------------------

const at = new Date().toISOString();
const loadBefore = os.loadavg()[0];
const runs: Run[] = [];
let loggedKeys = '';
const planned = settings.rates.length * settings.transports.length * settings.reps * 2;
for (const rate of settings.rates) {
  for (const transport of settings.transports) {
    for (let rep = 0; rep < settings.reps; rep++) {
      // Alternate which side goes first, so neither always runs on the warmer (or busier) machine.
      const order = rep % 2 === 0 ? (['bare', 'rtbench'] as const) : (['rtbench', 'bare'] as const);
      for (const side of order) {
        const started = Date.now();
        process.stderr.write(`[${runs.length + 1}/${planned}] ${side} ${transport} ${rate}/s rep ${rep + 1} ... `);
        let run: Run;
        try {
          const r = await (side === 'bare' ? runBare(transport, rate) : runRtbench(transport, rate));
          run = { side, rate, transport, rep, ok: r.figures.p50Us !== undefined && r.figures.p99Us !== undefined, wallMs: Date.now() - started, ...r };
          if (!run.ok) run.error = 'no p50/p99 in the output';
        } catch (err) {
          run = { side, rate, transport, rep, ok: false, error: err instanceof Error ? err.message : String(err), wallMs: Date.now() - started, figures: {}, extra: {} };
        }
        runs.push(run);
        const f = run.figures;
        process.stderr.write(run.ok ? `p50 ${ms(f.p50Us)} ms, p99 ${ms(f.p99Us)} ms, lost ${f.lost ?? '?'}\n` : `FAILED: ${run.error}\n`);
        // The keys rtbench's result had (its schema is being extended), logged whenever they change.
        const keyLine = run.extra.keys === undefined ? '' : JSON.stringify(run.extra.keys);
        if (keyLine !== '' && keyLine !== loggedKeys) process.stderr.write(`  rtbench result keys: ${(loggedKeys = keyLine)}\n`);
      }
    }
  }
}

// ---- summary ----------------------------------------------------------------------------------------------------

function ms(us: number | undefined): string {
  return us === undefined ? '-' : (us / 1000).toFixed(2);
}
function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
const medianOf = (rs: Run[], k: 'p50Us' | 'p99Us'): number | undefined =>
  median(rs.flatMap((r) => (r.ok && r.figures[k] !== undefined ? [r.figures[k]] : [])));

const summary = settings.rates.flatMap((rate) =>
  settings.transports.map((transport) => {
    const of = (side: Run['side']): Run[] => runs.filter((r) => r.side === side && r.rate === rate && r.transport === transport);
    const bare = { p50Us: medianOf(of('bare'), 'p50Us'), p99Us: medianOf(of('bare'), 'p99Us'), okRuns: of('bare').filter((r) => r.ok).length };
    const rt = { p50Us: medianOf(of('rtbench'), 'p50Us'), p99Us: medianOf(of('rtbench'), 'p99Us'), okRuns: of('rtbench').filter((r) => r.ok).length };
    const p50DiffMs = bare.p50Us !== undefined && rt.p50Us !== undefined ? (rt.p50Us - bare.p50Us) / 1000 : undefined;
    const p99Ratio = bare.p99Us !== undefined && rt.p99Us !== undefined && bare.p99Us > 0 ? rt.p99Us / bare.p99Us : undefined;
    const notes: string[] = [];
    const lost = (side: Run['side']): number => of(side).reduce((s, r) => s + (r.figures.lost ?? 0), 0);
    if (lost('bare') > 0) notes.push(`bare lost ${lost('bare')}`);
    if (lost('rtbench') > 0) notes.push(`rtbench lost ${lost('rtbench')}`);
    const saturated = of('rtbench').filter((r) => r.extra.saturated === true).length;
    if (saturated > 0) notes.push(`rtbench generator saturated in ${saturated} run(s)`);
    // The bare script has no saturation check of its own: flag a busy client process and a late publisher here.
    const busy = of('bare').filter((r) => Number(r.extra.clientCpuPercent) >= 90).length;
    if (busy > 0) notes.push(`bare client CPU >= 90% in ${busy} run(s)`);
    const late = of('bare').filter((r) => Number(numAt(r.extra, 'publisherLatenessUs', 'p99')) >= 1000).length;
    if (late > 0) notes.push(`bare publisher lateness p99 >= 1 ms in ${late} run(s)`);
    const failed = of('bare').length + of('rtbench').length - bare.okRuns - rt.okRuns;
    if (failed > 0) notes.push(`${failed} run(s) failed`);
    return {
      rate,
      transport,
      bare,
      rtbench: rt,
      p50DiffMs,
      p99Ratio,
      p50WithinTarget: p50DiffMs === undefined ? undefined : p50DiffMs <= TARGET_P50_DIFF_MS,
      p99WithinTarget: p99Ratio === undefined ? undefined : p99Ratio <= TARGET_P99_RATIO,
      notes,
    };
  }),
);

const file = join(ROOT, 'bench', 'results', `bare-vs-rtbench-${at.replace(/[:.]/g, '-')}.json`);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
const doc = {
  kind: 'rtbench-bench-bare-vs-rtbench',
  at,
  smoke,
  ...(smoke ? { note: 'SMOKE RUN (shorter than 2 s warm-up, 8 s window, 3 repetitions): proves the harness works; not a benchmark figure' } : {}),
  node: process.version,
  cpus: os.cpus().length,
  loadAverage1m: { before: loadBefore, after: os.loadavg()[0] },
  settings,
  targets: { p50DiffMs: TARGET_P50_DIFF_MS, p99Ratio: TARGET_P99_RATIO },
  summary,
  runs,
};
writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);

const yes = (b: boolean | undefined): string => (b === undefined ? '?' : b ? 'yes' : 'NO');
const head = ['rate/s', 'transport', 'bare p50', 'bare p99', 'rtb p50', 'rtb p99', 'Δp50 ms', 'p99 x', `p50≤+${TARGET_P50_DIFF_MS}`, `p99≤${TARGET_P99_RATIO}x`, 'notes'];
const rows = summary.map((s) => [
  String(s.rate),
  s.transport,
  ms(s.bare.p50Us),
  ms(s.bare.p99Us),
  ms(s.rtbench.p50Us),
  ms(s.rtbench.p99Us),
  s.p50DiffMs === undefined ? '-' : `${s.p50DiffMs >= 0 ? '+' : ''}${s.p50DiffMs.toFixed(2)}`,
  s.p99Ratio === undefined ? '-' : s.p99Ratio.toFixed(2),
  yes(s.p50WithinTarget),
  yes(s.p99WithinTarget),
  s.notes.join('; '),
]);
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
process.stdout.write(
  `${smoke ? 'SMOKE RUN — not a benchmark figure\n' : ''}latency in ms, medians over ${settings.reps} repetition(s); ${settings.clients} clients, ` +
    `${settings.payloadBytes}-byte payload, ${settings.warmupMs} ms warm-up, ${settings.durationMs} ms window, ${settings.clientProcesses} client process(es)\n` +
    `${[line(head), ...rows.map(line)].join('\n')}\nfull results: ${file}\n`,
);
