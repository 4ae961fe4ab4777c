// Monotonic clock in µs, the same clock the `ts` field and every client use (lib/clock.ts).
import { nowUs } from '../lib/clock.ts';

/** Microseconds of the host's monotonic clock (process.hrtime.bigint() / 1000), as a number. */
export const monotonicUs: () => number = nowUs;
