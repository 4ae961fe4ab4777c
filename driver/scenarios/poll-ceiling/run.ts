// The poll-ceiling scenario: autocannon (in the driver process) against one polling server process, to find how
// many poll requests per second that process answers, and what that implies for pollers at an interval.
//  - short-poll: GET /poll?after=<lastSeq>, the empty answer every up-to-date poller gets at each interval.
//  - long-poll: GET /long-poll?after=<lastSeq - 1>, answered at once with one event: what each delivery costs a
//    long poller (its answer and its re-poll). A held poll would measure the wait, not the server.
// A run whose autocannon (the generator) used a whole core is marked invalid: the figure is then a floor.
import { createRequire } from 'node:module';
import { request } from 'undici';
import type { Transport } from '../../../lib/transports.ts';
import { UsageError } from '../../../lib/errors.ts';
import { readHostCpu, hostCpuBetween } from '../../../lib/host-cpu.ts';
import type { OptionsOf } from '../../../lib/options.ts';
import type { DriverHealth, HostFigures, PollCeiling, RunHooks, RunResult } from '../../../lib/result.ts';
import { judgeHealth, SATURATION_CPU_PERCENT } from '../../health.ts';
import { invalidReasons, runTransports, stopWith } from '../../pipeline.ts';

/** The poll-ceiling options the runner reads. */
type PollCeilingOptions = OptionsOf<'poll-ceiling'>;

/** Events retained before measuring (the long-poll answers carry the newest one). */
export const RETAINED_EVENTS = 10;

/** The part of autocannon's programmatic API this runner uses (autocannon ships no types). */
interface AutocannonResult {
  /** Seconds the run lasted. */
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { total: number; average: number };
  /** Milliseconds. */
  latency: { p50: number; p99: number };
}
/** A running autocannon: a promise of its result that can be stopped early. */
type AutocannonRun = PromiseLike<AutocannonResult> & { stop(): void };
type Autocannon = (opts: { url: string; connections: number; pipelining: number; duration: number }) => AutocannonRun;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** The request each polling transport is measured with, given the newest seq. */
export function ceilingPath(transport: Transport, lastSeq: number): { path: string; eventsPerAnswer: number } {
  if (transport === 'short-poll') return { path: `/poll?after=${lastSeq}`, eventsPerAnswer: 0 };
  if (transport === 'long-poll') return { path: `/long-poll?after=${lastSeq - 1}`, eventsPerAnswer: 1 };
  throw new UsageError(`poll-ceiling measures short-poll and long-poll only, got "${transport}"`);
}

/** What a requests/s ceiling implies for pollers: at a 1 s interval, and at `pollIntervalMs`. */
export function pollersSupported(requestsPerSec: number, pollIntervalMs: number): { clientsAt1sInterval: number; clientsAtPollInterval: number } {
  return { clientsAt1sInterval: Math.floor(requestsPerSec), clientsAtPollInterval: Math.floor((requestsPerSec * pollIntervalMs) / 1000) };
}

/**
 * The verdict of a ceiling run: autocannon (the generator, in the driver process) at 90% of a core or more makes
 * the figure a floor of the server's ceiling, and the run invalid; a server at 90% is the ceiling itself (valid).
 */
export function ceilingHealth(x: { generatorCpuPercent: number; generatorCpuUs: number; serverCpuPercent: number; requests: number; latencyP50Ms: number; latencyP99Ms: number; host?: HostFigures }): DriverHealth {
  const noDelay = { p50Us: 0, p99Us: 0, p999Us: 0, maxUs: 0, count: 0 };
  const p99Us = Math.round(x.latencyP99Ms * 1000);
  return judgeHealth({
    latency: { count: x.requests, minUs: 0, meanUs: 0, p50Us: Math.round(x.latencyP50Ms * 1000), p90Us: p99Us, p99Us, p999Us: p99Us, maxUs: p99Us },
    // autocannon's event loop is not probed; its CPU decides.
    processes: [{ pid: process.pid, cpuPercent: x.generatorCpuPercent, eventLoopDelay: noDelay }],
    eventLoopDelay: noDelay,
    clientCpuUs: x.generatorCpuUs,
    windowDeliveries: 0,
    ...(x.host ? { host: x.host } : {}),
    serverCpuPercent: x.serverCpuPercent,
  });
}

/** Runs autocannon against each polling transport of `options.transports`, one at a time. */
export async function runPollCeiling(o: PollCeilingOptions, hooks: RunHooks = {}): Promise<RunResult> {
  for (const t of o.transports) ceilingPath(t, RETAINED_EVENTS);
  return runTransports(o, hooks, { plannedMs: o.durationMs }, async (run) => {
    const server = await run.spawn({ transport: run.transport });
    const lastSeq = await run.guard(server.publish({ rate: 1e6, count: RETAINED_EVENTS, payloadBytes: o.payloadBytes }));
    const { path, eventsPerAnswer } = ceilingPath(run.transport, lastSeq);
    // One request first: the endpoint answers 200 at once, and its body size is recorded.
    const probe = await request(`${run.url}${path}`);
    const body = await probe.body.text();
    if (probe.statusCode !== 200) throw new Error(`GET ${path} answered ${probe.statusCode}: ${body.slice(0, 200)}`);
    if ((JSON.parse(body) as { events: unknown[] }).events.length !== eventsPerAnswer) throw new Error(`GET ${path} did not answer ${eventsPerAnswer} event(s) at once`);

    run.setPhase('measuring');
    const s0 = await server.stats();
    const host0 = readHostCpu();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const cannon = autocannon({ url: `${run.url}${path}`, connections: o.connections, pipelining: o.pipelining, duration: o.durationMs / 1000 });
    // Ctrl-C stops autocannon early; what it measured so far is kept, marked interrupted.
    const stop = (): void => cannon.stop();
    hooks.signal?.addEventListener('abort', stop, { once: true });
    if (hooks.signal?.aborted) stop();
    let r: AutocannonResult;
    try {
      r = await run.guard(Promise.resolve(cannon)).catch(async (err: unknown) => {
        // Interrupted: autocannon was stopped; its result so far is what this transport measured.
        if (hooks.signal?.aborted) return cannon;
        throw err;
      });
    } finally {
      hooks.signal?.removeEventListener('abort', stop);
    }
    const wallSec = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const host = hostCpuBetween(host0, readHostCpu());
    const s1 = await server.stats();
    const requestsPerSec = Math.round((r.requests.total / r.duration) * 10) / 10;
    const generatorCpuPercent = Math.round(((cpu.user + cpu.system) / 1e6 / wallSec) * 1000) / 10;
    const serverCpuPercent = Math.round(((s1.cpuUserUs + s1.cpuSystemUs - s0.cpuUserUs - s0.cpuSystemUs) / 1e6 / wallSec) * 1000) / 10;
    const pollCeiling: PollCeiling = {
      path,
      eventsPerAnswer,
      answerBodyBytes: Buffer.byteLength(body),
      connections: o.connections,
      pipelining: o.pipelining,
      durationMs: o.durationMs,
      requests: r.requests.total,
      requestsPerSec,
      latencyP50Ms: r.latency.p50,
      latencyP99Ms: r.latency.p99,
      ...pollersSupported(requestsPerSec, o.pollIntervalMs),
      pollIntervalMs: o.pollIntervalMs,
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      serverCpuPercent,
      generatorCpuPercent,
      generatorSaturated: generatorCpuPercent >= SATURATION_CPU_PERCENT,
    };
    const driver = ceilingHealth({ generatorCpuPercent, generatorCpuUs: cpu.user + cpu.system, serverCpuPercent, requests: r.requests.total, latencyP50Ms: r.latency.p50, latencyP99Ms: r.latency.p99, ...(host ? { host } : {}) });
    const figures = {
      pollCeiling,
      churn: {
        connectionsOpened: s1.connectionsAccepted - s0.connectionsAccepted,
        connectionsClosed: s1.connectionsClosed - s0.connectionsClosed,
        httpRequests: s1.requests - s0.requests,
        requestsPerEvent: 0,
      },
      driver,
      invalid: invalidReasons(driver.saturated ? driver.reasons : [], { publishedEvents: 0, expectedDeliveries: 0, deliveredEvents: 0, eventsPerSec: 0, lost: 0, duplicates: 0, outOfOrder: 0, gaps: 0 }, 0, 0),
    };
    if (hooks.signal?.aborted) stopWith(figures, 'interrupted: autocannon was stopped early');
    return figures;
  });
}
