// An in-path TCP relay that delays each direction by half a round trip (plus or minus jitter) and never reorders a
// byte: a chunk leaves at max(the previous chunk's release, its arrival + delay + jitter sample). Release times
// are kept precisely (sub-millisecond) by the servers' Scheduler (an alarm thread, then a short spin), not Node's
// whole-millisecond timers. Backpressure holds: a direction stops reading its source while the bytes it holds and
// the destination's buffer pass HIGH_WATER_BYTES. A FIN is passed on (half-close) and a reset is passed on as a
// reset, each after the bytes before it. A new connection's first bytes count as sent one round trip after it
// connected, as a real link's handshake would have it. Sockets have Nagle off, so nothing waits to coalesce.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { nowUs } from '../lib/clock.ts';
import { HIGHEST_TRACKABLE_US, createHistogram } from '../lib/histogram.ts';
import { Scheduler } from '../servers/scheduler.ts';
import type { Upstream } from './path.ts';

/** Bytes one direction of a connection may hold (queued plus the destination's buffer) before it stops reading. */
export const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/** How a relay behaves. */
export interface RelayOptions {
  /** Where it forwards every connection. */
  upstream: Upstream;
  /** Round trip it adds, ms (each direction half). */
  rttMs: number;
  /** Up to this much more or less delay per direction and chunk, ms (uniform), never reordering. */
  jitterMs: number;
  /** Listen address and port (default 127.0.0.1, an ephemeral port). */
  host?: string;
  port?: number;
}

/** What a relay carried. */
export interface RelayStats {
  /** Bytes from the clients to the upstream, and back. */
  bytesUp: number;
  bytesDown: number;
  /** Connections accepted, and open now. */
  connectionsAccepted: number;
  connectionsOpen: number;
  /** Chunks released, and how late their release ran past its due time (median, p99, largest), µs. */
  chunks: number;
  releaseLateP50Us: number;
  releaseLateP99Us: number;
  maxReleaseLateUs: number;
}

type Item = { at: number; chunk: Buffer } | { at: number; chunk: 'end' | 'reset' };

/** One direction of one connection: what `src` sends reaches `dst` delayed, in order. */
class DelayedPipe {
  private readonly queue: Item[] = [];
  private head = 0;
  private queuedBytes = 0;
  private lastAt = 0;
  private cancel: (() => void) | undefined;
  private done = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly relay: Relay,
    private readonly up: boolean,
    /** Nothing counts as sent before this time, µs (the handshake). */
    private readonly notBeforeUs: number,
  ) {
    src.on('data', (chunk: Buffer) => {
      this.push(chunk);
      if (this.queuedBytes + dst.writableLength > HIGH_WATER_BYTES) src.pause();
    });
    src.on('end', () => this.push('end'));
    dst.on('drain', () => this.resumeIfRoom());
  }

  /** The source failed or was reset: the destination is reset after the bytes before it. */
  reset(): void {
    if (!this.done) this.push('reset');
  }

  /** Drops everything still queued (the connection is gone). */
  close(): void {
    this.done = true;
    this.cancel?.();
    this.cancel = undefined;
    this.queue.length = 0;
    this.head = 0;
  }

  private push(chunk: Buffer | 'end' | 'reset'): void {
    if (this.done) return;
    const arrival = Math.max(nowUs(), this.notBeforeUs);
    const at = Math.max(this.lastAt, arrival + this.relay.delaySampleUs());
    this.lastAt = at;
    this.queue.push({ at, chunk } as Item);
    if (typeof chunk !== 'string') this.queuedBytes += chunk.length;
    if (chunk !== 'end' && chunk !== 'reset' && this.queue.length - this.head > 1) return;
    this.arm();
  }

  /** Schedules the release of the queue's head, unless one is scheduled. */
  private arm(): void {
    if (this.cancel !== undefined) return;
    const first = this.queue[this.head];
    if (first === undefined) return;
    this.cancel = this.relay.scheduler.at(first.at, this.release);
  }

  /** Writes every chunk that is due, in order; ends or resets the destination when their turn comes. */
  private readonly release = (): void => {
    this.cancel = undefined;
    const now = nowUs();
    while (this.head < this.queue.length) {
      const item = this.queue[this.head] as Item;
      if (item.at > now) break;
      this.head++;
      this.relay.released(now - item.at);
      if (item.chunk === 'end') {
        this.done = true;
        this.dst.end();
      } else if (item.chunk === 'reset') {
        this.done = true;
        this.dst.resetAndDestroy();
      } else {
        this.queuedBytes -= item.chunk.length;
        this.relay.count(this.up, item.chunk.length);
        if (!this.dst.destroyed) this.dst.write(item.chunk);
      }
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.resumeIfRoom();
    if (!this.done) this.arm();
  };

  private resumeIfRoom(): void {
    if (this.src.isPaused() && this.queuedBytes + this.dst.writableLength <= HIGH_WATER_BYTES / 2) this.src.resume();
  }
}

/** A listening relay. */
export class Relay {
  /** Fires the releases of every connection. */
  readonly scheduler = new Scheduler();
  private readonly server: Server;
  private readonly halfUs: number;
  private readonly jitterUs: number;
  private readonly rttUs: number;
  private readonly sockets = new Set<Socket>();
  private readonly s = { bytesUp: 0, bytesDown: 0, connectionsAccepted: 0, chunks: 0 };
  private readonly late = createHistogram();

  constructor(private readonly o: RelayOptions) {
    this.rttUs = Math.round(o.rttMs * 1000);
    this.halfUs = this.rttUs / 2;
    this.jitterUs = Math.round(o.jitterMs * 1000);
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.accept(client));
  }

  /** Starts listening; resolves with the port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  }

  /** One direction's delay for the next chunk, µs: half the RTT plus a uniform jitter sample, never negative. */
  delaySampleUs(): number {
    if (this.jitterUs === 0) return this.halfUs;
    return Math.max(0, this.halfUs + (Math.random() * 2 - 1) * this.jitterUs);
  }

  /** Counts `bytes` released in one direction. */
  count(up: boolean, bytes: number): void {
    if (up) this.s.bytesUp += bytes;
    else this.s.bytesDown += bytes;
  }

  /** Counts one released chunk that left `lateUs` after its due time. */
  released(lateUs: number): void {
    this.s.chunks++;
    this.late.recordValue(Math.max(0, Math.min(lateUs, HIGHEST_TRACKABLE_US)));
  }

  /** What it carried so far. */
  stats(): RelayStats {
    const late = this.late;
    const any = late.totalCount > 0;
    return {
      ...this.s,
      connectionsOpen: this.sockets.size / 2,
      releaseLateP50Us: any ? late.getValueAtPercentile(50) : 0,
      releaseLateP99Us: any ? late.getValueAtPercentile(99) : 0,
      maxReleaseLateUs: any ? late.maxValue : 0,
    };
  }

  /** Stops listening and resets every connection. */
  close(): Promise<void> {
    for (const s of this.sockets) s.resetAndDestroy();
    this.scheduler.close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.s.connectionsAccepted++;
    const connectedUs = nowUs();
    const upstream = connect({ host: this.o.upstream.host, port: this.o.upstream.port, allowHalfOpen: true, noDelay: true });
    client.setNoDelay(true);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const up = new DelayedPipe(client, upstream, this, true, connectedUs + this.rttUs);
    const down = new DelayedPipe(upstream, client, this, false, 0);
    // A socket that fails (a reset, or the upstream refusing) resets its peer after the bytes before it.
    client.on('error', () => up.reset());
    upstream.on('error', () => down.reset());
    const closed = (s: Socket, pipe: DelayedPipe) => (): void => {
      this.sockets.delete(s);
      pipe.close();
    };
    // A destroyed socket's own queue (what it would have written) has nowhere to go.
    client.on('close', closed(client, down));
    upstream.on('close', closed(upstream, up));
  }
}
