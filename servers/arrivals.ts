// Connections and requests a server accepts, counted per 100 ms bin of the host's monotonic clock (the faults
// scenario reads the reconnect storm from them). Recording one arrival costs a clock read and two array writes.
import { nowUs } from '../lib/clock.ts';

/** Width of one bin, µs. */
export const ARRIVAL_BIN_US = 100_000;
/** Bins kept: the last 60 s. */
const BINS = 600;

/** Arrivals per bin, counted (connections accepted, HTTP requests and WebSocket upgrades). */
export interface ArrivalCounts {
  /** Start of the first bin, µs. */
  fromUs: number;
  binUs: number;
  connections: number[];
  requests: number[];
}

/** The last minute of arrivals, per bin. */
export class ArrivalBins {
  private readonly ids = new Float64Array(BINS).fill(-1);
  private readonly connections = new Uint32Array(BINS);
  private readonly requests = new Uint32Array(BINS);

  /** A connection was accepted. */
  connection(): void {
    const slot = this.slot(Math.floor(nowUs() / ARRIVAL_BIN_US));
    this.connections[slot] = (this.connections[slot] as number) + 1;
  }

  /** A request (or WebSocket upgrade) arrived. */
  request(): void {
    const slot = this.slot(Math.floor(nowUs() / ARRIVAL_BIN_US));
    this.requests[slot] = (this.requests[slot] as number) + 1;
  }

  /** `count` bins from the one holding `fromUs` (bins older than a minute, or not yet begun, read 0). */
  read(fromUs: number, count: number): ArrivalCounts {
    const first = Math.floor(fromUs / ARRIVAL_BIN_US);
    const out: ArrivalCounts = { fromUs: first * ARRIVAL_BIN_US, binUs: ARRIVAL_BIN_US, connections: [], requests: [] };
    for (let bin = first; bin < first + Math.min(count, BINS); bin++) {
      const slot = bin % BINS;
      const here = this.ids[slot] === bin;
      out.connections.push(here ? (this.connections[slot] as number) : 0);
      out.requests.push(here ? (this.requests[slot] as number) : 0);
    }
    return out;
  }

  /** The slot of `bin`, cleared when it last held an older bin. */
  private slot(bin: number): number {
    const slot = bin % BINS;
    if (this.ids[slot] !== bin) {
      this.ids[slot] = bin;
      this.connections[slot] = 0;
      this.requests[slot] = 0;
    }
    return slot;
  }
}
