// Client side of the churn scenario: clients reconnect after k events from their cursor, at a capped rate, and
// a storm drops many at once; connect and first-event times are recorded.
import { createClient } from '../../../clients/index.ts';
import { nowUs, type Client, type ClientOptions, type EventSink } from '../../../clients/client.ts';
import { LatencyRecorder } from '../../../clients/recorder.ts';
import type { Transport } from '../../../lib/transports.ts';
import { reply, type Behaviour, type BehaviourFactory, type ScenarioCommand, type ScenarioReply, type ScenarioReport, type TrackedSink, type ProcessScenario } from '../behaviour.ts';

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

/** Builds the churn behaviour of a client process. */
export const churnBehaviour: BehaviourFactory<Extract<ProcessScenario, { kind: 'churn' }>> = (s) => new ChurnBehaviour(s);
