// `npm run bench:idle`: the idle sweep, 0 to 10 000 held connections per transport, one server process each.
// Writes the full result to bench/results/idle-<date>.json and prints the fitted bytes per connection next to the
// bare-library figures of DEVELOPERS.md (ws 6.6 KB, SSE 10.9 KB, held long poll 9.7 KB of RSS; kernel ~4.3 KB a
// socket). Memory-bound, a few minutes; run it on a quiet machine.
// Knobs: RTBENCH_IDLE_SWEEP=0,1000,... RTBENCH_IDLE_SETTLE_MS RTBENCH_IDLE_HEARTBEAT_MS RTBENCH_IDLE_TRANSPORTS=ws,sse
import { mkdirSync, writeFileSync } from 'node:fs';
import { runIdle } from '../driver/scenarios/idle/run.ts';
import { DEFAULT_FANOUT } from '../lib/options.ts';
import { parseTransports } from '../lib/validate.ts';
import type { OptionsOf } from '../lib/options.ts';
import type { Transport } from '../lib/transports.ts';

/** RSS per idle connection of the bare libraries (DEVELOPERS.md), bytes (1 KB = 1024 B). */
const REFERENCE_RSS_BYTES: Partial<Record<Transport, number>> = { ws: 6.6 * 1024, sse: 10.9 * 1024, 'long-poll': 9.7 * 1024 };
/** Kernel memory per TCP socket of the bare libraries, bytes. */
const REFERENCE_KERNEL_BYTES = 4.3 * 1024;

const list = (raw: string | undefined, fallback: number[]): number[] => (raw ? raw.split(',').map(Number) : fallback);
const options: OptionsOf<'idle'> = {
  ...DEFAULT_FANOUT,
  scenario: 'bench-idle',
  kind: 'idle',
  profile: 'custom',
  sseRetryMs: 0,
  keepAlive: true,
  transports: parseTransports('RTBENCH_IDLE_TRANSPORTS', process.env.RTBENCH_IDLE_TRANSPORTS),
  rate: 0,
  warmupMs: 0,
  workers: 2,
  pollIntervalMs: 1000,
  longPollWaitMs: 30_000,
  sweep: list(process.env.RTBENCH_IDLE_SWEEP, [0, 1000, 2000, 5000, 10_000]),
  heartbeatMs: Number(process.env.RTBENCH_IDLE_HEARTBEAT_MS ?? 15_000),
  settleMs: Number(process.env.RTBENCH_IDLE_SETTLE_MS ?? 5000),
};

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
const result = await runIdle(options, {
  signal: abort.signal,
  onProgress: (p) => process.stderr.write(`\r${p.transport} ${p.phase} ${Math.round(p.elapsedMs / 1000)} s   `),
});
process.stderr.write('\n');

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/idle-${stamp}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`;
const lines = result.transports.map((t) => {
  const i = t.idle;
  if (t.status !== 'ok' || !i) return `${t.transport.padEnd(12)} ${t.status}: ${t.error ?? ''}`;
  const ref = REFERENCE_RSS_BYTES[t.transport];
  const vsRef = ref ? ` (bare library ${kb(ref)}: ${(((i.rssBytesPerConnection - ref) / ref) * 100).toFixed(0)}%)` : '';
  const wasted = i.points.at(-1)?.wastedRequestsPerSec;
  return (
    `${t.transport.padEnd(12)} RSS ${kb(i.rssBytesPerConnection)}/conn${vsRef}, heap ${kb(i.heapBytesPerConnection)}/conn, ` +
    `kernel buffers ${kb(i.kernelBytesPerConnection)}/conn, kernel socket objects ${kb(i.kernelSlabBytesPerConnection ?? 0)}/conn = ` +
    `${i.kernelSocketsPerConnection ?? '?'} sockets x ${kb(i.kernelSlabBytesPerSocket ?? 0)} (reference ${kb(REFERENCE_KERNEL_BYTES)}/socket)` +
    `${wasted !== undefined ? `, ${wasted} wasted requests/s at ${i.points.at(-1)?.connections} pollers` : ''}`
  );
});
process.stdout.write(`${lines.join('\n')}\nfull results: ${file.pathname}\n`);
