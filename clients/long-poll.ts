// Long polling client: GET /long-poll?after=S&wait=MS on one keep-alive connection, re-issued at once.
import { Client as UndiciClient } from 'undici';
import { afterQuery, withQuery } from './base.ts';
import type { ClientFactory, ClientOptions } from './client.ts';
import { originOf, publish, undiciWire } from './http.ts';
import { PollingClient } from './poll.ts';

class LongPollClient extends PollingClient {
  readonly transport = 'long-poll' as const;
  /** How long the server may hold a poll, ms. */
  private readonly waitMs: number;
  /** Upstream connection for send(), opened on first use: the polling one is busy with a held request. */
  private upstream: UndiciClient | undefined;

  constructor(options: ClientOptions) {
    // A held poll sends nothing for up to waitMs: no headers or body timeout.
    super(options, { headersTimeout: 0, bodyTimeout: 0 });
    this.waitMs = options.longPollWaitMs ?? 30_000;
  }

  protected pollPath(): string {
    const after = afterQuery(this.cursor);
    // The first poll is answered at once (wait=0): it tells the cursor, so connect() resolving means subscribed.
    const wait = this.polled ? this.waitMs : 0;
    return `/long-poll${withQuery(after === '' ? `?wait=${wait}` : `${after}&wait=${wait}`, this.options.query)}`;
  }

  /** True once the first (immediate) poll was answered. */
  private polled = false;

  /**
   * Resolves after a first poll with wait=0 is answered (its events delivered, the cursor known), like short
   * polling. Resolving on the TCP connect instead would race: with no cursor, an event published before the
   * held request reached the server would be missed.
   */
  protected async open(): Promise<void> {
    await this.poll();
    this.polled = true;
    this.loop().catch((err: unknown) => this.fail(err));
  }

  /** Polls until closed; rejects with the first failure (a destroyed client's rejection is then ignored). */
  private async loop(): Promise<void> {
    for (;;) {
      await this.readable();
      if (this.state === 'closed') return;
      await this.poll();
    }
  }

  send(data: string): Promise<void> {
    this.upstream ??= new UndiciClient(originOf(this.options.baseUrl), { pipelining: 1, ...undiciWire(this.options) });
    return publish(this.upstream, this.options.baseUrl, data, this.keepAlive);
  }

  protected override async shutdown(): Promise<void> {
    await Promise.all([super.shutdown(), this.upstream?.destroy()]);
  }
}

/** Builds a long-polling client (default wait 30 000 ms). */
export const createLongPollClient: ClientFactory = (options) => new LongPollClient(options);
