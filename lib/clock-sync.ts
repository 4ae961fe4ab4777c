// A client process's offset to the server's clock, estimated from GET /time exchanges the NTP way: for each
// exchange sent at local t0 and answered at local t1 with the server's reading S, the offset (server minus local
// at the same instant) lies within [S - t1, S - t0] (one µs wider each side for the truncated readings). The
// estimate intersects those intervals over the exchanges with the smallest round trips: its middle is the offset,
// its half-width the uncertainty, so the true offset lies inside offset ± uncertainty by construction.
import { Client as UndiciClient } from 'undici';
import { nowUs } from './clock.ts';

/** One /time exchange: local send and receive times and the server's reading, µs. */
export interface ClockSample {
  t0Us: number;
  t1Us: number;
  serverUs: number;
}

/** The server's clock minus the local clock, µs, within ± uncertaintyUs. */
export interface ClockEstimate {
  offsetUs: number;
  uncertaintyUs: number;
  /** Samples the estimate rests on (those with the smallest round trips), and the shortest round trip, µs. */
  samples: number;
  rttMinUs: number;
}

/** Exchanges the estimate rests on: the ones with the smallest round trips. */
export const BEST_SAMPLES = 4;
/** Most recent samples kept across re-estimations (older ones would carry the clocks' drift). */
export const KEPT_SAMPLES = 64;

/** The offset from `samples` (see the file comment); throws on no samples. */
export function estimateOffset(samples: readonly ClockSample[], best = BEST_SAMPLES): ClockEstimate {
  if (samples.length === 0) throw new Error('no /time exchange to estimate a clock offset from');
  const byRtt = [...samples].sort((a, b) => a.t1Us - a.t0Us - (b.t1Us - b.t0Us));
  const used = byRtt.slice(0, best);
  let lo = -Infinity;
  let hi = Infinity;
  for (const s of used) {
    lo = Math.max(lo, s.serverUs - s.t1Us - 1);
    hi = Math.min(hi, s.serverUs - s.t0Us + 1);
  }
  const first = used[0] as ClockSample;
  const rttMinUs = first.t1Us - first.t0Us;
  // Intervals that do not overlap (the clocks drifted between exchanges): the shortest round trip alone.
  if (lo > hi) {
    lo = first.serverUs - first.t1Us - 1;
    hi = first.serverUs - first.t0Us + 1;
    return { offsetUs: (lo + hi) / 2, uncertaintyUs: (hi - lo) / 2, samples: 1, rttMinUs };
  }
  return { offsetUs: (lo + hi) / 2, uncertaintyUs: (hi - lo) / 2, samples: used.length, rttMinUs };
}

/** The offset to apply: 0 when the estimate cannot tell the clocks apart (|offset| <= uncertainty), else the offset rounded to µs. */
export function appliedOffsetUs(e: ClockEstimate): number {
  return Math.abs(e.offsetUs) <= e.uncertaintyUs ? 0 : Math.round(e.offsetUs);
}

/** Options of a ClockSync. */
export interface ClockSyncOptions {
  /** Headers sent with every /time request (e.g. a control token). */
  headers?: Record<string, string>;
  /** The CA (PEM) an https server's certificate is verified against (the run's certificate under --tls or --http2). */
  ca?: string;
  /** Exchanges per re-estimation (default 4). */
  exchanges?: number;
}

/**
 * Estimates and re-estimates the offset to the server at `baseUrl`. Each round of exchanges runs on its own
 * kept-alive connection, closed when the round ends, so between rounds the server holds no connection of it (a
 * run that counts the server's connections sees only its clients').
 */
export class ClockSync {
  private readonly origin: string;
  private readonly samples: ClockSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private current: ClockEstimate | undefined;

  constructor(
    baseUrl: string,
    private readonly o: ClockSyncOptions = {},
  ) {
    this.origin = new URL(baseUrl).origin;
  }

  /** The latest estimate (undefined before the first measure()). */
  get estimate(): ClockEstimate | undefined {
    return this.current;
  }

  /** Makes `count` exchanges and re-estimates from the samples kept (a slow first one, opening the connection, is outranked). */
  async measure(count: number): Promise<ClockEstimate> {
    const http = new UndiciClient(this.origin, { pipelining: 1, ...(this.o.ca === undefined ? {} : { connect: { ca: this.o.ca } }) });
    try {
      for (let i = 0; i < count; i++) this.samples.push(await this.exchange(http));
    } finally {
      await http.close().catch(() => undefined);
    }
    if (this.samples.length > KEPT_SAMPLES) this.samples.splice(0, this.samples.length - KEPT_SAMPLES);
    this.current = estimateOffset(this.samples);
    return this.current;
  }

  /** Re-estimates every `intervalMs` with a few exchanges, calling `onEstimate` with each new estimate; a failed round is skipped. */
  start(intervalMs: number, onEstimate: (e: ClockEstimate) => void): void {
    this.stop();
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.measure(this.o.exchanges ?? 4).then(onEstimate, () => undefined).finally(() => (this.busy = false));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops re-estimating. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops re-estimating (a round under way closes its connection when it ends). */
  close(): Promise<void> {
    this.stop();
    return Promise.resolve();
  }

  private async exchange(http: UndiciClient): Promise<ClockSample> {
    const t0Us = nowUs();
    const res = await http.request({ method: 'GET', path: '/time', ...(this.o.headers ? { headers: this.o.headers } : {}) });
    const body = (await res.body.json()) as { now?: unknown };
    const t1Us = nowUs();
    if (res.statusCode !== 200 || typeof body.now !== 'number') throw new Error(`GET /time answered ${res.statusCode} without a numeric "now"`);
    return { t0Us, t1Us, serverUs: body.now };
  }
}
