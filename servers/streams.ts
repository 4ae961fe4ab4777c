// Private token streams (the stream scenario): a request naming `stream=ID` reads its own generator instead of
// the shared event stream. The first request naming an unknown ID starts it: `tokens` events, one every
// `interval` ms from that moment, each `bytes` long, with the usual framing of the transport. Later requests
// with the same ID (the next poll, a resumption) read the same stream with their cursor. A stream retains every
// token, so each is charged `streamCostBytes(tokens, bytes)` against one memory budget until it is dropped: one
// that alone would cost over `maxStreamBytes` is refused (400), and so is one past the budget or MAX_STREAMS (503).
import type { IncomingMessage } from 'node:http';
import { Hub } from './hub.ts';
import { startPublisher, type Publisher, type PublisherStats } from './publisher.ts';
import type { Scheduler } from './scheduler.ts';
import { BadRequest, HttpError, intParam } from './http-util.ts';
import { MAX_STREAMS, STREAM_LINGER_MS, streamCostBytes } from './limits.ts';
import type { TransportContext, TransportHandler, TransportModule } from './transport.ts';

interface PrivateStream {
  handler: TransportHandler;
  publisher: Publisher;
  /** What it is charged against the budget, bytes. */
  cost: number;
  timer?: NodeJS.Timeout;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
/** A client refused for the budget may retry once lingering streams are dropped, s. */
const RETRY_AFTER = { 'retry-after': String(Math.ceil(STREAM_LINGER_MS / 1000)) };

/** The private streams of one server. */
export interface Streams {
  /** The handler of the stream a request names (started on first use); throws BadRequest on bad parameters. */
  handlerFor(req: IncomingMessage, url: URL): TransportHandler;
  /** Streams currently held. */
  readonly size: number;
  close(): void;
}

/**
 * Creates the stream registry of a server whose transport is built by `module` with the server's `ctx` (each
 * stream has its own hub); every stream's publisher runs on the server's `scheduler` and records its lateness in
 * the server's publisher `stats`.
 */
export function createStreams(module: TransportModule, ctx: Omit<TransportContext, 'hub'>, scheduler: Scheduler, stats: PublisherStats): Streams {
  const { options } = ctx;
  const streams = new Map<string, PrivateStream>();
  let heldBytes = 0;
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
      const cost = streamCostBytes(tokens, bytes);
      if (cost > options.maxStreamBytes) {
        throw new BadRequest(`a stream of ${tokens} tokens of ${bytes} bytes would hold ${mib(cost)} of server memory, over the ${mib(options.maxStreamBytes)} one stream may hold`);
      }
      if (streams.size >= MAX_STREAMS) throw new HttpError(503, `this server already holds ${MAX_STREAMS} streams; retry when some have ended`, RETRY_AFTER);
      if (heldBytes + cost > options.streamBudgetBytes) {
        throw new HttpError(503, `the streams held already cost ${mib(heldBytes)} of the ${mib(options.streamBudgetBytes)} budget, too much to start this one; retry when some have ended`, RETRY_AFTER);
      }
      const hub = new Hub(tokens);
      const handler = module({ ...ctx, hub });
      // The first token is due at once: it is in the answer to the request that started the stream.
      const publisher = startPublisher(hub, { rate: intervalMs > 0 ? 1000 / intervalMs : 1e9, count: tokens, payloadBytes: bytes }, stats, scheduler);
      const stream: PrivateStream = { handler, publisher, cost };
      streams.set(id, stream);
      heldBytes += cost;
      void publisher.done.then(() => {
        if (streams.get(id) !== stream) return;
        stream.timer = setTimeout(() => {
          streams.delete(id);
          heldBytes -= cost;
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
      heldBytes = 0;
    },
  };
}
