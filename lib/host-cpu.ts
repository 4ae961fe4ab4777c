// Whole-host CPU from /proc/stat: how busy every core was over a window, steal included, so a run can tell a
// saturated host (or a noisy neighbour taking CPU from this virtual machine) from a saturated server or generator.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Cumulative CPU time of the whole host, in clock ticks, from the first line of /proc/stat. */
export interface HostCpuReading {
  busy: number;
  idle: number;
  steal: number;
  total: number;
}

/** The host's CPU over a window. */
export interface HostCpu {
  /** Cores the host has. */
  cores: number;
  /** Share of all cores' time spent busy (user, nice, system, irq, softirq, steal), percent. */
  busyPercent: number;
  /** Share of all cores' time the hypervisor gave to others (steal), percent. */
  stealPercent: number;
}

/** Reads /proc/stat now; undefined where it does not exist (not Linux). */
export function readHostCpu(text?: string): HostCpuReading | undefined {
  let stat = text;
  if (stat === undefined) {
    try {
      stat = readFileSync('/proc/stat', 'utf8');
    } catch {
      return undefined;
    }
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
  const line = stat.split('\n', 1)[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const idleAll = idle + iowait;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, idle: idleAll, steal, total: busy + idleAll };
}

/** The host's CPU between two readings (undefined when either is missing or no time passed). */
export function hostCpuBetween(a: HostCpuReading | undefined, b: HostCpuReading | undefined, cores = cpus().length): HostCpu | undefined {
  if (!a || !b) return undefined;
  const total = b.total - a.total;
  if (total <= 0) return undefined;
  const pct = (x: number): number => Math.round((x / total) * 1000) / 10;
  return { cores, busyPercent: pct(b.busy - a.busy), stealPercent: pct(b.steal - a.steal) };
}
