// What short and long polling share: GETs on one keep-alive connection, answered `{"events","next","gap"?}`.
import { Client as UndiciClient } from 'undici';
import { BaseClient, type PollAnswer, type WireMessage } from './base.ts';
import { nowUs, type ClientOptions } from './client.ts';
import { originOf, undiciWire } from './http.ts';

/**
 * A polling client: one undici Client (one TCP connection, pipelining 1) and a cursor that follows `next`.
 * Without keep-alive every request asks `connection: close`, so each one opens a new TCP connection.
 */
export abstract class PollingClient extends BaseClient {
  /** The client's own keep-alive connection. */
  protected readonly http: UndiciClient;
  /** Cursor of the next poll: `options.after`, then each answer's `next` (undefined: start at the newest). */
  protected cursor: number | undefined;
  /** False: every request closes its connection (`connection: close`). */
  protected readonly keepAlive: boolean;

  constructor(options: ClientOptions, http: UndiciClient.Options) {
    super(options);
    this.cursor = options.after;
    this.keepAlive = options.keepAlive !== false;
    this.http = new UndiciClient(originOf(options.baseUrl), { pipelining: 1, ...undiciWire(options), ...http });
    options.throttle?.attach(this.flow);
  }

  /** True while a throttle holds this poller's next poll; `release` lets it go. */
  private held = false;
  private release: (() => void) | undefined;

  /** A poller "reads" by polling: a throttle delays the next poll (a stopped poller stops polling). */
  private readonly flow = {
    pause: (): void => {
      this.held = true;
    },
    resume: (): void => {
      this.held = false;
      const release = this.release;
      this.release = undefined;
      release?.();
    },
  };

  /** Resolves once the next poll may go out: at once, unless a throttle holds it (close() lets it go too). */
  protected readable(): Promise<void> {
    if (!this.held || this.state === 'closed') return Promise.resolve();
    return new Promise<void>((resolve) => (this.release = resolve));
  }

  /** The path of the next poll, from `cursor`. */
  protected abstract pollPath(): string;

  /** Issues one poll and delivers its answer; `nowUs` is taken once, when the whole body has arrived. */
  protected async poll(): Promise<void> {
    const path = this.pollPath();
    const res = await this.http.request({ method: 'GET', path, reset: !this.keepAlive });
    const text = await res.body.text();
    const now = nowUs();
    if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`);
    const answer = JSON.parse(text) as PollAnswer;
    const events = answer.events;
    if (!Array.isArray(events) || typeof answer.next !== 'number') throw new Error(`GET ${path}: malformed answer`);
    if (answer.gap === true) this.sink.gap();
    for (let i = 0; i < events.length; i++) this.deliver(events[i] as WireMessage, now);
    this.cursor = answer.next;
    this.options.throttle?.read(text.length);
  }

  /** Destroys the connection (an in-flight poll then rejects, and is ignored); resolves when the socket closed. */
  protected async shutdown(): Promise<void> {
    this.options.throttle?.detach(this.flow);
    this.flow.resume();
    await this.http.destroy();
  }
}
