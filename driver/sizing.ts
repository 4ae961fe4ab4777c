// How many client processes a transport needs for the offered load, from each transport's measured client cost,
// and a warning before the run when this machine cannot generate that load.
import { availableParallelism } from 'node:os';
import type { Transport } from '../lib/transports.ts';
import { SOCKETS_PER_CLIENT_PROCESS } from '../lib/options.ts';
import { GENERATOR_ELD_FLOOR_US } from './health.ts';

/**
 * Client CPU per delivery of each transport's load-generating client, µs (user + system of one client process,
 * 100 clients, 100-byte events), at 100 and at 1 000 events/s per connection: the cost per delivery falls as more
 * events share a socket read. Measured with `npm run bench:client-cost` on this project's 2-core machine
 * (bench/results/client-cost-2026-11-30T16-14-09-080Z.json, -16-21-44-732Z.json and -16-22-58-636Z.json; medians
 * of 3 runs); the pollings were measured at 100 events/s only, and that figure is used at every rate (their cost
 * per delivery falls with more events per answer, so it overestimates). At 1 000 events/s the SSE and NDJSON
 * client processes used 92–97% of a core. Above 1 000 events/s the 1 000 figure is kept, which overestimates too:
 * the fan-out benchmark's clients used 3.4–4.1 µs per delivery at 2 500–3 000 events/s per connection
 * (bench/results/fanout-2026-11-30T16-41-06-802Z.json).
 */
export const CLIENT_COST_US_PER_DELIVERY: Record<Transport, { at100: number; at1000: number }> = {
  'short-poll': { at100: 5.97, at1000: 5.97 },
  'long-poll': { at100: 35.86, at1000: 35.86 },
  ws: { at100: 13.9, at1000: 7.89 },
  sse: { at100: 15.4, at1000: 9.53 },
  'fetch-stream': { at100: 15.4, at1000: 9.49 },
  // Not measured yet (`npm run bench:client-cost -- --implementations socketio,socketio-ws` measures them): assumed
  // twice ws's, as socket.io-client decodes each packet (Engine.IO, then Socket.IO's parser, then JSON.parse)
  // where the ws client reads seq and ts from the bytes. Too high a figure only starts more client processes.
  socketio: { at100: 2 * 13.9, at1000: 2 * 7.89 },
  'socketio-ws': { at100: 2 * 13.9, at1000: 2 * 7.89 },
};

/** Client CPU per delivery at `ratePerConnection` events/s, µs: log-linear between the two measured rates, flat outside. */
export function clientCostUs(transport: Transport, ratePerConnection: number): number {
  const { at100, at1000 } = CLIENT_COST_US_PER_DELIVERY[transport];
  const x = Math.min(1, Math.max(0, Math.log10(Math.max(1, ratePerConnection) / 100)));
  return at100 + (at1000 - at100) * x;
}

/** A client process is planned to use at most this share of one core, percent (headroom keeps its event loop prompt). */
export const TARGET_PROCESS_CPU_PERCENT = 50;
/** The generator may use at most this share of the cores left to it before the run is said to be at risk, percent. */
export const GENERATOR_BUDGET_PERCENT = 80;

/**
 * Longest a client process should take to hand one event to all of its clients, µs. Every client of a process
 * receives an event at about the same moment and the process handles them one after another, so the last one
 * is stamped this much after the first: generator delay that shows in the tail. Half the 1 ms floor of the
 * saturation rule (driver/health.ts).
 */
export const BURST_TARGET_US = 500;

/** What the generator of one transport needs. */
export interface GeneratorPlan {
  /** Client processes to start. */
  processes: number;
  /** Cores of client CPU the offered load needs, estimated. */
  cores: number;
  /** Set when this machine cannot generate the load: one sentence. */
  warning?: string;
}

/**
 * Client processes for `deliveriesPerSec` on `transport`: enough that each stays under TARGET_PROCESS_CPU_PERCENT
 * of a core, holds at most SOCKETS_PER_CLIENT_PROCESS sockets, and hands an event to its clients within
 * BURST_TARGET_US (all transports but short polling, whose clients poll at spread times), but no more than the
 * cores left beside the server (one more process on a busy core helps nothing); `requested` > 0 is taken as it is.
 * Warns when this machine cannot meet the CPU need, or when the serial handling of one event would exceed the
 * saturation rule's 1 ms floor (the run's p99 would be generator-shaped).
 */
export function planGenerator(transport: Transport, clients: number, deliveriesPerSec: number, requested = 0, cores = availableParallelism()): GeneratorPlan {
  const costUs = clientCostUs(transport, deliveriesPerSec / Math.max(1, clients));
  const need = (deliveriesPerSec * costUs) / 1e6;
  const forSockets = Math.ceil(clients / SOCKETS_PER_CLIENT_PROCESS);
  const clientCores = Math.max(1, cores - 1);
  const forCpu = Math.min(clientCores, Math.ceil(need / (TARGET_PROCESS_CPU_PERCENT / 100)));
  const bursty = transport !== 'short-poll';
  const forBurst = bursty ? Math.min(clientCores, Math.ceil((clients * costUs) / BURST_TARGET_US)) : 1;
  const planned = requested > 0 ? Math.max(requested, forSockets) : Math.max(1, forSockets, forCpu, forBurst);
  const processes = Math.min(planned, Math.max(1, clients));
  const budget = (clientCores * GENERATOR_BUDGET_PERCENT) / 100;
  const burstUs = (Math.ceil(clients / processes) * costUs);
  let warning: string | undefined;
  if (need > budget) {
    warning = `${transport}: ${Math.round(deliveriesPerSec)} deliveries/s need about ${need.toFixed(2)} cores of client CPU (${costUs.toFixed(1)} µs each, measured), but this ${cores}-core machine leaves ${clientCores} beside the server: expect a saturated generator (clients on another machine would help)`;
  } else if (bursty && burstUs > GENERATOR_ELD_FLOOR_US) {
    warning = `${transport}: each event reaches ${Math.ceil(clients / processes)} clients in one client process, about ${(burstUs / 1000).toFixed(1)} ms of handling one after another (${costUs.toFixed(1)} µs each, measured), which shows in the tail and may make the run generator-bound; ${processes < clientCores ? 'more client processes (--workers)' : 'more cores'} or fewer clients per process would avoid it`;
  }
  return { processes, cores: need, ...(warning ? { warning } : {}) };
}
