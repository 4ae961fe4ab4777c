// Client side of the faults scenario: every subscriber reconnects when its connection fails (the server restarted,
// its socket was reset), with a bounded, jittered exponential backoff, and resumes from its cursor: `Last-Event-ID`
// on SSE, `?after=` on the others. The same policy for every transport, so what differs is the transport's. Once the
// driver names the recovery point, each client's recovery is its first fresh delivery received at or after it.
import { createClient } from '../../../clients/index.ts';
import type { Client, ClientOptions, EventSink } from '../../../clients/client.ts';
import { LatencyRecorder } from '../../../clients/recorder.ts';
import type { Transport } from '../../../lib/transports.ts';
import { firstDelivery, reply, type Behaviour, type BehaviourFactory, type ProcessScenario, type ScenarioCommand, type ScenarioReply, type ScenarioReport, type TrackedSink } from '../behaviour.ts';

/** First retry after a failed reconnection attempt, ms; each next one waits twice as long, up to BACKOFF_MAX_MS. */
export const BACKOFF_BASE_MS = 100;
/** Longest wait between two reconnection attempts, ms. */
export const BACKOFF_MAX_MS = 1000;

/**
 * Wait before reconnection attempt `attempt` (0: the first, at once), ms: BACKOFF_BASE_MS x 2^(attempt - 1), at most
 * BACKOFF_MAX_MS, times a jitter `random` in [0.5, 1) so a crowd of clients does not retry in lockstep.
 */
export function backoffMs(attempt: number, random = Math.random()): number {
  if (attempt === 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)) * (0.5 + random / 2);
}

/** Reconnects every failed client and times its recovery. */
class FaultsBehaviour implements Behaviour {
  /** Per client: the recovery point until its first fresh delivery at or after it, µs. */
  readonly recovery = new LatencyRecorder();
  reconnects = 0;
  reconnectedClients = 0;
  failedAttempts = 0;
  /** Armed: fresh deliveries' receive times are noted until the recovery point is known. */
  armed = false;
  sinceUs: number | undefined;
  private readonly clients: ResilientClient[] = [];

  constructor(readonly giveUpMs: number) {}

  client(transport: Transport, _index: number, options: ClientOptions & { sink: TrackedSink }): Client {
    const client = new ResilientClient(transport, options, this);
    this.clients.push(client);
    return client;
  }

  command(cmd: ScenarioCommand): Promise<ScenarioReply> {
    if (cmd.action === 'arm') {
      this.armed = true;
    } else if (cmd.action === 'measure-recovery') {
      this.sinceUs = cmd.sinceUs;
      for (const c of this.clients) c.settle(cmd.sinceUs);
    }
    return Promise.resolve(reply(cmd.action));
  }

  report(): ScenarioReport {
    const unrecovered = this.sinceUs === undefined ? 0 : this.clients.filter((c) => c.recoveredUs === undefined).length;
    return {
      histograms: { recovery: this.recovery.encode() },
      counts: { reconnects: this.reconnects, reconnectedClients: this.reconnectedClients, failedAttempts: this.failedAttempts, unrecovered },
    };
  }

  stop(): void {
    for (const c of this.clients) c.stop();
  }
}

/** A subscriber that outlives its connections: a failed one is replaced by a fresh client from the cursor. */
class ResilientClient implements Client {
  /** Receive time of its first fresh delivery at or after the recovery point, µs. */
  recoveredUs: number | undefined;
  private current: Client | undefined;
  private closed = false;
  private reconnected = false;
  /** Receive times of fresh deliveries since the behaviour was armed, until the recovery point is known. */
  private pending: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly transport: Transport,
    private readonly options: ClientOptions & { sink: TrackedSink },
    private readonly b: FaultsBehaviour,
  ) {}

  get lastSeq(): number {
    return this.options.sink.tracker.highest;
  }

  connect(): Promise<void> {
    return this.open();
  }

  send(data: string): Promise<void> {
    return this.current?.send(data) ?? Promise.reject(new Error('faults client: not connected'));
  }

  /** The recovery point is `sinceUs`: the first fresh delivery noted at or after it is this client's recovery. */
  settle(sinceUs: number): void {
    const at = this.pending.find((t) => t >= sinceUs);
    this.pending = [];
    if (at !== undefined) this.recovered(at);
  }

  /** No more reconnections (the drain is over). */
  stop(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.wake?.();
  }

  async close(): Promise<void> {
    this.stop();
    await this.current?.close();
  }

  private recovered(at: number): void {
    this.recoveredUs = at;
    this.b.recovery.record(at - (this.b.sinceUs as number));
  }

  /** Subscribes from the cursor (SSE: as Last-Event-ID). */
  private async open(): Promise<void> {
    const base = this.options.sink;
    const b = this.b;
    const sink: EventSink = {
      event: (seq, ts, now) => {
        if (!firstDelivery(base, seq, ts, now) || !b.armed || this.recoveredUs !== undefined) return;
        if (b.sinceUs === undefined) this.pending.push(now);
        else if (now >= b.sinceUs) this.recovered(now);
      },
      gap: () => base.gap(),
    };
    const highest = base.tracker.highest;
    const client: Client = createClient(this.transport, {
      ...this.options,
      after: highest > 0 ? highest : this.options.after,
      useLastEventId: this.transport === 'sse',
      sink,
      onError: () => this.ended(client),
    });
    this.current = client;
    await client.connect();
  }

  /** The connection failed: reconnect (unless stopped or already reconnecting). */
  private ended(client: Client): void {
    if (this.closed || client !== this.current) return;
    this.current = undefined;
    this.reconnect().catch((err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))));
  }

  /** Attempts until one succeeds, waiting backoffMs between them; gives up after the behaviour's giveUpMs. */
  private async reconnect(): Promise<void> {
    const started = Date.now();
    for (let attempt = 0; !this.closed; attempt++) {
      await this.pause(backoffMs(attempt));
      if (this.closed) return;
      try {
        await this.open();
      } catch (err) {
        if (this.closed) return;
        this.b.failedAttempts++;
        if (Date.now() - started >= this.b.giveUpMs) throw new Error(`gave up reconnecting after ${attempt + 1} attempts in ${Date.now() - started} ms: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      if (this.closed) return void (await this.current?.close());
      this.b.reconnects++;
      if (!this.reconnected) {
        this.reconnected = true;
        this.b.reconnectedClients++;
      }
      return;
    }
  }

  /** Waits `ms`, or less when stopped. */
  private pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.options.onError?.(err);
  }
}

/** Builds the faults behaviour of a client process. */
export const faultsBehaviour: BehaviourFactory<Extract<ProcessScenario, { kind: 'faults' }>> = (s) => new FaultsBehaviour(s.giveUpMs);
