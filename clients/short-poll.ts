// Short polling client: GET /poll?after=S on one keep-alive connection, then wait pollIntervalMs, repeat.
import { afterQuery, withQuery } from './base.ts';
import type { ClientFactory, ClientOptions } from './client.ts';
import { publish } from './http.ts';
import { PollingClient } from './poll.ts';

class ShortPollClient extends PollingClient {
  readonly transport = 'short-poll' as const;
  /** Pause between the end of one poll and the start of the next, ms. */
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: ClientOptions) {
    super(options, {});
    this.intervalMs = options.pollIntervalMs ?? 1000;
  }

  protected pollPath(): string {
    return `/poll${withQuery(afterQuery(this.cursor), this.options.query)}`;
  }

  /** Resolves once the first poll is answered (its events already delivered); the loop then runs on timers. */
  protected async open(): Promise<void> {
    await this.poll();
    this.schedule(this.intervalMs + (this.options.pollPhaseMs ?? 0));
  }

  private schedule(delayMs = this.intervalMs): void {
    if (this.state === 'closed') return;
    this.timer = setTimeout(this.tick, delayMs);
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    // A throttle may hold the next poll (a slow poller polls later, a stopped one not at all).
    this.readable()
      .then(() => (this.state === 'closed' ? undefined : this.poll()))
      .then(
        () => this.schedule(),
        (err: unknown) => this.fail(err),
      );
  };

  /** `POST /publish` on the same connection (queued behind a poll in flight, which is answered at once). */
  send(data: string): Promise<void> {
    return publish(this.http, this.options.baseUrl, data, this.keepAlive);
  }

  protected override async shutdown(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await super.shutdown();
  }
}

/** Builds a short-polling client (default interval 1000 ms, measured from the end of each poll). */
export const createShortPollClient: ClientFactory = (options) => new ShortPollClient(options);
