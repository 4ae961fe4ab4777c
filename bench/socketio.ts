// `npm run bench:socketio`: Socket.IO beside plain ws (issue #11). Two parts, one server process per transport:
// 1. idle memory: the idle sweep, 0 to 10 000 held connections of ws, socketio (long-polling, then WebSocket) and
//    socketio-ws (WebSocket only), fitting server RSS, heap and kernel bytes per connection;
// 2. fan-out cost: N clients at each rate, latency p50/p99, server CPU per 1 000 deliveries, bytes per event. The
//    default (100 clients at 20 and 100 events/s) stays inside what one 2-core machine's client processes carry:
//    1 000 clients at 50 events/s made every client process the bottleneck there (results marked invalid).
// Writes bench/results/socketio-<date>.json and prints both tables. Memory- and CPU-bound, several minutes; run it
// on a quiet machine. Knobs: RTBENCH_SOCKETIO_PARTS=idle,fanout RTBENCH_SOCKETIO_SWEEP=0,2000,... RTBENCH_SOCKETIO_SETTLE_MS
// RTBENCH_SOCKETIO_CLIENTS RTBENCH_SOCKETIO_RATES=50,200 RTBENCH_SOCKETIO_DURATION_MS RTBENCH_SOCKETIO_WORKERS
// RTBENCH_SOCKETIO_TRANSPORTS=ws,socketio,socketio-ws
import { mkdirSync, writeFileSync } from 'node:fs';
import { runIdle } from '../driver/scenarios/idle/run.ts';
import { runFanout } from '../driver/scenarios/fanout/run.ts';
import { DEFAULT_FANOUT, workersFor, type OptionsOf } from '../lib/options.ts';
import { parseTransports } from '../lib/validate.ts';
import type { RunResult } from '../lib/result.ts';

const env = process.env;
const list = (raw: string | undefined, fallback: number[]): number[] => (raw ? raw.split(',').map(Number) : fallback);
const transports = parseTransports('RTBENCH_SOCKETIO_TRANSPORTS', env.RTBENCH_SOCKETIO_TRANSPORTS ?? 'ws,socketio,socketio-ws');
const clients = Number(env.RTBENCH_SOCKETIO_CLIENTS ?? 100);
const rates = list(env.RTBENCH_SOCKETIO_RATES, [20, 100]);
const parts = (env.RTBENCH_SOCKETIO_PARTS ?? 'idle,fanout').split(',');
const durationMs = Number(env.RTBENCH_SOCKETIO_DURATION_MS ?? 10_000);
const workers = Number(env.RTBENCH_SOCKETIO_WORKERS ?? 0);

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
const hooks = {
  signal: abort.signal,
  onProgress: (p: { transport: string; phase: string; elapsedMs: number }) => process.stderr.write(`\r${p.transport} ${p.phase} ${Math.round(p.elapsedMs / 1000)} s   `),
};

const idleOptions: OptionsOf<'idle'> = {
  ...DEFAULT_FANOUT,
  scenario: 'bench-socketio-idle',
  kind: 'idle',
  profile: 'custom',
  transports,
  rate: 0,
  warmupMs: 0,
  workers: 2,
  sweep: list(env.RTBENCH_SOCKETIO_SWEEP, [0, 2000, 5000, 10_000]),
  heartbeatMs: 15_000,
  settleMs: Number(env.RTBENCH_SOCKETIO_SETTLE_MS ?? 5000),
};
const idle = parts.includes('idle') ? await runIdle(idleOptions, hooks) : undefined;
process.stderr.write('\n');

const fanouts: RunResult[] = [];
for (const rate of parts.includes('fanout') ? rates : []) {
  if (abort.signal.aborted) break;
  fanouts.push(
    await runFanout(
      { ...DEFAULT_FANOUT, scenario: 'bench-socketio-fanout', transports, clients, rate, payloadBytes: 100, warmupMs: 2000, durationMs, workers: workersFor(clients, workers) },
      hooks,
    ),
  );
  process.stderr.write('\n');
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/socketio-${stamp}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify({ kind: 'rtbench-bench-socketio', idle, fanouts }, null, 2)}\n`);

const kb = (b: number | undefined): string => (b === undefined ? '?' : `${(b / 1024).toFixed(1)} KB`);
const lines = idle ? [`idle, sweep ${idleOptions.sweep.join(', ')} connections:`] : [];
for (const t of idle?.transports ?? []) {
  const i = t.idle;
  if (t.status !== 'ok' || !i) lines.push(`  ${t.transport.padEnd(12)} ${t.status}: ${t.error ?? ''}`);
  else {
    lines.push(
      `  ${t.transport.padEnd(12)} RSS ${kb(i.rssBytesPerConnection)}/conn, heap ${kb(i.heapBytesPerConnection)}/conn, kernel buffers ${kb(i.kernelBytesPerConnection)}/conn, ` +
        `kernel socket objects ${kb(i.kernelSlabBytesPerConnection)}/conn (${i.kernelSocketsPerConnection ?? '?'} sockets per connection)`,
    );
  }
}
for (const r of fanouts) {
  lines.push(`fan-out, ${r.options.clients} clients x ${r.options.rate} events/s, ${durationMs / 1000} s window:`);
  for (const t of r.transports) {
    if (t.status !== 'ok' || !t.latency || !t.server || !t.wire) {
      lines.push(`  ${t.transport.padEnd(12)} ${t.status}: ${t.error ?? ''}`);
      continue;
    }
    const invalid = (t.invalid?.length ?? 0) > 0 ? ` [INVALID: ${(t.invalid ?? []).join('; ')}]` : '';
    lines.push(
      `  ${t.transport.padEnd(12)} p50 ${(t.latency.p50Us / 1000).toFixed(2)} ms, p99 ${(t.latency.p99Us / 1000).toFixed(2)} ms, ` +
        `server CPU ${t.server.cpuMsPer1kEvents.toFixed(1)} ms per 1k deliveries, ${t.wire.bytesPerEvent.toFixed(1)} B/event, lost ${t.delivery?.lost ?? '?'}${invalid}`,
    );
  }
}
process.stdout.write(`${lines.join('\n')}\nfull results: ${file.pathname}\n`);
