// A run split into shards: each shard is a separate rtbench process (on any host) that connects its share of the
// clients to one shared server and measures the same window, defined by sequence numbers every shard can agree on:
// the coordinator (the process that spawned the server) publishes exactly `warmupEvents + windowEvents` events,
// starting only once the server holds every shard's clients, and seqs warmupEvents+1 .. warmupEvents+windowEvents
// are the window. A shard learns the publisher's start from the first event's `ts` (the server's clock, which its
// client processes are aligned to), so every shard counts the same seconds and the same events.
import { nowUs } from '../lib/clock.ts';
import { UsageError } from '../lib/errors.ts';
import type { FanoutOptions, ScenarioOptions } from '../lib/options.ts';
import { shardClients, type RunHooks, type RunResult, type ShardSpec } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import type { ServerProcess } from '../servers/spawn.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { CLOCK_LEAD_US, runTransports, type Figures, type TransportRun } from './pipeline.ts';
import { ControlTokenRefused, sharedServer } from './shared-server.ts';
import { planGenerator } from './sizing.ts';

/** How long a shard waits for every shard's clients to reach the server, ms (the others may start later). */
export const SHARD_CONNECT_TIMEOUT_MS = 300_000;
/** How often a shard's client processes re-estimate their offset to the server's clock, ms. */
export const SHARD_CLOCK_RESYNC_MS = 2000;
/**
 * How long `rtbench shard-server` keeps answering after every shard's clients have left, ms: each shard reads the
 * server's final /stats right after its own clients close, which may be after the last client of all has gone.
 */
export const SHARD_SERVER_LINGER_MS = 5000;
/** Shortest warm-up of a sharded run, ms: every shard must learn the publisher's start before the window opens. */
export const MIN_SHARD_WARMUP_MS = 1000;

/** "i/N" -> { index: i, count: N }, 0 <= i < N; throws UsageError naming `flag`. */
export function parseShard(flag: string, raw: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count || count > 1000) throw new UsageError(`${flag} must be i/N with 0 <= i < N <= 1000 (e.g. 0/3), got "${raw}"`);
  return { index, count };
}

/** The events of a sharded run: warm-up, then the window; seqs from 1 on a fresh server. */
export interface ShardPlan {
  warmupEvents: number;
  windowEvents: number;
  /** The window's seqs, inclusive, and the last seq published. */
  windowFromSeq: number;
  windowToSeq: number;
  lastSeq: number;
  /** Between two events, µs. */
  intervalUs: number;
}

/** The plan every shard and the coordinator derive from the same options. */
export function shardPlan(o: Pick<FanoutOptions, 'rate' | 'warmupMs' | 'durationMs'>): ShardPlan {
  const warmupEvents = Math.round((o.rate * o.warmupMs) / 1000);
  const windowEvents = Math.max(1, Math.round((o.rate * o.durationMs) / 1000));
  return { warmupEvents, windowEvents, windowFromSeq: warmupEvents + 1, windowToSeq: warmupEvents + windowEvents, lastSeq: warmupEvents + windowEvents, intervalUs: 1e6 / o.rate };
}

/** When event `seq` is due, µs of the server's clock, given the publisher's start (the publisher's own rounding). */
export function dueUs(plan: ShardPlan, t0Us: number, seq: number): number {
  return t0Us + Math.round((seq - 1) * plan.intervalUs);
}

/** The window [start, end) of a plan started at `t0Us`: exactly the events due for seqs windowFromSeq .. windowToSeq. */
export function shardWindow(plan: ShardPlan, t0Us: number): { startUs: number; endUs: number } {
  return { startUs: dueUs(plan, t0Us, plan.windowFromSeq), endUs: dueUs(plan, t0Us, plan.windowToSeq + 1) };
}

/** Checks that `o` can run sharded: fan-out, one transport, a warm-up every shard can learn the start within. */
export function checkShardable(o: ScenarioOptions): void {
  if (o.kind !== 'fanout') throw new UsageError(`a sharded run measures the fan-out scenario only; got ${o.kind}`);
  if (o.transports.length !== 1) throw new UsageError(`a sharded run measures one transport (one shared server), named with -t (e.g. -t sse); got ${o.transports.join(',')}`);
  if (o.warmupMs < MIN_SHARD_WARMUP_MS) throw new UsageError(`--warmup must be at least ${MIN_SHARD_WARMUP_MS} ms in a sharded run (every shard learns the publisher's start from its first event), got ${o.warmupMs} ms`);
  const t = o.transports[0] as Transport;
  const ignored = [
    o.tls ? '--tls' : '',
    o.http2 ? '--http2' : '',
    (o.via ?? 'direct') !== 'direct' ? `--via ${o.via ?? ''}` : '',
    (o.link ?? 'loopback') !== 'loopback' || (o.rttMs ?? 0) > 0 || (o.jitterMs ?? 0) > 0 || (o.bandwidthKbit ?? 0) > 0 ? 'a --link' : '',
    o.injectDelayMs > 0 ? '--inject-delay-ms' : '',
    o.injectCpuUs > 0 ? '--inject-cpu-us' : '',
  ].filter((f) => f !== '');
  if (ignored.length > 0) throw new UsageError(`a sharded run cannot take ${ignored.join(', ')}: the shard server serves plain HTTP/1.1 to the shards' clients directly, with no test knobs`);
  if ((t === 'short-poll' || t === 'long-poll') && !o.keepAlive) throw new UsageError(`a sharded ${t} run cannot take --no-keep-alive: the server counts every shard's pollers by their open connections`);
}

/** What the server counts for `transport`: subscribers, or open connections for the pollers. */
function held(transport: Transport, s: { subscribers: number; connectionsOpen: number }): number {
  return transport === 'short-poll' || transport === 'long-poll' ? s.connectionsOpen : s.subscribers;
}

/**
 * The coordinator's part, next to the server it spawned: waits until the server holds all `o.clients`, then
 * publishes the plan and tells the server the window. Resolves with the last seq once published.
 */
export async function coordinate(server: ServerProcess, o: FanoutOptions & { transports: Transport[] }, signal?: AbortSignal, onWaiting?: (have: number) => void): Promise<{ t0Us: number; lastSeq: number }> {
  const transport = o.transports[0] as Transport;
  const plan = shardPlan(o);
  for (let have = -1; ; ) {
    if (signal?.aborted) throw new Error('interrupted before every shard connected');
    const now = held(transport, await server.stats());
    if (now !== have) onWaiting?.(now);
    have = now;
    if (have >= o.clients) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const t0Us = nowUs() + CLOCK_LEAD_US;
  const w = shardWindow(plan, t0Us);
  await server.window(w.startUs, w.endUs);
  const lastSeq = await server.publish({ rate: o.rate, count: plan.lastSeq, payloadBytes: o.payloadBytes, startUs: t0Us });
  return { t0Us, lastSeq };
}

/** One shard's figures for its transport on `run`: its share of the clients on the shared server at `url`. */
async function shardFigures(run: TransportRun, o: FanoutOptions, shard: ShardSpec, url: string, skewUs: number | undefined, token: string | undefined): Promise<Figures> {
  const server = sharedServer(run.transport, url, token);
  run.server = server;
  const plan = shardPlan(o);
  const mine = shardClients(shard, o.clients);
  const deadline = Date.now() + SHARD_CONNECT_TIMEOUT_MS;
  // The server may still be starting (a Job's pods and a Deployment's start together).
  let base: StatsSnapshot | undefined;
  while (!base) {
    base = await run.guard(server.stats()).catch((err: unknown) => {
      if (err instanceof ControlTokenRefused) throw err;
      if (Date.now() > deadline) throw new Error(`the shared server at ${url} did not answer within ${SHARD_CONNECT_TIMEOUT_MS / 1000} s: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    if (!base) await run.sleep(500);
  }
  if (base.lastSeq !== 0) throw new Error(`the shared server at ${url} already published ${base.lastSeq} events: a sharded run needs a fresh one (its seqs define the window)`);
  run.setPhase('connecting');
  const processes = planGenerator(run.transport, mine.count, mine.count * o.rate, o.workers).processes;
  const pool = await run.connect({
    clients: mine.count,
    workers: processes,
    clientOffset: mine.offset,
    clientTotal: o.clients,
    after: 0,
    clockResyncMs: SHARD_CLOCK_RESYNC_MS,
    secondHistograms: true,
    ...(skewUs === undefined ? {} : { clockSkewUs: skewUs }),
    ...(token ? { controlHeaders: { authorization: `Bearer ${token}` } } : {}),
  });
  await run.probe();
  // Every shard's clients: then the coordinator publishes.
  for (;;) {
    const s = await run.guard(server.stats());
    if (held(run.transport, s) >= o.clients || s.lastSeq > 0) break;
    if (Date.now() > deadline) throw new Error(`only ${held(run.transport, s)} of ${o.clients} clients of all shards reached the server within ${SHARD_CONNECT_TIMEOUT_MS / 1000} s`);
    await run.sleep(50);
  }
  const connected = await run.guard(server.stats());
  const s0 = connected;
  run.setPhase('warmup');
  const t0 = await run.guard(pool.firstEvent());
  run.startClock(t0);
  await run.openWindow(shardWindow(plan, t0));
  const snapshots = await run.closeWindow();
  run.setPhase('draining');
  const report = await run.guard(pool.finish(plan.lastSeq, o.drainMs));
  const end = await run.guard(
    server.stats({ histograms: true }).catch((err: unknown) => {
      throw new Error(`the shared server at ${url} did not answer this shard's final /stats: ${err instanceof Error ? err.message : String(err)}`);
    }),
  );
  snapshots.to = { ...snapshots.to, publisher: end.publisher };
  const figures = run.standardFigures({ report, snapshots, base, connected, s0, end, publishedEvents: plan.lastSeq, expectedDeliveries: plan.lastSeq * mine.count, lastSeq: plan.lastSeq, lastDueUs: dueUs(plan, t0, plan.lastSeq) });
  // Per connection is not measured by a shard: other shards' clients may already have been on the server at its baseline.
  if (figures.server) delete figures.server.rssPerConnectionBytes;
  return figures;
}

/**
 * Runs shard `shard` of a fan-out run against the shared server at `url`, presenting `token` on its control requests
 * when given; the result is a partial one (merge the shards with `rtbench merge`).
 */
export async function runShard(o: ScenarioOptions & FanoutOptions, shard: ShardSpec, url: string, hooks: RunHooks = {}, skewUs?: number, token?: string): Promise<RunResult> {
  checkShardable(o);
  const result = await runTransports(o, hooks, { plannedMs: o.warmupMs + o.durationMs }, (run) => shardFigures(run, o, shard, url, skewUs, token));
  return { ...result, shard, targets: Object.fromEntries(o.transports.map((t) => [t, url])) };
}
