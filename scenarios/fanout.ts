// The fan-out scenario: N subscribers, R events/s broadcast to all, S-byte payloads, warm-up W, window D.
import { TRANSPORTS } from '../lib/transports.ts';
import type { FanoutOptions } from '../driver/result.ts';

/** Defaults of `rtbench compare`: all five transports in about a minute on a 2-core machine. */
export const DEFAULT_FANOUT: FanoutOptions = {
  scenario: 'fanout',
  transports: [...TRANSPORTS],
  clients: 100,
  rate: 100,
  payloadBytes: 100,
  warmupMs: 2000,
  durationMs: 8000,
  pollIntervalMs: 1000,
  longPollWaitMs: 30_000,
  workers: 1,
  wsCompression: false,
  drainMs: 5000,
  injectDelayMs: 0,
  injectCpuUs: 0,
};

/** Client processes needed so no process holds more than ~15 000 sockets (the open-file cap is 20 000). */
export function workersFor(clients: number, requested?: number): number {
  return Math.max(requested ?? 1, Math.ceil(clients / 15_000));
}
