// Server-Sent Events client, lean: GET /sse over node:http with `?after=S` or `Last-Event-ID: S`, parsed by
// clients/sse-parser.ts. It does not reconnect: the stream ending is reported through `onError` (for
// EventSource's own reconnection, use clients/sse-eventsource.ts).
import { afterQuery, cutReason, withQuery } from './base.ts';
import type { ClientFactory } from './client.ts';
import { HttpStreamClient } from './http-stream.ts';
import { SseParser } from './sse-parser.ts';

class SseClient extends HttpStreamClient {
  readonly transport = 'sse' as const;
  protected readonly contentType = 'text/event-stream';
  private readonly parser = new SseParser((type, text, start, end) => this.onEvent(type, text, start, end));

  /** The cursor as `?after=` or, with `useLastEventId`, as the `Last-Event-ID` header (never both). */
  protected target(): { path: string; headers: Record<string, string> } {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    let query = '';
    if (this.options.useLastEventId === true) {
      if (this.options.after !== undefined) headers['last-event-id'] = String(this.options.after);
    } else {
      query = afterQuery(this.options.after);
    }
    return { path: `/sse${withQuery(query, this.options.query)}`, headers };
  }

  protected onChunk(chunk: Buffer): void {
    this.parser.feed(chunk);
  }

  protected onEnd(): void {
    this.parser.end();
  }

  /** A "message" event is one event JSON; a "gap" event the server's gap notice; a "cut" event ends it; other types are ignored. */
  private onEvent(type: string, text: string, start: number, end: number): void {
    if (this.state === 'closed') return;
    try {
      if (type === 'message') this.deliverText(text, this.chunkNowUs, start, end);
      else if (type === 'gap') this.sink.gap();
      // The server cut this subscriber as a slow consumer: the stream ends next; say why.
      else if (type === 'cut') this.fail(new Error(`the server cut this subscriber: ${cutReason(text.slice(start, end))}`));
    } catch (err) {
      this.fail(err);
    }
  }
}

/** Builds the default SSE client (node:http and a hand-written event-stream parser; no reconnection). */
export const createSseClient: ClientFactory = (options) => new SseClient(options);
