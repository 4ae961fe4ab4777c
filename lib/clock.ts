// The one clock of rtbench: integer microseconds of the host's monotonic clock, what `process.hrtime.bigint() /
// 1000n` reads. Servers stamp `ts` with it and clients stamp receive times with it, through this one function, so
// a latency (receive - ts) compares two readings of the same clock and never goes negative on one host.

/** Microseconds of the host's monotonic clock, truncated (equal to Number(process.hrtime.bigint() / 1000n)). */
export function nowUs(): number {
  // process.hrtime() reads the same clock as hrtime.bigint() without allocating a BigInt (about 80 ns a call).
  const t = process.hrtime();
  return t[0] * 1_000_000 + Math.floor(t[1] / 1000);
}
