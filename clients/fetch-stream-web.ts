// fetch() streaming client the browser's way: undici fetch, GET /stream?after=S, the body read through a WHATWG
// ReadableStream reader and decoded by a TextDecoder. Not the default (clients/fetch-stream.ts is, on node:http):
// it is the one to compare with real browsers.
import { fetch, type Agent } from 'undici';
import { BaseClient, afterQuery, withQuery } from './base.ts';
import { nowUs, type ClientFactory } from './client.ts';
import { publish, streamingAgent } from './http.ts';
import { NdjsonSplitter } from './ndjson.ts';

/** TextDecoder option: keep a UTF-8 sequence split across chunks for the next one. */
const STREAM = { stream: true };

class FetchStreamWebClient extends BaseClient {
  readonly transport = 'fetch-stream' as const;
  /** This client's own connections (the stream, and `send()` on a second one); no body timeout. */
  private readonly agent: Agent = streamingAgent(this.options);
  private readonly abort = new AbortController();
  private readonly decoder = new TextDecoder();
  private readonly lines = new NdjsonSplitter((text, start, end) => this.deliverText(text, this.chunkNowUs, start, end));
  /** Receive time of the chunk being split, µs. */
  private chunkNowUs = 0;

  /** Resolves when the response headers arrive with status 200; the body is then read in the background. */
  protected async open(): Promise<void> {
    const url = `${this.options.baseUrl}/stream${withQuery(afterQuery(this.options.after), this.options.query)}`;
    const res = await fetch(url, { signal: this.abort.signal, dispatcher: this.agent });
    if (res.status !== 200 || res.body === null) {
      const text = await res.text().catch(() => '');
      throw new Error(`GET /stream answered ${res.status}: ${text.slice(0, 200)}`);
    }
    const reader = res.body.getReader();
    this.pump(reader).catch((err: unknown) => this.fail(err));
  }

  private async pump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      this.onChunk(value, nowUs());
    }
    throw new Error('server ended the stream');
  }

  /** Delivers every complete line of a chunk; the decoder keeps split UTF-8 sequences, the splitter split lines. */
  private onChunk(chunk: Uint8Array, now: number): void {
    this.chunkNowUs = now;
    this.lines.feedText(this.decoder.decode(chunk, STREAM));
  }

  send(data: string): Promise<void> {
    return publish(this.agent, this.options.baseUrl, data);
  }

  /** Aborts the request (the pending read then rejects, and is ignored), then closes the agent's sockets. */
  protected async shutdown(): Promise<void> {
    this.abort.abort();
    await this.agent.destroy();
  }
}

/** Builds a fetch() streaming client on undici fetch() and a ReadableStream reader, as a browser reads the stream. */
export const createFetchStreamWebClient: ClientFactory = (options) => new FetchStreamWebClient(options);
