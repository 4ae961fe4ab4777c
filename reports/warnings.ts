// The warnings a run deserves, one sentence each: interruption, the run's own warnings, errored transports,
// invalid figures (a generator- or host-bound run, failed or straggling clients, negative latencies), a
// server-bound run (valid: a note), loss and disorder. Pure.
import type { RunResult } from '../lib/result.ts';
import { isSocketIo, type Transport } from '../lib/transports.ts';
import { formatCount, formatPercent, formatRate, formatSig } from './format.ts';
import { boundOf, invalidReasonsOf, orderedTransports } from './metrics.ts';

/** How serious a warning is: `invalid` means the figures must not be trusted; a `note` says something valid. */
export type WarningLevel = 'invalid' | 'error' | 'warning' | 'note';

/** One warning about a run. */
export interface Warning {
  level: WarningLevel;
  /** The transport concerned, or undefined for the whole run. */
  transport?: Transport;
  /** One sentence. */
  message: string;
}

/** `text` ending with exactly one full stop. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Every warning a run deserves, in transport order after the run's own. */
export function warningsFor(result: RunResult): Warning[] {
  const out: Warning[] = [];
  if (result.interrupted) {
    out.push({ level: 'warning', message: 'The run was interrupted before it finished; figures cover only what was measured.' });
  }
  for (const w of result.warnings ?? []) out.push({ level: 'warning', message: `Before the run: ${sentence(w)}` });
  if (result.shard) {
    const { index, count } = result.shard;
    out.push({ level: 'note', message: `This is shard ${index} of ${count}'s partial result: its latencies and deliveries are its own clients', but the server's figures (bytes and CPU per event, requests, connections, memory) are the shared server's, divided by this shard's deliveries where per event; rtbench merge gives the run's figures.` });
  }
  for (const t of orderedTransports(result)) {
    const name = t.transport;
    if (t.status === 'errored') {
      out.push({ level: 'error', transport: name, message: `${name} errored: ${t.error ?? 'no reason recorded'}.` });
    } else if (t.status === 'interrupted') {
      out.push({ level: 'warning', transport: name, message: `${name} was interrupted${t.error ? `: ${t.error}` : ''}; its figures are partial.` });
    }
    const pc = t.pollCeiling;
    const bound = boundOf(t);
    // a poll ceiling's saturated autocannon has its own, more precise sentence below
    if ((bound === 'generator' || bound === 'host') && pc?.generatorSaturated !== true) {
      const reasons = t.driver && t.driver.reasons.length > 0 ? ` (${t.driver.reasons.join('; ')})` : '';
      const whose = bound === 'host' ? "host's" : "load generator's";
      const fix = bound === 'host' ? 'rerun on a quieter machine, or with the clients on another one' : 'rerun with more --workers or less load';
      out.push({ level: 'invalid', transport: name, message: `${name} was ${bound}-bound${reasons}, so its figures show the ${whose} limits, not the transport's; ${fix}.` });
    }
    if (pc?.generatorSaturated) {
      out.push({ level: 'invalid', transport: name, message: `${name}: autocannon used ${formatSig(pc.generatorCpuPercent)}% of a core, so ${formatRate(pc.requestsPerSec, ' requests/s')} is a floor of the server's ceiling, not the ceiling.` });
    }
    const rest = invalidReasonsOf(t).filter((r) => !(t.driver?.reasons ?? []).includes(r));
    if (rest.length > 0) out.push({ level: 'invalid', transport: name, message: `${name}'s figures cannot be trusted: ${rest.join('; ')}.` });
    if ((t.notMeasured?.length ?? 0) > 0) {
      out.push({ level: 'note', transport: name, message: `${name}: not measured, because the server is not one of rtbench's (${result.targets?.[name] ?? 'a target'}): ${(t.notMeasured ?? []).join('; ')}.` });
    }
    if (bound === 'server') {
      const why = t.driver && t.driver.reasons.length > 0 ? `: ${t.driver.reasons.join('; ')}` : '';
      out.push({ level: 'note', transport: name, message: `${name} was server-bound, which is valid${why}.` });
    }
    if (pc && pc.errors + pc.timeouts + pc.non2xx > 0) {
      out.push({ level: 'warning', transport: name, message: `${name}: the polling ceiling had ${formatCount(pc.errors)} errors, ${formatCount(pc.timeouts)} timeouts and ${formatCount(pc.non2xx)} non-2xx answers; a valid ceiling has none.` });
    }
    const d = t.delivery;
    if (d && d.lost > 0) {
      const share = d.expectedDeliveries > 0 ? ` (${formatPercent(d.lost / d.expectedDeliveries)})` : '';
      const gaps = d.gaps > 0 ? `; the server announced ${formatCount(d.gaps)} retention gap${d.gaps === 1 ? '' : 's'}` : '';
      const slowLost = t.slowConsumer?.slowLost ?? 0;
      const slow = slowLost > 0 ? `; ${formatCount(slowLost)} of them at the slow clients, lost to the gap when they came back (see Slow consumers)` : '';
      out.push({ level: 'warning', transport: name, message: `${name} lost ${formatCount(d.lost)} of ${formatCount(d.expectedDeliveries)} expected deliveries${share}${gaps}${slow}.` });
    }
    if (d && (d.duplicates > 0 || d.outOfOrder > 0)) {
      out.push({ level: 'warning', transport: name, message: `${name} delivered ${formatCount(d.duplicates)} duplicate and ${formatCount(d.outOfOrder)} out-of-order events.` });
    }
    if (isSocketIo(name) && t.status === 'ok') out.push({ level: 'note', transport: name, message: socketIoNote(name, result) });
  }
  return out;
}

/** What sets a Socket.IO transport apart from plain ws, with this run's bytes per event of both when it has them. */
function socketIoNote(name: 'socketio' | 'socketio-ws', result: RunResult): string {
  const own = result.transports.find((t) => t.transport === name)?.wire?.bytesPerEvent;
  const ws = result.transports.find((t) => t.transport === 'ws')?.wire?.bytesPerEvent;
  const bytes = own !== undefined && ws !== undefined ? ` (here ${formatSig(own)} B per event against ws's ${formatSig(ws)} B, per-connection bytes included)` : '';
  const how =
    name === 'socketio'
      ? 'in its default configuration each client connects over HTTP long-polling (a handshake and a few requests before the window) and then upgrades to a WebSocket'
      : 'with WebSocket only, each client opens one WebSocket at once';
  return `${name} is the socket.io library: ${how}; every event is a Socket.IO packet 42["event",{...}], 12 bytes more than ws's frame${bytes}, and both sides run the library's encoding and decoding (see docs/protocol.md#socketio).`;
}

/** Names of the transports whose figures cannot be trusted, with what bound them when it was the generator or host. */
export function invalidSummary(result: RunResult): string | undefined {
  const bad = orderedTransports(result).filter((t) => invalidReasonsOf(t).length > 0 || t.pollCeiling?.generatorSaturated === true);
  if (bad.length === 0) return undefined;
  const names = bad.map((t) => {
    const bound = boundOf(t);
    return bound === 'generator' || bound === 'host' ? `${t.transport} (${bound}-bound)` : t.transport;
  });
  return `Invalid: ${names.join(', ')} — ${bad.length === 1 ? 'its figures' : 'their figures'} cannot be trusted (the warnings say why).`;
}
