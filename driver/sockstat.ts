// Kernel socket figures from /proc/net/sockstat (Linux): TCP sockets in use and TCP buffer memory.
// They are system-wide: a measurement takes the difference between two readings.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** One reading of the TCP line of /proc/net/sockstat. */
export interface SockStat {
  /** TCP sockets in use (every state but TIME_WAIT), system-wide. */
  tcpInUse: number;
  /** Pages the kernel has allocated to TCP socket buffers, system-wide. */
  tcpMemPages: number;
  /** tcpMemPages x the page size, bytes. */
  tcpMemBytes: number;
}

/** The kernel's page size, bytes (`getconf PAGESIZE`; 4096 when that is unavailable). */
export const PAGE_SIZE_BYTES: number = (() => {
  try {
    const n = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(n) && n > 0 ? n : 4096;
  } catch {
    return 4096;
  }
})();

/** Parses the text of /proc/net/sockstat; undefined when it has no `TCP: ... inuse N ... mem M` line. */
export function parseSockstat(text: string, pageSizeBytes = PAGE_SIZE_BYTES): SockStat | undefined {
  const line = /^TCP:(.*)$/m.exec(text)?.[1];
  if (line === undefined) return undefined;
  const inuse = /\binuse (\d+)/.exec(line)?.[1];
  const mem = /\bmem (\d+)/.exec(line)?.[1];
  if (inuse === undefined || mem === undefined) return undefined;
  return { tcpInUse: Number(inuse), tcpMemPages: Number(mem), tcpMemBytes: Number(mem) * pageSizeBytes };
}

/** Reads /proc/net/sockstat now; undefined off Linux. */
export function readSockstat(): SockStat | undefined {
  try {
    return parseSockstat(readFileSync('/proc/net/sockstat', 'utf8'));
  } catch {
    return undefined;
  }
}
