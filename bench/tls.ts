// `npm run bench:tls`: what TLS and HTTP/2 cost per transport. For each wire mode (plain HTTP/1.1, TLS, HTTP/2 over
// TLS) and transport: the server RSS and heap per idle connection (the idle sweep's slope, 0 to 1 000 connections by
// default) and, in a fan-out, the server CPU per 1 000 deliveries and the bytes on the wire per event (TLS records
// and HTTP/2 frames included). WebSocket's HTTP/2 row is WebSocket over TLS on HTTP/1.1 (rtbench's WebSocket does
// not use RFC 8441). Writes bench/results/tls-<date>.json (every result) and prints one table; run it on a quiet
// machine.
// Knobs: RTBENCH_TLS_PARTS=idle,fanout RTBENCH_TLS_TRANSPORTS=ws,sse RTBENCH_TLS_SWEEP=0,500,1000 RTBENCH_TLS_SETTLE_MS RTBENCH_TLS_CLIENTS
// RTBENCH_TLS_RATE RTBENCH_TLS_DURATION_MS RTBENCH_TLS_WORKERS
import { mkdirSync, writeFileSync } from 'node:fs';
import { runIdle } from '../driver/scenarios/idle/run.ts';
import { runFanout } from '../driver/scenarios/fanout/run.ts';
import { DEFAULT_FANOUT, type OptionsOf } from '../lib/options.ts';
import { parseTransports } from '../lib/validate.ts';
import type { RunResult } from '../lib/result.ts';

const MODES = [
  { name: 'plain', tls: false, http2: false },
  { name: 'tls', tls: true, http2: false },
  { name: 'h2', tls: true, http2: true },
] as const;

const env = process.env;
const transports = parseTransports('RTBENCH_TLS_TRANSPORTS', env.RTBENCH_TLS_TRANSPORTS);
const sweep = (env.RTBENCH_TLS_SWEEP ?? '0,500,1000').split(',').map(Number);
const parts = (env.RTBENCH_TLS_PARTS ?? 'idle,fanout').split(',').map((p) => p.trim());
if (parts.length === 0 || parts.some((p) => p !== 'idle' && p !== 'fanout')) throw new Error(`RTBENCH_TLS_PARTS must list idle and/or fanout, got "${env.RTBENCH_TLS_PARTS}"`);
const clients = Number(env.RTBENCH_TLS_CLIENTS ?? 100);
const rate = Number(env.RTBENCH_TLS_RATE ?? 200);
const durationMs = Number(env.RTBENCH_TLS_DURATION_MS ?? 10_000);
const workers = Number(env.RTBENCH_TLS_WORKERS ?? 0);

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
const hooks = {
  signal: abort.signal,
  onProgress: (p: { transport: string; phase: string; elapsedMs: number }) => process.stderr.write(`\r${p.transport} ${p.phase} ${Math.round(p.elapsedMs / 1000)} s   `),
};

const results: { mode: string; idle?: RunResult; fanout?: RunResult }[] = [];
for (const mode of MODES) {
  if (parts.includes('idle')) process.stderr.write(`\n${mode.name}: idle sweep ${sweep.join(', ')}\n`);
  const idle = !parts.includes('idle') ? undefined : await runIdle(
    {
      ...DEFAULT_FANOUT,
      scenario: `bench-tls-idle-${mode.name}`,
      kind: 'idle',
      profile: 'custom',
      transports,
      tls: mode.tls,
      http2: mode.http2,
      rate: 0,
      warmupMs: 0,
      workers: 0,
      sweep,
      heartbeatMs: 15_000,
      settleMs: Number(env.RTBENCH_TLS_SETTLE_MS ?? 3000),
    } satisfies OptionsOf<'idle'>,
    hooks,
  );
  if (abort.signal.aborted) break;
  if (parts.includes('fanout')) process.stderr.write(`\n${mode.name}: fan-out ${clients} clients x ${rate} events/s\n`);
  const fanout = !parts.includes('fanout') ? undefined : await runFanout({ ...DEFAULT_FANOUT, scenario: `bench-tls-fanout-${mode.name}`, transports, tls: mode.tls, http2: mode.http2, clients, rate, durationMs, workers }, hooks);
  results.push({ mode: mode.name, ...(idle ? { idle } : {}), ...(fanout ? { fanout } : {}) });
  if (abort.signal.aborted) break;
}
process.stderr.write('\n');

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/tls-${stamp}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);

const kb = (b: number | undefined): string => (b === undefined ? 'not measured' : `${(b / 1024).toFixed(1)} KiB`);
const lines = [`${'transport'.padEnd(13)}${'mode'.padEnd(7)}${'idle RSS/conn'.padStart(15)}${'heap/conn'.padStart(12)}${'CPU ms/1k ev'.padStart(14)}${'B/event'.padStart(9)}  wire`];
for (const transport of transports) {
  for (const r of results) {
    const i = r.idle?.transports.find((t) => t.transport === transport);
    const f = r.fanout?.transports.find((t) => t.transport === transport);
    const invalid = (f?.invalid?.length ?? 0) > 0 ? ' [fan-out INVALID: see the result]' : '';
    const tls = f?.wire?.tls;
    const wire = !r.fanout ? '(no fan-out run)' : tls ? `${tls.protocol} ${tls.cipher}, ALPN ${Object.entries(tls.alpn).map(([k, n]) => `${k} x${n}`).join(' ')}` : 'plain HTTP/1.1';
    lines.push(
      `${transport.padEnd(13)}${r.mode.padEnd(7)}` +
        `${(i?.status === 'ok' && i.idle ? kb(i.idle.rssBytesPerConnection) : (i?.status ?? (r.idle ? 'missing' : 'not run'))).padStart(15)}` +
        `${(i?.idle ? kb(i.idle.heapBytesPerConnection) : '').padStart(12)}` +
        `${(f?.status === 'ok' && f.server ? f.server.cpuMsPer1kEvents.toFixed(2) : (f?.status ?? (r.fanout ? 'missing' : 'not run'))).padStart(14)}` +
        `${(f?.wire ? f.wire.bytesPerEvent.toFixed(0) : '').padStart(9)}  ${wire}${invalid}`,
    );
  }
}
process.stdout.write(`${lines.join('\n')}\nfull results: ${file.pathname}\n`);
