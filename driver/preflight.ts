// Before anything starts: does the run fit this machine? Every connection is an open file of the one server
// process of its transport (the limit is per process), and every client connection to that server's one address
// takes a local ephemeral port. A run that cannot fit is refused with what fits and how to get more, instead of
// a server dying of EMFILE halfway through.
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH, chromiumMissing } from '../lib/chromium.ts';
import { UsageError } from '../lib/errors.ts';
import { FD_RESERVE, connectionsPerProcess, machineLimits, type MachineLimits } from '../lib/limits.ts';
import type { ScenarioOptions } from '../lib/options.ts';
import { capacitySteps } from './scenarios/capacity/run.ts';
import { proxyFileLimit, proxyProgram } from '../net/proxy.ts';

/** The most connections a run of `o` holds open to one server at once, and what it calls them. */
export function connectionsAtOnce(o: ScenarioOptions): { count: number; what: string } {
  switch (o.kind) {
    case 'idle':
      return { count: Math.max(0, ...o.sweep), what: 'idle connections (its largest sweep step)' };
    case 'capacity':
      return o.axis === 'clients' ? { count: Math.max(...capacitySteps(o)), what: 'clients (its largest step)' } : { count: o.clients, what: 'clients' };
    case 'poll-ceiling':
      return { count: o.connections, what: 'autocannon connections' };
    default:
      return { count: o.clients, what: 'clients' };
  }
}

const n = (x: number): string => x.toLocaleString('en-US');

/** The sentences that say why `o` cannot run on a machine with `limits`; empty when it fits. */
export function limitProblems(o: ScenarioOptions, limits: MachineLimits = machineLimits()): string[] {
  const { count, what } = connectionsAtOnce(o);
  const problems: string[] = [];
  const files = limits.openFiles;
  const perProcess = connectionsPerProcess(limits);
  if (files && count > perProcess) {
    const more =
      files.hard > files.soft
        ? `raise the limit before running (ulimit -n ${Math.min(files.hard, count + FD_RESERVE)}; the hard limit is ${n(files.hard)})`
        : `spread the load over servers on several machines (the hard limit is also ${n(files.hard)}, so it cannot be raised here)`;
    problems.push(
      `${n(count)} ${what} need as many open files in the one server process of each transport, and a process may open ${n(files.soft)} here (ulimit -n; ${FD_RESERVE} kept for the process itself): at most ${n(perProcess)} fit. Run fewer, or ${more}`,
    );
  }
  const ports = limits.ephemeralPorts;
  if (ports && count > ports.high - ports.low + 1) {
    const range = ports.high - ports.low + 1;
    problems.push(
      `${n(count)} ${what} on one machine need as many local ports to reach the one server address, and this machine hands out ${n(range)} (net.ipv4.ip_local_port_range ${ports.low}–${ports.high}): at most ${n(range)} fit. Run fewer, or widen the range (sysctl -w net.ipv4.ip_local_port_range="1024 65535")`,
    );
  }
  if (o.via !== undefined && o.via !== 'direct' && 2 * count > proxyFileLimit() - FD_RESERVE) {
    problems.push(
      `through ${o.via}, ${n(count)} ${what} take twice as many open files in the proxy (one towards the client, one towards the server), and it may open ${n(proxyFileLimit())} here: at most ${n(Math.floor((proxyFileLimit() - FD_RESERVE) / 2))} fit`,
    );
  }
  return problems;
}

/** Refuses (UsageError, exit 2) a run of `o` that cannot fit this machine (or needs a Chromium it lacks), before anything starts. */
export function checkMachineLimits(o: ScenarioOptions, limits: MachineLimits = machineLimits()): void {
  if ((o.clientsIn === 'chromium' || o.kind === 'browser-limits') && !existsSync(CHROMIUM_PATH)) throw new UsageError(chromiumMissing());
  const problems = limitProblems(o, limits);
  if (problems.length > 0) throw new UsageError(`this machine cannot run it: ${problems.join('; also, ')}`);
  // The proxy of --via must be installed (one sentence naming the install command when it is not).
  if (o.via !== undefined && o.via !== 'direct') proxyProgram(o.via);
}
