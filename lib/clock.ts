// The one clock of rtbench: integer microseconds of the host's monotonic clock, what `process.hrtime.bigint() /
// 1000n` reads. Servers stamp `ts` with it and clients stamp receive times with it, through this one function, so
// a latency (receive - ts) compares two readings of the same clock and never goes negative on one host.

/** Added to every reading of this process: 0, except in tests that give a process another host's clock. */
let skewUs = 0;

/** Microseconds of the host's monotonic clock, truncated (equal to Number(process.hrtime.bigint() / 1000n)). */
export function nowUs(): number {
  // process.hrtime() reads the same clock as hrtime.bigint() without allocating a BigInt (about 80 ns a call).
  const t = process.hrtime();
  return t[0] * 1_000_000 + Math.floor(t[1] / 1000) + skewUs;
}

/** Shifts this process's clock by `us` (tests only: it makes a client process read as if on another host). */
export function setClockSkewUs(us: number): void {
  skewUs = us;
}
