// One reference server: the shared control endpoints plus one transport's endpoint, on node:http, or over TLS on
// node:https or node:http2 (listener.ts).
// Every cap on what a request can make it hold is in limits.ts (and docs/protocol.md#limits).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { Hub } from './hub.ts';
import { ServerStats } from './stats.ts';
import { monotonicUs } from './clock.ts';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './options.ts';
import { CORS_HEADERS, HttpError, JSON_HEADERS, rejectUpgrade, sendError, sendJson } from './http-util.ts';
import { answerClientError, MAX_DISCARDED_BODY_BYTES, MAX_URL_BYTES } from './limits.ts';
import { createListener, isHttp2 } from './listener.ts';
import type { TransportHandler, TransportModule } from './transport.ts';
import { createStreams } from './streams.ts';
import { Scheduler } from './scheduler.ts';
import { SlowConsumerPolicy } from './slow-consumer.ts';
import { shortPoll } from './short-poll.ts';
import { HeldPolls, longPoll } from './long-poll.ts';
import { sse } from './sse.ts';
import { fetchStream } from './fetch-stream.ts';
import { ws } from './ws.ts';
import { socketio, socketioWs } from './socketio.ts';
import type { Transport } from '../lib/transports.ts';
import { connectionsPerProcess } from '../lib/limits.ts';
import { loadState } from './handover.ts';
import { ArrivalBins } from './arrivals.ts';

/** The transport modules, by name. */
export const TRANSPORT_MODULES: Record<Transport, TransportModule> = {
  'short-poll': shortPoll,
  'long-poll': longPoll,
  ws,
  sse,
  'fetch-stream': fetchStream,
  socketio,
  'socketio-ws': socketioWs,
};

/** A listening reference server. */
export interface RtServer {
  readonly port: number;
  readonly url: string;
  readonly hub: Hub;
  readonly stats: ServerStats;
  /** The one precise scheduler of this server's publishers (the shared stream's and every private stream's). */
  readonly scheduler: Scheduler;
  readonly http: Server;
  /** Connections and requests per 100 ms, when `recordArrivals` is on. */
  readonly arrivals: ArrivalBins | undefined;
  /** Events restored from the state file at start (0: a fresh stream). */
  readonly restoredEvents: number;
  /**
   * Resets `fraction` of the open connections at once (TCP RST), chosen evenly in the order they were accepted
   * (at least one when the fraction is above 0 and any is open); returns how many were reset, of how many open.
   */
  resetConnections(fraction: number): { reset: number; open: number };
  /** Ends every subscription and stops listening. */
  close(): Promise<void>;
}

/** Starts a reference server for `options.transport` and resolves once it listens. */
export async function startServer(partial: Partial<ServerOptions> & Pick<ServerOptions, 'transport'>): Promise<RtServer> {
  const options: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...partial };
  const hub = new Hub(options.retention, { delayMs: options.injectDelayMs, cpuUs: options.injectCpuUs }, options.retentionBytes);
  const restoredEvents = options.stateFile === '' ? 0 : loadState(options.stateFile, hub);
  const arrivals = options.recordArrivals ? new ArrivalBins() : undefined;
  const slow = new SlowConsumerPolicy(options.maxQueuedBytes);
  const held = new HeldPolls(options.maxHeldPolls);
  const transport: TransportHandler = TRANSPORT_MODULES[options.transport]({ hub, options, slow, held });
  const stats = new ServerStats(options.transport, () => ({ subscribers: transport.subscribers(), lastSeq: hub.lastSeq, deliveries: hub.deliveries, slowConsumersCut: slow.cut }));
  const scheduler = new Scheduler(stats.publisher);
  // `?stream=ID`: a private token stream of the same transport (the stream scenario).
  const streams = createStreams(TRANSPORT_MODULES[options.transport], { options, slow, held }, scheduler, stats.publisher);

  const listener = createListener(options, (req, res) => {
    stats.requests++;
    arrivals?.request();
    handle(req, res).catch((err: unknown) => sendError(res, 500, err instanceof Error ? err.message : String(err)));
  });
  const http = listener.server;
  stats.track(http);
  if (arrivals) http.on('connection', () => arrivals.connection());
  // Past the connections this process can hold (its open-file limit), a new connection is closed at once and
  // counted, instead of an accept or a /proc read failing with EMFILE and taking the server down.
  const maxConnections = options.maxConnections > 0 ? options.maxConnections : connectionsPerProcess();
  if (Number.isFinite(maxConnections)) http.maxConnections = maxConnections;
  http.on('drop', () => stats.connectionsRefused++);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if ((req.url?.length ?? 0) > MAX_URL_BYTES) {
      drain(req);
      return sendError(res, 414, `request target over ${MAX_URL_BYTES} bytes`);
    }
    // A body no endpoint would read in full is refused before a byte of it is read.
    if (Number(req.headers['content-length'] ?? 0) > options.maxBodyBytes) return bodyTooLarge(req, res);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://rtbench');
    } catch {
      return sendError(res, 400, 'malformed request target');
    }
    const path = url.pathname;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS);
      return void res.end();
    }
    try {
      if (path === transport.path) {
        const methods = transport.methods ?? ['GET'];
        if (!methods.includes(req.method ?? '')) return methodNotAllowed(req, res, methods.join(', '));
        if (url.searchParams.has('stream')) return streams.handlerFor(req, url).request(req, res, url);
        return transport.request(req, res, url);
      }
      switch (path) {
        case '/publish':
          if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
          return await publish(req, res);
        case '/stats':
          if (req.method !== 'GET') return methodNotAllowed(req, res, 'GET');
          if (url.searchParams.get('gc') === '1' && typeof globalThis.gc === 'function') globalThis.gc();
          // ?histograms=1 adds the publisher's lateness histogram (HdrHistogram, compressed base64, µs).
          return sendJson(res, stats.snapshot(false, url.searchParams.get('histograms') === '1'));
        case '/time':
          if (req.method !== 'GET') return methodNotAllowed(req, res, 'GET');
          return sendJson(res, `{"now":${monotonicUs()}}`);
        case '/healthz':
          if (req.method !== 'GET') return methodNotAllowed(req, res, 'GET');
          res.writeHead(200, { ...CORS_HEADERS, 'content-type': 'text/plain' });
          return void res.end('ok');
        default:
          drain(req);
          return sendError(res, 404, `no such endpoint: ${req.method ?? '?'} ${path}; this ${options.transport} server serves ${transport.path}, /publish, /stats, /time and /healthz`);
      }
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err.status, err.message, err.headers);
      throw err;
    }
  }

  /**
   * 413 at once. The rest of the body is read and dropped, so the keep-alive connection stays usable, unless it is
   * over MAX_DISCARDED_BODY_BYTES: then the connection is closed instead (when the body says its length up front,
   * after the answer; when it is chunked, once that much has been dropped).
   */
  function bodyTooLarge(req: IncomingMessage, res: ServerResponse): void {
    if (Number(req.headers['content-length'] ?? 0) > options.maxBodyBytes + MAX_DISCARDED_BODY_BYTES) {
      // HTTP/2 has no `connection` header: there the stream is reset once the answer is out instead.
      if (isHttp2(req)) res.once('finish', () => req.destroy());
      else res.setHeader('connection', 'close');
    } else {
      let dropped = 0;
      req.on('data', (chunk: Buffer) => {
        dropped += chunk.length;
        // Over HTTP/2 only this request's stream goes (its connection carries others).
        if (dropped > MAX_DISCARDED_BODY_BYTES) (isHttp2(req) ? req : req.socket).destroy();
      });
      req.resume();
    }
    sendError(res, 413, `request body over ${options.maxBodyBytes} bytes`);
  }

  async function publish(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, options.maxBodyBytes);
    if (body === undefined) return bodyTooLarge(req, res);
    if (!isUtf8(body)) return sendError(res, 400, 'body must be UTF-8 JSON like {"data":"..."}');
    let data: unknown;
    try {
      data = (JSON.parse(body.toString('utf8')) as { data?: unknown }).data;
    } catch {
      return sendError(res, 400, 'body must be JSON like {"data":"..."}');
    }
    if (typeof data !== 'string') return sendError(res, 400, 'body must be JSON like {"data":"..."} with a string "data"');
    const event = hub.publish(data, monotonicUs());
    res.writeHead(200, JSON_HEADERS);
    res.end(`{"seq":${event.seq}}`);
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    stats.requests++;
    arrivals?.request();
    if ((req.url?.length ?? 0) > MAX_URL_BYTES) return rejectUpgrade(socket, 414, `request target over ${MAX_URL_BYTES} bytes`);
    let url: URL | undefined;
    try {
      url = new URL(req.url ?? '/', 'http://rtbench');
    } catch {
      url = undefined;
    }
    if (!url || url.pathname !== transport.path || !transport.upgrade) {
      return rejectUpgrade(socket, 404, `no WebSocket endpoint at ${url?.pathname ?? req.url ?? '?'}`);
    }
    try {
      if (url.searchParams.has('stream')) streams.handlerFor(req, url).upgrade?.(req, socket, head, url);
      else transport.upgrade(req, socket, head, url);
    } catch (err) {
      if (err instanceof HttpError) rejectUpgrade(socket, err.status, err.message, err.headers);
      else rejectUpgrade(socket, 400, err instanceof Error ? err.message : String(err));
    }
  });
  const timeouts = { headersMs: options.headersTimeoutMs, requestMs: options.requestTimeoutMs };
  http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, timeouts));

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      // Once listening, a failed accept (EMFILE or ENFILE when other files took the last ones) refuses that one
      // connection; the server goes on.
      http.on('error', (err: NodeJS.ErrnoException) => {
        if (err.syscall !== 'accept') throw err;
        stats.connectionsRefused++;
      });
      resolve();
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    url: `${options.tls === undefined ? 'http' : 'https'}://${options.host}:${port}`,
    hub,
    stats,
    scheduler,
    http,
    arrivals,
    restoredEvents,
    resetConnections(fraction) {
      const open = stats.sockets();
      const n = open.length;
      const k = fraction <= 0 || n === 0 ? 0 : Math.min(n, Math.max(1, Math.round(n * fraction)));
      let reset = 0;
      for (const [i, socket] of open.entries()) {
        if (Math.floor(((i + 1) * k) / n) > Math.floor((i * k) / n)) {
          socket.resetAndDestroy();
          reset++;
        }
      }
      return { reset, open: n };
    },
    async close() {
      transport.close();
      streams.close();
      scheduler.close();
      hub.close();
      stats.close();
      listener.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allowed: string): void {
  drain(req);
  res.setHeader('allow', `${allowed}, OPTIONS`);
  sendError(res, 405, `method ${req.method ?? '?'} not allowed here; use ${allowed}`);
}

/** Discards a request body so the keep-alive connection stays usable. */
function drain(req: IncomingMessage): void {
  req.resume();
}

/** Reads a body of at most `limit` bytes; undefined as soon as it is larger (reading stops there). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
