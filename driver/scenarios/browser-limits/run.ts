// The browser-limits scenario: one headless Chromium page opens more subscriptions than an HTTP/1.1 browser's six
// connections per origin, all at once and all to one origin, and reports which reached the server, which stalled
// waiting for a connection and for how long. After the hold the first ones are closed until six remain (so the
// stalled ones get their connection), then a few events are published, which every remaining subscription must
// receive exactly once and in order. WebSocket is not subject to the limit (each socket is its own connection).
// With --http2 the server speaks h2 (TLS, ALPN) and the page opens every subscription over https to the same
// origin, which Chromium multiplexes as streams of one connection: none is expected to stall. WebSocket stays on
// HTTP/1.1 (over TLS) either way. The run's certificate is trusted by its key (lib/chromium.ts trustCertificateArg).
import type { OptionsOf } from '../../../lib/options.ts';
import { certificateOfRun } from '../../../lib/tls.ts';
import type { BrowserLimitsFigures, LimitSubscription, RunHooks, RunResult } from '../../../lib/result.ts';
import type { Transport } from '../../../lib/transports.ts';
import { BrowserHost, HTTP1_CONNECTIONS_PER_ORIGIN, type LimitStatus } from '../../../clients/browser/host.ts';
import { runTransports, type Figures, type TransportRun } from '../../pipeline.ts';

/** Events published after the hold: every remaining subscription must receive exactly 1..LIMIT_EVENTS, in order. */
export const LIMIT_EVENTS = 3;
/** Longest wait for the stalled subscriptions to connect after the release, and for the events to arrive, ms each. */
export const SETTLE_MS = 10_000;

/** The protocol between page and server for `transport`: h2 under --http2 (not for WebSocket, which stays on HTTP/1.1). */
export function limitsProtocol(transport: Transport, o: { http2?: boolean }): BrowserLimitsFigures['protocol'] {
  return o.http2 === true && transport !== 'ws' ? 'h2' : 'http/1.1';
}

/** Share of the hold a long poll's first poll is held by the server. */
const FIRST_WAIT = 0.8;

/**
 * Whether a browser's per-origin connection limit applies to `transport` over `protocol`: over HTTP/1.1 to all but
 * WebSocket; over h2 to none (every subscription is a stream of one connection).
 */
export function limitApplies(transport: Transport, protocol: BrowserLimitsFigures['protocol'] = 'http/1.1'): boolean {
  return transport !== 'ws' && protocol === 'http/1.1';
}

/** Runs browser-limits over `o.transports`, one at a time, each in a fresh Chromium. */
export function runBrowserLimits(o: OptionsOf<'browser-limits'>, hooks: RunHooks = {}): Promise<RunResult> {
  return runTransports(o, hooks, { plannedMs: 2 * o.holdMs }, (run) => browserLimits(run, o));
}

/**
 * What each subscription of `status` did. A subscription reached the server after `connectMs` (a long poll's
 * first poll was held `heldMs` by the server, which is taken off); it stalled when that took half the hold or more.
 */
export function limitFigures(status: readonly LimitStatus[], o: { holdMs: number; released: number; heldMs: number }): LimitSubscription[] {
  return status.map((s) => {
    const connectMs = s.connectMs === null ? undefined : Math.max(0, Math.round(s.connectMs - o.heldMs));
    const released = s.id <= o.released;
    const inOrder = s.seqs.length === LIMIT_EVENTS && s.seqs.every((seq, i) => seq === i + 1);
    return { index: s.id, ...(connectMs === undefined ? {} : { connectMs }), stalled: connectMs === undefined || connectMs >= o.holdMs / 2, released, received: s.seqs.length, inOrder };
  });
}

/** One transport's browser-limits run on `run`. */
export async function browserLimits(run: TransportRun, o: OptionsOf<'browser-limits'>): Promise<Figures> {
  const server = await run.spawn();
  run.setPhase('connecting');
  const ca = o.tls === true || o.http2 === true ? (await certificateOfRun()).cert : undefined;
  const host = await run.guard(BrowserHost.launch(ca));
  try {
    const page = await run.guard(host.limitsPage());
    const longPoll = run.transport === 'long-poll';
    const startedMs = Date.now();
    // A long poll's first poll is held FIRST_WAIT of the hold (no event comes): its answer, less that, tells when
    // it reached the server (answered before the release, so the first ones are not closed mid-poll).
    const heldMs = longPoll ? Math.round(o.holdMs * FIRST_WAIT) : 0;
    await run.guard(page.openAll(run.transport, server.url, o.clients, { after: 0, pollIntervalMs: o.pollIntervalMs, pollPhaseMs: 0, longPollWaitMs: o.holdMs, ...(longPoll ? { firstWaitMs: heldMs } : {}) }));
    await run.sleep(startedMs + o.holdMs * 0.7 - Date.now());
    const serverSubscribers = (await run.guard(server.stats())).subscribers;
    await run.sleep(startedMs + o.holdMs - Date.now());
    // Release: close the first subscriptions until no more than the limit remain.
    const released = Math.max(0, o.clients - HTTP1_CONNECTIONS_PER_ORIGIN);
    for (let id = 1; id <= released; id++) await run.guard(page.close(id));
    const remaining = (s: LimitStatus): boolean => s.id > released;
    const until = async (done: (s: LimitStatus[]) => boolean): Promise<LimitStatus[]> => {
      const deadline = Date.now() + SETTLE_MS;
      for (;;) {
        const status = await run.guard(page.status());
        if (done(status) || Date.now() > deadline) return status;
        await run.sleep(50);
      }
    };
    await until((st) => st.filter(remaining).every((s) => s.connectMs !== null || s.error !== null));
    run.setPhase('measuring');
    await run.guard(server.publish({ rate: 100, count: LIMIT_EVENTS, payloadBytes: o.payloadBytes }));
    const status = await until((st) => st.filter(remaining).every((s) => s.seqs.length >= LIMIT_EVENTS || s.error !== null));
    const perSubscription = limitFigures(status, { holdMs: o.holdMs, released, heldMs });
    const figures: BrowserLimitsFigures = {
      protocol: limitsProtocol(run.transport, o),
      browserVersion: host.version,
      subscriptions: o.clients,
      limit: HTTP1_CONNECTIONS_PER_ORIGIN,
      limitApplies: limitApplies(run.transport, limitsProtocol(run.transport, o)),
      holdMs: o.holdMs,
      serverSubscribers,
      connected: perSubscription.filter((s) => !s.stalled).length,
      stalled: perSubscription.filter((s) => s.stalled).length,
      events: LIMIT_EVENTS,
      perSubscription,
    };
    const invalid = [
      ...status.filter(remaining).flatMap((s) => (s.error === null ? [] : [`subscription #${s.id} failed: ${s.error}`])),
      ...perSubscription.filter((s) => !s.released && !s.inOrder).map((s) => `subscription #${s.index} received ${s.received} events, not exactly 1..${LIMIT_EVENTS} in order`),
    ];
    return { browserLimits: figures, ...(invalid.length > 0 ? { invalid } : {}) };
  } finally {
    await host.close();
  }
}
