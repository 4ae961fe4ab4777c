// One reference server: the shared control endpoints plus one transport's endpoint, on node:http.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Hub } from './hub.ts';
import { ServerStats } from './stats.ts';
import { monotonicUs } from './clock.ts';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './options.ts';
import { BadRequest, CORS_HEADERS, JSON_HEADERS, sendError, sendJson } from './http-util.ts';
import type { TransportHandler, TransportModule } from './transport.ts';
import { createStreams } from './streams.ts';
import { Scheduler } from './scheduler.ts';
import { SlowConsumerPolicy } from './slow-consumer.ts';
import { shortPoll } from './short-poll.ts';
import { longPoll } from './long-poll.ts';
import { sse } from './sse.ts';
import { fetchStream } from './fetch-stream.ts';
import { ws } from './ws.ts';
import type { Transport } from '../lib/transports.ts';
import { connectionsPerProcess } from '../lib/limits.ts';

/** The transport modules, by name. */
export const TRANSPORT_MODULES: Record<Transport, TransportModule> = {
  'short-poll': shortPoll,
  'long-poll': longPoll,
  ws,
  sse,
  'fetch-stream': fetchStream,
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
  /** Ends every subscription and stops listening. */
  close(): Promise<void>;
}

/** Starts a reference server for `options.transport` and resolves once it listens. */
export async function startServer(partial: Partial<ServerOptions> & Pick<ServerOptions, 'transport'>): Promise<RtServer> {
  const options: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...partial };
  const hub = new Hub(options.retention, { delayMs: options.injectDelayMs, cpuUs: options.injectCpuUs }, options.retentionBytes);
  const slow = new SlowConsumerPolicy(options.maxQueuedBytes);
  const transport: TransportHandler = TRANSPORT_MODULES[options.transport]({ hub, options, slow });
  const stats = new ServerStats(options.transport, () => ({ subscribers: transport.subscribers(), lastSeq: hub.lastSeq, deliveries: hub.deliveries, slowConsumersCut: slow.cut }));
  const scheduler = new Scheduler(stats.publisher);
  // `?stream=ID`: a private token stream of the same transport (the stream scenario).
  const streams = createStreams(TRANSPORT_MODULES[options.transport], options, scheduler, stats.publisher, slow);

  const http = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
    stats.requests++;
    handle(req, res).catch((err: unknown) => sendError(res, 500, err instanceof Error ? err.message : String(err)));
  });
  http.maxHeadersCount = 100;
  stats.track(http);
  // Past the connections this process can hold (its open-file limit), a new connection is closed at once and
  // counted, instead of an accept or a /proc read failing with EMFILE and taking the server down.
  const maxConnections = options.maxConnections > 0 ? options.maxConnections : connectionsPerProcess();
  if (Number.isFinite(maxConnections)) http.maxConnections = maxConnections;
  http.on('drop', () => stats.connectionsRefused++);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
        if (req.method !== 'GET') return methodNotAllowed(req, res, 'GET');
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
      if (err instanceof BadRequest) return sendError(res, 400, err.message);
      throw err;
    }
  }

  async function publish(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, options.maxBodyBytes);
    if (body === undefined) return sendError(res, 413, `request body over ${options.maxBodyBytes} bytes`);
    let data: unknown;
    try {
      data = (JSON.parse(body) as { data?: unknown }).data;
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
      rejectUpgrade(socket, 400, err instanceof Error ? err.message : String(err));
    }
  });
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"error":"malformed HTTP request"}\n');
    else socket.destroy();
  });

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
    url: `http://${options.host}:${port}`,
    hub,
    stats,
    scheduler,
    http,
    async close() {
      transport.close();
      streams.close();
      scheduler.close();
      hub.close();
      stats.close();
      http.closeAllConnections();
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

/** Reads a body up to `limit` bytes; undefined when it is larger (the rest is discarded). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Answers a bad upgrade with a JSON error and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = `${JSON.stringify({ error: message })}\n`;
  const reason = status === 404 ? 'Not Found' : status === 426 ? 'Upgrade Required' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\naccess-control-allow-origin: *\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
