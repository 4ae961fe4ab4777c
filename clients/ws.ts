// WebSocket client: `ws`, GET /ws?after=S (Upgrade); one event JSON (or gap notice) per text frame down,
// `{"data":...}` text frames up.
import WebSocket from 'ws';
import { BaseClient, afterQuery, withQuery } from './base.ts';
import { nowUs, type ClientFactory } from './client.ts';

class WsClient extends BaseClient {
  readonly transport = 'ws' as const;
  private socket: WebSocket | undefined;

  /** Resolves on the socket's 'open' (the server has accepted the upgrade and subscribed us). */
  protected open(): Promise<void> {
    const url = `${this.options.baseUrl.replace(/^http/, 'ws')}/ws${withQuery(afterQuery(this.options.after), this.options.query)}`;
    const ca = this.options.ca;
    const socket = new WebSocket(url, { perMessageDeflate: this.options.wsCompression === true, ...(ca === undefined ? {} : { ca }) });
    this.socket = socket;
    socket.on('message', this.onMessage);
    return new Promise<void>((resolve, reject) => {
      socket.once('open', () => {
        this.options.throttle?.attach(this.flow);
        resolve();
      });
      socket.on('error', (err) => {
        reject(err);
        this.fail(err);
      });
      socket.once('close', (code: number, reason: Buffer) => {
        const why = reason.length > 0 ? `: ${reason.toString()}` : '';
        const err = new Error(`server closed the WebSocket (code ${code})${why}`);
        reject(err);
        this.fail(err);
      });
    });
  }

  private readonly onMessage = (data: WebSocket.RawData): void => {
    const now = nowUs();
    try {
      this.deliverBytes(data as Buffer, now);
    } catch (err) {
      this.fail(err);
    }
    const throttle = this.options.throttle;
    if (throttle !== undefined) throttle.read((data as Buffer).length);
  };

  /** Stops and restarts reading the socket (WebSocket#pause stops reading from the kernel). */
  private readonly flow = {
    pause: (): void => this.socket?.pause(),
    resume: (): void => this.socket?.resume(),
  };

  /** Sends `{"data":...}` as one text frame (the same body as `POST /publish`); resolves once written. */
  async send(data: string): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) throw new Error('ws client: not connected');
    const frame = JSON.stringify({ data });
    await new Promise<void>((resolve, reject) => socket.send(frame, (err) => (err ? reject(err) : resolve())));
  }

  /** Close handshake (code 1000); an unfinished handshake is aborted. Resolves on the socket's 'close'. */
  protected async shutdown(): Promise<void> {
    this.options.throttle?.detach(this.flow);
    const socket = this.socket;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    else if (socket.readyState === WebSocket.OPEN) socket.close(1000);
    await closed;
  }
}

/** Builds a WebSocket client (per-message deflate only with `wsCompression`). */
export const createWsClient: ClientFactory = (options) => new WsClient(options);
