// A precise alarm clock for the server's scheduler. Node's timers fire on whole milliseconds (delays are truncated
// and the loop's clock is read in ms), so an event scheduled by setTimeout leaves 0.5–1 ms late on an idle
// machine. This alarm sleeps in a worker thread with Atomics.wait (sub-millisecond timeouts) and posts to the main
// thread when the target time is reached. The target lives in shared memory, so setting an earlier one wakes the
// sleeping thread at once (Atomics.notify) instead of waiting out the old target.
import { Worker } from 'node:worker_threads';

// Shared cells: [0] generation (Int32; changes on every set, cancel and stop), [1] stop flag; target µs at byte 8.
const ALARM_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const now = () => { const t = process.hrtime(); return t[0] * 1e6 + t[1] / 1000; };
const cells = new Int32Array(workerData, 0, 2);
const target = new Float64Array(workerData, 8, 1);
for (;;) {
  if (Atomics.load(cells, 1) === 1) break;
  const gen = Atomics.load(cells, 0);
  const at = target[0];
  if (!(at > 0)) { Atomics.wait(cells, 0, gen); continue; }
  const wait = at - now();
  if (wait > 0) { Atomics.wait(cells, 0, gen, wait / 1000); continue; }
  parentPort.postMessage(gen);
  // Fired: sleep until the next set (or stop) changes the generation.
  Atomics.wait(cells, 0, gen);
}
`;

/** Wakes the main thread at (or a little after) a target time on the host's monotonic clock. */
export class Alarm {
  private readonly worker: Worker;
  private readonly shared = new SharedArrayBuffer(16);
  private readonly cells = new Int32Array(this.shared, 0, 2);
  private readonly target = new Float64Array(this.shared, 8, 1);
  private pending: { gen: number; fire: () => void } | undefined;

  constructor() {
    this.worker = new Worker(ALARM_SOURCE, { eval: true, workerData: this.shared });
    this.worker.on('message', (gen: number) => {
      const p = this.pending;
      if (p === undefined || p.gen !== gen) return;
      this.pending = undefined;
      this.worker.unref();
      p.fire();
    });
    this.worker.on('error', () => undefined);
    this.worker.unref();
  }

  /** Calls `fire` once the host clock reaches `targetUs` (µs); replaces any alarm still pending. */
  set(targetUs: number, fire: () => void): void {
    this.target[0] = targetUs;
    const gen = this.bump();
    this.pending = { gen, fire };
    // A pending alarm keeps the process alive, like a timer; an idle alarm thread does not.
    this.worker.ref();
  }

  /** Drops the pending alarm. */
  cancel(): void {
    this.target[0] = 0;
    this.bump();
    this.pending = undefined;
    this.worker.unref();
  }

  /** Stops the alarm thread. */
  close(): void {
    this.pending = undefined;
    Atomics.store(this.cells, 1, 1);
    this.bump();
    void this.worker.terminate();
  }

  /** A new generation, and the sleeping thread woken to read it. */
  private bump(): number {
    const gen = Atomics.add(this.cells, 0, 1) + 1;
    Atomics.notify(this.cells, 0);
    return gen;
  }
}
