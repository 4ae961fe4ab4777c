// The link a run's clients went through, in one line: its profile and settings, and the round trip the clients
// measured across it before the window ("link: wan (80 ms RTT; measured 80.4 ms)") and how precisely the relay
// kept its delays, with why latency moves. Pure.
import type { LinkSpec } from '../net/path.ts';
import type { RunResult } from '../lib/result.ts';
import { formatCount, formatUs } from './format.ts';
import { rangeText } from './floor.ts';

/** "2 Mbit/s", "512 kbit/s", "1 Gbit/s". */
export function formatKbit(kbit: number): string {
  if (kbit >= 1_000_000) return `${kbit / 1_000_000} Gbit/s`;
  if (kbit >= 1000) return `${kbit / 1000} Mbit/s`;
  return `${kbit} kbit/s`;
}

/** What a link adds, e.g. "80 ms RTT, ±5 ms jitter, 2 Mbit/s each way". */
export function linkSettingsText(link: LinkSpec): string {
  const parts = [`${formatCount(link.rttMs)} ms RTT`];
  if (link.jitterMs > 0) parts.push(`±${formatCount(link.jitterMs)} ms jitter`);
  if (link.bandwidthKbit > 0) parts.push(`${formatKbit(link.bandwidthKbit)} each way`);
  return parts.join(', ');
}

/** The run's link line, or undefined when its clients talked to the server over loopback with nothing between. */
export function linkText(result: RunResult): string | undefined {
  const links = result.transports.flatMap((t) => (t.path?.link ? [t.path.link] : []));
  const first = links[0];
  if (first === undefined) return undefined;
  const measured = links.flatMap((l) => (l.measuredRttP50Us === undefined ? [] : [l.measuredRttP50Us]));
  const late = links.flatMap((l) => (l.relayLateP99Us === undefined ? [] : [l.relayLateP99Us]));
  const precision = late.length === 0 ? '' : `, the relay's releases within ${rangeText(late, formatUs)} of their time (p99)`;
  const seen = (measured.length === 0 ? 'round trip not measured' : `measured ${rangeText(measured, formatUs)}`) + precision;
  const name = first.profile === undefined ? 'link' : `link: ${first.profile}`;
  return `${name} (${linkSettingsText(first)}; ${seen}). A stream delivers an event one way, half a round trip later; a long poll can take up to a round trip more, asking again; a short poll pays a round trip on every poll.`;
}
