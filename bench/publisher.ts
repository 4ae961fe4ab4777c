// `npm run bench:publisher`: how close to their due times events leave a reference server's publisher, on an
// idle machine (no client, nothing else running): the publisher's lateness (hand-over to the transports minus due
// time) at 100 and 3 000 events/s, and the main-thread CPU its spin took. Target: p50 within 100 µs.
// Writes bench/results/publisher-<date>.json and prints a table; run it on a quiet machine.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { nowUs } from '../lib/clock.ts';
import { spawnServer } from '../servers/spawn.ts';
import { describeEnvironment } from '../driver/environment.ts';

const RATES = (process.env.RTBENCH_BENCH_RATES ?? '100,3000').split(',').map(Number);
const REPETITIONS = Number(process.env.RTBENCH_BENCH_REPS ?? 3);
const WINDOW_MS = Number(process.env.RTBENCH_BENCH_DURATION_MS ?? 10_000);
const WARMUP_MS = 1000;

interface Row {
  rate: number;
  repetition: number;
  events: number;
  latenessUs: { p50: number; p99: number; max: number };
  /** Main-thread CPU the spin took, percent of one core over the window. */
  spinPercent: number;
  /** Server CPU over the window (spin included; nothing else runs), percent of one core. */
  serverCpuPercent: number;
}

const rows: Row[] = [];
const loadBefore = loadavg();
for (const rate of RATES) {
  for (let repetition = 1; repetition <= REPETITIONS; repetition++) {
    const server = await spawnServer({ transport: 'ws' });
    try {
      const startUs = nowUs() + 100_000;
      const windowStart = startUs + WARMUP_MS * 1000;
      const windowEnd = windowStart + WINDOW_MS * 1000;
      const done = server.publishUntilStopped({ rate, count: Number.POSITIVE_INFINITY, payloadBytes: 100, startUs });
      await server.window(windowStart, windowEnd);
      await server.stopPublisherAt(windowEnd);
      await new Promise((r) => setTimeout(r, Math.max(0, (windowStart - nowUs()) / 1000)));
      const from = await server.stats();
      await done;
      const to = await server.stats();
      const wallUs = to.atUs - from.atUs;
      const l = to.publisher.latenessUs;
      rows.push({
        rate,
        repetition,
        events: l.count,
        latenessUs: { p50: l.p50, p99: l.p99, max: l.max },
        spinPercent: Math.round((to.publisher.spinUs / (windowEnd - windowStart)) * 1000) / 10,
        serverCpuPercent: Math.round(((to.cpuUserUs + to.cpuSystemUs - from.cpuUserUs - from.cpuSystemUs) / wallUs) * 1000) / 10,
      });
    } finally {
      await server.stop();
    }
  }
}
const loadAfter = loadavg();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};
const lines = [`rate/s   events  lateness p50 (µs)  p99 (µs)  max (µs)  spin % of a core  server CPU %   (${REPETITIONS} runs each, ${WINDOW_MS / 1000} s window)`];
for (const rate of RATES) {
  const rs = rows.filter((r) => r.rate === rate);
  const range = (f: (r: Row) => number): string => `${median(rs.map(f))} [${Math.min(...rs.map(f))}–${Math.max(...rs.map(f))}]`;
  lines.push(
    `${String(rate).padEnd(8)} ${String(median(rs.map((r) => r.events))).padEnd(7)} ${range((r) => r.latenessUs.p50).padEnd(18)} ${range((r) => r.latenessUs.p99).padEnd(9)} ${range((r) => r.latenessUs.max).padEnd(9)} ${range((r) => r.spinPercent).padEnd(17)} ${range((r) => r.serverCpuPercent)}`,
  );
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/publisher-${stamp}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify({ kind: 'rtbench-bench-publisher', environment: describeEnvironment(), loadavg: { before: loadBefore, after: loadAfter }, windowMs: WINDOW_MS, rows }, null, 2)}\n`);
process.stdout.write(`${lines.join('\n')}\nload average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')}\nfull results: ${file.pathname}\n`);
