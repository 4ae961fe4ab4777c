// Synthetic RunResults with seeded noise, for the gate's tests and for simulating its false-positive rate
// without running servers. Not used by the gate itself.
import { SCHEMA_VERSION, type RunResult, type TransportResult } from '../../lib/result.ts';
import type { OptionsOf } from '../../lib/options.ts';
import { PLAIN_TRANSPORTS as TRANSPORTS, type PlainTransport as Transport } from '../../lib/transports.ts';
import { DEFAULT_FANOUT } from '../../lib/options.ts';

/** The figures of one transport in one synthetic round. */
export interface SyntheticFigures {
  p50Us: number;
  p99Us: number;
  eventsPerSec: number;
  cpuMsPer1kEvents: number;
  rssPerConnectionBytes: number;
  bytesPerEvent: number;
  requestsPerEvent: number;
  lost?: number;
  duplicates?: number;
  outOfOrder?: number;
  /** Marks the load generator as saturated. */
  saturated?: boolean;
  /** Makes the transport errored with this reason (no figures). */
  error?: string;
}

/** Workload of every synthetic run unless overridden. */
export const SYNTHETIC_OPTIONS: OptionsOf<'fanout'> = { ...DEFAULT_FANOUT };

/** Typical figures per transport (shapes only; not measurements). */
export const SYNTHETIC_TYPICAL: Record<Transport, SyntheticFigures> = {
  'short-poll': { p50Us: 500_000, p99Us: 990_000, eventsPerSec: 10_000, cpuMsPer1kEvents: 2.5, rssPerConnectionBytes: 9000, bytesPerEvent: 160.2, requestsPerEvent: 0.01 },
  'long-poll': { p50Us: 1400, p99Us: 9000, eventsPerSec: 10_000, cpuMsPer1kEvents: 4.1, rssPerConnectionBytes: 11_000, bytesPerEvent: 240.5, requestsPerEvent: 0.5 },
  ws: { p50Us: 420, p99Us: 4000, eventsPerSec: 10_000, cpuMsPer1kEvents: 1.2, rssPerConnectionBytes: 14_000, bytesPerEvent: 131, requestsPerEvent: 0 },
  sse: { p50Us: 520, p99Us: 5000, eventsPerSec: 10_000, cpuMsPer1kEvents: 1.5, rssPerConnectionBytes: 12_000, bytesPerEvent: 152, requestsPerEvent: 0 },
  'fetch-stream': { p50Us: 560, p99Us: 5500, eventsPerSec: 10_000, cpuMsPer1kEvents: 1.6, rssPerConnectionBytes: 12_500, bytesPerEvent: 147, requestsPerEvent: 0 },
};

/** One synthetic transport result. */
export function syntheticTransport(transport: Transport, f: SyntheticFigures): TransportResult {
  if (f.error !== undefined) return { transport, status: 'errored', error: f.error, wallMs: 1000 };
  return {
    transport,
    status: 'ok',
    wallMs: 10_000,
    latency: { count: 80_000, minUs: Math.round(f.p50Us / 4), meanUs: f.p50Us, p50Us: f.p50Us, p90Us: f.p50Us * 2, p99Us: f.p99Us, p999Us: f.p99Us * 2, maxUs: f.p99Us * 4 },
    delivery: { publishedEvents: 1000, expectedDeliveries: 100_000, deliveredEvents: 100_000 - (f.lost ?? 0), eventsPerSec: f.eventsPerSec, lost: f.lost ?? 0, duplicates: f.duplicates ?? 0, outOfOrder: f.outOfOrder ?? 0, gaps: 0 },
    churn: { connectionsOpened: 0, connectionsClosed: 0, httpRequests: Math.round(f.requestsPerEvent * 80_000), requestsPerEvent: f.requestsPerEvent },
    wire: { serverBytesWritten: Math.round(f.bytesPerEvent * 100_000), serverBytesRead: 1000, bytesPerEvent: f.bytesPerEvent },
    server: {
      peakRssBytes: 80_000_000,
      baselineRssBytes: 50_000_000,
      connectedRssBytes: 50_000_000 + f.rssPerConnectionBytes * 100,
      rssPerConnectionBytes: f.rssPerConnectionBytes,
      heapUsedBytes: 20_000_000,
      cpuSeconds: (f.cpuMsPer1kEvents * 80) / 1000,
      cpuMsPer1kEvents: f.cpuMsPer1kEvents,
      eventLoopDelayP99Us: 2000,
    },
    driver: { bound: 'none', saturated: f.saturated === true, reasons: f.saturated ? ['a client process used 95% of a core (limit 90%)'] : [], maxCpuPercent: f.saturated ? 95 : 30, maxEventLoopDelayP99Us: 1000, processes: 1 },
  };
}

/** One synthetic run of the given transports. */
export function syntheticRun(figures: Partial<Record<Transport, SyntheticFigures>>, options: Partial<OptionsOf<'fanout'>> = {}, round = 0): RunResult {
  const transports = TRANSPORTS.filter((t) => figures[t] !== undefined);
  const start = Date.UTC(2025, 0, 1, 0, 0, round * 60);
  return {
    schemaVersion: SCHEMA_VERSION,
    scenario: options.scenario ?? SYNTHETIC_OPTIONS.scenario,
    startedAt: new Date(start).toISOString(),
    finishedAt: new Date(start + 50_000).toISOString(),
    interrupted: false,
    options: { ...SYNTHETIC_OPTIONS, transports, ...options },
    environment: { node: 'v20.20.2', platform: 'linux', osRelease: '6.1.0-synthetic', arch: 'x64', cpus: 4, cpuModel: 'Synthetic CPU', totalMemBytes: 8 * 2 ** 30, hostname: 'synthetic', rtbenchVersion: '0.1.0' },
    transports: transports.map((t) => syntheticTransport(t, figures[t] as SyntheticFigures)),
  };
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How to generate noisy rounds. */
export interface NoiseSpec {
  rounds: number;
  seed: number;
  /** Multiplicative noise of the noisy figures (latency, throughput, CPU, memory): uniform ±spreadPercent. */
  spreadPercent: number;
  /** Base figures per transport (default: SYNTHETIC_TYPICAL for all five). */
  base?: Partial<Record<Transport, SyntheticFigures>>;
  /** Per-transport overrides applied to each round's figures after the noise (e.g. scale p99Us by 1.3). */
  change?: (transport: Transport, f: SyntheticFigures, round: number) => SyntheticFigures;
  options?: Partial<OptionsOf<'fanout'>>;
}

/** `rounds` synthetic runs with seeded multiplicative noise on the noisy figures; deterministic per seed. */
export function noisyRounds(spec: NoiseSpec): RunResult[] {
  const rand = seededRandom(spec.seed);
  const base = spec.base ?? SYNTHETIC_TYPICAL;
  const out: RunResult[] = [];
  for (let i = 0; i < spec.rounds; i += 1) {
    const figures: Partial<Record<Transport, SyntheticFigures>> = {};
    for (const t of TRANSPORTS) {
      const b = base[t];
      if (!b) continue;
      const jitter = (v: number): number => v * (1 + ((rand() * 2 - 1) * spec.spreadPercent) / 100);
      let f: SyntheticFigures = {
        ...b,
        p50Us: Math.round(jitter(b.p50Us)),
        p99Us: Math.round(jitter(b.p99Us)),
        eventsPerSec: jitter(b.eventsPerSec),
        cpuMsPer1kEvents: jitter(b.cpuMsPer1kEvents),
        rssPerConnectionBytes: Math.round(jitter(b.rssPerConnectionBytes)),
      };
      if (spec.change) f = spec.change(t, f, i);
      figures[t] = f;
    }
    out.push(syntheticRun(figures, spec.options, i));
  }
  return out;
}
