// Private token streams (the stream scenario): a request naming `stream=ID` reads its own generator instead of
// the shared event stream. The first request naming an unknown ID starts it: `tokens` events, one every
// `interval` ms from that moment, each `bytes` long, with the usual framing of the transport. Later requests
// with the same ID (the next poll, a resumption) read the same stream with their cursor.
import type { IncomingMessage } from 'node:http';
import { Hub } from './hub.ts';
import { startPublisher, type Publisher, type PublisherStats } from './publisher.ts';
import type { Scheduler } from './scheduler.ts';
import type { SlowConsumerPolicy } from './slow-consumer.ts';
import { BadRequest, intParam } from './http-util.ts';
import type { ServerOptions } from './options.ts';
import type { TransportHandler, TransportModule } from './transport.ts';

/** Most streams one server holds at once. */
export const MAX_STREAMS = 100_000;
/** How long a finished stream stays readable (for the last polls and resumptions), ms. */
export const STREAM_LINGER_MS = 30_000;

interface PrivateStream {
  handler: TransportHandler;
  publisher: Publisher;
  timer?: NodeJS.Timeout;
}

/** The private streams of one server. */
export interface Streams {
  /** The handler of the stream a request names (started on first use); throws BadRequest on bad parameters. */
  handlerFor(req: IncomingMessage, url: URL): TransportHandler;
  /** Streams currently held. */
  readonly size: number;
  close(): void;
}

/**
 * Creates the stream registry of a server whose transport is built by `module`; every stream's publisher runs on
 * the server's `scheduler` and records its lateness in the server's publisher `stats`.
 */
export function createStreams(module: TransportModule, options: ServerOptions, scheduler: Scheduler, stats: PublisherStats, slow: SlowConsumerPolicy): Streams {
  const streams = new Map<string, PrivateStream>();
  return {
    handlerFor(_req, url) {
      const id = url.searchParams.get('stream') ?? '';
      if (!/^[\w.-]{1,64}$/.test(id)) throw new BadRequest(`query parameter "stream" must be 1 to 64 letters, digits, ".", "_" or "-", got "${id}"`);
      const existing = streams.get(id);
      if (existing) return existing.handler;
      const tokens = intParam(url, 'tokens', 1_000_000) ?? 0;
      if (tokens < 1) throw new BadRequest('a new stream needs query parameter "tokens" (an integer >= 1)');
      const intervalMs = intParam(url, 'interval', 60_000) ?? 0;
      const bytes = intParam(url, 'bytes', options.maxBodyBytes) ?? 0;
      if (streams.size >= MAX_STREAMS) throw new BadRequest(`this server already holds ${MAX_STREAMS} streams`);
      const hub = new Hub(tokens);
      const handler = module({ hub, options, slow });
      // The first token is due at once: it is in the answer to the request that started the stream.
      const publisher = startPublisher(hub, { rate: intervalMs > 0 ? 1000 / intervalMs : 1e9, count: tokens, payloadBytes: bytes }, stats, scheduler);
      const stream: PrivateStream = { handler, publisher };
      streams.set(id, stream);
      void publisher.done.then(() => {
        if (streams.get(id) !== stream) return;
        stream.timer = setTimeout(() => {
          streams.delete(id);
          handler.close();
        }, STREAM_LINGER_MS).unref();
      });
      return handler;
    },
    get size() {
      return streams.size;
    },
    close() {
      for (const s of streams.values()) {
        s.publisher.stop();
        clearTimeout(s.timer);
        s.handler.close();
      }
      streams.clear();
    },
  };
}
