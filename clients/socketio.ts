// Socket.IO client: `socket.io-client`, one Manager (one Engine.IO connection) per client. `socketio` connects
// with the library's defaults (HTTP long-polling, then an upgrade to WebSocket), `socketio-ws` with WebSocket only.
// The cursor goes in the CONNECT packet's auth; `event` packets carry events, `gap` the gap notice; upstream
// messages are `publish` events. Socket.IO's own reconnection is off: like every rtbench client, a dropped
// connection fails the client, and the caller resumes with a new one from `lastSeq` (the churn scenario does).
import { io, type Socket } from 'socket.io-client';
import { BaseClient, type WireMessage } from './base.ts';
import { nowUs, type ClientFactory, type ClientOptions } from './client.ts';
import { SOCKETIO_EVENT, SOCKETIO_GAP_EVENT, SOCKETIO_PATH, SOCKETIO_PUBLISH_EVENT } from '../lib/socketio.ts';

class SocketIoClient extends BaseClient {
  private socket: Socket | undefined;

  constructor(
    options: ClientOptions,
    readonly transport: 'socketio' | 'socketio-ws',
  ) {
    super(options);
  }

  /** Resolves on the socket's 'connect' (the server accepted the CONNECT packet and subscribed us). */
  protected open(): Promise<void> {
    if (this.options.throttle !== undefined) throw new Error(`${this.transport} client: read throttling is not supported (socket.io-client reads every packet as it arrives)`);
    const query = Object.fromEntries(new URLSearchParams(this.options.query ?? ''));
    const socket = io(this.options.baseUrl, {
      path: SOCKETIO_PATH,
      transports: this.transport === 'socketio-ws' ? ['websocket'] : ['polling', 'websocket'],
      forceNew: true,
      reconnection: false,
      query,
      auth: this.options.after === undefined ? {} : { after: this.options.after },
    });
    this.socket = socket;
    socket.on(SOCKETIO_EVENT, this.onEvent);
    socket.on(SOCKETIO_GAP_EVENT, () => this.sink.gap());
    return new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => {
        const error = new Error(`${this.transport} connection refused: ${err.message}`);
        reject(error);
        this.fail(error);
      });
      socket.on('disconnect', (reason) => {
        const err = new Error(`${this.transport} disconnected: ${reason}`);
        reject(err);
        this.fail(err);
      });
    });
  }

  /** One `event` packet, already parsed by socket.io-client. */
  private readonly onEvent = (message: WireMessage): void => {
    try {
      this.deliver(message, nowUs());
    } catch (err) {
      this.fail(err);
    }
  };

  /** Emits `42["publish",{"data":...}]` (the same body as `POST /publish`); resolves once handed to the connection. */
  send(data: string): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || !socket.connected) return Promise.reject(new Error(`${this.transport} client: not connected`));
    socket.emit(SOCKETIO_PUBLISH_EVENT, { data });
    return Promise.resolve();
  }

  /** Sends the DISCONNECT packet and closes the Engine.IO connection; resolves once it is closed. */
  protected async shutdown(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined) return;
    const engine = socket.io.engine as typeof socket.io.engine | undefined;
    const closed = engine === undefined || engine.readyState === 'closed' ? Promise.resolve() : new Promise<void>((resolve) => engine.once('close', () => resolve()));
    socket.disconnect();
    await closed;
  }
}

/** Builds a Socket.IO client in the library's default configuration (polling, then WebSocket). */
export const createSocketIoClient: ClientFactory = (options) => new SocketIoClient(options, 'socketio');
/** Builds a Socket.IO client that connects over WebSocket only. */
export const createSocketIoWsClient: ClientFactory = (options) => new SocketIoClient(options, 'socketio-ws');
