// Client-process side of the churn, chat, burst and stream scenarios: what a subscriber does beyond subscribing,
// and the extra figures it records. client-process.ts builds every client through `Behaviour.client()`.
import { createClient } from '../clients/index.ts';
import { nowUs, type Client, type ClientOptions, type EventSink } from '../clients/client.ts';
import { LatencyRecorder, type SequenceTracker } from '../clients/recorder.ts';
import type { Transport } from '../lib/transports.ts';
import type { ProcessScenario, ScenarioCommand, ScenarioReply, ScenarioReport } from './scenario-protocol.ts';

/** The per-client sink of client-process.ts: delivery bookkeeping plus the shared latency histogram. */
export type TrackedSink = EventSink & { readonly tracker: SequenceTracker };

/** A scenario behaviour of one client process. */
export interface Behaviour {
  /** Builds subscriber `index` (its index among every process's subscribers); `options.sink` is its tracked sink. */
  client(transport: Transport, index: number, options: ClientOptions & { sink: TrackedSink }): Client;
  /** Runs one step the driver asked for. */
  command(cmd: ScenarioCommand): Promise<ScenarioReply>;
  /** What was measured, for the final report. */
  report(): ScenarioReport;
  /** Stops timers and pending waits (before the clients are closed). */
  stop(): void;
}

/** Creates the behaviour of `scenario`; `clientTotal`: subscribers across every process. */
export function createBehaviour(scenario: ProcessScenario, clientTotal: number): Behaviour {
  switch (scenario.kind) {
    case 'burst':
      return new BurstBehaviour(scenario.bursts, scenario.eventsPerBurst);
    case 'stream':
      return new StreamBehaviour(scenario);
    case 'chat':
      return new ChatBehaviour(scenario, clientTotal);
    case 'churn':
      return new ChurnBehaviour(scenario);
  }
}

const reply = (action: ScenarioCommand['action'], values: Record<string, number> = {}): ScenarioReply => ({ type: 'scenario-reply', action, values });

/** An EventSink that forwards to `base` and reports whether the delivery was the first of its seq. */
function firstDelivery(base: TrackedSink, seq: number, ts: number, now: number): boolean {
  const fresh = !base.tracker.has(seq);
  base.event(seq, ts, now);
  return fresh;
}

// ---- burst ------------------------------------------------------------------------------------------------

/** Per client and burst: when did the client have every event of the burst (last delivery - burst's first ts). */
class BurstBehaviour implements Behaviour {
  private readonly complete = new LatencyRecorder();
  private completed = 0;

  constructor(
    private readonly bursts: number,
    private readonly perBurst: number,
  ) {}

  client(transport: Transport, _index: number, options: ClientOptions & { sink: TrackedSink }): Client {
    const base = options.sink;
    const counts = new Uint32Array(this.bursts);
    const startTs = new Float64Array(this.bursts).fill(Infinity);
    const sink: EventSink = {
      event: (seq, ts, now) => {
        if (!firstDelivery(base, seq, ts, now)) return;
        const b = Math.floor((seq - 1) / this.perBurst);
        if (b < 0 || b >= this.bursts) return;
        if (ts < (startTs[b] as number)) startTs[b] = ts;
        counts[b] = (counts[b] as number) + 1;
        if (counts[b] === this.perBurst) {
          this.complete.record(now - (startTs[b] as number));
          this.completed++;
        }
      },
      gap: () => base.gap(),
    };
    return createClient(transport, { ...options, sink });
  }

  command(cmd: ScenarioCommand): Promise<ScenarioReply> {
    return Promise.resolve(reply(cmd.action));
  }

  report(): ScenarioReport {
    return { histograms: { complete: this.complete.encode() }, counts: { completed: this.completed } };
  }

  stop(): void {}
}

// ---- stream -----------------------------------------------------------------------------------------------

/** Each client its own stream (`?stream=ID&tokens=T&interval=MS&bytes=B`): first token, inter-token, total time. */
class StreamBehaviour implements Behaviour {
  private readonly firstToken = new LatencyRecorder();
  private readonly interToken = new LatencyRecorder();
  private readonly total = new LatencyRecorder();
  private completed = 0;

  constructor(private readonly s: { tokens: number; tokenIntervalMs: number; tokenBytes: number }) {}

  client(transport: Transport, index: number, options: ClientOptions & { sink: TrackedSink }): Client {
    const base = options.sink;
    let startUs = 0;
    let lastUs = 0;
    let count = 0;
    const sink: EventSink = {
      event: (seq, ts, now) => {
        if (!firstDelivery(base, seq, ts, now)) return;
        count++;
        if (count === 1) this.firstToken.record(now - startUs);
        else this.interToken.record(now - lastUs);
        lastUs = now;
        if (count === this.s.tokens) {
          this.total.record(now - startUs);
          this.completed++;
        }
      },
      gap: () => base.gap(),
    };
    // Streams are named by process and index, so no two clients share one.
    const query = `stream=${process.pid}-${index}&tokens=${this.s.tokens}&interval=${this.s.tokenIntervalMs}&bytes=${this.s.tokenBytes}`;
    const inner = createClient(transport, { ...options, after: 0, sink, query });
    return {
      transport: inner.transport,
      connect: () => {
        startUs = nowUs();
        return inner.connect();
      },
      send: (data) => inner.send(data),
      close: () => inner.close(),
      get lastSeq() {
        return inner.lastSeq;
      },
    };
  }

  command(cmd: ScenarioCommand): Promise<ScenarioReply> {
    return Promise.resolve(reply(cmd.action));
  }

  report(): ScenarioReport {
    return {
      histograms: { firstToken: this.firstToken.encode(), interToken: this.interToken.encode(), total: this.total.encode() },
      counts: { completed: this.completed },
    };
  }

  stop(): void {}
}

// ---- chat -------------------------------------------------------------------------------------------------

/** Every client sends upstream on a fixed schedule; each sender times its own messages coming back. */
class ChatBehaviour implements Behaviour {
  private readonly roundTrip = new LatencyRecorder();
  private readonly senders: { index: number; client: Client }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private echoed = 0;

  constructor(
    private readonly s: { messagesPerClient: number; sendRatePerClient: number; payloadBytes: number; warmupMessages: number },
    private readonly clientTotal: number,
  ) {}

  client(transport: Transport, index: number, options: ClientOptions & { sink: TrackedSink }): Client {
    const base = options.sink;
    // data = "<sender>:<message index>:<scheduled send time µs>:<padding>"
    const prefix = `${index}:`;
    const sink: EventSink = {
      event: (seq, ts, now) => base.event(seq, ts, now),
      gap: () => base.gap(),
      data: (_seq, data, now) => {
        if (!data.startsWith(prefix)) return;
        const second = data.indexOf(':', prefix.length);
        const third = data.indexOf(':', second + 1);
        const j = Number(data.slice(prefix.length, second));
        const dueUs = Number(data.slice(second + 1, third));
        this.echoed++;
        if (j >= this.s.warmupMessages) this.roundTrip.record(now - dueUs);
      },
    };
    const client = createClient(transport, { ...options, sink });
    this.senders.push({ index, client });
    return client;
  }

  command(cmd: ScenarioCommand): Promise<ScenarioReply> {
    if (cmd.action !== 'send') return Promise.resolve(reply(cmd.action));
    const { messagesPerClient: m, sendRatePerClient: rate, payloadBytes } = this.s;
    const periodUs = 1e6 / rate;
    const senders = this.senders;
    const total = m * senders.length;
    let sent = 0;
    let failed = 0;
    let settled = 0;
    let j = 0;
    let k = 0;
    return new Promise<ScenarioReply>((resolve) => {
      const done = (): void => {
        if (++settled === total) resolve(reply('send', { sent, failed }));
      };
      const due = (jj: number, kk: number): number => cmd.startUs + Math.round((jj + (senders[kk] as { index: number }).index / this.clientTotal) * periodUs);
      // Open loop: every message goes out at its scheduled time (late ones at once, stamped with their schedule).
      const tick = (): void => {
        this.timer = undefined;
        const now = nowUs();
        while (j < m) {
          const dueUs = due(j, k);
          if (dueUs > now) break;
          const sender = senders[k] as { index: number; client: Client };
          let data = `${sender.index}:${j}:${dueUs}:`;
          if (data.length < payloadBytes) data += 'x'.repeat(payloadBytes - data.length);
          sent++;
          sender.client.send(data).then(done, () => {
            failed++;
            done();
          });
          if (++k === senders.length) {
            k = 0;
            j++;
          }
        }
        if (j < m) this.timer = setTimeout(tick, Math.max(0, (due(j, k) - nowUs()) / 1000));
      };
      if (total === 0) resolve(reply('send', { sent: 0, failed: 0 }));
      else tick();
    });
  }

  report(): ScenarioReport {
    return { histograms: { roundTrip: this.roundTrip.encode() }, counts: { echoed: this.echoed } };
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

// ---- churn ------------------------------------------------------------------------------------------------

/** At most `ratePerSec` grants per second; waits are released at once by `release()`. */
class RateLimiter {
  private nextMs = 0;
  private readonly waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private released = false;

  constructor(private readonly ratePerSec: number) {}

  acquire(): Promise<void> {
    if (this.released) return Promise.resolve();
    const now = performance.now();
    const at = Math.max(now, this.nextMs);
    this.nextMs = at + 1000 / this.ratePerSec;
    if (at <= now) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const w = {
        timer: setTimeout(() => {
          this.waits.delete(w);
          resolve();
        }, at - now),
        resolve,
      };
      this.waits.add(w);
    });
  }

  release(): void {
    this.released = true;
    for (const w of this.waits) {
      clearTimeout(w.timer);
      w.resolve();
    }
    this.waits.clear();
  }
}

type ConnectionKind = 'initial' | 'steady' | 'storm';

/** Reconnects after k events; counts and times the reconnections of the window and of the storm. */
class ChurnBehaviour implements Behaviour {
  readonly limiter: RateLimiter;
  readonly steadyConnect = new LatencyRecorder();
  readonly steadyFirst = new LatencyRecorder();
  readonly stormConnect = new LatencyRecorder();
  readonly stormFirst = new LatencyRecorder();
  /** Reconnections completed while the window was open. */
  steadyReconnects = 0;
  stormReconnects = 0;
  /** The window is open: steady reconnections are counted and timed. */
  measuring = false;
  /** Steady churn stopped (the storm, then the end): no new cycle starts. */
  paused = false;
  stopped = false;
  private readonly clients: ChurningClient[] = [];

  constructor(readonly s: { eventsPerConnection: number; connectRatePerSec: number }) {
    this.limiter = new RateLimiter(s.connectRatePerSec);
  }

  client(transport: Transport, _index: number, options: ClientOptions & { sink: TrackedSink }): Client {
    const client = new ChurningClient(transport, options, this);
    this.clients.push(client);
    return client;
  }

  async command(cmd: ScenarioCommand): Promise<ScenarioReply> {
    if (cmd.action === 'go') {
      this.measuring = true;
      return reply('go');
    }
    if (cmd.action !== 'storm') return reply(cmd.action);
    this.measuring = false;
    this.paused = true;
    // Clients waiting for a reconnect slot go now: the storm's timing must not include the steady rate limit.
    this.limiter.release();
    const steadyReconnects = this.steadyReconnects;
    const dropped = this.clients.slice(0, cmd.clients);
    const t0 = performance.now();
    await Promise.all(dropped.map((c) => c.drop()));
    return reply('storm', { steadyReconnects, allReconnectedMs: Math.round(performance.now() - t0), stormReconnects: this.stormReconnects });
  }

  report(): ScenarioReport {
    return {
      histograms: {
        connect: this.steadyConnect.encode(),
        firstEvent: this.steadyFirst.encode(),
        stormConnect: this.stormConnect.encode(),
        stormFirstEvent: this.stormFirst.encode(),
      },
      counts: { steadyReconnects: this.steadyReconnects, stormReconnects: this.stormReconnects },
    };
  }

  stop(): void {
    this.stopped = true;
    this.limiter.release();
  }
}

/** One connection of a churning client: its start, events so far, and whether it is still the current one. */
interface Connection {
  kind: ConnectionKind;
  /** A steady reconnection begun while the window was open: its times are recorded. */
  measured: boolean;
  startUs: number;
  events: number;
  live: boolean;
  client: Client | undefined;
}

/**
 * A subscriber that disconnects after k events and reconnects from its cursor (SSE with `Last-Event-ID`, the
 * others with `?after=`), through a fresh transport client each time; one tracked sink across all of them.
 */
class ChurningClient implements Client {
  readonly transport: Transport;
  private conn: Connection | undefined;
  /** Reconnections run one after another. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    transport: Transport,
    private readonly options: ClientOptions & { sink: TrackedSink },
    private readonly b: ChurnBehaviour,
  ) {
    this.transport = transport;
  }

  get lastSeq(): number {
    return this.options.sink.tracker.highest;
  }

  connect(): Promise<void> {
    return this.open('initial');
  }

  send(data: string): Promise<void> {
    return this.conn?.client?.send(data) ?? Promise.reject(new Error('churn client: not connected'));
  }

  /** The storm: drop the connection and reconnect at once (no rate limit). */
  drop(): Promise<void> {
    return this.enqueue(async () => {
      await this.closeCurrent();
      await this.open('storm');
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.closeCurrent();
    await this.chain;
    await this.closeCurrent();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch((err: unknown) => {
      if (!this.closed) this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
      this.closed = true;
    });
    return this.chain;
  }

  /** k events arrived on the current connection: close it, wait for a slot, reconnect. */
  private cycle(): void {
    if (this.b.paused || this.closed) return;
    void this.enqueue(async () => {
      await this.closeCurrent();
      await this.b.limiter.acquire();
      if (this.closed || this.b.stopped) return;
      await this.open('steady');
    });
  }

  private async closeCurrent(): Promise<void> {
    const conn = this.conn;
    if (!conn) return;
    conn.live = false;
    await conn.client?.close();
  }

  private async open(kind: ConnectionKind): Promise<void> {
    if (this.closed) return;
    const base = this.options.sink;
    const highest = base.tracker.highest;
    const after = highest > 0 ? highest : this.options.after;
    const conn: Connection = { kind, measured: kind === 'steady' && this.b.measuring, startUs: nowUs(), events: 0, live: true, client: undefined };
    this.conn = conn;
    const k = this.b.s.eventsPerConnection;
    const sink: EventSink = {
      event: (seq, ts, now) => {
        base.event(seq, ts, now);
        if (!conn.live) return;
        if (++conn.events === 1) this.firstEvent(conn, now);
        if (conn.events === k) this.cycle();
      },
      gap: () => base.gap(),
    };
    const client = createClient(this.transport, {
      ...this.options,
      after,
      sink,
      useLastEventId: this.transport === 'sse',
      onError: (err) => {
        if (conn.live && !this.closed) {
          this.closed = true;
          this.options.onError?.(err);
        }
      },
    });
    conn.client = client;
    await client.connect();
    const connectUs = nowUs() - conn.startUs;
    if (conn.measured) {
      this.b.steadyConnect.record(connectUs);
      this.b.steadyReconnects++;
    } else if (kind === 'storm') {
      this.b.stormConnect.record(connectUs);
      this.b.stormReconnects++;
    }
  }

  private firstEvent(conn: Connection, now: number): void {
    if (conn.measured) this.b.steadyFirst.record(now - conn.startUs);
    else if (conn.kind === 'storm') this.b.stormFirst.record(now - conn.startUs);
  }
}
