// A server that rtbench did not spawn, driven over HTTP instead of IPC: a remote `rtbench serve` (--target) or the
// user's own server (--server-cmd). It is a ServerProcess, so the pipeline runs on it unchanged. What a server
// offers decides what is measured: an rtbench server has the publisher control (/publisher, /window) and /stats;
// a server that speaks only the contract of docs/own-server.md (its endpoint, /publish, /time, /healthz) is
// published to by rtbench itself, one POST /publish per event, and its server figures are not measured.
import { Pool } from 'undici';
import { setTimeout as delay } from 'node:timers/promises';
import { nowUs } from '../lib/clock.ts';
import { CONTROL_HEADER, isLoopback } from '../servers/control.ts';
import { connect } from 'node:net';
import type { ServerProcess } from '../servers/spawn.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import type { PublishPlan } from '../servers/publisher.ts';
import type { Transport } from '../lib/transports.ts';
import { RtbenchError } from '../lib/errors.ts';

/** How the driver's clock maps to the server's, µs. The one place a clock offset is applied (lib/clock-sync.ts may replace estimateClock). */
export interface ClockMap {
  /** The server's clock minus the driver's, µs (0 on one host). */
  offsetUs: number;
  /** Half the shortest /time round trip: how far the offset may be off, µs (0 on one host). */
  uncertaintyUs: number;
}

/** A time of the driver's clock in the server's clock, µs. */
export function toServerUs(clock: ClockMap, localUs: number): number {
  return localUs + clock.offsetUs;
}

/** A time of the server's clock in the driver's clock, µs. */
export function toLocalUs(clock: ClockMap, serverUs: number): number {
  return serverUs - clock.offsetUs;
}

/** /time exchanges of the offset estimate; the one with the shortest round trip is kept. */
export const CLOCK_SAMPLES = 16;

/**
 * The driver's clock against the server's: on one host (a loopback URL) both read the same monotonic clock, so
 * the offset is 0; otherwise the best of CLOCK_SAMPLES GET /time exchanges (the shortest round trip).
 */
export async function estimateClock(get: (path: string) => Promise<{ status: number; body: string }>, url: URL): Promise<ClockMap> {
  if (isLoopback(url.hostname)) return { offsetUs: 0, uncertaintyUs: 0 };
  let best = { rttUs: Infinity, offsetUs: 0 };
  for (let i = 0; i < CLOCK_SAMPLES; i++) {
    const before = nowUs();
    const res = await get('/time');
    const after = nowUs();
    const now = (JSON.parse(res.body) as { now?: unknown }).now;
    if (typeof now !== 'number') throw new RtbenchError('ESERVER', `GET ${url.origin}/time answered no {"now": µs}`);
    if (after - before < best.rttUs) best = { rttUs: after - before, offsetUs: now - Math.round((before + after) / 2) };
  }
  return { offsetUs: best.offsetUs, uncertaintyUs: Math.ceil(best.rttUs / 2) };
}

/** What connectRemote needs: the transport, the server's base URL, the control token, and what to do on stop. */
export interface RemoteOptions {
  transport: Transport;
  /** Base URL, e.g. http://10.0.0.5:8080 (the transport's endpoint is at its path of docs/protocol.md). */
  url: string;
  /** Bearer token for the control endpoints (what `rtbench serve --host` printed). */
  token?: string;
  /** Process id of a server rtbench started (0: unknown). */
  pid?: number;
  /** Resolves when that process exits (never, for a server rtbench did not start). */
  exited?: ServerProcess['exited'];
  /** Ends what was started for this server (the --server-cmd process); called by stop(). */
  onStop?: () => Promise<void>;
}

/** A ServerProcess over HTTP, with what the server offered. */
export interface RemoteServer extends ServerProcess {
  readonly clock: ClockMap;
  /** The server has rtbench's publisher control (/publisher, /window); otherwise rtbench publishes with POST /publish. */
  readonly planControl: boolean;
  /** The server answers /stats with rtbench's snapshot; otherwise server figures are not measured. */
  readonly measuresServer: boolean;
}

/** A request of the control: status and body text. */
type Ask = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: string }>;

/** Connects to a running server at `o.url`: reads its clock and finds what it offers. Throws one sentence when it cannot. */
export async function connectRemote(o: RemoteOptions): Promise<RemoteServer> {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new RtbenchError('EUSAGE', `"${o.url}" is not a URL; expected e.g. http://10.0.0.5:8080`);
  }
  const pool = new Pool(url.origin, { connections: 4, pipelining: 1 });
  const headers: Record<string, string> = { [CONTROL_HEADER]: '1', 'content-type': 'application/json' };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const ask: Ask = async (method, path, body) => {
    const res = await pool.request({ method: method as 'GET', path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.statusCode, body: await res.body.text() };
  };
  const unreachable = (err: unknown): never => {
    void pool.close();
    throw new RtbenchError('ESERVER', `cannot reach the ${o.transport} server at ${url.origin}: ${err instanceof Error ? err.message : String(err)}`);
  };
  const clock = await estimateClock((path) => ask('GET', path), url).catch(unreachable);
  const probe = await ask('GET', '/stats').catch(unreachable);
  if (probe.status === 401) {
    await pool.close();
    throw new RtbenchError('EUSAGE', `the ${o.transport} server at ${url.origin} wants its control token: pass the one rtbench serve printed with --control-token (or RTBENCH_CONTROL_TOKEN)`);
  }
  const measuresServer = probe.status === 200 && isSnapshot(probe.body);
  const planControl = measuresServer && (await ask('GET', '/publisher').catch(unreachable)).status === 200;
  const driven = planControl ? undefined : new DriverPublisher(ask);
  // A publisher already running (`rtbench serve --rate`) would mix its events into the run's.
  if (planControl) await ask('POST', '/publisher/stop').catch(unreachable);
  // Without /stats the seq the server is at is learnt from one event published now (the clients start after it).
  if (driven) await driven.publishOne().catch((err: unknown) => {
    void pool.close();
    throw new RtbenchError('ESERVER', `the ${o.transport} server at ${url.origin} did not take POST /publish: ${err instanceof Error ? err.message : String(err)}`);
  });
  const notMeasured = [
    ...(measuresServer ? [] : [`server CPU, memory, event-loop delay, connections and bytes on the wire: the server at ${url.origin} has no rtbench /stats`]),
    ...(planControl ? [] : ['publisher lateness: rtbench published each event with POST /publish, and the server stamped it when the request arrived']),
  ];
  let stopped = false;
  const exited = o.exited ?? new Promise<never>(() => undefined);

  const expect = async (method: string, path: string, body?: unknown): Promise<string> => {
    const res = await ask(method, path, body);
    if (res.status !== 200) throw new RtbenchError('ESERVER', `${method} ${url.origin}${path} answered ${res.status}: ${res.body.slice(0, 200)}`);
    return res.body;
  };
  const publishUntilStopped = async (plan: PublishPlan): Promise<{ lastSeq: number; lastDueUs: number }> => {
    if (driven) return driven.run(plan);
    const serverPlan = { rate: plan.rate, count: Number.isFinite(plan.count) ? plan.count : null, payloadBytes: plan.payloadBytes, ...(plan.startUs === undefined ? {} : { startUs: toServerUs(clock, plan.startUs) }) };
    await expect('POST', '/publisher', serverPlan);
    for (;;) {
      if (stopped) throw new RtbenchError('ESERVER', `the ${o.transport} server at ${url.origin} was released while publishing`);
      const state = JSON.parse(await expect('GET', '/publisher?wait=10000')) as { running: boolean; lastSeq?: number; lastDueUs?: number };
      if (!state.running) return { lastSeq: state.lastSeq ?? 0, lastDueUs: state.lastDueUs ? toLocalUs(clock, state.lastDueUs) : 0 };
    }
  };

  return {
    transport: o.transport,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    pid: o.pid ?? 0,
    resetConnections() {
      return Promise.reject(new RtbenchError('EUSAGE', `the faults scenario cannot reset the connections of a server rtbench did not start (${url.origin})`));
    },
    arrivals() {
      return Promise.reject(new RtbenchError('EUSAGE', `the faults scenario cannot count the arrivals of a server rtbench did not start (${url.origin})`));
    },
    url: url.origin,
    clock,
    planControl,
    measuresServer,
    ...(notMeasured.length > 0 ? { notMeasured } : {}),
    exited,
    async publish(plan) {
      return (await publishUntilStopped(plan)).lastSeq;
    },
    publishUntilStopped,
    async stopPublisherAt(endUs) {
      if (driven) driven.stopAt(endUs);
      else await expect('POST', '/publisher/stop-at', { endUs: toServerUs(clock, endUs) });
    },
    async stopPublisher() {
      if (driven) return driven.stop();
      return (JSON.parse(await expect('POST', '/publisher/stop')) as { lastSeq: number }).lastSeq;
    },
    async window(startUs, endUs) {
      if (!planControl) return;
      await expect('POST', '/window', { startUs: toServerUs(clock, startUs), ...(endUs === undefined ? {} : { endUs: toServerUs(clock, endUs) }) });
    },
    async stats(opts = {}) {
      if (!measuresServer) return unmeasuredSnapshot(o.transport, driven?.lastSeq ?? 0, toServerUs(clock, nowUs()));
      const q = [opts.reset ? 'reset=1' : '', opts.gc ? 'gc=1' : '', opts.histograms ? 'histograms=1' : ''].filter((x) => x !== '').join('&');
      return JSON.parse(await expect('GET', `/stats${q === '' ? '' : `?${q}`}`)) as StatsSnapshot;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      driven?.stop();
      // A target keeps running for the next transport or run: only its publisher is stopped.
      if (planControl) await ask('POST', '/publisher/stop').catch(() => undefined);
      await pool.close().catch(() => undefined);
      await o.onStop?.();
    },
  };
}

/** Whether a /stats body is rtbench's snapshot (servers/stats.ts). */
function isSnapshot(body: string): boolean {
  try {
    const s = JSON.parse(body) as Partial<StatsSnapshot>;
    return typeof s.atUs === 'number' && typeof s.subscribers === 'number' && typeof s.publisher === 'object';
  } catch {
    return false;
  }
}

/** The snapshot of a server without /stats: only what rtbench itself knows (the last seq it published). */
export function unmeasuredSnapshot(transport: Transport, lastSeq: number, atUs: number): StatsSnapshot {
  const zero = { p50: 0, p99: 0, max: 0 };
  return {
    transport,
    pid: 0,
    uptimeMs: 0,
    connectionsOpen: 0,
    connectionsAccepted: 0,
    connectionsClosed: 0,
    requests: 0,
    subscribers: 0,
    eventsPublished: lastSeq,
    lastSeq,
    deliveries: 0,
    slowConsumersCut: 0,
    connectionsRefused: 0,
    bytesWritten: 0,
    bytesRead: 0,
    rssBytes: 0,
    peakRssBytes: 0,
    heapUsedBytes: 0,
    heapTotalBytes: 0,
    cpuUserUs: 0,
    cpuSystemUs: 0,
    eventLoopDelayUs: zero,
    atUs,
    publisher: { latenessUs: { count: 0, ...zero }, spinUs: 0, spinTotalUs: 0, ticks: 0 },
  };
}

/**
 * The publisher of a server without rtbench's publisher control: rtbench posts each event when it is due
 * (open loop: a slow answer does not delay the next event's request, it queues behind it on the connection).
 * The server stamps `ts` when the POST arrives, so latency counts from there.
 */
class DriverPublisher {
  lastSeq = 0;
  private endUs = Infinity;
  private halted = false;
  private wake: (() => void) | undefined;

  constructor(private readonly ask: Ask) {}

  /** Publishes one empty event now; its seq is where the server is. */
  async publishOne(): Promise<void> {
    const res = await this.ask('POST', '/publish', { data: '' });
    if (res.status !== 200) throw new Error(`it answered ${res.status}: ${res.body.slice(0, 200)}`);
    const seq = (JSON.parse(res.body) as { seq?: unknown }).seq;
    if (typeof seq !== 'number' || !Number.isInteger(seq)) throw new Error(`it answered ${res.body.slice(0, 200)} without an integer "seq"`);
    this.lastSeq = seq;
  }

  async run(plan: PublishPlan): Promise<{ lastSeq: number; lastDueUs: number }> {
    this.halted = false;
    this.endUs = Infinity;
    const body = { data: 'x'.repeat(plan.payloadBytes) };
    const intervalUs = 1e6 / plan.rate;
    const startUs = plan.startUs ?? nowUs();
    const inflight: Promise<void>[] = [];
    let lastDueUs = 0;
    let failure: unknown;
    for (let i = 0; i < plan.count && !this.halted && failure === undefined; i++) {
      const due = startUs + Math.round(i * intervalUs);
      if (due >= this.endUs) break;
      const wait = (due - nowUs()) / 1000;
      if (wait > 0) await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (this.halted || due >= this.endUs) break;
      lastDueUs = due;
      inflight.push(
        this.ask('POST', '/publish', body)
          .then((res) => {
            if (res.status !== 200) throw new Error(`POST /publish answered ${res.status}: ${res.body.slice(0, 200)}`);
            const seq = (JSON.parse(res.body) as { seq?: unknown }).seq;
            if (typeof seq === 'number' && seq > this.lastSeq) this.lastSeq = seq;
          })
          .catch((err: unknown) => {
            failure ??= err;
          }),
      );
    }
    await Promise.all(inflight);
    if (failure !== undefined) throw new RtbenchError('ESERVER', `publishing failed: ${failure instanceof Error ? failure.message : String(failure)}`);
    return { lastSeq: this.lastSeq, lastDueUs };
  }

  stopAt(endUs: number): void {
    this.endUs = endUs;
    if (nowUs() >= endUs) this.wake?.();
  }

  stop(): number {
    this.halted = true;
    this.wake?.();
    return this.lastSeq;
  }
}

/**
 * Waits until the server at `url` is ready, polling every 50 ms up to `timeoutMs`: until GET /healthz answers 200,
 * or (`portOnly`) until its port accepts a connection. `alive` false (the process exited) ends the wait at once.
 */
export async function waitUntilReady(url: string, timeoutMs: number, o: { portOnly?: boolean; alive?: () => boolean } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const target = new URL('/healthz', url);
  const what = o.portOnly ? `port ${target.port} of ${target.hostname} accepted a connection` : `GET ${target.href} answered 200`;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (o.alive && !o.alive()) throw new RtbenchError('ESERVER', `the server exited before ${what}`);
    try {
      if (o.portOnly) return await accepts(target.hostname, Number(target.port || 80));
      const res = await fetch(target, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    }
    await delay(50);
  }
  throw new RtbenchError('ESERVER', `the server was not ready within ${timeoutMs} ms: no ${what} (last: ${last})`);
}

/** Resolves once a TCP connection to host:port is accepted (and closes it); rejects when refused. */
function accepts(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ''), port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
