// Server-Sent Events client through the `eventsource` library (v4, over undici's fetch), GET /sse with `?after=S` or
// `Last-Event-ID: S`. Not the default (clients/sse.ts is): it is for measurements where eventsource's own behaviour,
// its reconnection and its Last-Event-ID handling, is what is measured (its client CPU: bench/client-cost.ts).
import { EventSource, type ErrorEvent, type FetchLike, type ReaderLike } from 'eventsource';
import { fetch, type Agent } from 'undici';
import { BaseClient, afterQuery, withQuery } from './base.ts';
import { nowUs, type ClientFactory } from './client.ts';
import { publish, streamingAgent } from './http.ts';

class EventSourceClient extends BaseClient {
  readonly transport = 'sse' as const;
  /** This client's own connections (the stream, and `send()` on a second one); no body timeout. */
  private readonly agent: Agent = streamingAgent(this.options);
  private source: EventSource | undefined;
  /** Receive time of the chunk being parsed, µs. */
  private chunkNowUs = 0;

  /**
   * Resolves on 'open' (200 text/event-stream received). Any error before that fails connect(); after it,
   * an error while the source is CONNECTING is eventsource's own reconnection (kept), one that leaves it
   * CLOSED (a non-200 answer, say) fails the client.
   */
  protected open(): Promise<void> {
    const source = new EventSource(`${this.options.baseUrl}/sse`, { fetch: this.fetchStream });
    this.source = source;
    source.onmessage = this.onMessage;
    source.addEventListener('gap', this.onGap);
    return new Promise<void>((resolve, reject) => {
      source.onopen = () => resolve();
      source.onerror = (ev: ErrorEvent) => {
        if (this.state !== 'connecting' && source.readyState !== EventSource.CLOSED) return;
        const err = new Error(`SSE connection failed: ${ev.message ?? 'error'}${ev.code ? ` (status ${ev.code})` : ''}`);
        reject(err);
        this.fail(err);
      };
    });
  }

  /**
   * Every (re)connection asks from our own cursor: the highest seq received, else `options.after`; as
   * `?after=` or, with `useLastEventId`, as the `Last-Event-ID` header (never both, so no server precedence
   * rule can replay events).
   */
  private readonly fetchStream: FetchLike = async (_url, init) => {
    const cursor = this.lastSeq > 0 ? this.lastSeq : this.options.after;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    let query = '';
    if (this.options.useLastEventId === true) {
      if (cursor !== undefined) headers['last-event-id'] = String(cursor);
    } else {
      query = afterQuery(cursor);
    }
    const url = `${this.options.baseUrl}/sse${withQuery(query, this.options.query)}`;
    const res = await fetch(url, { headers, signal: init.signal, dispatcher: this.agent });
    const body = res.body;
    return {
      url: res.url,
      status: res.status,
      redirected: res.redirected,
      headers: res.headers,
      body: body === null ? null : { getReader: () => this.stampingReader(body.getReader()) },
    };
  };

  /** Wraps the body reader to take the receive time once per chunk: eventsource parses it synchronously next. */
  private stampingReader(reader: ReadableStreamDefaultReader<Uint8Array>): ReaderLike {
    return {
      read: () => reader.read().then(this.stamp),
      cancel: () => reader.cancel(),
    };
  }

  private readonly stamp = <T>(result: T): T => {
    this.chunkNowUs = nowUs();
    return result;
  };

  private readonly onMessage = (ev: MessageEvent): void => {
    try {
      this.deliverText(ev.data as string, this.chunkNowUs);
    } catch (err) {
      this.fail(err);
    }
  };

  private readonly onGap = (): void => {
    this.sink.gap();
  };

  send(data: string): Promise<void> {
    return publish(this.agent, this.options.baseUrl, data);
  }

  /** Stops the source (and its reconnection timer), then closes the agent's sockets. */
  protected async shutdown(): Promise<void> {
    this.source?.close();
    await this.agent.destroy();
  }
}

/** Builds an SSE client on the `eventsource` library: it reconnects by itself, resuming from its last seq. */
export const createEventSourceClient: ClientFactory = (options) => new EventSourceClient(options);
