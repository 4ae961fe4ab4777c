// `npm run bench`: the fan-out throughput benchmark of issue #2. 100 clients, ~100-byte events, the publisher
// rate raised until the deliveries/s targets (ws 300k/s with p99 < 20 ms; SSE and fetch streaming 250k/s).
// Writes the full results to bench/results/fanout-<date>.json and prints a summary; run it on a quiet machine.
import { mkdirSync, writeFileSync } from 'node:fs';
import { runFanout } from '../driver/scenarios/fanout/run.ts';
import { DEFAULT_FANOUT } from '../lib/options.ts';
import type { RunResult } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';

interface Target {
  transport: Transport;
  /** Deliveries per second asked for: rate x clients. */
  deliveriesPerSec: number;
  /** p99 latency the target allows, µs (undefined: no latency target). */
  p99Us?: number;
}

const CLIENTS = 100;
const TARGETS: Target[] = [
  { transport: 'ws', deliveriesPerSec: 300_000, p99Us: 20_000 },
  { transport: 'sse', deliveriesPerSec: 250_000 },
  { transport: 'fetch-stream', deliveriesPerSec: 250_000 },
];
// Two client processes by default (RTBENCH_BENCH_WORKERS; 0 sizes them from the offered load, driver/sizing.ts).
const workers = Number(process.env.RTBENCH_BENCH_WORKERS ?? 2);
const durationMs = Number(process.env.RTBENCH_BENCH_DURATION_MS ?? 10_000);

const results: RunResult[] = [];
const lines: string[] = [];
for (const target of TARGETS) {
  const rate = target.deliveriesPerSec / CLIENTS;
  const result = await runFanout({
    ...DEFAULT_FANOUT,
    scenario: 'bench-fanout',
    transports: [target.transport],
    clients: CLIENTS,
    rate,
    payloadBytes: 100,
    warmupMs: 2000,
    durationMs,
    workers,
  });
  results.push(result);
  const t = result.transports[0];
  if (!t || t.status !== 'ok' || !t.latency || !t.delivery || !t.driver) {
    lines.push(`${target.transport}: ${t?.status ?? 'missing'} ${t?.error ?? ''}`);
    continue;
  }
  const valid = (t.invalid?.length ?? 0) === 0;
  const held = valid && t.delivery.lost === 0 && t.delivery.eventsPerSec >= target.deliveriesPerSec * 0.99 && (target.p99Us === undefined || t.latency.p99Us < target.p99Us);
  lines.push(
    `${target.transport.padEnd(12)} ${Math.round(t.delivery.eventsPerSec).toLocaleString('en')} deliveries/s (target ${target.deliveriesPerSec.toLocaleString('en')}), ` +
      `lost ${t.delivery.lost}, p50 ${(t.latency.p50Us / 1000).toFixed(2)} ms, p99 ${(t.latency.p99Us / 1000).toFixed(2)} ms` +
      `${target.p99Us ? ` (target < ${target.p99Us / 1000} ms)` : ''}, server CPU ${t.server?.cpuSeconds.toFixed(2)} s / ${durationMs / 1000} s, ` +
      `client CPU max ${t.driver.maxCpuPercent}% ${valid ? '' : `[INVALID: ${(t.invalid ?? []).join('; ')}]`} => ${held ? 'MET' : valid ? 'NOT MET' : 'NOT SHOWN (an invalid run cannot meet a target)'}`,
  );
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/fanout-${stamp}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify({ kind: 'rtbench-bench-fanout', clients: CLIENTS, workers, durationMs, results }, null, 2)}\n`);
process.stdout.write(`${lines.join('\n')}\nfull results: ${file.pathname}\n`);
