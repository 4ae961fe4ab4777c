// `rtbench merge`: shards' partial results -> the result one run with all their clients would have reported.
// What the clients measured merges exactly (latency histograms, each second's histogram, counts); what the
// server measured is the one shared server's, read by shard 0; a saturated or invalid shard marks the whole.
import { mergeEncoded, mergeEncodedToEncoded } from '../lib/histogram.ts';
import { UsageError } from '../lib/errors.ts';
import { FIELDS } from '../lib/options.ts';
import { summarizeLoopDelay } from '../lib/loop-delay.ts';
import { latencyUncertaintyUs, type Bound, type DeliveryFigures, type DriverHealth, type RunResult, type TimelinePoint, type TransportResult } from '../lib/result.ts';
import { LatencyRecorder } from '../clients/recorder.ts';
import { steadyStateOf } from './pipeline.ts';

/** Options every shard must share for their results to merge. */
const SHARED_OPTIONS = ['clients', 'rate', 'payloadBytes', 'warmupMs', 'durationMs', 'pollIntervalMs'] as const;

/** Merges the partial results of every shard of one run (`names`: their files, for errors); throws UsageError naming what does not fit. */
export function mergeShards(parts: readonly RunResult[], names: readonly string[] = parts.map((_, i) => `#${i + 1}`)): RunResult {
  if (parts.length === 0) throw new UsageError('rtbench merge needs at least one shard result');
  const byIndex = checkShards(parts, names);
  const first = byIndex[0] as RunResult;
  const windowSec = first.options.durationMs / 1000;
  const transports = first.transports.map((t) => mergeTransport(windowSec, byIndex.map((p) => p.transports.find((x) => x.transport === t.transport) as TransportResult)));
  const warnings = [...new Set(byIndex.flatMap((p) => p.warnings ?? []))];
  // Each shard's URL of the shared server (hosts may reach it at different addresses): one, or each once.
  const targets = Object.fromEntries(
    first.transports.flatMap(({ transport }) => {
      const urls = [...new Set(byIndex.flatMap((p) => (p.targets?.[transport] === undefined ? [] : [p.targets[transport]])))];
      return urls.length === 0 ? [] : [[transport, urls.join(', ')]];
    }),
  );
  return {
    schemaVersion: first.schemaVersion,
    scenario: first.scenario,
    startedAt: byIndex.map((p) => p.startedAt).sort()[0] as string,
    finishedAt: byIndex.map((p) => p.finishedAt).sort().at(-1) as string,
    interrupted: byIndex.some((p) => p.interrupted),
    options: first.options,
    invalid: transports.some((t) => (t.invalid?.length ?? 0) > 0),
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(Object.keys(targets).length > 0 ? { targets } : {}),
    merged: { shards: byIndex.length, hostnames: byIndex.map((p) => p.environment.hostname) },
    environment: first.environment,
    transports,
  };
}

/** The parts ordered by shard index; throws unless they are shards 0..N-1 of one run, each once. */
function checkShards(parts: readonly RunResult[], names: readonly string[]): RunResult[] {
  const count = parts[0]?.shard?.count;
  const out: RunResult[] = [];
  parts.forEach((p, i) => {
    const name = names[i] ?? `#${i + 1}`;
    if (!p.shard) throw new UsageError(`"${name}" is a whole run, not a shard's partial result (run shards with --shard i/N)`);
    if (p.shard.count !== count) throw new UsageError(`"${name}" is shard ${p.shard.index}/${p.shard.count} but "${names[0]}" belongs to a run of ${count} shards`);
    if (out[p.shard.index]) throw new UsageError(`shard ${p.shard.index}/${count} is given twice ("${name}")`);
    if (p.scenario !== 'fanout') throw new UsageError(`"${name}" is a ${p.scenario} run; rtbench merge combines fan-out shards only`);
    const first = parts[0] as RunResult;
    for (const key of SHARED_OPTIONS) {
      const spec = FIELDS[key];
      const value = (v: unknown): string => `${String(v)}${'unit' in spec && spec.unit === 'ms' ? ' ms' : ''}`;
      if (p.options[key] !== first.options[key]) throw new UsageError(`"${name}" ran with ${spec.flag ?? key} ${value(p.options[key])} but "${names[0]}" with ${value(first.options[key])}: shards of one run share every option`);
    }
    if (p.transports.map((t) => t.transport).join() !== first.transports.map((t) => t.transport).join()) throw new UsageError(`"${name}" measured other transports than "${names[0]}"`);
    out[p.shard.index] = p;
  });
  const missing = Array.from({ length: count ?? 0 }, (_, i) => i).filter((i) => !out[i]);
  if (missing.length > 0) throw new UsageError(`shard(s) ${missing.map((i) => `${i}/${count}`).join(', ')} missing: merge needs all ${count}`);
  return out;
}

/** Order of the bounds, least to most damning. */
const BOUNDS: Bound[] = ['none', 'server', 'generator', 'host'];

/** One transport across the shards (in shard order). */
function mergeTransport(windowSec: number, shards: TransportResult[]): TransportResult {
  const s0 = shards[0] as TransportResult;
  const tag = (i: number, text: string): string => `shard ${i}: ${text}`;
  const bad = shards.findIndex((t) => t.status !== 'ok');
  const status = bad < 0 ? 'ok' : (shards[bad] as TransportResult).status;
  const out: TransportResult = { transport: s0.transport, status, wallMs: Math.max(...shards.map((t) => t.wallMs)) };
  if (bad >= 0) out.error = tag(bad, (shards[bad] as TransportResult).error ?? status);
  const histograms = shards.flatMap((t) => (t.histogram === undefined ? [] : [t.histogram]));
  if (histograms.length > 0) {
    out.histogram = mergeEncodedToEncoded(histograms);
    out.latency = LatencyRecorder.summarizeEncoded([out.histogram]);
  }
  if (shards.every((t) => t.timeline)) {
    // Each second's histogram belongs in a partial result only: the merged one keeps the summaries, as a whole run does.
    out.timeline = mergeTimelines(shards.map((t) => t.timeline as TimelinePoint[])).map(({ histogram: _histogram, ...p }) => p);
    const steady = steadyStateOf(out.timeline);
    if (steady) out.steadyState = steady;
  }
  if (s0.warmup) out.warmup = s0.warmup;
  if (s0.publisher) out.publisher = s0.publisher;
  if (s0.floor) out.floor = s0.floor;
  const clocks = shards.flatMap((t, i) => (t.clock?.processes ?? []).map((p) => ({ ...p, shard: i })));
  if (clocks.length > 0) out.clock = { processes: clocks, latencyUncertaintyUs: latencyUncertaintyUs(clocks) };
  if (shards.every((t) => t.delivery)) out.delivery = mergeDelivery(shards.map((t) => t.delivery as DeliveryFigures), windowSec);
  const windowDeliveries = out.delivery?.windowDeliveries ?? 0;
  if (s0.churn) out.churn = { ...s0.churn, requestsPerEvent: windowDeliveries > 0 ? s0.churn.httpRequests / windowDeliveries : 0 };
  if (s0.wire) out.wire = { ...s0.wire, bytesPerEvent: (out.delivery?.deliveredEvents ?? 0) > 0 ? s0.wire.serverBytesWritten / (out.delivery?.deliveredEvents as number) : 0 };
  if (s0.server) {
    // Per connection is not measured across shards: each read the server's baseline with other shards' clients maybe on it.
    const { rssPerConnectionBytes: _perConnection, ...server } = s0.server;
    out.server = { ...server, cpuMsPer1kEvents: windowDeliveries > 0 ? (server.cpuSeconds * 1e6) / windowDeliveries : 0 };
  }
  if (shards.every((t) => t.driver)) out.driver = mergeDriver(shards.map((t) => t.driver as DriverHealth), shards.map((t) => t.delivery?.windowDeliveries ?? 0), tag);
  const invalid = shards.flatMap((t, i) => (t.invalid ?? []).map((r) => tag(i, r)));
  if (shards.some((t) => t.invalid)) out.invalid = invalid;
  return out;
}

/** Seconds of every shard (counted from the one publisher's start), added up by second: deliveries summed, histograms merged. */
export function mergeTimelines(timelines: readonly TimelinePoint[][]): TimelinePoint[] {
  const bySecond = new Map<number, TimelinePoint[]>();
  timelines.forEach((timeline) => {
    for (const p of timeline) bySecond.set(p.tMs, [...(bySecond.get(p.tMs) ?? []), p]);
  });
  return [...bySecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([tMs, points]) => {
      const encoded = points.flatMap((p) => (p.histogram === undefined ? [] : [p.histogram]));
      const h = mergeEncoded(encoded);
      const n = h.totalCount;
      const cpu = points.find((p) => p.serverCpuMs !== undefined)?.serverCpuMs;
      return {
        tMs,
        delivered: points.reduce((a, p) => a + p.delivered, 0),
        p50Us: n === 0 ? 0 : h.getValueAtPercentile(50),
        p99Us: n === 0 ? 0 : h.getValueAtPercentile(99),
        maxUs: n === 0 ? 0 : h.maxValue,
        ...(cpu === undefined ? {} : { serverCpuMs: cpu }),
        ...(points.some((p) => p.window === true) ? { window: true } : {}),
        ...(encoded.length > 0 ? { histogram: mergeEncodedToEncoded(encoded) } : {}),
      };
    });
}

/** Delivery counts of every shard added up (the published events are the one server's); events/s over the `windowSec` window. */
export function mergeDelivery(parts: readonly DeliveryFigures[], windowSec: number): DeliveryFigures {
  const sum = (f: (d: DeliveryFigures) => number | undefined): number => parts.reduce((a, d) => a + (f(d) ?? 0), 0);
  const lags = parts.flatMap((d) => (d.deliveryLagUs === undefined ? [] : [d.deliveryLagUs]));
  const reason = parts.find((d) => d.failureReason !== undefined)?.failureReason;
  return {
    publishedEvents: (parts[0] as DeliveryFigures).publishedEvents,
    expectedDeliveries: sum((d) => d.expectedDeliveries),
    deliveredEvents: sum((d) => d.deliveredEvents),
    windowDeliveries: sum((d) => d.windowDeliveries),
    eventsPerSec: sum((d) => d.windowDeliveries) / windowSec,
    ...(lags.length > 0 ? { deliveryLagUs: Math.max(...lags) } : {}),
    lost: sum((d) => d.lost),
    stragglers: sum((d) => d.stragglers),
    behind: sum((d) => d.behind),
    failedClients: sum((d) => d.failedClients),
    failedMissed: sum((d) => d.failedMissed),
    ...(reason === undefined ? {} : { failureReason: reason }),
    negativeLatencies: sum((d) => d.negativeLatencies),
    duplicates: sum((d) => d.duplicates),
    outOfOrder: sum((d) => d.outOfOrder),
    gaps: sum((d) => d.gaps),
  };
}

/** The generator across shards: saturated when any shard was, the worst bound, every process. */
function mergeDriver(parts: readonly DriverHealth[], windowDeliveries: readonly number[], tag: (i: number, text: string) => string): DriverHealth {
  const eldEncoded = parts.flatMap((d) => (d.eventLoopDelayHistogram === undefined ? [] : [d.eventLoopDelayHistogram]));
  const eldHistogram = eldEncoded.length > 0 ? mergeEncodedToEncoded(eldEncoded) : undefined;
  const totalWindow = windowDeliveries.reduce((a, b) => a + b, 0);
  const cpuMs = parts.every((d) => d.cpuMsPer1kEvents !== undefined) && totalWindow > 0 ? parts.reduce((a, d, i) => a + (d.cpuMsPer1kEvents as number) * (windowDeliveries[i] as number), 0) / totalWindow : undefined;
  const hosts = parts.flatMap((d) => (d.host ? [d.host] : []));
  const s0 = parts[0] as DriverHealth;
  return {
    saturated: parts.some((d) => d.saturated),
    bound: BOUNDS[Math.max(...parts.map((d) => BOUNDS.indexOf(d.bound)))] as Bound,
    reasons: parts.flatMap((d, i) => d.reasons.map((r) => tag(i, r))),
    maxCpuPercent: Math.max(...parts.map((d) => d.maxCpuPercent)),
    maxEventLoopDelayP99Us: Math.max(...parts.map((d) => d.maxEventLoopDelayP99Us)),
    ...(eldHistogram === undefined ? {} : { eventLoopDelay: summarizeLoopDelay(mergeEncoded([eldHistogram])), eventLoopDelayHistogram: eldHistogram }),
    processes: parts.reduce((a, d) => a + d.processes, 0),
    perProcess: parts.flatMap((d) => d.perProcess ?? []),
    ...(cpuMs === undefined ? {} : { cpuMsPer1kEvents: cpuMs }),
    // The busiest shard's host: the one closest to bounding the run.
    ...(hosts.length > 0 ? { host: hosts.reduce((a, b) => (b.busyPercent > a.busyPercent ? b : a)) } : {}),
    ...(s0.serverCpuPercent === undefined ? {} : { serverCpuPercent: s0.serverCpuPercent }),
  };
}
