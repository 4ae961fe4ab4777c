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
import { CORS_HEADERS, HttpError, intParam, JSON_HEADERS, rejectUpgrade, sendError, sendJson } from './http-util.ts';
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
import { CONTROL_HEADER, PublisherControl, presentsToken } from './control.ts';
import type { PublishPlan } from './publisher.ts';
import type { Socket } from 'node:net';

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
  /** The publisher, as the IPC host and the HTTP control endpoints drive it. */
  readonly control: PublisherControl;
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
  const control = new PublisherControl(hub, stats.publisher, scheduler);

  const listener = createListener(options, (req, res) => {
    // rtbench's own control requests (the probe's and the clock sync's /time, /stats, ...) are not the transport's traffic.
    if (isControlRequest(req)) stats.controlSocket(req.socket as Socket);
    else {
      stats.transportSocket(req.socket as Socket);
      stats.requests++;
      arrivals?.request();
    }
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
      // Everything that changes the server, or reads its figures, takes the control token when one is set.
      if (CONTROL_PATHS.has(path) && options.controlToken !== '' && !presentsToken(req.headers.authorization, options.controlToken)) {
        drain(req);
        return sendError(res, 401, `${path} needs the control token that rtbench serve printed (Authorization: Bearer TOKEN)`, { 'www-authenticate': 'Bearer' });
      }
      switch (path) {
        case '/publish':
          if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
          return await publish(req, res);
        case '/stats':
          if (req.method !== 'GET') return methodNotAllowed(req, res, 'GET');
          if (url.searchParams.get('gc') === '1' && typeof globalThis.gc === 'function') globalThis.gc();
          // ?histograms=1 adds the publisher's lateness histogram (HdrHistogram, compressed base64, µs); ?reset=1
          // restarts the peak-RSS, event-loop-delay and publisher windows after the snapshot.
          return sendJson(res, stats.snapshot(url.searchParams.get('reset') === '1', url.searchParams.get('histograms') === '1'));
        case '/publisher':
          if (req.method === 'POST') {
            const plan = parsePlan(await readJson(req));
            void control.start(plan);
            return sendJson(res, '{"started":true}');
          }
          if (req.method !== 'GET') return methodNotAllowed(req, res, 'GET, POST');
          {
            const done = await control.settled(intParam(url, 'wait', options.maxWaitMs) ?? 0);
            return sendJson(res, done ? { running: false, ...done } : { running: true });
          }
        case '/publisher/stop-at': {
          if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
          const body = await readJson(req);
          control.stopAt(numberField(body, 'endUs'));
          return sendJson(res, '{"ok":true}');
        }
        case '/publisher/stop':
          if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
          drain(req);
          return sendJson(res, control.stop());
        case '/window': {
          if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
          const body = await readJson(req);
          const endUs = body.endUs === undefined || body.endUs === null ? undefined : numberField(body, 'endUs');
          control.window(numberField(body, 'startUs'), endUs);
          return sendJson(res, '{"ok":true}');
        }
        case '/time':
          if (req.method !== 'GET') return methodNotAllowed(req, res, 'GET');
          return sendJson(res, `{"now":${monotonicUs()}}`);
        case '/healthz':
          if (req.method !== 'GET') return methodNotAllowed(req, res, 'GET');
          res.writeHead(200, { ...CORS_HEADERS, 'content-type': 'text/plain' });
          return void res.end('ok');
        default:
          drain(req);
          return sendError(res, 404, `no such endpoint: ${req.method ?? '?'} ${path}; this ${options.transport} server serves ${transport.path}, /publish, /publisher, /window, /stats, /time and /healthz`);
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

  /** A JSON object body (at most maxBodyBytes); HttpError 400/413 otherwise. */
  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const body = await readBody(req, options.maxBodyBytes);
    if (body === undefined) throw new HttpError(413, `request body over ${options.maxBodyBytes} bytes`, { connection: 'close' });
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'body must be a JSON object');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'body must be a JSON object');
    return value as Record<string, unknown>;
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
    // An upgrade is the transport's: its connection is counted, also one a proxy carried rtbench's /time on before.
    stats.transportSocket(socket as Socket);
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
    control,
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
      control.stop();
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

/** Paths that change the server or read its figures: the control token guards them, and rtbench's own requests to them are not the transport's. */
const CONTROL_PATHS = new Set(['/publish', '/stats', '/publisher', '/publisher/stop-at', '/publisher/stop', '/window']);

/** Whether a request is rtbench's control traffic rather than the transport's: /stats, /publisher, /window, /time, /healthz, or marked. */
function isControlRequest(req: IncomingMessage): boolean {
  if (req.headers[CONTROL_HEADER] !== undefined) return true;
  const url = req.url ?? '';
  const path = url.split('?', 1)[0] ?? '';
  return path === '/time' || path === '/healthz' || (CONTROL_PATHS.has(path) && path !== '/publish');
}

/** A finite number field of a JSON body; HttpError 400 otherwise. */
function numberField(body: Record<string, unknown>, name: string): number {
  const v = body[name];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new HttpError(400, `"${name}" must be a number, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

/** A publish plan from a JSON body: rate > 0, count >= 0 (null or absent: until stopped), payloadBytes >= 0, optional startUs. */
function parsePlan(body: Record<string, unknown>): PublishPlan {
  const rate = numberField(body, 'rate');
  if (rate <= 0 || rate > 1_000_000) throw new HttpError(400, `"rate" must be above 0 and at most 1000000, got ${rate}`);
  const count = body.count === undefined || body.count === null ? Number.POSITIVE_INFINITY : numberField(body, 'count');
  const payloadBytes = numberField(body, 'payloadBytes');
  if (!Number.isInteger(payloadBytes) || payloadBytes < 0 || payloadBytes > 1_048_576) throw new HttpError(400, `"payloadBytes" must be an integer from 0 to 1048576, got ${payloadBytes}`);
  const startUs = body.startUs === undefined || body.startUs === null ? undefined : numberField(body, 'startUs');
  return { rate, count, payloadBytes, ...(startUs === undefined ? {} : { startUs }) };
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
