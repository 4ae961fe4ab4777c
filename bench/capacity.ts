// `npm run bench:capacity`: the capacity search per transport — clients stepped up at a fixed publish rate, each
// step a fan-out measurement of its own, until p99 passes the SLO (100 ms), events are lost or the generator
// saturates. Writes bench/results/capacity-<date>.json and prints each transport's knee. CPU-bound: run it on a
// quiet machine. Knobs: RTBENCH_CAPACITY_TRANSPORTS=ws,sse RTBENCH_CAPACITY_AXIS=clients|rate
// RTBENCH_CAPACITY_STEPS=100,200,... RTBENCH_CAPACITY_RATE RTBENCH_CAPACITY_CLIENTS RTBENCH_CAPACITY_STEP_MS
// RTBENCH_CAPACITY_WARMUP_MS RTBENCH_CAPACITY_SLO_MS RTBENCH_BENCH_WORKERS
import { mkdirSync, writeFileSync } from 'node:fs';
import { runCapacity } from '../driver/scenarios/capacity/run.ts';
import { DEFAULT_FANOUT } from '../lib/options.ts';
import { parseTransports } from '../lib/validate.ts';
import type { OptionsOf } from '../lib/options.ts';

const env = process.env;
const axis = env.RTBENCH_CAPACITY_AXIS === 'rate' ? 'rate' : 'clients';
const defaultSteps = axis === 'clients' ? [100, 200, 500, 1000, 2000, 5000, 10_000] : [100, 200, 500, 1000, 2000, 5000];
const options: OptionsOf<'capacity'> = {
  ...DEFAULT_FANOUT,
  scenario: 'bench-capacity',
  kind: 'capacity',
  profile: 'custom',
  sseRetryMs: 0,
  keepAlive: true,
  transports: parseTransports('RTBENCH_CAPACITY_TRANSPORTS', env.RTBENCH_CAPACITY_TRANSPORTS),
  clients: Number(env.RTBENCH_CAPACITY_CLIENTS ?? 100),
  rate: Number(env.RTBENCH_CAPACITY_RATE ?? 10),
  payloadBytes: 100,
  warmupMs: Number(env.RTBENCH_CAPACITY_WARMUP_MS ?? 2000),
  pollIntervalMs: 1000,
  workers: Number(env.RTBENCH_BENCH_WORKERS ?? 2),
  axis,
  steps: env.RTBENCH_CAPACITY_STEPS ? env.RTBENCH_CAPACITY_STEPS.split(',').map(Number) : defaultSteps,
  start: 0,
  factor: 1,
  maxSteps: 0,
  sloP99Ms: Number(env.RTBENCH_CAPACITY_SLO_MS ?? 100),
  stepDurationMs: Number(env.RTBENCH_CAPACITY_STEP_MS ?? 10_000),
};

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
const result = await runCapacity(options, {
  signal: abort.signal,
  onProgress: (p) => process.stderr.write(`\r${p.transport} ${p.phase} ${Math.round(p.elapsedMs / 1000)} s, p99 ${(p.currentP99Us / 1000).toFixed(1)} ms   `),
});
process.stderr.write('\n');

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/capacity-${stamp}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

const lines = result.transports.map((t) => {
  const c = t.capacity;
  if (!c) return `${t.transport.padEnd(12)} ${t.status}: ${t.error ?? ''}`;
  const steps = c.steps.map((s) => `${axis === 'clients' ? s.clients : s.rate}: p99 ${(s.p99Us / 1000).toFixed(1)} ms${s.held ? '' : ` [${s.reason ?? 'broke'}]`}`).join('; ');
  const knee = c.knee ? `${axis === 'clients' ? c.knee.clients : c.knee.rate} ${axis === 'clients' ? 'clients' : 'events/s'}` : 'none';
  return `${t.transport.padEnd(12)} knee ${knee} — ${c.note ?? ''}\n             ${steps}`;
});
process.stdout.write(`${lines.join('\n')}\nfull results: ${file.pathname}\n`);
