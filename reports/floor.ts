// What the instrument itself adds in a run, in one paragraph: the publisher's lateness, one client clock reading,
// a loopback round trip and the clock offset, as measured in that run (lowest to highest over its transports).
// Differences smaller than these are below what rtbench resolves in that run. Pure.
import type { RunResult } from '../lib/result.ts';
import { formatSig, formatUs } from './format.ts';
import { orderedTransports, publisherLateness } from './metrics.ts';

/** "12 µs", or "8–12 µs" from the lowest to the highest value (one unit when both share it). */
export function rangeText(values: readonly number[], format: (v: number) => string): string {
  const lo = format(Math.min(...values));
  const hi = format(Math.max(...values));
  if (lo === hi) return lo;
  const unit = (s: string): string => s.slice(s.lastIndexOf(' ') + 1);
  return lo.includes(' ') && unit(lo) === unit(hi) ? `${lo.slice(0, lo.lastIndexOf(' '))}–${hi}` : `${lo}–${hi}`;
}

/** A clock reading's cost: "25 ns", "0.50 ns". */
function formatNs(ns: number): string {
  return `${formatSig(ns, 2)} ns`;
}

/** The instrument's floor of a run as one paragraph; undefined for a run that measured no latency and no floor. */
export function floorText(result: RunResult): string | undefined {
  const ts = orderedTransports(result);
  const floors = ts.flatMap((t) => (t.floor ? [t.floor] : []));
  if (floors.length === 0) {
    if (!ts.some((t) => t.latency && t.latency.count > 0)) return undefined;
    return 'Instrument floor: not measured in this run, so how small a difference rtbench resolves here is unknown.';
  }
  // a run that published nothing on a schedule (chat, private streams) has no publisher lateness, not a zero one
  const late = ts.flatMap((t) => (t.floor && publisherLateness(t) ? [t.floor] : []));
  const parts = [
    late.length > 0
      ? `publisher lateness p50 ${rangeText(late.map((f) => f.publisherLatenessP50Us), formatUs)}, p99 ${rangeText(late.map((f) => f.publisherLatenessP99Us), formatUs)} (part of every latency)`
      : 'no publisher lateness measured (nothing was published on a schedule)',
    `one client clock reading ${rangeText(floors.map((f) => f.timestampCostNs), formatNs)}`,
  ];
  const rtt = floors.flatMap((f) => (f.loopbackRttMinUs === undefined || f.loopbackRttP50Us === undefined ? [] : [{ min: f.loopbackRttMinUs, p50: f.loopbackRttP50Us }]));
  parts.push(rtt.length > 0 ? `a loopback round trip min ${rangeText(rtt.map((r) => r.min), formatUs)}, p50 ${rangeText(rtt.map((r) => r.p50), formatUs)}` : 'no loopback round trip measured');
  const offsets = floors.flatMap((f) => (f.clockOffsetUs === undefined ? [] : [Math.abs(f.clockOffsetUs)]));
  if (offsets.length > 0) parts.push(`clock offset within ±${formatUs(Math.max(...offsets))}`);
  const clock = clockText(result);
  if (clock !== undefined) parts.push(clock);
  const over = floors.length > 1 ? ` (lowest–highest of ${floors.length} transports)` : '';
  const browser = browserClockText(result);
  return `Instrument floor in this run${over}: ${parts.join('; ')}. Differences smaller than these are below what rtbench resolves in this run.${browser === undefined ? '' : ` ${browser}`}`;
}

/** How browser clients' clocks were aligned and how far their latencies can be trusted; undefined for Node clients. */
export function browserClockText(result: RunResult): string | undefined {
  const clocks = orderedTransports(result).flatMap((t) => (t.browser ? [t.browser] : []));
  const [first] = clocks;
  if (first === undefined) return undefined;
  const isolated = clocks.every((c) => c.isolated) ? 'cross-origin isolated pages' : 'pages not cross-origin isolated';
  const clamped = clocks.reduce((a, c) => a + c.clampedLatencies, 0);
  const reconnects = clocks.reduce((a, c) => a + c.eventSourceReconnects, 0);
  const cpu = clocks.flatMap((c) => (c.windowCpuUs !== undefined && c.windowUs ? [(c.windowCpuUs / c.windowUs) * 100] : []));
  return (
    `Browser clients: Chromium ${first.version}, ${isolated}, performance.now() in steps of ${rangeText(clocks.map((c) => c.timerResolutionUs), formatUs)}; ` +
    `each page's clock was aligned with the host's at the shortest of 100 WebSocket round trips (${rangeText(clocks.map((c) => c.bestRttUs), formatUs)}), ` +
    `so every latency is uncertain by ±${rangeText(clocks.map((c) => c.uncertaintyUs), formatUs)} (half that round trip plus the timer step); ` +
    `a second alignment at the end moved the offsets by ${rangeText(clocks.map((c) => c.driftUs), formatUs)} at most` +
    (clamped > 0 ? `; ${clamped} receive times fell before their event's ts within that uncertainty and count as 0 µs` : '') +
    (reconnects > 0 ? `; EventSource reconnected by itself ${reconnects} times` : '') +
    (clocks.every((c) => c.pagesProbed === true) ? "; the event-loop delay is the pages' own (a probe in each page), the loops that stamp the deliveries" : "; the event-loop delay is the relaying client process's (the pages' were not probed)") +
    (cpu.length > 0 ? `; Chromium's processes used ${rangeText(cpu, (v) => `${formatSig(v, 2)}%`)} of a core over the window (not in the client CPU rows, which are the client process's own).` : '.')
  );
}

/** How the clients' clocks were aligned to the server's, as one clause; undefined when the result does not say. */
export function clockText(result: RunResult): string | undefined {
  const clocks = orderedTransports(result).flatMap((t) => (t.clock ? [t.clock] : []));
  if (clocks.length === 0) return undefined;
  const processes = clocks.flatMap((c) => c.processes);
  const applied = processes.filter((p) => p.appliedOffsetUs !== 0);
  const inherited = Math.max(...clocks.map((c) => c.latencyUncertaintyUs));
  if (applied.length === 0) {
    const who = processes.length === 1 ? 'the one client process' : `all ${processes.length} client processes`;
    // in Chromium the pages stamp the deliveries, on their own aligned clocks (the browser clause says how well)
    const latencies = result.options.clientsIn === 'chromium' ? "the latencies are the pages', each on its own aligned clock: see Browser clients below" : 'latencies carry no alignment uncertainty';
    return `client clocks: ${who} read the server's clock (no offset applied, ${latencies})`;
  }
  return `client clocks: ${applied.length} of ${processes.length} client processes aligned to the server's clock by offsets of ${rangeText(applied.map((p) => p.appliedOffsetUs), formatUs)}, so every latency figure carries ±${formatUs(inherited)}`;
}
