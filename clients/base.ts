// The lifecycle every client shares: connect once, report the first later failure once, close idempotently.
import type { Transport } from '../lib/transports.ts';
import type { Client, ClientOptions, EventSink } from './client.ts';

/** One message on the wire: an event `{"seq","ts","data"}`, a gap notice `{"gap":true,...}`, or a cut notice `{"cut":true,"reason":...}`. */
export interface WireMessage {
  seq?: number;
  ts?: number;
  data?: string;
  gap?: boolean;
  cut?: boolean;
  reason?: string;
}

/** The reason of a cut notice's JSON (`{"cut":true,"reason":"..."}`), or the text itself when it is not one. */
export function cutReason(json: string): string {
  try {
    const r = (JSON.parse(json) as WireMessage).reason;
    return typeof r === 'string' ? r : json;
  } catch {
    return json;
  }
}

/** A poll answer: `{"events":[...],"next":S,"gap"?:true}`. */
export interface PollAnswer {
  events: WireMessage[];
  next: number;
  gap?: boolean;
}

/** Lifecycle of a client, in order; a client never goes back. */
export type ClientState = 'idle' | 'connecting' | 'open' | 'closed';

/** `?after=S` for a cursor, or '' to start at the newest event. */
export function afterQuery(after: number | undefined): string {
  return after === undefined ? '' : `?after=${after}`;
}

/** A query string (`?a=1` or '') with `extra` parameters ("b=2&c=3") appended. */
export function withQuery(query: string, extra: string | undefined): string {
  if (extra === undefined || extra === '') return query;
  return query === '' ? `?${extra}` : `${query}&${extra}`;
}

/** Shared part of every client: subclasses provide `open()`, `shutdown()` and `send()`. */
export abstract class BaseClient implements Client {
  abstract readonly transport: Transport;
  /** Highest seq received so far (0 before any). */
  lastSeq = 0;
  /** Where the current state of the lifecycle is. */
  protected state: ClientState = 'idle';
  protected readonly sink: EventSink;
  /** True when the sink wants each event's data: every event is then parsed (no fast path). */
  protected readonly wantsData: boolean;
  private pendingError: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(protected readonly options: ClientOptions) {
    this.sink = options.sink;
    this.wantsData = typeof options.sink.data === 'function';
  }

  /** Opens the subscription; resolves once subscribed (what that means is transport specific). */
  protected abstract open(): Promise<void>;
  /** Releases every socket and timer; resolves when the sockets are closed. Called once; must not reject. */
  protected abstract shutdown(): Promise<void>;
  abstract send(data: string): Promise<void>;

  async connect(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`${this.transport} client: connect() called twice`);
    this.state = 'connecting';
    try {
      await this.open();
      const pending = this.pendingError;
      if (pending !== undefined) throw pending;
      if ((this.state as ClientState) === 'closed') throw new Error(`${this.transport} client closed while connecting`);
    } catch (err) {
      await this.close();
      throw err;
    }
    this.state = 'open';
  }

  close(): Promise<void> {
    if (this.closing === undefined) {
      this.state = 'closed';
      this.closing = this.shutdown().catch(() => undefined);
    }
    return this.closing;
  }

  /**
   * The connection failed: while connecting the error fails connect(); once open it goes to
   * `options.onError` (once) and the client stops. Ignored after close().
   */
  protected fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.state === 'connecting') {
      this.pendingError ??= error;
    } else if (this.state === 'open') {
      void this.close();
      this.options.onError?.(error);
    }
  }

  /**
   * Delivers the event JSON in `text[start..end)`. The hot path reads `{"seq":N,"ts":T,` (the reference
   * servers' field order) digit by digit without allocating; any other shape (a gap notice, another server's
   * field order) goes through JSON.parse.
   */
  protected deliverText(text: string, now: number, start = 0, end = text.length): void {
    if (!this.wantsData && text.startsWith('{"seq":', start)) {
      let i = start + 7;
      let seq = 0;
      let c = text.charCodeAt(i);
      while (c >= 48 && c <= 57) {
        seq = seq * 10 + (c - 48);
        c = text.charCodeAt(++i);
      }
      if (c === 44 && i > start + 7 && text.startsWith('"ts":', i + 1)) {
        i += 6;
        const tsStart = i;
        let ts = 0;
        c = text.charCodeAt(i);
        while (c >= 48 && c <= 57) {
          ts = ts * 10 + (c - 48);
          c = text.charCodeAt(++i);
        }
        if (i > tsStart && (c === 44 || c === 125)) {
          if (seq > this.lastSeq) this.lastSeq = seq;
          this.sink.event(seq, ts, now);
          return;
        }
      }
    }
    this.deliver(JSON.parse(start === 0 && end === text.length ? text : text.slice(start, end)) as WireMessage, now);
  }

  /** The same fast path over bytes (a WebSocket frame), without decoding them to a string first. */
  protected deliverBytes(buf: Buffer, now: number): void {
    // {"seq":
    if (!this.wantsData && buf.length > 7 && buf[0] === 123 && buf[1] === 34 && buf[2] === 115 && buf[3] === 101 && buf[4] === 113 && buf[5] === 34 && buf[6] === 58) {
      let i = 7;
      let seq = 0;
      let c = buf[i] ?? 0;
      while (c >= 48 && c <= 57) {
        seq = seq * 10 + (c - 48);
        c = buf[++i] ?? 0;
      }
      // ,"ts":
      if (c === 44 && i > 7 && buf[i + 1] === 34 && buf[i + 2] === 116 && buf[i + 3] === 115 && buf[i + 4] === 34 && buf[i + 5] === 58) {
        i += 6;
        const tsStart = i;
        let ts = 0;
        c = buf[i] ?? 0;
        while (c >= 48 && c <= 57) {
          ts = ts * 10 + (c - 48);
          c = buf[++i] ?? 0;
        }
        if (i > tsStart && (c === 44 || c === 125)) {
          if (seq > this.lastSeq) this.lastSeq = seq;
          this.sink.event(seq, ts, now);
          return;
        }
      }
    }
    this.deliver(JSON.parse(buf.toString()) as WireMessage, now);
  }

  /** Hands one parsed wire message to the sink, stamped with the receive time `nowUs` (µs). */
  protected deliver(msg: WireMessage, nowUs: number): void {
    const seq = msg.seq;
    if (typeof seq === 'number') {
      if (seq > this.lastSeq) this.lastSeq = seq;
      this.sink.event(seq, msg.ts as number, nowUs);
      if (this.wantsData) this.sink.data?.(seq, msg.data ?? '', nowUs);
    } else if (msg.gap === true) {
      this.sink.gap();
    } else if (msg.cut === true) {
      // The server cut this subscriber as a slow consumer; the stream ends next.
      throw new Error(`the server cut this subscriber: ${msg.reason ?? 'no reason given'}`);
    } else {
      throw new Error(`${this.transport} client: malformed message (no seq, no gap)`);
    }
  }
}
