// The shared event hub: sequenced events, a retention ring for resumption, and one notification per publish tick.

/** One published event; `json` is its wire form, built once and shared by every transport and subscriber. */
export interface HubEvent {
  /** 1, 2, 3, ... with no gaps. */
  readonly seq: number;
  /** Scheduled publish time, µs of the host's monotonic clock. */
  readonly ts: number;
  /** `{"seq":..,"ts":..,"data":".."}` */
  readonly json: string;
}

/** Called once per publish tick with the events of that tick, oldest first. */
export type BatchListener = (batch: readonly HubEvent[]) => void;

/** What `since()` returns: retained events after a cursor, and whether older ones were already dropped. */
export interface Backlog {
  events: HubEvent[];
  /** True when events between the cursor and the oldest retained event are gone. */
  gap: boolean;
}

/** Test knobs that make the server deliberately slower (to prove the CI gate catches regressions). */
export interface Injection {
  /** Hold each publish tick this long before delivering it, ms. */
  delayMs: number;
  /** Burn this much CPU per event per subscriber, µs. */
  cpuUs: number;
}

/** Sequenced events with retention and batched delivery. */
export class Hub {
  /** seq of the newest event (0 before any). */
  lastSeq = 0;
  private readonly ring: (HubEvent | undefined)[];
  private pending: HubEvent[] = [];
  private readonly listeners = new Set<BatchListener>();

  /** `retention`: how many recent events are kept for resumption. */
  constructor(
    readonly retention = 10_000,
    private readonly injection: Injection = { delayMs: 0, cpuUs: 0 },
    /** How many subscribers the transport has (for the CPU injection). */
    private readonly subscriberCount: () => number = () => 0,
  ) {
    if (!Number.isInteger(retention) || retention < 1) throw new RangeError('retention must be an integer >= 1');
    this.ring = new Array<HubEvent | undefined>(retention);
  }

  /** seq of the oldest retained event (lastSeq + 1 when none is retained). */
  get oldestSeq(): number {
    return Math.max(1, this.lastSeq - this.retention + 1);
  }

  /** Adds an event stamped with its scheduled time; it reaches subscribers at the next `flush()`. */
  append(data: string, tsUs: number): HubEvent {
    const seq = ++this.lastSeq;
    const event: HubEvent = { seq, ts: tsUs, json: `{"seq":${seq},"ts":${tsUs},"data":${JSON.stringify(data)}}` };
    this.ring[seq % this.retention] = event;
    this.pending.push(event);
    return event;
  }

  /** Delivers everything appended since the last flush to the listeners, as one batch. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    if (this.injection.delayMs > 0) setTimeout(() => this.deliver(batch), this.injection.delayMs);
    else this.deliver(batch);
  }

  /** Appends and flushes one event. */
  publish(data: string, tsUs: number): HubEvent {
    const event = this.append(data, tsUs);
    this.flush();
    return event;
  }

  /** Retained events with seq > after, oldest first (at most `limit`). */
  since(after: number, limit = this.retention): Backlog {
    const from = Math.max(after + 1, this.oldestSeq);
    const to = Math.min(this.lastSeq, from + limit - 1);
    const events: HubEvent[] = [];
    for (let seq = from; seq <= to; seq++) events.push(this.ring[seq % this.retention] as HubEvent);
    return { events, gap: after + 1 < this.oldestSeq && this.lastSeq > 0 };
  }

  /** Subscribes to publish ticks; returns the unsubscribe function. */
  onBatch(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private deliver(batch: readonly HubEvent[]): void {
    if (this.injection.cpuUs > 0) burnCpu(this.injection.cpuUs * batch.length * this.subscriberCount());
    for (const listener of this.listeners) listener(batch);
  }
}

/** Busy-waits for `us` microseconds (test knob only). */
function burnCpu(us: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < end) {
    // spin
  }
}
