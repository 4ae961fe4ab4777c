// Monotonic clock in µs, the same clock the `ts` field and every client use.

/** Microseconds of the host's monotonic clock (process.hrtime.bigint() / 1000), as a number. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
