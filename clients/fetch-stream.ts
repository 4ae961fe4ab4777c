// fetch() streaming client, lean: GET /stream?after=S over node:http, NDJSON split by clients/ndjson.ts. The
// browser's way (undici fetch and a WHATWG ReadableStream reader) is clients/fetch-stream-web.ts.
import { afterQuery, withQuery } from './base.ts';
import type { ClientFactory } from './client.ts';
import { HttpStreamClient } from './http-stream.ts';
import { NdjsonSplitter } from './ndjson.ts';

class FetchStreamClient extends HttpStreamClient {
  readonly transport = 'fetch-stream' as const;
  /** Any content-type: the status is what connect() checks, as a fetch() caller would. */
  protected readonly contentType = undefined;
  private readonly lines = new NdjsonSplitter((text, start, end) => this.onLine(text, start, end));

  protected target(): { path: string; headers: Record<string, string> } {
    return { path: `/stream${withQuery(afterQuery(this.options.after), this.options.query)}`, headers: {} };
  }

  protected onChunk(chunk: Buffer): void {
    this.lines.feed(chunk);
  }

  protected onEnd(): void {
    this.lines.end();
  }

  private onLine(text: string, start: number, end: number): void {
    if (this.state === 'closed') return;
    try {
      this.deliverText(text, this.chunkNowUs, start, end);
    } catch (err) {
      this.fail(err);
    }
  }
}

/** Builds the default fetch() streaming client (node:http and an incremental NDJSON splitter). */
export const createFetchStreamClient: ClientFactory = (options) => new FetchStreamClient(options);
