// What this machine allows one run: open files per process (every connection is one) and ephemeral ports (every
// client connection to one server address takes one). Read from /proc on Linux; elsewhere unknown, and not checked.
import { readFileSync } from 'node:fs';

/** What the limits of this machine are, where they could be read. */
export interface MachineLimits {
  /** Files one process may have open: the soft limit it runs under and the hard limit it could be raised to. */
  openFiles?: { soft: number; hard: number };
  /** The local ports the kernel gives outgoing connections (net.ipv4.ip_local_port_range), inclusive. */
  ephemeralPorts?: { low: number; high: number };
}

/**
 * Open files a process keeps for itself besides its connections: stdio, the IPC channel, the listening socket,
 * epoll and worker threads, /proc reads. An idle reference server holds 34; the rest is margin.
 */
export const FD_RESERVE = 100;

/** Parses the "Max open files" line of /proc/<pid>/limits; undefined when absent. */
export function parseOpenFilesLimit(limitsText: string): { soft: number; hard: number } | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limitsText);
  if (!m) return undefined;
  const value = (s: string | undefined): number => (s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
  const soft = value(m[1]);
  const hard = value(m[2]);
  return Number.isFinite(soft) && Number.isFinite(hard) ? { soft, hard } : undefined;
}

/** Parses net.ipv4.ip_local_port_range ("32768\t60999"); undefined when malformed. */
export function parsePortRange(text: string): { low: number; high: number } | undefined {
  const [low, high] = text.trim().split(/\s+/).map(Number);
  return low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high) && high >= low ? { low, high } : undefined;
}

function readOr<T>(path: string, parse: (text: string) => T | undefined): T | undefined {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

let cached: MachineLimits | undefined;

/** This machine's limits (read once per process). */
export function machineLimits(): MachineLimits {
  cached ??= {
    ...optional('openFiles', readOr('/proc/self/limits', parseOpenFilesLimit)),
    ...optional('ephemeralPorts', readOr('/proc/sys/net/ipv4/ip_local_port_range', parsePortRange)),
  };
  return cached;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * Connections one process can hold under `limits`: its open-file limit less FD_RESERVE (less half of it, under a
 * limit so low that FD_RESERVE would leave nothing); Infinity when unknown.
 */
export function connectionsPerProcess(limits: MachineLimits = machineLimits()): number {
  if (!limits.openFiles) return Infinity;
  const soft = limits.openFiles.soft;
  return Math.max(1, soft - Math.min(FD_RESERVE, Math.floor(soft / 2)));
}
