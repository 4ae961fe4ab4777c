// Client side of the slow-consumer scenario: a few subscribers read slowly (or stop reading) while the window is
// open, through a throttle that pauses their socket or stream (pollers: their next poll), so the server's queue
// for them really grows. A slow subscriber whose stream ends was cut by the server: it resumes with its cursor
// through a fresh connection and counts what it got back. The others are plain subscribers: their latency is the
// process's, the slow ones' is recorded apart.
import { createClient } from '../../../clients/index.ts';
import { nowUs, type Client, type ClientOptions, type EventSink } from '../../../clients/client.ts';
import { LatencyRecorder, attributeMissing, type MissingAttribution, type SequenceTracker } from '../../../clients/recorder.ts';
import { ReadThrottle } from '../../../clients/throttle.ts';
import type { Transport } from '../../../lib/transports.ts';
import type { WindowSpec } from '../../protocol.ts';
import { reply, type Behaviour, type BehaviourFactory, type ProcessScenario, type ScenarioCommand, type ScenarioReply, type ScenarioReport, type TrackedSink } from '../behaviour.ts';

/** True when subscriber `index` of `total` is one of the `slow` ones: they are spread evenly over the indexes, so over the processes. */
export function isSlow(index: number, total: number, slow: number): boolean {
  return Math.floor(((index + 1) * slow) / total) > Math.floor((index * slow) / total);
}

/** A client's tracker and whether it failed, as attributeMissing takes them. */
interface Tracked {
  readonly tracker: SequenceTracker;
  readonly failed: boolean;
}

/** Where the missing events of `clients` went, each over its own expected range up to `lastSeq`. */
function missing(clients: readonly Tracked[], lastSeq: number): MissingAttribution {
  const out: MissingAttribution = { lost: 0, stragglers: 0, behind: 0, failedMissed: 0 };
  for (const c of clients) {
    const m = attributeMissing([c], c.tracker.firstSeq, lastSeq);
    out.lost += m.lost;
    out.stragglers += m.stragglers;
    out.behind += m.behind;
    out.failedMissed += m.failedMissed;
  }
  return out;
}

/** Slows the slow subscribers down during the window and counts what their cuts cost them. */
class SlowConsumerBehaviour implements Behaviour {
  /** The slow subscribers' latency of the events scheduled in the window. */
  readonly slowLatency = new LatencyRecorder();
  /** The window, µs: the slow subscribers' latency is recorded for the events scheduled in it. */
  windowStartUs = Infinity;
  windowEndUs = Infinity;
  /** Slow subscribers cut at least once, resumptions in all, and events the resumed connections got back. */
  cutClients = 0;
  resumes = 0;
  recovered = 0;
  private readonly slow: SlowClient[] = [];
  private readonly healthy: { tracker: SequenceTracker; failed: boolean }[] = [];

  constructor(
    private readonly s: { slowClients: number; readBytesPerSec: number },
    private readonly clientTotal: number,
  ) {}

  client(transport: Transport, index: number, options: ClientOptions & { sink: TrackedSink }): Client {
    if (isSlow(index, this.clientTotal, this.s.slowClients)) {
      const client = new SlowClient(transport, options, this);
      this.slow.push(client);
      return client;
    }
    const entry = { tracker: options.sink.tracker, failed: false };
    this.healthy.push(entry);
    return createClient(transport, {
      ...options,
      onError: (err) => {
        entry.failed = true;
        options.onError?.(err);
      },
    });
  }

  window(w: WindowSpec): void {
    this.windowStartUs = w.startUs;
    this.windowEndUs = w.endUs ?? Infinity;
  }

  command(cmd: ScenarioCommand): Promise<ScenarioReply> {
    if (cmd.action === 'slow') {
      for (const c of this.slow) c.throttle.setRate(this.s.readBytesPerSec);
    } else if (cmd.action === 'recover') {
      for (const c of this.slow) c.throttle.setRate(Infinity);
    }
    return Promise.resolve(reply(cmd.action));
  }

  report(lastSeq: number): ScenarioReport {
    const healthy = missing(this.healthy, lastSeq);
    const slow = missing(this.slow, lastSeq);
    return {
      histograms: { slowLatency: this.slowLatency.encode() },
      counts: {
        healthyLost: healthy.lost,
        slowLost: slow.lost,
        slowStragglers: slow.stragglers,
        slowGaps: this.slow.reduce((a, c) => a + c.tracker.gaps, 0),
        cutClients: this.cutClients,
        resumes: this.resumes,
        recovered: this.recovered,
        slowNegative: this.slowLatency.negative,
      },
    };
  }

  stop(): void {
    for (const c of this.slow) c.stop();
  }
}

/**
 * A slow subscriber: reads through its throttle and, when its stream ends (the server cut it as a slow consumer),
 * resumes with its cursor through a fresh client of the transport, the same throttle and one tracker across them.
 * A poller is never cut: a failure of its polls is a failure.
 */
class SlowClient implements Client {
  readonly throttle = new ReadThrottle();
  failed = false;
  private current: Client | undefined;
  private closed = false;
  private wasCut = false;
  /** Resumptions run one after another. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly transport: Transport,
    private readonly options: ClientOptions & { sink: TrackedSink },
    private readonly b: SlowConsumerBehaviour,
  ) {}

  get tracker(): SequenceTracker {
    return this.options.sink.tracker;
  }

  get lastSeq(): number {
    return this.tracker.highest;
  }

  connect(): Promise<void> {
    return this.open(false);
  }

  send(data: string): Promise<void> {
    return this.current?.send(data) ?? Promise.reject(new Error('slow client: not connected'));
  }

  /** No more resumptions (the drain is over). */
  stop(): void {
    this.closed = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.current?.close();
    await this.chain;
    await this.current?.close();
  }

  /** Subscribes from the cursor; `resumed`: after a cut, so events due before now are ones it gets back. */
  private async open(resumed: boolean): Promise<void> {
    if (this.closed) return;
    const tracker = this.tracker;
    const base = this.options.sink;
    const b = this.b;
    const startUs = nowUs();
    // Not the process's sink: the slow subscribers' latency is recorded apart from the healthy ones'.
    const sink: EventSink = {
      event: (seq, ts, now) => {
        if (!tracker.record(seq)) return;
        if (resumed && ts < startUs) b.recovered++;
        if (ts >= b.windowStartUs && ts < b.windowEndUs) b.slowLatency.record(now - ts);
      },
      gap: () => base.gap(),
    };
    const after = tracker.highest > 0 ? tracker.highest : this.options.after;
    const client: Client = createClient(this.transport, { ...this.options, after, sink, throttle: this.throttle, onError: (err) => this.ended(client, err) });
    this.current = client;
    await client.connect();
  }

  /** The connection ended: a stream's end is the server cutting this slow consumer, so it resumes with its cursor. */
  private ended(client: Client, err: Error): void {
    if (this.closed || client !== this.current) return;
    if (this.transport === 'short-poll' || this.transport === 'long-poll') return this.fail(err);
    if (!this.wasCut) {
      this.wasCut = true;
      this.b.cutClients++;
    }
    this.b.resumes++;
    this.chain = this.chain.then(() => this.open(true)).catch((e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.failed = true;
    this.options.onError?.(err);
  }
}

/** Builds the slow-consumer behaviour of a client process. */
export const slowConsumerBehaviour: BehaviourFactory<Extract<ProcessScenario, { kind: 'slow-consumer' }>> = (s, clientTotal) => new SlowConsumerBehaviour(s, clientTotal);
