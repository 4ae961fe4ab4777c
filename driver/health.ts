// Was the run bound by the thing measured, or by the instrument? The load generator is saturated when a client
// process ran out of CPU or its event loop was late by a share of the latency it reports (its timestamps, not the
// transport, then make the tail); the host is saturated when every core was busy (steal included). A server at
// its limit is a valid finding and is said so. Every threshold is a named constant, every verdict a sentence.
import type { Bound, DriverHealth, HostFigures, LatencySummaryUs, LoopDelayFigures } from '../lib/result.ts';
import type { ProcessFigures } from './client-pool.ts';

/** A client process using this share of one core over the window is saturated, percent. */
export const SATURATION_CPU_PERCENT = 90;
/** A client process whose event-loop delay p99 reaches this share of the reported latency p99 is saturated, percent. */
export const GENERATOR_ELD_SHARE_PERCENT = 25;
/** ...but never below this, µs: below it the probe's own jitter would decide. */
export const GENERATOR_ELD_FLOOR_US = 1000;
/** The host is saturated when its cores were busy this share of the window, percent (steal included). */
export const HOST_BUSY_PERCENT = 95;
/** The host is saturated when the hypervisor took this share of its cores' time, percent. */
export const HOST_STEAL_PERCENT = 10;
/** A server using this share of one core is the run's bottleneck, percent (valid: that is what is measured). */
export const SERVER_BOUND_CPU_PERCENT = 90;

/** What the health judgement reads. */
export interface HealthInputs {
  /** The latency the run reports (of the events scheduled in the window). */
  latency: LatencySummaryUs;
  processes: ProcessFigures[];
  /** Event-loop delay of every client process, merged, and its encoded histogram. */
  eventLoopDelay: LoopDelayFigures;
  eventLoopDelayHistogram?: string;
  /** Client CPU over the window, µs, and deliveries received in the window. */
  clientCpuUs: number;
  windowDeliveries: number;
  host?: HostFigures;
  /** The server's CPU over the window, percent of one core (publisher spin excluded). */
  serverCpuPercent?: number;
}

/** The event-loop delay p99 at or above which a client process makes the run generator-bound, µs. */
export function eldLimitUs(latencyP99Us: number): number {
  return Math.max(GENERATOR_ELD_FLOOR_US, (latencyP99Us * GENERATOR_ELD_SHARE_PERCENT) / 100);
}

/** Judges the run: generator-bound, host-bound, server-bound or none, with a sentence per finding. */
export function judgeHealth(i: HealthInputs): DriverHealth {
  const reasons: string[] = [];
  const maxCpu = Math.max(0, ...i.processes.map((p) => p.cpuPercent));
  const maxEld = Math.max(0, ...i.processes.map((p) => p.eventLoopDelay.p99Us));
  const limit = eldLimitUs(i.latency.p99Us);
  let generator = false;
  if (maxCpu >= SATURATION_CPU_PERCENT) {
    generator = true;
    reasons.push(`a client process used ${maxCpu.toFixed(0)}% of a core over the window (limit ${SATURATION_CPU_PERCENT}%)`);
  }
  if (i.processes.length > 0 && maxEld >= limit) {
    generator = true;
    // below the floor the share would be under a timer's jitter: say which of the two set the limit
    const share = `${GENERATOR_ELD_SHARE_PERCENT}% or more of the ${ms(i.latency.p99Us)} ms latency p99 it reports (limit ${ms(limit)} ms)`;
    const floor = `at least the limit's floor of ${ms(limit)} ms (${GENERATOR_ELD_SHARE_PERCENT}% of the ${ms(i.latency.p99Us)} ms latency p99 it reports would be less)`;
    reasons.push(`a client process's event loop was late by ${ms(maxEld)} ms at p99, ${limit > (i.latency.p99Us * GENERATOR_ELD_SHARE_PERCENT) / 100 ? floor : share}: its own delay, not the transport's, shapes the tail`);
  }
  let hostBound = false;
  if (i.host && i.host.busyPercent >= HOST_BUSY_PERCENT) {
    hostBound = true;
    const server = i.serverCpuPercent === undefined ? '' : `the server used ${i.serverCpuPercent.toFixed(0)}% of a core, `;
    reasons.push(`the host's ${i.host.cores} cores were ${i.host.busyPercent.toFixed(0)}% busy over the window (${server}the clients ${maxCpu.toFixed(0)}% at most per process): server and generator competed for CPU`);
  }
  if (i.host && i.host.stealPercent >= HOST_STEAL_PERCENT) {
    hostBound = true;
    reasons.push(`the hypervisor took ${i.host.stealPercent.toFixed(0)}% of the host's CPU time (steal) over the window (limit ${HOST_STEAL_PERCENT}%)`);
  }
  const serverBound = !generator && !hostBound && i.serverCpuPercent !== undefined && i.serverCpuPercent >= SERVER_BOUND_CPU_PERCENT;
  if (serverBound) reasons.push(`the server used ${(i.serverCpuPercent ?? 0).toFixed(0)}% of a core over the window: these figures show the server at its limit`);
  const bound: Bound = generator ? 'generator' : hostBound ? 'host' : serverBound ? 'server' : 'none';
  return {
    saturated: generator || hostBound,
    bound,
    reasons,
    maxCpuPercent: round1(maxCpu),
    maxEventLoopDelayP99Us: maxEld,
    eventLoopDelay: i.eventLoopDelay,
    ...(i.eventLoopDelayHistogram === undefined ? {} : { eventLoopDelayHistogram: i.eventLoopDelayHistogram }),
    processes: i.processes.length,
    perProcess: i.processes.map((p) => ({ cpuPercent: p.cpuPercent, eventLoopDelayP99Us: p.eventLoopDelay.p99Us })),
    ...(i.windowDeliveries > 0 ? { cpuMsPer1kEvents: i.clientCpuUs / i.windowDeliveries } : {}),
    ...(i.host ? { host: i.host } : {}),
    ...(i.serverCpuPercent === undefined ? {} : { serverCpuPercent: i.serverCpuPercent }),
  };
}

function ms(us: number): string {
  return (us / 1000).toFixed(us < 10_000 ? 2 : 1);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
