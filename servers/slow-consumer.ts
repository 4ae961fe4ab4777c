// The slow-consumer policy of the streaming servers (ws, SSE, fetch-stream): a subscriber that does not read keeps
// every event the server writes to it queued in the server's memory. Past `maxQueuedBytes` queued for one
// subscriber, the server cuts it — with a reason it can read if it ever reads again (a WebSocket close code 1008,
// an SSE `event: cut` frame, an NDJSON `{"cut":true,...}` line) — drops what it queued, and counts it. A cut
// subscriber that comes back with its cursor resumes from there (with the gap notice when retention no longer
// covers it). The pollings queue nothing between requests: a poller that stops polling costs the server nothing.
import type { ServerResponse } from 'node:http';

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

/**
 * The subscribers of an HTTP streaming transport (SSE, NDJSON) under the policy: each tick's chunk is written to
 * every one, and one whose queue passes the bound is cut with `cutMessage(reason)` as the last thing it is sent.
 */
export class StreamedResponses {
  /** Each subscriber, with the bytes it was sent at once when it subscribed (allowed on top of the bound). */
  private readonly backlogs = new Map<ServerResponse, number>();

  constructor(
    private readonly slow: SlowConsumerPolicy,
    private readonly cutMessage: (reason: string) => string,
  ) {}

  get size(): number {
    return this.backlogs.size;
  }

  /** Adds `res`, which was just sent `backlogBytes` at once; it leaves when it closes. */
  add(res: ServerResponse, backlogBytes: number): void {
    this.backlogs.set(res, backlogBytes);
    res.once('close', () => this.backlogs.delete(res));
  }

  /** Writes `chunk` to every subscriber, and cuts those whose queue is now past the bound. */
  write(chunk: Buffer | string): void {
    for (const [res, backlog] of this.backlogs) {
      res.write(chunk);
      if (this.slow.over(res.writableLength, backlog)) this.cut(res);
    }
  }

  /** Ends every stream. */
  endAll(): void {
    for (const res of this.backlogs.keys()) res.end();
    this.backlogs.clear();
  }

  /** A slow consumer: the cut message with the reason, the end of the stream, and the socket destroyed soon. */
  private cut(res: ServerResponse): void {
    this.backlogs.delete(res);
    this.slow.cut++;
    res.end(this.cutMessage(this.slow.reason(res.writableLength)));
    setTimeout(() => res.destroy(), CUT_GRACE_MS).unref();
  }
}
