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

/** What a server hands over to the process that replaces it (servers/handover.ts): its retained events and the newest seq. */
export interface HubState {
  lastSeq: number;
  /** The retained events, oldest first. */
  events: HubEvent[];
}

/** Test knobs that make the server deliberately slower (to prove the CI gate catches regressions). */
export interface Injection {
  /** Hold each publish tick this long before delivering it, ms. */
  delayMs: number;
  /** Burn this much CPU per event delivered to one subscriber, µs. */
  cpuUs: number;
}

/**
 * Sequenced events with retention and batched delivery. An event becomes visible (retained, readable by
 * `since()`, counted in `lastSeq`) when its publish tick is delivered, so a delayed tick is late for every
 * transport alike, pollers included.
 */
export class Hub {
  /** seq of the newest delivered event (0 before any). */
  lastSeq = 0;
  /** seq of the newest event appended, delivered or not. */
  publishedSeq = 0;
  private readonly ring: (HubEvent | undefined)[];
  private pending: HubEvent[] = [];
  /** Ticks held back by the delay knob, not yet delivered. */
  private readonly held = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<BatchListener>();

  /** Bytes of the retained events' JSON. */
  private retainedBytes = 0;
  /** seq of the oldest event the byte budget still keeps. */
  private firstKept = 1;

  /**
   * `retention`: how many recent events are kept for resumption; `retentionBytes`: at most this many bytes of them
   * (the oldest go first; the newest event is always kept), so large events cannot make retention take gigabytes.
   */
  constructor(
    readonly retention = 10_000,
    private readonly injection: Injection = { delayMs: 0, cpuUs: 0 },
    readonly retentionBytes = Infinity,
  ) {
    if (!Number.isInteger(retention) || retention < 1) throw new RangeError('retention must be an integer >= 1');
    if (!(retentionBytes >= 0)) throw new RangeError('retentionBytes must be >= 0');
    this.ring = new Array<HubEvent | undefined>(retention);
  }

  /** seq of the oldest retained event (lastSeq + 1 when none is retained). */
  get oldestSeq(): number {
    return Math.max(1, this.lastSeq - this.retention + 1, this.firstKept);
  }

  /** Adds an event stamped with its scheduled time; it reaches subscribers at the next `flush()`. */
  append(data: string, tsUs: number): HubEvent {
    const seq = ++this.publishedSeq;
    const event: HubEvent = { seq, ts: tsUs, json: `{"seq":${seq},"ts":${tsUs},"data":${JSON.stringify(data)}}` };
    this.pending.push(event);
    return event;
  }

  /** Event deliveries the transport made (one event to one subscriber, in a frame, chunk or poll answer). */
  deliveries = 0;

  /** Counts `deliveries` that the transport just made, and burns the injected CPU for them (test knob). */
  charge(deliveries: number): void {
    this.deliveries += deliveries;
    if (this.injection.cpuUs > 0 && deliveries > 0) burnCpu(this.injection.cpuUs * deliveries);
  }

  /** Delivers everything appended since the last flush to the listeners, as one batch. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    if (this.injection.delayMs > 0) {
      const timer = setTimeout(() => {
        this.held.delete(timer);
        this.deliver(batch);
      }, this.injection.delayMs);
      this.held.add(timer);
    } else {
      this.deliver(batch);
    }
  }

  /** Drops ticks still held back by the delay knob and every listener. */
  close(): void {
    for (const timer of this.held) clearTimeout(timer);
    this.held.clear();
    this.listeners.clear();
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

  /** The retained events and the newest seq, for a process that takes this stream over. */
  state(): HubState {
    return { lastSeq: this.lastSeq, events: this.since(0).events };
  }

  /**
   * Continues the stream `s` handed over (before anything is published here): its events are retained (the newest
   * `retention` of them) and the next event appended is `s.lastSeq + 1`.
   */
  restore(s: HubState): void {
    if (this.publishedSeq > 0) throw new Error('restore() after events were published');
    const kept = s.events.slice(-this.retention);
    for (const e of kept) {
      this.ring[e.seq % this.retention] = e;
      this.retainedBytes += e.json.length;
    }
    this.lastSeq = this.publishedSeq = s.lastSeq;
    this.firstKept = kept[0]?.seq ?? s.lastSeq + 1;
  }

  /** Subscribes to publish ticks; returns the unsubscribe function. */
  onBatch(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private deliver(batch: readonly HubEvent[]): void {
    for (const event of batch) {
      const slot = event.seq % this.retention;
      const old = this.ring[slot];
      if (old !== undefined) this.retainedBytes -= old.json.length;
      this.ring[slot] = event;
      this.retainedBytes += event.json.length;
    }
    this.lastSeq = (batch.at(-1) as HubEvent).seq;
    this.firstKept = Math.max(this.firstKept, this.lastSeq - this.retention + 1);
    // Over the byte budget, the oldest events go first (their slots emptied, so they are not counted twice).
    while (this.retainedBytes > this.retentionBytes && this.firstKept < this.lastSeq) {
      const slot = this.firstKept % this.retention;
      const old = this.ring[slot];
      if (old !== undefined) {
        this.retainedBytes -= old.json.length;
        this.ring[slot] = undefined;
      }
      this.firstKept++;
    }
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
