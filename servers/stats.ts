// Server-side counters: connections, requests, bytes on the wire, memory, CPU, event-loop delay.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { LoopDelay } from '../lib/loop-delay.ts';

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
  /** Bytes written to / read from every socket, including closed ones. */
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
}

/** Counts what a server's sockets do. */
export class ServerStats {
  requests = 0;
  private accepted = 0;
  private closed = 0;
  private closedBytesWritten = 0;
  private closedBytesRead = 0;
  private readonly open = new Set<Socket>();
  private peakRss = process.memoryUsage.rss();
  private readonly eld = new LoopDelay();
  private readonly sampler: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(
    private readonly transport: string,
    private readonly live: () => { subscribers: number; lastSeq: number; deliveries: number },
  ) {
    this.sampler = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > this.peakRss) this.peakRss = rss;
    }, 100).unref();
  }

  /** Starts counting the sockets of `server`. */
  track(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.accepted++;
      this.open.add(socket);
      socket.once('close', () => {
        this.closed++;
        this.closedBytesWritten += socket.bytesWritten;
        this.closedBytesRead += socket.bytesRead;
        this.open.delete(socket);
      });
    });
  }

  /** A snapshot; `reset` then restarts the peak-RSS and event-loop-delay windows. */
  snapshot(reset = false): StatsSnapshot {
    let bytesWritten = this.closedBytesWritten;
    let bytesRead = this.closedBytesRead;
    for (const socket of this.open) {
      bytesWritten += socket.bytesWritten;
      bytesRead += socket.bytesRead;
    }
    const mem = process.memoryUsage();
    if (mem.rss > this.peakRss) this.peakRss = mem.rss;
    const cpu = process.cpuUsage();
    const { subscribers, lastSeq, deliveries } = this.live();
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
    };
    if (reset) {
      this.eld.reset();
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
