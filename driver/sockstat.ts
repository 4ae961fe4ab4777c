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

/**
 * Slab caches that hold a TCP socket's kernel objects: the socket itself (TCP), its inode (sock_inode_cache),
 * its file and dentry (filp, dentry), and the event loop's epoll registration (eventpoll_epi, eventpoll_pwq).
 * An idle socket's memory is here, not in sockstat's `mem`, which counts only queued buffer pages.
 */
export const SOCKET_SLAB_CACHES = ['TCP', 'sock_inode_cache', 'filp', 'dentry', 'eventpoll_epi', 'eventpoll_pwq'] as const;

/** Bytes in use in `caches` of a /proc/slabinfo text (active objects x object size); undefined when none is listed. */
export function parseSlabinfo(text: string, caches: readonly string[] = SOCKET_SLAB_CACHES): number | undefined {
  let bytes = 0;
  let found = 0;
  for (const line of text.split('\n')) {
    const [name, active, , size] = line.split(/\s+/);
    if (name === undefined || !caches.includes(name)) continue;
    bytes += Number(active) * Number(size);
    found++;
  }
  return found > 0 ? bytes : undefined;
}

/** Bytes in the socket slab caches now (system-wide); undefined when /proc/slabinfo is not readable (it needs root). */
export function readSocketSlab(): number | undefined {
  try {
    return parseSlabinfo(readFileSync('/proc/slabinfo', 'utf8'));
  } catch {
    return undefined;
  }
}
