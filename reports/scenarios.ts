// The per-scenario sections every report shows under its summary: reconnections (churn), chat round trip,
// bursts, token streams, the polling ceiling and slow consumers. One table of row definitions, like metrics.ts, so
// the terminal, Markdown and HTML reports agree on labels, units, directions, charts and findings.
import type { BrowserLimitsFigures, FaultFigures, LatencySummaryUs, SlowConsumerFigures, TransportResult } from '../lib/result.ts';
import type { ValueFormat } from './charts.ts';
import { NONE, formatBytes, formatCount, formatMs, formatPercent, formatRate, formatRatio, formatUs } from './format.ts';
import { visibleMetrics, type Better, type MetricDef } from './metrics.ts';

/** A bar chart of some rows of a section, one bar per transport and row. */
export interface SectionChart {
  /** Suffix of the chart id ("<run>-<id>"). */
  id: string;
  title: string;
  note: string;
  /** Which way is better, one sentence, added to the note of a single run's chart. */
  hint?: string;
  /** Row ids, one dataset each (the first solid, the others pale). */
  rows: string[];
  format: ValueFormat;
}

/** One scenario's section: shown when any transport carries its block. */
export interface ScenarioSection {
  /** The block of TransportResult it reads ("connect", "roundTrip", ...). */
  id: 'connect' | 'roundTrip' | 'burst' | 'stream' | 'pollCeiling' | 'slowConsumer' | 'faults' | 'browserLimits';
  title: string;
  /** One sentence: what the section measures. */
  note: string;
  /** True when a transport carries this section's block. */
  has: (t: TransportResult) => boolean;
  rows: MetricDef[];
  charts: SectionChart[];
  /** Sentences on what this run shows, from its figures; every view prints them under the section's rows. */
  findings?: (transports: readonly TransportResult[]) => string[];
}

type Pct = 'p50Us' | 'p99Us' | 'maxUs';
const PCT_NAME: Record<Pct, string> = { p50Us: 'p50', p99Us: 'p99', maxUs: 'max' };

/** A latency row read from one percentile of a LatencySummaryUs. */
function lat(id: string, label: string, get: (t: TransportResult) => LatencySummaryUs | undefined, pct: Pct, explain: string, card?: string): MetricDef {
  return {
    id,
    label: `${label} ${PCT_NAME[pct]}`,
    better: 'lower',
    value: (t) => {
      const s = get(t);
      return s && s.count > 0 ? s[pct] : undefined;
    },
    format: formatUs,
    explain,
    ...(card ? { card } : {}),
  };
}

/** A plain row. */
function row(id: string, label: string, better: Better, value: (t: TransportResult) => number | undefined, format: (v: number) => string, explain: string, extra: Partial<MetricDef> = {}): MetricDef {
  return { id, label, better, value, format, explain, ...extra };
}

/** autocannon reports whole milliseconds: 0 means under one. */
function formatMsResolution(us: number): string {
  return us === 0 ? '< 1 ms' : formatUs(us);
}

const connect = (t: TransportResult): TransportResult['connect'] => t.connect;

const slow = (t: TransportResult): SlowConsumerFigures | undefined => t.slowConsumer;
/** The slow-consumer figure `get` of a push transport; undefined for the pollings (nothing is queued for them). */
const push = (t: TransportResult, get: (s: SlowConsumerFigures) => number | undefined): number | undefined => {
  const s = slow(t);
  return s && !s.pull ? get(s) : undefined;
};
/** Cell text of a slow-consumer row the pollings do not have: `text` for them, nothing for the streams. */
const pullText =
  (text: string) =>
  (t: TransportResult): string | undefined =>
    slow(t)?.pull ? text : undefined;

/** "ws", "ws and sse", "ws, sse and fetch-stream". */
function names(ts: readonly TransportResult[]): string {
  const n = ts.map((t) => t.transport);
  return n.length <= 1 ? (n[0] ?? '') : `${n.slice(0, -1).join(', ')} and ${n[n.length - 1]}`;
}

/** One figure per transport, in the order they are named: "2" when they agree, else "2 / 3 / 2". */
function each(ts: readonly TransportResult[], get: (t: TransportResult) => number, format: (v: number) => string): string {
  const values = ts.map(get);
  if (values.every((v) => v === values[0])) return format(values[0] ?? 0);
  return values.map(format).join(' / ');
}

/** What a slow-consumer run shows, in sentences: who was slow, the pollings' immunity, and what each push transport did. */
export function slowConsumerFindings(transports: readonly TransportResult[]): string[] {
  const ts = transports.filter((t) => t.slowConsumer !== undefined && t.status === 'ok');
  const first = ts[0]?.slowConsumer;
  if (!first) return [];
  const growth = (t: TransportResult): number => slow(t)?.rssGrowthBytes ?? 0;
  const how = first.readBytesPerSec === 0 ? 'stopped reading' : `read at ${formatBytes(first.readBytesPerSec)}/s`;
  const out = [`${formatCount(first.slowClients)} of the ${formatCount(first.slowClients + first.healthyClients)} clients ${how} from the first event until the window closed, then read at full speed; the latency above is the other ${formatCount(first.healthyClients)}'s.`];
  const pull = ts.filter((t) => slow(t)?.pull === true);
  if (pull.length > 0) {
    out.push(`${names(pull)}: immune by construction. The server queues nothing between polls, so a slow poller only polls less and falls behind; there is nothing to cut (server RSS growth ${each(pull, growth, formatBytes)}).`);
  }
  const pushed = ts.filter((t) => slow(t)?.pull === false);
  const unbounded = pushed.filter((t) => slow(t)?.maxQueuedBytes === 0);
  const bounded = pushed.filter((t) => (slow(t)?.maxQueuedBytes ?? 0) > 0);
  const cut = bounded.filter((t) => (slow(t)?.cuts ?? 0) > 0);
  const held = bounded.filter((t) => (slow(t)?.cuts ?? 0) === 0);
  if (unbounded.length > 0) {
    out.push(`${names(unbounded)}: no bound (maxQueuedBytes 0), so nothing was cut and the server held every event the slow clients had not read: its RSS grew ${each(unbounded, growth, formatBytes)} over the window. Without the policy a stalled reader costs the server memory for as long as it stalls.`);
  }
  if (cut.length > 0) {
    const bound = formatBytes(slow(cut[0] as TransportResult)?.maxQueuedBytes ?? 0);
    const retention = formatCount(slow(cut[0] as TransportResult)?.retentionEvents ?? 0);
    out.push(
      `${names(cut)}: past the ${bound} queue bound the server cut ${each(cut, (t) => slow(t)?.cuts ?? 0, formatCount)} slow consumer${cut.every((t) => slow(t)?.cuts === 1) ? '' : 's'} (RSS growth ${each(cut, growth, formatBytes)}). ` +
        `That is what the policy costs them: they reconnected with their cursor, got back ${each(cut, (t) => slow(t)?.recoveredEvents ?? 0, formatCount)} events from the server's retention (${retention} events) and lost ${each(cut, (t) => slow(t)?.slowLost ?? 0, formatCount)} to the gap.`,
    );
  }
  if (held.length > 0) {
    out.push(`${names(held)}: no slow consumer reached the ${formatBytes(slow(held[0] as TransportResult)?.maxQueuedBytes ?? 0)} queue bound in this run (the kernel's socket buffers hold a few MB first), so the server held their queues (RSS growth ${each(held, growth, formatBytes)}); a longer stall or a smaller bound would cut them.`);
  }
  const lostHealthy = ts.filter((t) => (slow(t)?.healthyLost ?? 0) > 0);
  if (lostHealthy.length > 0) out.push(`The healthy clients lost events on ${names(lostHealthy)} (${each(lostHealthy, (t) => slow(t)?.healthyLost ?? 0, formatCount)}): a slow reader cost the others data.`);
  return out;
}

const faults = (t: TransportResult): FaultFigures | undefined => t.faults;
const sumOf = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** "a 512 ms outage", "5 of 10 connections reset". */
function faultText(f: FaultFigures): string {
  if (f.fault === 'restart') return `a ${formatMs(f.measuredOutageMs ?? f.outageMs ?? 0)} outage`;
  if (f.fault === 'idle-cut') return `${formatCount(f.reconnectedClients)} of ${formatCount(f.clients)} clients cut in the gap`;
  return `${formatCount(f.connectionsReset ?? 0)} of ${formatCount(f.connectionsOpen ?? 0)} connections reset`;
}

/** What a faults run shows, in sentences: the fault, then one per transport from its figures, then who recovered first. */
export function faultsFindings(transports: readonly TransportResult[]): string[] {
  const ts = transports.filter((t) => t.faults !== undefined && t.status === 'ok');
  const first = ts[0]?.faults;
  if (!first) return [];
  const out: string[] = [];
  if (first.fault === 'restart') {
    out.push(
      `A third into the window the server was stopped (SIGTERM: it handed its stream over) and started again on its port ${formatMs(first.outageMs ?? 0)} later (its replacement loaded ahead, so the measured outage adds only the listen). ` +
        'The publisher went on with the same schedule, so the events due while no server ran went out late on restart: the latency max shows the outage. Recovery counts from the restarted server listening, and includes the wait of the clients\' backoff (the same for every transport, up to 1 s, jittered), so differences within a backoff step are the jitter\'s more than the transport\'s.',
    );
  } else if (first.fault === 'idle-cut') {
    const keepAlive = (first.keepAliveMs ?? 0) > 0 ? `the SSE heartbeat and the WebSocket ping every ${formatMs(first.keepAliveMs ?? 0)} (the remedy; fetch-stream's NDJSON stream has no keep-alive line in the protocol, and the pollings need none)` : 'no SSE heartbeat and no WebSocket ping';
    out.push(
      `Every transport ran through ${first.via ?? 'a proxy'} with a ${formatMs(first.idleTimeoutMs ?? 0)} read timeout, and a third into the window the publisher went quiet for ${formatMs(first.gapMs ?? 0)}, with ${keepAlive}. ` +
        'A client the proxy cut (its stream or socket ended, or its request got a 504) reconnected from its cursor; recovery counts from the publisher going on after the gap, and the storm from the start of the gap.',
    );
  } else {
    out.push(`A third into the window the server reset ${formatPercent(first.resetFraction ?? 0)} of its open connections at once (TCP RST), chosen evenly. Recovery counts from the reset.`);
  }
  for (const t of ts) {
    const f = t.faults as FaultFigures;
    const d = t.delivery;
    const lost = d?.lost ?? 0;
    const dup = d?.duplicates ?? 0;
    const recovered =
      f.recoverMs !== undefined
        ? `every client had an event again ${formatMs(f.recoverMs)} after it (the median client ${formatUs(f.recovery.p50Us)})`
        : `${formatCount(f.unrecovered)} of ${formatCount(f.clients)} clients never had an event after it`;
    const attempts = f.failedAttempts > 0 ? ` after ${formatCount(f.failedAttempts)} failed attempts` : '';
    const silent = f.fault === 'reset' ? Math.max(0, (f.connectionsReset ?? 0) - f.reconnectedClients) : 0;
    const unnoticed = silent > 0 ? ` (${formatCount(silent)} reset connection${silent === 1 ? ' was' : 's were'} replaced without an error: the client opened a new one with its next request)` : '';
    const reconnected = `${formatCount(f.reconnectedClients)} of ${formatCount(f.clients)} clients reconnected${attempts}${unnoticed}`;
    const loss = lost === 0 ? 'no event was lost' : `${formatCount(lost)} deliveries were lost${(d?.gaps ?? 0) > 0 ? ' to a retention gap' : ''}`;
    const dups = dup === 0 ? 'none duplicated' : `${formatCount(dup)} duplicated`;
    if (f.fault === 'idle-cut') {
      const cut = f.reconnectedClients === 0 ? 'the proxy cut no client' : `the proxy cut ${formatCount(f.reconnectedClients)} of ${formatCount(f.clients)} clients, which reconnected ${formatCount(f.reconnects)} times in all${attempts}`;
      out.push(`${t.transport}: ${cut}; ${recovered}; ${loss}, ${dups}; the server accepted ${formatCount(sumOf(f.storm.connections))} connections and ${formatCount(sumOf(f.storm.requests))} requests from the start of the gap until 2 s after it ended.`);
      continue;
    }
    out.push(`${t.transport} (${faultText(f)}): ${recovered}; ${reconnected}; ${loss}, ${dups}; the server accepted at most ${formatCount(f.storm.peakConnectionsPer100ms)} connections and ${formatCount(f.storm.peakRequestsPer100ms)} requests per 100 ms after it.`);
  }
  if (first.fault === 'idle-cut') {
    const cut = ts.filter((t) => (t.faults?.reconnectedClients ?? 0) > 0).map((t) => t.transport);
    const kept = ts.filter((t) => (t.faults?.reconnectedClients ?? 0) === 0).map((t) => t.transport);
    const held = cut.includes('long-poll') ? ' A long poll held longer than the read timeout is answered 504 by the proxy: a --long-poll-wait below the timeout avoids that.' : '';
    out.push(`Cut by the proxy: ${cut.length > 0 ? cut.join(', ') : 'none'}; not cut: ${kept.length > 0 ? kept.join(', ') : 'none'}.${held}`);
  }
  const timed = ts.filter((t) => t.faults?.recoverMs !== undefined).sort((a, b) => (a.faults?.recoverMs ?? 0) - (b.faults?.recoverMs ?? 0));
  const fastest = timed[0];
  const slowest = timed[timed.length - 1];
  if (fastest && slowest && timed.length > 1 && fastest !== slowest) {
    out.push(`Quickest to recover: ${fastest.transport} (${formatMs(fastest.faults?.recoverMs ?? 0)}); slowest: ${slowest.transport} (${formatMs(slowest.faults?.recoverMs ?? 0)}).`);
  }
  return out;
}

const limits = (t: TransportResult): BrowserLimitsFigures | undefined => t.browserLimits;

/** "#7 and #8", "#7, #8 and #9". */
function indexes(ns: readonly number[]): string {
  const s = ns.map((n) => `#${n}`);
  return s.length <= 1 ? (s[0] ?? '') : `${s.slice(0, -1).join(', ')} and ${s[s.length - 1]}`;
}

/** What a browser-limits run shows: per transport, which subscriptions reached the server and which stalled how long. */
export function browserLimitsFindings(transports: readonly TransportResult[]): string[] {
  const ts = transports.filter((t) => t.browserLimits !== undefined && t.status === 'ok');
  const first = ts[0]?.browserLimits;
  if (!first) return [];
  const h2 = ts.filter((t) => limits(t)?.protocol === 'h2');
  const over = h2.length === 0 ? 'HTTP/1.1' : h2.length === ts.length ? 'HTTP/2' : 'HTTP/2 (WebSocket over HTTP/1.1)';
  const out = [
    `One Chromium ${first.browserVersion} page opened ${first.subscriptions} subscriptions at once to one origin over ${over}, where an HTTP/1.1 browser holds at most ${first.limit} connections per origin; after ${formatMs(first.holdMs)} the first ones were closed until ${first.limit} remained.`,
  ];
  for (const t of ts) {
    const b = limits(t) as BrowserLimitsFigures;
    const stalled = b.perSubscription.filter((s) => s.stalled);
    const ok = b.perSubscription.filter((s) => !s.released && s.inOrder).length;
    const delivered = `every remaining subscription${ok === b.perSubscription.filter((s) => !s.released).length ? '' : ' but ' + (b.perSubscription.filter((s) => !s.released).length - ok)} then received exactly events 1..${b.events} in order`;
    if (stalled.length === 0) {
      const why =
        b.protocol === 'h2'
          ? `over HTTP/2 none stalled: every subscription is a stream of one connection, so the per-origin limit of HTTP/1.1 does not apply`
          : b.limitApplies
            ? 'its requests are brief, so the limit only queues one behind another for the length of a request'
            : 'WebSocket is not subject to the per-origin limit of HTTP connections (each socket is its own connection, over HTTP/1.1)';
      out.push(`${t.transport}: all ${b.subscriptions} reached the server (the server held ${b.serverSubscribers}): ${why}; ${delivered}.`);
    } else {
      const waits = stalled.map((s) => (s.connectMs === undefined ? 'never' : formatMs(s.connectMs)));
      out.push(`${t.transport}: ${b.connected} reached the server at once (the server held ${b.serverSubscribers}); ${indexes(stalled.map((s) => s.index))} stalled, waiting ${waits.join(', ')} for a connection until earlier ones let one go; ${delivered}.`);
    }
  }
  if (h2.length === 0) out.push('Over HTTP/2 (one connection carrying every subscription): not measured in this run; run it with --http2.');
  return out;
}

/** The sections, in display order. */
export const SCENARIO_SECTIONS: readonly ScenarioSection[] = [
  {
    id: 'connect',
    title: 'Reconnections (churn)',
    note: 'Clients drop their connection every few events and reconnect with their cursor; then a storm drops many at once. Lower is better unless a row says otherwise.',
    has: (t) => t.connect !== undefined,
    rows: [
      lat('connectP50', 'connect time', (t) => connect(t)?.connectTime, 'p50Us', 'Start of a reconnection until subscribed again (poll answered, headers received, socket open).'),
      lat('connectP99', 'connect time', (t) => connect(t)?.connectTime, 'p99Us', 'Slowest 1 in 100 reconnections.', 'Fastest reconnect (connect p99)'),
      lat('firstEventP50', 'time to first event', (t) => connect(t)?.firstEventTime, 'p50Us', 'Start of a reconnection until its first event arrived.'),
      lat('firstEventP99', 'time to first event', (t) => connect(t)?.firstEventTime, 'p99Us', 'Slowest 1 in 100 first events after a reconnection.', 'First event soonest after reconnecting (p99)'),
      row('connectsPerSec', 'reconnects/s', null, (t) => connect(t)?.connectsPerSec, (v) => formatRate(v), "Reconnections per second of the window, capped by the scenario's connect rate: the load, not a score."),
      row('connectRequestsPerSec', 'HTTP requests/s', 'lower', (t) => connect(t)?.requestsPerSec, (v) => formatRate(v), 'Requests the server received per second (a WebSocket upgrade counts as one; the pollings add their polls): server work.', { noise: 'exact' }),
      row('newTcpPerSec', 'new TCP connections/s', 'lower', (t) => connect(t)?.newTcpConnectionsPerSec, (v) => formatRate(v), 'TCP connections the server accepted per second; below requests/s means keep-alive reused connections.', { noise: 'exact' }),
      row('timeWait', 'TIME_WAIT sockets left', 'lower', (t) => connect(t)?.timeWaitSockets, formatCount, 'Sockets in TIME_WAIT on the server port at the end of the window (the kernel keeps each 60 s).', { noise: 'exact',
        missing: (t) => (t.connect && t.connect.timeWaitSockets === undefined ? `${NONE} (not Linux)` : undefined),
      }),
      row('cpuPerConnect', 'server CPU per reconnect', 'lower', (t) => connect(t)?.serverCpuUsPerConnect, formatUs, 'Server CPU in the window per reconnection, the delivery work of the window included.'),
      row('stormClients', 'storm: clients dropped', null, (t) => connect(t)?.storm?.clients, formatCount, 'Clients dropped at once and reconnected at once in the reconnect storm.'),
      row('stormAll', 'storm: all reconnected', 'lower', (t) => connect(t)?.storm?.allReconnectedMs, formatMs, 'From the drop until the last storm client was subscribed again.'),
      lat('stormConnectP99', 'storm: connect time', (t) => connect(t)?.storm?.connectTime, 'p99Us', 'Reconnection time during the storm, slowest 1 in 100.'),
      lat('stormFirstEventP99', 'storm: first event', (t) => connect(t)?.storm?.firstEventTime, 'p99Us', 'Time to the first event after the storm, slowest 1 in 100.'),
    ],
    charts: [
      { id: 'connect-times', title: 'Reconnect: connect time and first event (p99)', note: 'Slowest 1 in 100 reconnections: until subscribed (solid) and until the first event arrived (pale).', hint: 'Lower is better.', rows: ['connectP99', 'firstEventP99'], format: 'us' },
      { id: 'connect-rates', title: 'HTTP requests versus new TCP connections per second', note: 'Requests the server received (solid) and TCP connections it accepted (pale) per second of churn; a pale bar below the solid one is keep-alive at work.', hint: 'Lower is better.', rows: ['connectRequestsPerSec', 'newTcpPerSec'], format: 'rate' },
    ],
  },
  {
    id: 'roundTrip',
    title: 'Chat round trip',
    note: 'Every client sends messages upstream and receives everyone’s broadcast; the round trip is a message’s scheduled send time until its sender received it back.',
    has: (t) => t.roundTrip !== undefined,
    rows: [
      lat('roundTripP50', 'round trip', (t) => t.roundTrip?.latency, 'p50Us', 'Typical send-to-receive-back time.'),
      lat('roundTripP99', 'round trip', (t) => t.roundTrip?.latency, 'p99Us', 'Slowest 1 in 100 round trips.', 'Fastest chat round trip (p99)'),
      row('messagesSent', 'messages sent', null, (t) => t.roundTrip?.messagesSent, formatCount, 'Upstream messages sent by all clients.'),
      row('failedSends', 'failed sends', 'lower', (t) => t.roundTrip?.failedSends, formatCount, 'Sends that failed.', { noise: 'exact', hint: 'Should be 0.' }),
      row('echoed', 'echoed back', 'higher', (t) => t.roundTrip?.echoed, formatCount, 'Own messages the senders received back; equals messages sent when nothing was lost.', { noise: 'exact' }),
      row('upBytesPerMessage', 'server bytes read per message', 'lower', (t) => t.roundTrip?.serverBytesReadPerMessage, formatBytes, 'Bytes the server read per upstream message (the pollings’ polls included).', { noise: 'exact' }),
      row('upRequestsPerMessage', 'HTTP requests per message', 'lower', (t) => t.roundTrip?.httpRequestsPerMessage, formatRatio, 'Requests the server received per upstream message (the pollings’ polls included; 0 for WebSocket frames).', { noise: 'exact', card: 'Fewest HTTP requests per chat message' }),
    ],
    charts: [
      { id: 'round-trip', title: 'Chat round trip p50 and p99', note: 'Send until the sender received its own message back: p50 (solid) and p99 (pale).', hint: 'Lower is better.', rows: ['roundTripP50', 'roundTripP99'], format: 'us' },
      { id: 'upstream', title: 'Upstream bytes read per message', note: 'Bytes the server read per upstream message, headers and the pollings’ polls included.', hint: 'Lower is better.', rows: ['upBytesPerMessage'], format: 'bytes' },
    ],
  },
  {
    id: 'burst',
    title: 'Bursts',
    note: 'Events published back to back, then quiet: how long until each client had every event of a burst.',
    has: (t) => t.burst !== undefined,
    rows: [
      lat('burstP50', 'whole burst received', (t) => t.burst?.complete, 'p50Us', 'Per client and burst: the last delivery minus the first scheduled time.'),
      lat('burstP99', 'whole burst received', (t) => t.burst?.complete, 'p99Us', 'Slowest 1 in 100 client-bursts.', 'Whole burst received soonest (p99)'),
      lat('burstMax', 'whole burst received', (t) => t.burst?.complete, 'maxUs', 'Slowest client-burst.'),
      row('burstCompleted', 'client-bursts complete', 'higher', (t) => t.burst?.completed, formatCount, 'Client-bursts received whole: clients × bursts when nothing was lost.', { noise: 'exact' }),
    ],
    charts: [{ id: 'burst', title: 'Time until a client had the whole burst', note: 'Per client and burst, p50 (solid), p99 and max (paler).', hint: 'Lower is better.', rows: ['burstP50', 'burstP99', 'burstMax'], format: 'us' }],
  },
  {
    id: 'stream',
    title: 'Token streams',
    note: 'Every client opens its own stream of tokens produced at a fixed pace, as an LLM answer would be.',
    has: (t) => t.stream !== undefined,
    rows: [
      lat('firstTokenP50', 'time to first token', (t) => t.stream?.firstToken, 'p50Us', 'Opening the stream until its first token arrived.'),
      lat('firstTokenP99', 'time to first token', (t) => t.stream?.firstToken, 'p99Us', 'Slowest 1 in 100 first tokens.', 'Fastest first token (p99)'),
      lat('firstTokenColdP50', 'first token, cold client', (t) => t.stream?.firstTokenCold, 'p50Us', 'The same for the one unmeasured warm-up stream each client process opened first: the cold client path (first connection, code not yet optimised).'),
      row('interTokenP50', 'inter-token p50', null, (t) => (t.stream && t.stream.interToken.count > 0 ? t.stream.interToken.p50Us : undefined), formatUs, 'Gap between consecutive tokens as received; near the token interval is smooth, 0 means tokens arrived batched in one answer.'),
      row('interTokenP99', 'inter-token p99', 'lower', (t) => (t.stream && t.stream.interToken.count > 0 ? t.stream.interToken.p99Us : undefined), formatUs, 'Longest gaps between tokens (stutter).'),
      lat('totalP50', 'whole stream', (t) => t.stream?.total, 'p50Us', 'Opening the stream until its last token arrived.'),
      lat('totalP99', 'whole stream', (t) => t.stream?.total, 'p99Us', 'Slowest 1 in 100 whole streams.'),
      row('bytesPerToken', 'bytes per token', 'lower', (t) => t.stream?.bytesPerToken, formatBytes, 'Server bytes written per token, headers, framing and polls included.', { noise: 'exact', card: 'Fewest bytes per token' }),
      row('streamsCompleted', 'streams complete', 'higher', (t) => t.stream?.completed, formatCount, 'Streams that received every token.', { noise: 'exact' }),
    ],
    charts: [
      { id: 'first-token', title: 'Time to first token', note: 'Opening the stream until the first token: p50 (solid) and p99 (pale).', hint: 'Lower is better.', rows: ['firstTokenP50', 'firstTokenP99'], format: 'us' },
      { id: 'token-bytes', title: 'Bytes per token', note: 'Server bytes written per token, headers, framing and polls included.', hint: 'Lower is better.', rows: ['bytesPerToken'], format: 'bytes' },
    ],
  },
  {
    id: 'pollCeiling',
    title: 'Polling ceiling',
    note: 'autocannon repeats one poll against one server process: the requests per second it answers is how many pollers one process can serve. Here more requests/s is better.',
    has: (t) => t.pollCeiling !== undefined,
    rows: [
      row('pollRequestsPerSec', 'requests/s ceiling', 'higher', (t) => t.pollCeiling?.requestsPerSec, (v) => formatRate(v), 'Answered poll requests per second of one server process.', { card: 'Highest polling ceiling (requests/s)' }),
      row('pollP50', 'request latency p50', 'lower', (t) => (t.pollCeiling ? t.pollCeiling.latencyP50Ms * 1000 : undefined), formatMsResolution, 'Time autocannon waited for an answer, median (1 ms resolution).'),
      row('pollP99', 'request latency p99', 'lower', (t) => (t.pollCeiling ? t.pollCeiling.latencyP99Ms * 1000 : undefined), formatMsResolution, 'Slowest 1 in 100 answers (1 ms resolution).'),
      row('pollClients1s', 'pollers at a 1 s interval', 'higher', (t) => t.pollCeiling?.clientsAt1sInterval, formatCount, 'Clients one server process could serve polling once a second (requests/s × 1 s).'),
      row('pollClientsInterval', 'pollers at the poll interval', 'higher', (t) => t.pollCeiling?.clientsAtPollInterval, formatCount, "Clients one process could serve at the scenario's poll interval."),
      row('pollAnswerBytes', 'answer body', null, (t) => t.pollCeiling?.answerBodyBytes, formatBytes, 'Bytes of every answer’s body (an up-to-date short poll gets an empty list, a long poll one event).'),
      row('pollFailures', 'errors + timeouts + non-2xx', 'lower', (t) => (t.pollCeiling ? t.pollCeiling.errors + t.pollCeiling.timeouts + t.pollCeiling.non2xx : undefined), formatCount, 'Failed requests.', { noise: 'exact', hint: 'A valid ceiling has none.' }),
      row('pollServerCpu', 'server CPU', null, (t) => t.pollCeiling?.serverCpuPercent, (v) => formatPercent(v / 100), 'Server CPU over the window, share of one core: near 100% the server was the limit.'),
      row('pollGeneratorCpu', 'autocannon CPU', null, (t) => t.pollCeiling?.generatorCpuPercent, (v) => formatPercent(v / 100), 'The load generator’s CPU, share of one core: at 90% or more the figure is a floor of the ceiling.'),
    ],
    charts: [{ id: 'poll-ceiling', title: 'Polling ceiling: requests per second', note: 'Poll requests one server process answered per second: each request is one poller served for one interval.', hint: 'Higher is better.', rows: ['pollRequestsPerSec'], format: 'rate' }],
  },
  {
    id: 'slowConsumer',
    title: 'Slow consumers',
    note:
      'A share of the clients reads slowly or not at all (its socket paused, so the kernel’s buffers fill and the server queues) from the first event until the window closes, then at full speed; the others read normally, and the summary’s latency, timeline and events/s are theirs. ' +
      'Pull transports (short-poll, long-poll) are immune by construction: the server queues nothing between polls, so a slow poller only falls behind. ' +
      'Push transports (ws, sse, fetch-stream) queue every event for every subscriber until it is read: without a bound (maxQueuedBytes 0) the server’s memory grows with each stalled reader; with one, the server cuts the reader, which reconnects with its cursor and loses whatever retention no longer holds.',
    has: (t) => t.slowConsumer !== undefined,
    rows: [
      row('slowClients', 'slow clients', null, (t) => slow(t)?.slowClients, formatCount, 'Clients that read slowly or not at all until the window closed.', {
        noise: 'exact',
        annotate: (t) => {
          const s = slow(t);
          return s ? (s.readBytesPerSec === 0 ? 'stopped' : `at ${formatBytes(s.readBytesPerSec)}/s`) : undefined;
        },
      }),
      row('queueBound', 'queue bound per subscriber', null, (t) => push(t, (s) => s.maxQueuedBytes), (v) => (v === 0 ? 'none' : formatBytes(v)), "The server's slow-consumer policy (maxQueuedBytes): past this many bytes queued for one subscriber it is cut; none: queues grow without bound.", { missing: pullText(`${NONE} (pull: nothing queued)`) }),
      row('healthyLost', 'healthy clients: lost', 'lower', (t) => slow(t)?.healthyLost, formatCount, 'Events the healthy clients never received.', { noise: 'exact', hint: 'Should be 0: a slow reader must not cost the others data.' }),
      row('slowCuts', 'slow consumers cut', null, (t) => push(t, (s) => s.cuts), formatCount, 'Subscribers the server cut as slow consumers over the whole run (warm-up, window and drain); the pollings have nothing to cut.', { noise: 'exact', missing: pullText('0 (pull: immune)') }),
      row('cutResumed', 'cut clients resumed', null, (t) => push(t, (s) => s.cutClients), formatCount, 'Slow clients that found their connection cut and reconnected with their cursor.', { noise: 'exact', missing: pullText(`${NONE} (pull: never cut)`) }),
      row('recovered', 'events got back on resume', null, (t) => push(t, (s) => s.recoveredEvents), formatCount, "Events the cut clients' new connections delivered that were due before they reconnected: what the server's retention gave back.", { noise: 'exact', missing: pullText(`${NONE} (pull: never cut)`) }),
      row('slowLost', 'slow clients: lost to the gap', 'lower', (t) => slow(t)?.slowLost, formatCount, 'Events the slow clients never received: retention no longer held them when they resumed (or polled again).', { noise: 'exact' }),
      lat('slowP50', "slow clients' latency", (t) => slow(t)?.slowLatency, 'p50Us', "How far behind the slow clients were: an event's scheduled time until a slow client had it (their catch-up included)."),
      lat('slowP99', "slow clients' latency", (t) => slow(t)?.slowLatency, 'p99Us', 'The same, slowest 1 in 100.'),
      row('rssGrowth', 'server RSS growth', 'lower', (t) => slow(t)?.rssGrowthBytes, formatBytes, "The server's peak RSS over the window minus its RSS once every client was connected: the queues, write buffers and retention the run cost it.", { card: 'Least server memory growth with slow consumers' }),
    ],
    charts: [
      { id: 'slow-memory', title: 'Server RSS growth with slow consumers', note: "Peak RSS over the window minus the RSS once every client was connected: a push transport without a queue bound holds every event its slow readers have not read.", hint: 'Lower is better.', rows: ['rssGrowth'], format: 'bytes' },
      { id: 'slow-resume', title: 'What the slow clients got back and lost', note: "Events the cut clients got back from retention when they resumed (solid) and events the slow clients lost to the gap (pale).", rows: ['recovered', 'slowLost'], format: 'count' },
    ],
    findings: slowConsumerFindings,
  },
  {
    id: 'faults',
    title: 'Faults',
    note:
      'One fault a third into the window: the server restarted on its port (it hands its stream over, the publisher keeps its schedule), a share of the connections reset at once, or the publisher quiet for longer than the proxy\'s read timeout (idle-cut). ' +
      'Every client reconnects with the same bounded, jittered backoff (at once, then 100 ms doubling up to 1 s) and resumes from its cursor (Last-Event-ID on SSE, ?after= on the others).',
    has: (t) => t.faults !== undefined,
    rows: [
      row('faultOutage', 'outage, measured', null, (t) => faults(t)?.measuredOutageMs, formatMs, 'From stopping the server until the new process listened (its replacement is loaded ahead: the outage asked for plus the listen).', {
        annotate: (t) => (faults(t)?.outageMs === undefined ? undefined : `(${formatMs(faults(t)?.outageMs ?? 0)} asked)`),
      }),
      row('faultGap', 'idle gap', null, (t) => faults(t)?.gapMs, formatMs, "idle-cut: how long the publisher went quiet; the proxy closes a connection that carried nothing from the server for its read timeout.", {
        noise: 'exact',
        annotate: (t) => (faults(t)?.idleTimeoutMs === undefined ? undefined : `(read timeout ${formatMs(faults(t)?.idleTimeoutMs ?? 0)}, keep-alive ${(faults(t)?.keepAliveMs ?? 0) > 0 ? formatMs(faults(t)?.keepAliveMs ?? 0) : 'none'})`),
      }),
      row('faultReset', 'connections reset', null, (t) => faults(t)?.connectionsReset, formatCount, 'Open connections the server reset at once (TCP RST).', {
        noise: 'exact',
        annotate: (t) => (faults(t)?.connectionsOpen === undefined ? undefined : `(of ${formatCount(faults(t)?.connectionsOpen ?? 0)} open)`),
      }),
      row('recoverMs', 'time to recover', 'lower', (t) => {
        const ms = faults(t)?.recoverMs;
        return ms === undefined ? undefined : Math.round(ms * 1000);
      }, formatUs, 'From the recovery point (the restarted server listening, or the reset) until every client had an event received after it.', {
        card: 'Quickest recovery from the fault',
        missing: (t) => (faults(t) && (faults(t)?.unrecovered ?? 0) > 0 ? `${NONE} (${formatCount(faults(t)?.unrecovered ?? 0)} never recovered)` : undefined),
      }),
      lat('recoveryP50', 'recovery per client', (t) => faults(t)?.recovery, 'p50Us', 'The same for the median client.'),
      row('faultLost', 'events lost', 'lower', (t) => (faults(t) ? (t.delivery?.lost ?? 0) : undefined), formatCount, 'Expected deliveries never received.', { noise: 'exact', hint: 'Should be 0 while retention covers the outage.' }),
      row('faultDuplicates', 'duplicates', 'lower', (t) => (faults(t) ? (t.delivery?.duplicates ?? 0) : undefined), formatCount, 'Events a client received twice (a resumption from the cursor sends none).', { noise: 'exact', hint: 'Should be 0.' }),
      row('faultReconnected', 'clients reconnected', null, (t) => faults(t)?.reconnectedClients, formatCount, 'Clients whose connection failed and that reconnected (a short poller between polls may not notice a reset: its next poll opens a new connection).', { noise: 'exact' }),
      row('faultReconnects', 'reconnections', null, (t) => faults(t)?.reconnects, formatCount, 'Successful reconnections in all.', { noise: 'exact' }),
      row('faultFailedAttempts', 'failed reconnection attempts', null, (t) => faults(t)?.failedAttempts, formatCount, 'Attempts refused while no server listened, before one succeeded.', { noise: 'exact' }),
      row('stormConnections', 'storm: connections per 100 ms, peak', 'lower', (t) => faults(t)?.storm.peakConnectionsPer100ms, formatCount, 'Most connections the server accepted in one 100 ms after the recovery point (its first 2 s).', { noise: 'exact' }),
      row('stormRequests', 'storm: requests per 100 ms, peak', 'lower', (t) => faults(t)?.storm.peakRequestsPer100ms, formatCount, 'Most requests (WebSocket upgrades included) the server received in one 100 ms after the recovery point: the pollings add their steady polls.', { noise: 'exact' }),
      lat('faultLatencyMax', 'latency', (t) => (faults(t) ? t.latency : undefined), 'maxUs', 'Worst latency of the window: after a restart, the events due while no server ran, published late.'),
    ],
    charts: [
      { id: 'fault-recovery', title: 'Time to recover from the fault', note: 'From the recovery point until every client had an event again (solid), and the median client (pale).', hint: 'Lower is better.', rows: ['recoverMs', 'recoveryP50'], format: 'us' },
      { id: 'fault-storm', title: 'Reconnect storm: peak per 100 ms', note: 'Most connections (solid) and requests (pale) the server accepted in one 100 ms after the recovery point.', rows: ['stormConnections', 'stormRequests'], format: 'count' },
    ],
    findings: faultsFindings,
  },
  {
    id: 'browserLimits',
    title: 'Browser connection limits',
    note:
      'One headless Chromium page opens more subscriptions than an HTTP/1.1 browser’s six connections per origin, all at once and all to one origin; after the hold the first ones are closed until six remain, then a few events are published. ' +
      'A subscription reached the server when its EventSource or WebSocket opened, its stream’s headers arrived or its first poll was answered (a long poll’s, less the time the server held it); it stalled when that took half the hold or more. ' +
      'WebSocket is not subject to the limit.',
    has: (t) => t.browserLimits !== undefined,
    rows: [
      row('limitOpened', 'subscriptions opened', null, (t) => limits(t)?.subscriptions, formatCount, 'Subscriptions the page opened at once to one origin.', { noise: 'exact' }),
      row('limitServer', 'held at the server', null, (t) => limits(t)?.serverSubscribers, formatCount, 'Streams, sockets or held long polls the server had 70% into the hold (short polls hold nothing).', { noise: 'exact' }),
      row('limitConnected', 'reached the server at once', 'higher', (t) => limits(t)?.connected, formatCount, 'Subscriptions that reached the server within half the hold.', { noise: 'exact' }),
      row('limitStalled', 'stalled', 'lower', (t) => limits(t)?.stalled, formatCount, 'Subscriptions that waited for a connection until earlier ones were closed.', { noise: 'exact' }),
      row('limitLongest', 'longest stall', 'lower', (t) => {
        const b = limits(t);
        if (!b) return undefined;
        const waits = b.perSubscription.filter((s) => s.stalled).map((s) => s.connectMs ?? Infinity);
        return waits.length === 0 ? 0 : Math.max(...waits) * 1000;
      }, (v) => (Number.isFinite(v) ? formatUs(v) : 'never connected'), 'How long the longest-waiting subscription took to reach the server.'),
      row('limitInOrder', 'got exactly 1..M in order', 'higher', (t) => limits(t)?.perSubscription.filter((s) => !s.released && s.inOrder).length, formatCount, 'Remaining subscriptions that received exactly the events published after the hold, once each and in order.', { noise: 'exact' }),
    ],
    charts: [],
    findings: browserLimitsFindings,
  },
];

/** The sections these transports have data for, each with only the rows some transport measured. */
export function sectionsFor(transports: readonly TransportResult[]): ScenarioSection[] {
  return SCENARIO_SECTIONS.filter((s) => transports.some(s.has)).map((s) => ({
    ...s,
    rows: s.rows.filter((def) => transports.some((t) => def.value(t) !== undefined || def.missing?.(t) !== undefined)),
  }));
}

/** Every row of these transports: the summary rows, then each section's. */
export function allRows(transports: readonly TransportResult[]): MetricDef[] {
  return [...visibleMetrics(transports), ...sectionsFor(transports).flatMap((s) => s.rows)];
}

/** Looks a section row up by id; throws on a typo (a programming error). */
export function sectionRow(id: string): MetricDef {
  const def = SCENARIO_SECTIONS.flatMap((s) => s.rows).find((d) => d.id === id);
  if (!def) throw new Error(`unknown scenario row "${id}"`);
  return def;
}
