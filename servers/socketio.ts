// Socket.IO (the `socket.io` server, Engine.IO under it): GET/POST /socket.io/?EIO=4&transport=polling|websocket.
// Each event is one Socket.IO packet `42["event",{"seq":..,"ts":..,"data":".."}]`, broadcast to every connected
// socket with `io.emit` (encoded once, and on WebSocket framed once, for all sockets). The cursor travels in the
// CONNECT packet's auth (`40{"after":S}`): the backlog after S (or a `42["gap",{...}]` notice) is emitted before the
// socket takes live events, so an app-level resume works across reconnects and new sessions alike. Socket.IO's own
// connection state recovery is off (see docs/protocol.md#socketio). Upstream: `42["publish",{"data":"..."}]`.
// `socketio` is the library's default configuration (HTTP long-polling first, then an upgrade to WebSocket);
// `socketio-ws` accepts WebSocket only.
import { Server as HttpServer } from 'node:http';
import { Server as SocketIoServer, type Socket } from 'socket.io';
import type { TransportModule } from './transport.ts';
import { monotonicUs } from './clock.ts';
import { SOCKETIO_EVENT, SOCKETIO_GAP_EVENT, SOCKETIO_PATH, SOCKETIO_PING_INTERVAL_MS, SOCKETIO_PUBLISH_EVENT } from '../lib/socketio.ts';

/** The cursor in a CONNECT packet's auth: undefined (start at the newest event), a seq, or an error sentence. */
function cursorOfAuth(auth: unknown): number | undefined | string {
  const after = (auth as { after?: unknown } | undefined)?.after;
  if (after === undefined || after === null) return undefined;
  if (typeof after === 'number' && Number.isSafeInteger(after) && after >= 0) return after;
  return `auth.after must be an integer >= 0, got ${JSON.stringify(after)}`;
}

/** Builds the Socket.IO endpoint: the default transports (polling, then WebSocket) or WebSocket only. */
function socketIo(websocketOnly: boolean): TransportModule {
  return ({ hub, options }) => {
    // Socket.IO attaches its Engine.IO server to an http.Server; it gets one that never listens, and the shared
    // server hands it the requests and upgrades for its path (so /publish, /stats and the byte counters stay ours).
    const io = new SocketIoServer(new HttpServer(), {
      path: SOCKETIO_PATH,
      serveClient: false,
      transports: websocketOnly ? ['websocket'] : ['polling', 'websocket'],
      pingInterval: SOCKETIO_PING_INTERVAL_MS,
      maxHttpBufferSize: options.maxBodyBytes,
      perMessageDeflate: options.wsCompression,
    });
    const engine = io.engine;
    // Every Engine.IO response carries the CORS header of every other endpoint.
    engine.on('headers', (headers: Record<string, string>) => (headers['access-control-allow-origin'] = '*'));
    // A bad cursor refuses the connection: the client gets a CONNECT_ERROR packet `44{"message":...}`.
    io.use((socket, next) => {
      const cursor = cursorOfAuth(socket.handshake.auth);
      next(typeof cursor === 'string' ? new Error(cursor) : undefined);
    });

    const sockets = new Set<Socket>();
    hub.onBatch((batch) => {
      // The per-delivery work (and the injected CPU test knob) comes before the writes, as a server's would.
      hub.charge(batch.length * sockets.size);
      if (sockets.size === 0) return;
      // Socket.IO encodes its arguments itself: the event object is rebuilt once per event (not per socket), and
      // its JSON is the hub's byte for byte.
      for (const e of batch) io.emit(SOCKETIO_EVENT, JSON.parse(e.json) as object);
    });

    io.on('connection', (socket) => {
      const after = (cursorOfAuth(socket.handshake.auth) as number | undefined) ?? hub.lastSeq;
      // Synchronous from here to `sockets.add`: no publish tick can fall between the backlog and the live events.
      const backlog = hub.since(after);
      if (backlog.gap) socket.emit(SOCKETIO_GAP_EVENT, { gap: true, after, oldest: hub.oldestSeq });
      for (const e of backlog.events) socket.emit(SOCKETIO_EVENT, JSON.parse(e.json) as object);
      sockets.add(socket);
      socket.on('disconnect', () => sockets.delete(socket));
      socket.on(SOCKETIO_PUBLISH_EVENT, (message: unknown) => {
        const data = (message as { data?: unknown } | null)?.data;
        // A bad upstream message ends that socket (as ws closes with 1007); the server goes on.
        if (typeof data !== 'string') return void socket.disconnect(true);
        hub.publish(data, monotonicUs());
      });
    });

    return {
      path: SOCKETIO_PATH,
      methods: websocketOnly ? ['GET'] : ['GET', 'POST'],
      request(req, res) {
        engine.handleRequest(req, res);
      },
      upgrade(req, socket, head) {
        engine.handleUpgrade(req, socket, head);
      },
      subscribers: () => sockets.size,
      close() {
        sockets.clear();
        void io.close();
      },
    };
  };
}

/** Socket.IO in its default configuration: HTTP long-polling first, then an upgrade to WebSocket. */
export const socketio: TransportModule = socketIo(false);
/** Socket.IO with WebSocket only (`transports: ['websocket']` on both sides). */
export const socketioWs: TransportModule = socketIo(true);
