// What the lean HTTP streaming clients (SSE, NDJSON) share: one long-lived GET over node:http (node:https with the
// run's CA over TLS) on the client's own agent (no pool shared with other clients, no timeouts), its body handed
// over chunk by chunk with one receive time per chunk, and `send()` as `POST /publish` on a second keep-alive
// connection of the same agent. Over HTTP/2 the client opens its own session (one TCP connection) with node:http2:
// the GET is one stream of it and each `send()` another.
import { Agent, request as httpRequest, type ClientRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as http2Connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { BaseClient } from './base.ts';
import { nowUs } from './client.ts';

/** Most characters of an error answer's body quoted in an error message. */
const QUOTED_CHARS = 200;

/**
 * The first QUOTED_CHARS characters of a body, once they (or its end) arrived. The rest is still read, so a
 * keep-alive socket is freed, and an endless body cannot hold the caller up.
 */
function readQuoted(res: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (s: string) => {
      if (text.length >= QUOTED_CHARS) return;
      text += s.slice(0, QUOTED_CHARS - text.length);
      if (text.length >= QUOTED_CHARS) resolve(text);
    });
    res.once('end', () => resolve(text));
    res.once('close', () => resolve(text));
  });
}

/** A client whose events arrive on the body of one GET: subclasses say what to ask for and parse the chunks. */
export abstract class HttpStreamClient extends BaseClient {
  /** Receive time of the chunk being parsed, µs: taken once per chunk, as it arrives. */
  protected chunkNowUs = 0;
  /** This client's own connections: the stream, and `send()` on a second one. No timeouts. */
  private readonly secure = this.options.baseUrl.startsWith('https:');
  private readonly agent = this.secure ? new HttpsAgent({ keepAlive: true, ...(this.options.ca === undefined ? {} : { ca: this.options.ca }) }) : new Agent({ keepAlive: true });
  private readonly request = this.secure ? httpsRequest : httpRequest;
  /** Every socket this client's requests were given (the agent reuses one for several sends). */
  private readonly sockets = new Set<Socket>();
  private stream: ClientRequest | undefined;
  private response: Readable | undefined;
  /** HTTP/2: this client's own session, and the stream of its GET. */
  private session: ClientHttp2Session | undefined;
  private h2stream: ClientHttp2Stream | undefined;

  /** The stream's path with its query ("/sse?after=3") and the request's headers. */
  protected abstract target(): { path: string; headers: Record<string, string> };
  /** What the answer's content-type must start with (undefined: anything). */
  protected abstract readonly contentType: string | undefined;
  /** Parses one chunk of the body; its receive time is in `chunkNowUs`. */
  protected abstract onChunk(chunk: Buffer): void;
  /** The body ended or broke off: drop what an unfinished line or event left. */
  protected abstract onEnd(): void;

  /** Resolves once a 200 answer (of `contentType`) arrived; any other answer rejects with a sentence quoting it. */
  protected open(): Promise<void> {
    if (this.options.http2 === true) return this.openHttp2();
    const { path, headers } = this.target();
    return new Promise<void>((resolve, reject) => {
      const req = this.request(`${this.options.baseUrl}${path}`, { agent: this.agent, headers } as RequestOptions, (res) => {
        const type = res.headers['content-type'] ?? '';
        if (res.statusCode !== 200 || (this.contentType !== undefined && !type.startsWith(this.contentType))) {
          const what = res.statusCode !== 200 ? String(res.statusCode) : `200 with content-type "${type}", expected ${this.contentType}`;
          void readQuoted(res).then((body) => reject(new Error(`GET ${path} answered ${what}${body === '' ? '' : `: ${body}`}`)));
          return;
        }
        this.body(res);
        resolve();
      });
      this.stream = req;
      this.track(req);
      req.on('error', (err) => {
        reject(err);
        this.fail(err);
      });
      req.end();
    });
  }

  /** The body of a 200 answer: read chunk by chunk until it ends, breaks off or closes. */
  private body(res: Readable): void {
    res.on('data', this.onData);
    res.once('end', () => this.ended(new Error(`the server ended the ${this.transport} stream`)));
    res.on('error', (err) => this.ended(new Error(`the ${this.transport} stream broke off: ${err.message}`)));
    res.once('close', () => this.ended(new Error(`the ${this.transport} stream was closed`)));
    this.response = res;
    this.options.throttle?.attach(this.flow);
  }

  /** The same over HTTP/2: this client's own session, its GET one stream of it. */
  private openHttp2(): Promise<void> {
    const { path, headers } = this.target();
    const session = this.http2Session();
    return new Promise<void>((resolve, reject) => {
      const stream = session.request({ ':path': path, ...headers });
      this.h2stream = stream;
      stream.once('response', (head: IncomingHttpHeaders) => {
        const status = Number(head[':status']);
        const type = head['content-type'] ?? '';
        if (status !== 200 || (this.contentType !== undefined && !type.startsWith(this.contentType))) {
          const what = status !== 200 ? String(status) : `200 with content-type "${type}", expected ${this.contentType}`;
          void readQuoted(stream).then((body) => reject(new Error(`GET ${path} answered ${what}${body === '' ? '' : `: ${body}`}`)));
          return;
        }
        this.body(stream);
        resolve();
      });
      stream.on('error', (err) => {
        reject(err);
        this.fail(err);
      });
      stream.end();
    });
  }

  /** This client's HTTP/2 session, opened on first use; a session error fails the client. */
  private http2Session(): ClientHttp2Session {
    if (this.session !== undefined) return this.session;
    const session = http2Connect(this.options.baseUrl, this.options.ca === undefined ? {} : { ca: this.options.ca });
    session.on('error', (err) => this.fail(err));
    this.session = session;
    return session;
  }

  private readonly onData = (chunk: Buffer): void => {
    this.chunkNowUs = nowUs();
    this.onChunk(chunk);
    const throttle = this.options.throttle;
    if (throttle !== undefined) throttle.read(chunk.length);
  };

  /** Stops and restarts reading the body (a paused response stops reading its socket once its buffer is full). */
  private readonly flow = {
    pause: (): void => void this.response?.pause(),
    resume: (): void => void this.response?.resume(),
  };

  /** The body is over: once open, the first cause goes to `onError` (fail() ignores the rest, and any after close()). */
  private ended(err: Error): void {
    this.onEnd();
    this.fail(err);
  }

  /** `POST /publish {"data":...}` on this client's agent; rejects unless the server answers 200. */
  send(data: string): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new Error(`${this.transport} client: closed`));
    const body = JSON.stringify({ data });
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    if (this.options.http2 === true) return this.sendHttp2(body, headers);
    return new Promise<void>((resolve, reject) => {
      const req = this.request(`${this.options.baseUrl}/publish`, { method: 'POST', agent: this.agent, headers } as RequestOptions, (res) => {
        void readQuoted(res).then((text) => (res.statusCode === 200 ? resolve() : reject(new Error(`POST /publish answered ${res.statusCode}: ${text}`))));
      });
      this.track(req);
      req.on('error', reject);
      req.end(body);
    });
  }

  /** `POST /publish` as one more stream of this client's HTTP/2 session. */
  private sendHttp2(body: string, headers: Record<string, string>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const stream = this.http2Session().request({ ':method': 'POST', ':path': '/publish', ...headers });
      stream.once('response', (head: IncomingHttpHeaders) => {
        const status = Number(head[':status']);
        void readQuoted(stream).then((text) => (status === 200 ? resolve() : reject(new Error(`POST /publish answered ${status}: ${text}`))));
      });
      stream.on('error', reject);
      stream.end(body);
    });
  }

  private track(req: ClientRequest): void {
    req.once('socket', (socket: Socket) => {
      if (this.sockets.has(socket)) return;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Destroys the stream and every socket of the agent (also one not yet handed to its request); resolves once all are closed. */
  protected async shutdown(): Promise<void> {
    this.options.throttle?.detach(this.flow);
    this.stream?.destroy();
    const session = this.session;
    if (session !== undefined) {
      this.h2stream?.destroy();
      const closed = session.destroyed ? undefined : new Promise<void>((resolve) => session.once('close', () => resolve()));
      session.destroy();
      await closed;
    }
    const sockets = new Set(this.sockets);
    for (const pool of [this.agent.sockets, this.agent.freeSockets]) {
      for (const list of Object.values(pool)) for (const socket of list ?? []) sockets.add(socket as Socket);
    }
    this.agent.destroy();
    await Promise.all(
      [...sockets].map((socket) => {
        socket.destroy();
        return socket.closed ? undefined : new Promise<void>((resolve) => socket.once('close', () => resolve()));
      }),
    );
  }
}
