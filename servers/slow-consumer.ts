// The slow-consumer policy of the streaming servers (ws, SSE, fetch-stream): a subscriber that does not read keeps
// every event the server writes to it queued in the server's memory. Past `maxQueuedBytes` queued for one
// subscriber, the server cuts it — with a reason it can read if it ever reads again (a WebSocket close code 1008,
// an SSE `event: cut` frame, an NDJSON `{"cut":true,...}` line) — drops what it queued, and counts it. A cut
// subscriber that comes back with its cursor resumes from there (with the gap notice when retention no longer
// covers it). The pollings queue nothing between requests: a poller that stops polling costs the server nothing.

/** Default bound of one subscriber's queue, bytes (4 MiB: about 0.8 s of 5 000 events/s of 1 KB). */
export const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** How long a cut subscriber's connection may stay to take its notice before it is destroyed, ms. */
export const CUT_GRACE_MS = 1000;

/** The bound and the count, shared by a server's transport and its private streams. */
export class SlowConsumerPolicy {
  /** Subscribers cut since the server started. */
  cut = 0;

  /** `maxQueuedBytes`: 0 turns the policy off (queues grow without bound). */
  constructor(readonly maxQueuedBytes: number) {}

  /**
   * True when `queuedBytes` is past the bound. `backlogBytes`: what the subscriber was sent at once when it
   * (re)subscribed — a resumption's backlog may exceed the bound by itself and is allowed on top of it.
   */
  over(queuedBytes: number, backlogBytes = 0): boolean {
    return this.maxQueuedBytes > 0 && queuedBytes > this.maxQueuedBytes + backlogBytes;
  }

  /** The reason a cut subscriber is told. */
  reason(queuedBytes: number): string {
    return `slow consumer: ${queuedBytes} bytes queued, over the ${this.maxQueuedBytes}-byte limit; resume with your cursor`;
  }
}
