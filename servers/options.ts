// Options of one reference server process.
import type { Transport } from '../lib/transports.ts';
import type { TlsMaterial } from '../lib/tls.ts';
import { DEFAULT_MAX_QUEUED_BYTES } from './slow-consumer.ts';
import {
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_HELD_POLLS,
  DEFAULT_MAX_STREAM_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_STREAM_BUDGET_BYTES,
} from './limits.ts';

/**
 * Default byte budget of retention: 8 MiB (the 10 000 default events of 100 bytes take about 1.5 MB, so it binds
 * only for large events). Runs that rtbench measures lift it (driver/pipeline.ts), keeping retention by count.
 */
export const DEFAULT_RETENTION_BYTES = 8 * 1024 * 1024;

/** How a reference server is configured. */
export interface ServerOptions {
  transport: Transport;
  /** Listen address (default 127.0.0.1). */
  host: string;
  /** Listen port (0: an ephemeral port). */
  port: number;
  /** Serve over TLS (https, wss) with this key and certificate (undefined: plain HTTP/1.1). */
  tls: TlsMaterial | undefined;
  /**
   * Serve HTTP/2 over TLS (ALPN h2, node:http2) and HTTP/1.1 on the same port (ALPN http/1.1, which WebSocket
   * uses); needs `tls`.
   */
  http2: boolean;
  /** Events kept for resumption. */
  retention: number;
  /** Most bytes of event JSON kept for resumption (the oldest events go first past it). */
  retentionBytes: number;
  /** SSE heartbeat comment interval, ms (0: none). */
  heartbeatMs: number;
  /** SSE `retry:` field sent first, ms (0: none). */
  sseRetryMs: number;
  /** WebSocket ping interval (an empty ping frame to every subscriber, the pong not checked), ms (0: none). */
  wsPingMs: number;
  /** Offer per-message deflate on WebSocket. */
  wsCompression: boolean;
  /** Largest accepted request body / upstream WebSocket message, bytes. */
  maxBodyBytes: number;
  /** Longest long-poll wait a client may ask for, ms. */
  maxWaitMs: number;
  /** Most long polls held at once, server-wide (a connection holds one at a time). */
  maxHeldPolls: number;
  /** Most a private stream may cost the server (`streamCostBytes(tokens, bytes)`), bytes. */
  maxStreamBytes: number;
  /** Most every private stream held at once (running or lingering) may cost the server together, bytes. */
  streamBudgetBytes: number;
  /** Time a connection has to send a request's line and headers, ms (node:http `headersTimeout`). */
  headersTimeoutMs: number;
  /** Time a connection has to send a whole request, body included, ms (node:http `requestTimeout`, >= headersTimeoutMs). */
  requestTimeoutMs: number;
  /** Most bytes one streaming subscriber may have queued before it is cut as a slow consumer (0: no bound). */
  maxQueuedBytes: number;
  /**
   * Most connections held at once; past it a new connection is closed at once and counted in
   * `connectionsRefused` (0: the process's open-file limit less what it keeps for itself, lib/limits.ts).
   */
  maxConnections: number;
  /**
   * Where the stream is handed over across a restart (servers/handover.ts): read back at start when it exists,
   * written on SIGTERM ('': no hand-over).
   */
  stateFile: string;
  /** Count accepted connections and requests per 100 ms (servers/arrivals.ts; the faults scenario's reconnect storm). */
  recordArrivals: boolean;
  /**
   * Bearer token the control endpoints (/publish, /stats, /publisher, /window) require ('' : none). `rtbench serve`
   * sets a random one when it listens beyond loopback.
   */
  controlToken: string;
  /** Test knob: hold each publish tick this long, ms. */
  injectDelayMs: number;
  /** Test knob: burn this much CPU per event per subscriber, µs. */
  injectCpuUs: number;
}

/** Defaults of every reference server. */
export const DEFAULT_SERVER_OPTIONS: Omit<ServerOptions, 'transport'> = {
  host: '127.0.0.1',
  port: 0,
  tls: undefined,
  http2: false,
  retention: 10_000,
  retentionBytes: DEFAULT_RETENTION_BYTES,
  heartbeatMs: 15_000,
  sseRetryMs: 0,
  wsPingMs: 0,
  wsCompression: false,
  maxBodyBytes: 64 * 1024,
  maxWaitMs: 120_000,
  maxHeldPolls: DEFAULT_MAX_HELD_POLLS,
  maxStreamBytes: DEFAULT_MAX_STREAM_BYTES,
  streamBudgetBytes: DEFAULT_STREAM_BUDGET_BYTES,
  headersTimeoutMs: DEFAULT_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES,
  maxConnections: 0,
  stateFile: '',
  recordArrivals: false,
  controlToken: '',
  injectDelayMs: 0,
  injectCpuUs: 0,
};
