// fetch() streaming client: undici fetch, GET /stream?after=S, NDJSON read incrementally from the body.
import { fetch, type Agent } from 'undici';
import { BaseClient, afterQuery, withQuery } from './base.ts';
import { nowUs, type ClientFactory } from './client.ts';
import { publish, streamingAgent } from './http.ts';

/** TextDecoder option: keep a UTF-8 sequence split across chunks for the next one. */
const STREAM = { stream: true };

class FetchStreamClient extends BaseClient {
  readonly transport = 'fetch-stream' as const;
  /** This client's own connections (the stream, and `send()` on a second one); no body timeout. */
  private readonly agent: Agent = streamingAgent();
  private readonly abort = new AbortController();
  private readonly decoder = new TextDecoder();
  /** Text after the last newline of the previous chunk: the start of a line still arriving. */
  private partial = '';

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

  /** Delivers every complete line of a chunk; the decoder keeps split UTF-8 sequences, `partial` split lines. */
  private onChunk(chunk: Uint8Array, now: number): void {
    const decoded = this.decoder.decode(chunk, STREAM);
    // Concatenate only when a line was split across chunks (rare: the server flushes whole lines).
    const text = this.partial === '' ? decoded : this.partial + decoded;
    const end = text.length;
    let nl = text.indexOf('\n');
    if (nl === end - 1 && nl > 0) {
      // The common case, one whole line: parse the text as is (JSON.parse skips the trailing newline).
      this.partial = '';
      this.deliverText(text, now, 0, nl);
      return;
    }
    let start = 0;
    while (nl !== -1) {
      if (nl > start) this.deliverText(text, now, start, nl);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.partial = start === end ? '' : text.slice(start);
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

/** Builds a fetch() streaming client. */
export const createFetchStreamClient: ClientFactory = (options) => new FetchStreamClient(options);
