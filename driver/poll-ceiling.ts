// The poll-ceiling scenario: autocannon (in the driver process) against one polling server process, to find how
// many poll requests per second that process answers, and what that implies for pollers at an interval.
//  - short-poll: GET /poll?after=<lastSeq>, the empty answer every up-to-date poller gets at each interval.
//  - long-poll: GET /long-poll?after=<lastSeq - 1>, answered at once with one event: what each delivery costs a
//    long poller (its answer and its re-poll). A held poll would measure the wait, not the server.
import { createRequire } from 'node:module';
import { request } from 'undici';
import type { Transport } from '../lib/transports.ts';
import { UsageError } from '../lib/errors.ts';
import { spawnServer, type ServerProcess } from '../servers/spawn.ts';
import { SATURATION_CPU_PERCENT, runEachTransport } from './run.ts';
import type { OptionsOf, ScenarioRunner } from './scenarios.ts';
import { type PollCeiling, type RunHooks, type TransportResult } from '../lib/result.ts';

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

/** Runs autocannon against each polling transport of `options.transports`, one at a time. */
export const runPollCeiling: ScenarioRunner = async (options, hooks) => {
  if (options.kind !== 'poll-ceiling') throw new UsageError(`the poll-ceiling runner got a "${options.kind}" scenario`);
  for (const t of options.transports) ceilingPath(t, RETAINED_EVENTS);
  return runEachTransport(options, hooks, (transport, index) => ceiling(transport, index, options, hooks));
};

/** Measures one transport; never throws: a failure becomes an `errored` result. */
async function ceiling(transport: Transport, index: number, o: PollCeilingOptions, hooks: RunHooks): Promise<TransportResult> {
  const started = Date.now();
  let server: ServerProcess | undefined;
  const progress = (phase: 'starting' | 'measuring' | 'done'): void =>
    hooks.onProgress?.({ transport, index, total: o.transports.length, phase, elapsedMs: Date.now() - started, plannedMs: o.durationMs, delivered: 0, currentP99Us: 0 });
  try {
    progress('starting');
    server = await spawnServer({ transport });
    const lastSeq = await server.publish({ rate: 1e6, count: RETAINED_EVENTS, payloadBytes: o.payloadBytes });
    const { path, eventsPerAnswer } = ceilingPath(transport, lastSeq);
    // One request first: the endpoint answers 200 at once, and its body size is recorded.
    const probe = await request(`${server.url}${path}`);
    const body = await probe.body.text();
    if (probe.statusCode !== 200) throw new Error(`GET ${path} answered ${probe.statusCode}: ${body.slice(0, 200)}`);
    if ((JSON.parse(body) as { events: unknown[] }).events.length !== eventsPerAnswer) throw new Error(`GET ${path} did not answer ${eventsPerAnswer} event(s) at once`);

    progress('measuring');
    const s0 = await server.stats();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const run = autocannon({ url: `${server.url}${path}`, connections: o.connections, pipelining: o.pipelining, duration: o.durationMs / 1000 });
    // Ctrl-C stops autocannon early; what it measured so far is kept, marked interrupted.
    const stop = (): void => run.stop();
    hooks.signal?.addEventListener('abort', stop, { once: true });
    if (hooks.signal?.aborted) stop();
    const died = server.exited.then(({ code, signal }) => Promise.reject(new Error(`server process exited mid-run (code ${code}, signal ${signal})`)));
    // Stopping the server afterwards settles `died` too: that must not be an unhandled rejection.
    died.catch(() => undefined);
    const r = await Promise.race([run, died]).finally(() => hooks.signal?.removeEventListener('abort', stop));
    const wallSec = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const s1 = await server.stats();
    progress('done');

    const requestsPerSec = Math.round((r.requests.total / r.duration) * 10) / 10;
    const generatorCpuPercent = Math.round(((cpu.user + cpu.system) / 1e6 / wallSec) * 1000) / 10;
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
      serverCpuPercent: Math.round(((s1.cpuUserUs + s1.cpuSystemUs - s0.cpuUserUs - s0.cpuSystemUs) / 1e6 / wallSec) * 1000) / 10,
      generatorCpuPercent,
      generatorSaturated: generatorCpuPercent >= SATURATION_CPU_PERCENT,
    };
    const interrupted = hooks.signal?.aborted ?? false;
    return {
      transport,
      status: interrupted ? 'interrupted' : 'ok',
      ...(interrupted ? { error: 'interrupted: autocannon was stopped early' } : {}),
      wallMs: Date.now() - started,
      pollCeiling,
      churn: {
        connectionsOpened: s1.connectionsAccepted - s0.connectionsAccepted,
        connectionsClosed: s1.connectionsClosed - s0.connectionsClosed,
        httpRequests: s1.requests - s0.requests,
        requestsPerEvent: 0,
      },
    };
  } catch (err) {
    return { transport, status: 'errored', error: err instanceof Error ? err.message : String(err), wallMs: Date.now() - started };
  } finally {
    await server?.stop();
  }
}
