// `npm run bench:slow-consumer`: what slow consumers cost, per transport. 100 clients, 100 events/s of 16 KiB
// (1.6 MB/s per client), 0%, 1% and 10% of the clients stopped reading from the first event until the window
// closes; the streaming transports with the slow-consumer policy (maxQueuedBytes at its default, 4 MiB) and without
// it (0). The pollings have no queue to bound, so they run once per share. Per run: the healthy clients' p50/p99,
// the server's peak RSS and its growth over the RSS once connected, the cuts, and what the cut clients got back
// and lost. Writes bench/results/slow-consumer-<date>.json (with the load average before and after) and prints a
// table; a few minutes. Knobs: RTBENCH_BENCH_DURATION_MS (window, default 8000), RTBENCH_BENCH_WORKERS (client
// processes, default 0: sized from the load), RTBENCH_BENCH_FRACTIONS (default 0,0.01,0.1).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { runSlowConsumer, slowClientsOf } from '../driver/scenarios/slow-consumer/run.ts';
import { describeEnvironment } from '../driver/environment.ts';
import { DEFAULT_FANOUT, FIELDS, type OptionsOf } from '../lib/options.ts';
import type { RunResult } from '../lib/result.ts';
import { TRANSPORTS, type Transport } from '../lib/transports.ts';

const CLIENTS = 100;
const RATE = 100;
const PAYLOAD_BYTES = 16 * 1024;
const durationMs = Number(process.env.RTBENCH_BENCH_DURATION_MS ?? 8000);
const workers = Number(process.env.RTBENCH_BENCH_WORKERS ?? 0);
const fractions = (process.env.RTBENCH_BENCH_FRACTIONS ?? '0,0.01,0.1').split(',').map(Number);
const PUSH: Transport[] = ['ws', 'sse', 'fetch-stream'];
const POLICIES = [
  { name: 'default', maxQueuedBytes: FIELDS.maxQueuedBytes.default, transports: [...TRANSPORTS] },
  { name: 'off', maxQueuedBytes: 0, transports: PUSH },
];

/** One transport of one run, as the table and the docs need it. */
interface Row {
  slowFraction: number;
  slowClients: number;
  policy: string;
  maxQueuedBytes: number | null;
  transport: Transport;
  status: string;
  healthyP50Us?: number;
  healthyP99Us?: number;
  steadyP99Us?: number;
  healthyLost?: number;
  peakRssBytes?: number;
  connectedRssBytes?: number;
  rssGrowthBytes?: number;
  cuts?: number;
  cutClients?: number;
  recoveredEvents?: number;
  slowLost?: number;
  slowP99Us?: number;
  bound?: string;
  invalid: string[];
}

const options = (slowFraction: number, maxQueuedBytes: number, transports: Transport[]): OptionsOf<'slow-consumer'> => ({
  ...DEFAULT_FANOUT,
  scenario: 'bench-slow-consumer',
  kind: 'slow-consumer',
  profile: 'custom',
  transports,
  clients: CLIENTS,
  rate: RATE,
  payloadBytes: PAYLOAD_BYTES,
  warmupMs: 1000,
  warmupMaxMs: 2000,
  durationMs,
  drainMs: 5000,
  workers,
  maxQueuedBytes,
  slowFraction,
  slowReadBytesPerSec: 0,
  retentionEvents: 0,
});

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
const loadBefore = loadavg();
const results: RunResult[] = [];
const rows: Row[] = [];
for (const slowFraction of fractions) {
  for (const policy of POLICIES) {
    if (abort.signal.aborted) break;
    const result = await runSlowConsumer(options(slowFraction, policy.maxQueuedBytes, policy.transports), {
      signal: abort.signal,
      onProgress: (p) => process.stderr.write(`\r${Math.round(slowFraction * 100)}% slow, policy ${policy.name}: ${p.transport} ${p.phase} ${Math.round(p.elapsedMs / 1000)} s   `),
    });
    results.push(result);
    for (const t of result.transports) {
      const s = t.slowConsumer;
      rows.push({
        slowFraction,
        slowClients: slowClientsOf(CLIENTS, slowFraction),
        policy: policy.name,
        maxQueuedBytes: s?.pull ? null : policy.maxQueuedBytes,
        transport: t.transport,
        status: t.status === 'ok' ? 'ok' : `${t.status}: ${t.error ?? ''}`,
        ...(t.latency ? { healthyP50Us: t.latency.p50Us, healthyP99Us: t.latency.p99Us } : {}),
        ...(t.steadyState ? { steadyP99Us: t.steadyState.p99Us } : {}),
        ...(t.server ? { peakRssBytes: t.server.peakRssBytes, connectedRssBytes: t.server.connectedRssBytes } : {}),
        ...(s
          ? { healthyLost: s.healthyLost, rssGrowthBytes: s.rssGrowthBytes, cuts: s.cuts, cutClients: s.cutClients, recoveredEvents: s.recoveredEvents, slowLost: s.slowLost, slowP99Us: s.slowLatency.p99Us }
          : {}),
        ...(t.driver ? { bound: t.driver.bound } : {}),
        invalid: t.invalid ?? [],
      });
    }
  }
}
const loadAfter = loadavg();
process.stderr.write('\n');

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/slow-consumer-${stamp}.json`, import.meta.url);
const settings = { clients: CLIENTS, rate: RATE, payloadBytes: PAYLOAD_BYTES, warmupMs: 1000, warmupMaxMs: 2000, durationMs, drainMs: 5000, workers, fractions, slowReadBytesPerSec: 0, policies: POLICIES.map((p) => ({ name: p.name, maxQueuedBytes: p.maxQueuedBytes, transports: p.transports })) };
writeFileSync(file, `${JSON.stringify({ kind: 'rtbench-bench-slow-consumer', environment: describeEnvironment(), loadavg: { before: loadBefore, after: loadAfter }, interrupted: abort.signal.aborted, settings, rows, results }, null, 2)}\n`);

const ms = (us: number | undefined): string => (us === undefined ? '–' : (us / 1000).toFixed(2));
const mib = (b: number | undefined): string => (b === undefined ? '–' : (b / 1024 / 1024).toFixed(1));
const validity = (r: Row): string => {
  if (r.status !== 'ok') return r.status;
  if (r.invalid.length === 0) return 'yes';
  return r.bound === 'generator' || r.bound === 'host' ? `no: ${r.bound}-bound` : `no: ${r.invalid[0] ?? ''}`;
};
const lines = [`slow  policy   transport     healthy p50/p99 ms   peak RSS MiB  growth MiB  cuts  got back  lost  valid   (${CLIENTS} clients, ${RATE} events/s of ${PAYLOAD_BYTES / 1024} KiB, ${durationMs / 1000} s window)`];
for (const r of rows) {
  lines.push(
    `${`${Math.round(r.slowFraction * 100)}%`.padEnd(5)} ${r.policy.padEnd(8)} ${r.transport.padEnd(13)} ${`${ms(r.healthyP50Us)} / ${ms(r.healthyP99Us)}`.padEnd(20)} ${mib(r.peakRssBytes).padEnd(13)} ${mib(r.rssGrowthBytes).padEnd(11)} ` +
      `${String(r.maxQueuedBytes === null ? '-' : (r.cuts ?? '–')).padEnd(5)} ${String(r.maxQueuedBytes === null ? '-' : (r.recoveredEvents ?? '–')).padEnd(9)} ${String(r.slowLost ?? '–').padEnd(5)} ${validity(r)}`,
  );
}
process.stdout.write(`${lines.join('\n')}\nload average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')}\nfull results: ${file.pathname}\n`);
