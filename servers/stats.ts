// Server-side counters: connections, requests, bytes on the wire, memory, CPU, event-loop delay.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { LoopDelay } from '../lib/loop-delay.ts';
import { nowUs } from '../lib/clock.ts';
import { encodeHistogram } from '../lib/histogram.ts';
import { PublisherStats } from './publisher.ts';

/** The JSON that `GET /stats` and the driver's IPC stats request return. */
export interface StatsSnapshot {
  transport: string;
  pid: number;
  uptimeMs: number;
  connectionsOpen: number;
  connectionsAccepted: number;
  connectionsClosed: number;
  /** HTTP requests received, a WebSocket upgrade counting as one. */
  requests: number;
  /** Subscribers currently attached (streams, sockets, held long polls). */
  subscribers: number;
  eventsPublished: number;
  lastSeq: number;
  /** Event deliveries made: one event to one subscriber, in a frame, chunk or poll answer. */
  deliveries: number;
  /** Streaming subscribers cut as slow consumers (their queue passed the bound), since start. */
  slowConsumersCut: number;
  /** Connections closed at once because the server held its most (its open-file limit), since start. */
  connectionsRefused: number;
  /**
   * TLS servers: the protocol and cipher of the last TLS handshake, and the connections accepted per ALPN protocol
   * ("h2", "http/1.1", or "none" when the client offered none).
   */
  tls?: { protocol: string; cipher: string; alpn: Record<string, number> };
  /** Bytes written to / read from every TCP socket, including closed ones (over TLS: the encrypted bytes, records and handshakes included). */
  bytesWritten: number;
  bytesRead: number;
  rssBytes: number;
  /** Highest RSS seen (sampled every 100 ms) since start or the last reset. */
  peakRssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Event-loop delay since start or the last reset, µs. */
  eventLoopDelayUs: { p50: number; p99: number; max: number };
  /** When the snapshot was taken, µs of the host's monotonic clock. */
  atUs: number;
  /** The publisher since start or the last reset. */
  publisher: {
    /** Lateness of the events published (hand-over to the transports minus due time), µs. */
    latenessUs: { count: number; p50: number; p99: number; max: number };
    /** The lateness histogram, compressed base64 (only when asked for). */
    latenessHistogram?: string;
    /** Main-thread CPU the publisher spent spinning before due times, µs (already in cpuUserUs + cpuSystemUs). */
    spinUs: number;
    /** The same since the server started (not reset), µs. */
    spinTotalUs: number;
    /** Publish ticks. */
    ticks: number;
  };
}

/** Counts what a server's sockets do. */
export class ServerStats {
  requests = 0;
  /** Connections refused for want of open files (see StatsSnapshot). */
  connectionsRefused = 0;
  private accepted = 0;
  private closed = 0;
  private closedBytesWritten = 0;
  private closedBytesRead = 0;
  private readonly open = new Set<Socket>();
  private tls: StatsSnapshot['tls'];
  /** Sockets that carried a control request (rtbench's own /stats, /publisher, ... traffic): counted nowhere. */
  private readonly control = new WeakSet<Socket>();
  /** Connections that carried a request of the transport's. */
  private readonly transportCarrying = new WeakSet<Socket>();
  /** The ALPN protocol each TLS connection's TCP socket negotiated. */
  private readonly alpnOf = new WeakMap<Socket, string>();
  private lastMemory = process.memoryUsage();
  private peakRss = this.lastMemory.rss;
  private readonly eld = new LoopDelay();
  /** What the publisher measures of itself; reset with the other windows. */
  readonly publisher = new PublisherStats();
  private readonly sampler: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(
    private readonly transport: string,
    private readonly live: () => { subscribers: number; lastSeq: number; deliveries: number; slowConsumersCut: number },
  ) {
    this.sampler = setInterval(() => {
      const { rss } = this.memory();
      if (rss > this.peakRss) this.peakRss = rss;
    }, 100).unref();
  }

  /**
   * process.memoryUsage(), or the last reading when it fails: it opens /proc/self/stat, which fails with EMFILE
   * while every file the process may open is taken, and the stats must not take the server down then.
   */
  private memory(): NodeJS.MemoryUsage {
    try {
      this.lastMemory = process.memoryUsage();
    } catch {
      // keep the last reading
    }
    return this.lastMemory;
  }

  /**
   * Starts counting the sockets of `server`. 'connection' hands over the TCP socket also on a TLS server, so the
   * bytes counted are those on the wire: a TLS socket's own counters would count the plaintext.
   */
  track(server: Server): void {
    server.on('secureConnection', (socket: TLSSocket) => {
      const alpn = socket.alpnProtocol === false || socket.alpnProtocol === null ? 'none' : socket.alpnProtocol;
      this.tls ??= { protocol: '', cipher: '', alpn: {} };
      this.tls.protocol = socket.getProtocol() ?? '';
      this.tls.cipher = socket.getCipher().standardName;
      this.tls.alpn[alpn] = (this.tls.alpn[alpn] ?? 0) + 1;
      this.alpnOf.set(rawOf(socket), alpn);
    });
    server.on('connection', (socket: Socket) => {
      this.accepted++;
      this.open.add(socket);
      socket.once('close', () => {
        if (this.control.has(socket)) return;
        this.closed++;
        this.closedBytesWritten += socket.bytesWritten;
        this.closedBytesRead += socket.bytesRead;
        this.open.delete(socket);
      });
    });
  }

  /** The open sockets, oldest first. */
  sockets(): Socket[] {
    return [...this.open];
  }

  /**
   * Leaves `socket` out of every count (connections, bytes) from its accept on: it carries rtbench's control
   * requests, which are not the transport's traffic.
   */
  controlSocket(socket: Socket): void {
    // Over TLS the request's socket wraps the TCP socket that is counted.
    const raw = rawOf(socket);
    // A connection that already carried the transport's requests stays counted (a proxy's pooled connection
    // carries both: rtbench's probe and the clients' polls).
    if (this.transportCarrying.has(raw) || this.control.has(raw) || !this.open.delete(raw)) return;
    this.control.add(raw);
    this.accepted--;
    const alpn = this.alpnOf.get(raw);
    const count = alpn === undefined ? undefined : this.tls?.alpn[alpn];
    if (alpn !== undefined && count !== undefined && this.tls) {
      if (count > 1) this.tls.alpn[alpn] = count - 1;
      else delete this.tls.alpn[alpn];
    }
  }

  /**
   * `socket` carried a request of the transport's: it is counted from now on, also when it carried rtbench's
   * control requests before (a proxy reuses its pooled connections for both; the few control bytes it carried
   * before are then counted with it).
   */
  transportSocket(socket: Socket): void {
    const raw = rawOf(socket);
    if (this.transportCarrying.has(raw)) return;
    this.transportCarrying.add(raw);
    if (!this.control.has(raw)) return;
    this.control.delete(raw);
    if (raw.destroyed) return;
    this.open.add(raw);
    this.accepted++;
    const alpn = this.alpnOf.get(raw);
    if (alpn !== undefined && this.tls) this.tls.alpn[alpn] = (this.tls.alpn[alpn] ?? 0) + 1;
  }

  /** A snapshot; `reset` then restarts the peak-RSS, event-loop-delay and publisher windows; `histograms` adds the encoded lateness histogram. */
  snapshot(reset = false, histograms = false): StatsSnapshot {
    let bytesWritten = this.closedBytesWritten;
    let bytesRead = this.closedBytesRead;
    for (const socket of this.open) {
      bytesWritten += socket.bytesWritten;
      bytesRead += socket.bytesRead;
    }
    const mem = this.memory();
    if (mem.rss > this.peakRss) this.peakRss = mem.rss;
    const cpu = process.cpuUsage();
    const { subscribers, lastSeq, deliveries, slowConsumersCut } = this.live();
    const snap: StatsSnapshot = {
      transport: this.transport,
      pid: process.pid,
      uptimeMs: Date.now() - this.started,
      connectionsOpen: this.open.size,
      connectionsAccepted: this.accepted,
      connectionsClosed: this.closed,
      requests: this.requests,
      subscribers,
      eventsPublished: lastSeq,
      lastSeq,
      deliveries,
      slowConsumersCut,
      connectionsRefused: this.connectionsRefused,
      ...(this.tls === undefined ? {} : { tls: { ...this.tls, alpn: { ...this.tls.alpn } } }),
      bytesWritten,
      bytesRead,
      rssBytes: mem.rss,
      peakRssBytes: this.peakRss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      eventLoopDelayUs: {
        p50: this.eld.percentileUs(50),
        p99: this.eld.percentileUs(99),
        max: this.eld.maxUs(),
      },
      atUs: nowUs(),
      publisher: {
        latenessUs: latenessSummary(this.publisher),
        ...(histograms ? { latenessHistogram: encodeHistogram(this.publisher.lateness) } : {}),
        spinUs: Math.round(this.publisher.spinUs),
        spinTotalUs: Math.round(this.publisher.spinTotalUs),
        ticks: this.publisher.ticks,
      },
    };
    if (reset) {
      this.eld.reset();
      // A publisher window set by the driver keeps counting its own events; otherwise the publisher restarts too.
      if (this.publisher.windowStartUs === -Infinity) this.publisher.reset();
      this.peakRss = mem.rss;
    }
    return snap;
  }

  /** Stops the samplers. */
  close(): void {
    clearInterval(this.sampler);
    this.eld.close();
  }
}

function latenessSummary(p: PublisherStats): { count: number; p50: number; p99: number; max: number } {
  const h = p.lateness;
  if (h.totalCount === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  return { count: h.totalCount, p50: h.getValueAtPercentile(50), p99: h.getValueAtPercentile(99), max: h.maxValue };
}

/** The TCP socket under `socket`: a TLS socket keeps it as `_parent` (a plain one is its own). */
function rawOf(socket: Socket): Socket {
  return (socket as Socket & { _parent?: Socket | null })._parent ?? socket;
}
