// A precise alarm clock for the publisher. Node's timers fire on whole milliseconds (delays are truncated and
// the loop's clock is read in ms), so an event scheduled by setTimeout leaves 0.5–1 ms late on an idle machine.
// This alarm sleeps in a worker thread with Atomics.wait (sub-millisecond timeouts) and posts to the main thread
// when a target time is reached; the caller aims it a little early and covers the rest with a short spin.
import { Worker } from 'node:worker_threads';

const ALARM_SOURCE = `
const { parentPort } = require('node:worker_threads');
const now = () => { const t = process.hrtime(); return t[0] * 1e6 + t[1] / 1000; };
const cell = new Int32Array(new SharedArrayBuffer(4));
parentPort.on('message', ({ id, targetUs }) => {
  let wait = targetUs - now();
  while (wait > 0) { Atomics.wait(cell, 0, 0, wait / 1000); wait = targetUs - now(); }
  parentPort.postMessage(id);
});
`;

/** Wakes the main thread at (or a little after) a target time on the host's monotonic clock. */
export class Alarm {
  private readonly worker: Worker;
  private nextId = 1;
  private pending: { id: number; fire: () => void } | undefined;

  constructor() {
    this.worker = new Worker(ALARM_SOURCE, { eval: true });
    this.worker.on('message', (id: number) => {
      const p = this.pending;
      if (p === undefined || p.id !== id) return;
      this.pending = undefined;
      this.worker.unref();
      p.fire();
    });
    this.worker.on('error', () => undefined);
    this.worker.unref();
  }

  /** Calls `fire` once the host clock reaches `targetUs` (µs); replaces any alarm still pending. */
  set(targetUs: number, fire: () => void): void {
    const id = this.nextId++;
    this.pending = { id, fire };
    // A pending alarm keeps the process alive, like a timer; an idle alarm thread does not.
    this.worker.ref();
    this.worker.postMessage({ id, targetUs });
  }

  /** Drops the pending alarm. */
  cancel(): void {
    this.pending = undefined;
    this.worker.unref();
  }

  /** Stops the alarm thread. */
  close(): void {
    this.pending = undefined;
    void this.worker.terminate();
  }
}
