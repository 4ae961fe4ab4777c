// The one contract every transport client implements (hono's adapter pattern: one small file per transport).
import type { Transport } from '../lib/transports.ts';
import type { ReadThrottle } from './throttle.ts';

/** Where a client reports what it receives. Called on the hot path: no allocation expected of the sink. */
export interface EventSink {
  /** One event arrived: its `seq`, its scheduled publish time `tsUs` and the receive time `nowUs` (both µs, monotonic). */
  event(seq: number, tsUs: number, nowUs: number): void;
  /** The server said events older than its retention were skipped (a gap). */
  gap(): void;
  /**
   * Optional: the event's `data` too, called right after `event()`. Only sinks that need the payload (the chat
   * scenario reads its sender's id from it) define it: clients then parse every event instead of the fast path.
   */
  data?(seq: number, data: string, nowUs: number): void;
}

/** Options shared by every client. */
export interface ClientOptions {
  /** Server origin, e.g. "http://127.0.0.1:43210". */
  baseUrl: string;
  /** Resume cursor: receive events with seq > after. Undefined: only events published from now on. */
  after?: number;
  /** SSE only: send the cursor as a `Last-Event-ID` header instead of `?after=`. */
  useLastEventId?: boolean;
  sink: EventSink;
  /** Short polling: pause between the end of one poll and the next, ms (default 1000). */
  pollIntervalMs?: number;
  /**
   * Short polling: extra pause before the second poll only, ms (default 0). Spreading it over the interval
   * keeps a population of pollers that connected together from polling in lockstep, as real users don't.
   */
  pollPhaseMs?: number;
  /** Long polling: how long the server may hold a poll, ms (default 30000). */
  longPollWaitMs?: number;
  /** WebSocket: ask for per-message deflate (default false). */
  wsCompression?: boolean;
  /** Polling: keep one TCP connection alive across requests (default true); false: a new connection per request. */
  keepAlive?: boolean;
  /** Extra query parameters for the transport endpoint, e.g. "stream=a1&tokens=50" (the stream scenario). */
  query?: string;
  /**
   * Reads through this throttle once subscribed (the slow-consumer scenario's slow clients): a stream or socket is
   * paused, a poller polls later. The default clients of every plain transport honour it (the Socket.IO clients refuse it).
   */
  throttle?: ReadThrottle;
  /**
   * An https:// `baseUrl`: the certificate (PEM) to trust as the only CA, the run's own (lib/tls.ts); verification
   * stays on.
   */
  ca?: string;
  /**
   * Speak HTTP/2 (ALPN h2) to an https:// server: each client opens its own HTTP/2 connection (session) and
   * multiplexes its requests on it, as one browser tab does. WebSocket ignores it (it stays on HTTP/1.1).
   */
  http2?: boolean;
  /** Called when the connection fails after connect() resolved (the client then stops). */
  onError?: (err: Error) => void;
}

/** A subscriber of one transport. */
export interface Client {
  readonly transport: Transport;
  /** Resolves once subscribed: socket open, response headers received, or first poll answered. */
  connect(): Promise<void>;
  /** Sends one upstream message: a text frame on WebSocket, `POST /publish` on the HTTP transports. */
  send(data: string): Promise<void>;
  /** Stops receiving and closes the connection; resolves when closed. Safe to call twice. */
  close(): Promise<void>;
  /** Highest seq received so far (0 before any), usable as the next `after`. */
  readonly lastSeq: number;
}

/** Builds a client of one transport. */
export type ClientFactory = (options: ClientOptions) => Client;

/** Microseconds of the host's monotonic clock, the clock of the servers' `ts` (lib/clock.ts). */
export { nowUs } from '../lib/clock.ts';
