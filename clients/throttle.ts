// A client that reads slowly, or not at all (the slow-consumer scenario): after each read the client stops reading
// its connection for as long as the bytes read so far are ahead of the rate. A paused stream or socket no longer
// reads from the kernel, so its receive buffer fills, the server's send buffer fills, and the server queues.

/** How a client stops and restarts reading its connection. */
export interface Flow {
  pause(): void;
  resume(): void;
}

/**
 * Limits how fast a client reads, bytes/s. One throttle belongs to one subscriber and follows it across
 * reconnections (each new connection `attach`es its flow). The rate can change while the client runs:
 * Infinity reads freely (a paused client reads again at once), 0 stops reading at once.
 */
export class ReadThrottle {
  private rate = Infinity;
  /** When the bytes read so far are paid for at the rate, ms of performance.now(). */
  private paidUntilMs = 0;
  private flow: Flow | undefined;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;

  /** The current rate, bytes/s (Infinity: no limit). */
  get bytesPerSec(): number {
    return this.rate;
  }

  /** True while the throttle holds the client's reading. */
  get holding(): boolean {
    return this.paused;
  }

  /** The subscriber's current connection reads through `flow` (applied at once: a stopped client stays stopped). */
  attach(flow: Flow): void {
    this.flow = flow;
    this.paused = false;
    this.apply();
  }

  /** The connection of `flow` is closing: forget it (a newer connection's flow is kept). */
  detach(flow: Flow): void {
    if (this.flow !== flow) return;
    clearTimeout(this.timer);
    this.flow = undefined;
    this.paused = false;
  }

  /** Sets the rate, bytes/s, from now on (earlier reads are forgiven): Infinity lifts the limit, 0 stops reading. */
  setRate(bytesPerSec: number): void {
    if (!(bytesPerSec >= 0)) throw new RangeError(`read rate must be >= 0 bytes/s, got ${bytesPerSec}`);
    this.rate = bytesPerSec;
    this.paidUntilMs = performance.now();
    this.apply();
  }

  /** The client read `bytes`: pauses it while they are ahead of the rate. */
  read(bytes: number): void {
    if (this.rate === Infinity) return;
    this.paidUntilMs = Math.max(this.paidUntilMs, performance.now()) + (bytes * 1000) / this.rate;
    this.apply();
  }

  /** Pauses or resumes the flow as the rate and the bytes read demand; re-checks when a pause runs out. */
  private apply(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const flow = this.flow;
    if (flow === undefined) return;
    const waitMs = this.rate === 0 ? Infinity : this.rate === Infinity ? 0 : this.paidUntilMs - performance.now();
    if (waitMs <= 0) {
      if (this.paused) {
        this.paused = false;
        flow.resume();
      }
      return;
    }
    if (!this.paused) {
      this.paused = true;
      flow.pause();
    }
    if (Number.isFinite(waitMs)) this.timer = setTimeout(() => this.apply(), waitMs);
  }
}
