// "Why they differ": a few sentences computed from one run's own figures and settings, for the comparisons a new
// user makes first: Socket.IO against plain ws, TLS and HTTP/2, and subscribers in Chromium. A sentence is said
// only when the figures it needs are there; a transport that cannot be trusted is named as such, not compared.
// Every renderer (terminal, Markdown, HTML) prints these sentences. Pure.
import type { RunResult, TransportResult } from '../lib/result.ts';
import { isSocketIo, type Transport } from '../lib/transports.ts';
import { SOCKETIO_EVENT } from '../lib/socketio.ts';
import { HTTP2_FRAME_HEADER_BYTES, tlsRecordOverhead } from '../lib/tls.ts';
import { HTTP1_CONNECTIONS_PER_ORIGIN, ORIGIN_DOMAIN } from '../lib/chromium.ts';
import { formatBytes, formatCount, formatSig, formatUs } from './format.ts';
import { rangeText } from './floor.ts';
import { boundOf, metric, orderedTransports } from './metrics.ts';
import { isComparable, listText, rankMetric } from './ranking.ts';

/** The section's title in every report. */
export const DIFFERENCES_TITLE = 'Why they differ';

/** Bytes Socket.IO's EVENT packet puts around an event's JSON: `42["event",` and `]`. */
const SOCKETIO_PACKET_BYTES = Buffer.byteLength(`42${JSON.stringify([SOCKETIO_EVENT])}`) + 1;

/** Largest TLS record plaintext and default HTTP/2 frame payload, bytes: an event below it needs at most one of each. */
const MAX_RECORD_PLAINTEXT = 16_384;

/** Smallest share of a difference in bytes per event worth attributing, B: below it the packet explains the difference. */
const MIN_REST_BYTES = 0.5;

/** The transports that push each event down one held connection (the others answer polls). */
const STREAMS: readonly Transport[] = ['ws', 'sse', 'fetch-stream', 'socketio', 'socketio-ws'];

/** Sentences on why this run's transports differ, from its own figures and settings; empty when none applies. */
export function differences(result: RunResult): string[] {
  const ts = orderedTransports(result);
  return [...socketIoSentences(result, ts), ...wireSentences(result, ts), ...browserSentences(result, ts)];
}

/** Bytes with one decimal below 1 KiB ("154.2 B"), else as the tables show them. */
function bytes(v: number): string {
  return Math.abs(v) < 1000 ? `${v.toFixed(1)} B` : formatBytes(v);
}

/** Why `t`'s figures are not compared, as a kind: undefined when they are. */
function untrustedKind(t: TransportResult): 'errored' | 'interrupted' | 'generator' | 'host' | 'invalid' | undefined {
  if (isComparable(t)) return undefined;
  if (t.status === 'errored' || t.status === 'interrupted') return t.status;
  const bound = boundOf(t);
  return bound === 'generator' || bound === 'host' ? bound : 'invalid';
}

/** Why these transports' figures are not compared, one clause per kind ("ws and sse were generator-bound, ..."); '' when all are. */
function untrustedText(ts: readonly TransportResult[]): string {
  const left = ts.filter((t) => untrustedKind(t) !== undefined);
  return groupBy(left, (t) => (t.status === 'errored' ? `errored ${t.transport}` : (untrustedKind(t) ?? '')))
    .map((g) => {
      const [one] = g as [TransportResult];
      const names = listText(g.map((t) => t.transport));
      const many = g.length > 1;
      switch (untrustedKind(one)) {
        case 'errored':
          return `${names} errored${one.error ? ` (${one.error})` : ''}`;
        case 'interrupted':
          return `${names} ${many ? 'were' : 'was'} interrupted`;
        case 'generator':
        case 'host':
          return `${names} ${many ? 'were' : 'was'} ${untrustedKind(one) ?? ''}-bound, so ${many ? 'their' : 'its'} figures show the ${untrustedKind(one) === 'host' ? "host's" : "load generator's"} limits, not the ${many ? "transports'" : "transport's"}`;
        default:
          return `${names}'s figures are invalid (the warnings say why)`;
      }
    })
    .join('; ');
}

/** One transport's untrustedText, or undefined when its figures are compared. */
function untrusted(t: TransportResult): string | undefined {
  return untrustedKind(t) === undefined ? undefined : untrustedText([t]);
}

/** True when `t`'s bytes per event are compared: a generator or host that ran late changes timings, not the bytes the server wrote per delivery. */
function bytesKept(t: TransportResult): boolean {
  const kind = untrustedKind(t);
  return kind === undefined || kind === 'generator' || kind === 'host';
}

/** Where a pair's difference lies against the run's per-second noise, as a clause after the figures. */
function noiseClause(id: string, pair: readonly TransportResult[]): string {
  const r = rankMetric(metric(id), pair);
  switch (r.kind) {
    case 'winner':
    case 'joint':
      return ", beyond this run's per-second noise";
    case 'tie':
      return ", within this run's per-second noise, so this run cannot tell them apart";
    case 'too-few-seconds':
      return ', but the window has too few whole seconds to tell it from noise';
    case 'unranked':
      return ', with no per-second series to tell it from noise';
    default:
      return ', the same once rounded';
  }
}

/** Socket.IO against plain ws: framing bytes, server CPU, latency; its default's polling start; how it resumed. */
function socketIoSentences(result: RunResult, ts: readonly TransportResult[]): string[] {
  const named = ts.filter((t) => isSocketIo(t.transport));
  // what Socket.IO did is said only of the transports that connected and measured something (not one never started)
  const ios = named.filter((t) => t.delivery !== undefined);
  const out: string[] = [];
  const ws = ts.find((t) => t.transport === 'ws');
  for (const s of named) {
    if (ws === undefined) break;
    const why = untrustedText([s, ws]);
    const pairBytesKept = bytesKept(s) && bytesKept(ws);
    const sb = s.wire && s.delivery && s.delivery.deliveredEvents > 0 ? s.wire.bytesPerEvent : undefined;
    const wb = ws.wire && ws.delivery && ws.delivery.deliveredEvents > 0 ? ws.wire.bytesPerEvent : undefined;
    if (pairBytesKept && sb !== undefined && wb !== undefined) {
      const d = sb - wb;
      const head = `${s.transport} carries ${bytes(Math.abs(d))} ${d >= 0 ? 'more' : 'less'} per event than ws (${bytes(sb)} vs ${bytes(wb)}): Socket.IO's packet 42["${SOCKETIO_EVENT}",...] adds ${SOCKETIO_PACKET_BYTES} B around the same event JSON`;
      const rest = d - SOCKETIO_PACKET_BYTES;
      let tail = '';
      if (result.options.wsCompression) tail = '; with ws compression on, both figures are compressed bytes, so the packet does not show one for one';
      else if (rest >= MIN_REST_BYTES) {
        const setup = s.transport === 'socketio' ? "Engine.IO's handshake, the long-polling requests before the upgrade, pings" : "Engine.IO's handshake, the CONNECT exchange, pings";
        tail = `; the other ${bytes(rest)} per event are what it sends per connection (${setup}), spread over the run's deliveries`;
      } else if (rest <= -MIN_REST_BYTES) tail = `; ws's own per-connection bytes (its upgrade) outweigh Socket.IO's by ${bytes(-rest)} per event, spread over the run's deliveries`;
      out.push(`${head}${tail}.`);
    }
    if (why !== '') {
      out.push(`${s.transport}'s ${pairBytesKept ? 'server CPU and latency are' : 'figures are'} not compared with ws's here: ${why}.`);
      continue;
    }
    const pair = [ws, s];
    const sc = s.delivery && s.delivery.deliveredEvents > 0 ? s.server?.cpuMsPer1kEvents : undefined;
    const wc = ws.delivery && ws.delivery.deliveredEvents > 0 ? ws.server?.cpuMsPer1kEvents : undefined;
    if (sc !== undefined && wc !== undefined && sc > 0 && wc > 0) {
      out.push(
        `${s.transport}'s server spent ${formatSig(sc)} ms of CPU per 1 000 deliveries against ws's ${formatSig(wc)} ms (${formatSig(sc / wc, 2)}×${noiseClause('cpuPer1k', pair)}): ` +
          "Socket.IO frames each event once for all its WebSocket sockets but passes every delivery through its own and Engine.IO's per-socket layers, where rtbench's ws server frames each event per socket.",
      );
    }
    if (s.latency && ws.latency && s.latency.count > 0 && ws.latency.count > 0) {
      out.push(`${s.transport}'s latency p50 was ${formatUs(s.latency.p50Us)} against ws's ${formatUs(ws.latency.p50Us)}${noiseClause('p50', pair)}.`);
    }
  }
  const def = ios.find((t) => t.transport === 'socketio');
  if (def !== undefined) {
    const only = ts.find((t) => t.transport === 'socketio-ws');
    let cost = '';
    if (only !== undefined && untrusted(def) === undefined && untrusted(only) === undefined && def.wire && only.wire && (def.delivery?.deliveredEvents ?? 0) > 0 && (only.delivery?.deliveredEvents ?? 0) > 0) {
      const d = def.wire.bytesPerEvent - only.wire.bytesPerEvent;
      cost = `; that start costs it ${bytes(Math.abs(d))} ${d >= 0 ? 'more' : 'less'} per event than socketio-ws, which opens one WebSocket from the start (${bytes(def.wire.bytesPerEvent)} vs ${bytes(only.wire.bytesPerEvent)}, spread over the run's deliveries)`;
    }
    out.push(`socketio is Socket.IO's default configuration, as rtbench's server and client set it: each client connected with HTTP long-polling first, then upgraded to a WebSocket${cost}.`);
  }
  const resumed = ios.filter((t) => t.connect !== undefined && t.delivery !== undefined);
  for (const t of resumed) {
    const c = t.connect;
    const d = t.delivery;
    if (c === undefined || d === undefined) continue;
    out.push(
      `${t.transport} resumed ${formatCount(c.reconnects)} reconnections in the window from the cursor in its CONNECT packet's auth (Socket.IO's own connection state recovery is off in rtbench's server): ${formatCount(d.lost)} lost, ${formatCount(d.duplicates)} duplicates, ${formatCount(d.outOfOrder)} out of order${untrusted(t) === undefined ? '' : ` (but ${untrusted(t) ?? ''})`}.`,
    );
  }
  if (resumed.length === 0 && ios.length > 0) {
    out.push(
      `No ${ios.map((t) => t.transport).join(' or ')} client reconnected in this run, so resuming was not exercised: rtbench resumes Socket.IO from the cursor in the CONNECT packet's auth, with Socket.IO's own connection state recovery off (the churn scenario measures resuming).`,
    );
  }
  return out;
}

/** "HTTP/2 (ALPN h2, 10 connections)": what one transport's TLS connections negotiated; `each` for several transports alike. */
function alpnText(alpn: Record<string, number>, each: boolean): string {
  const parts = Object.entries(alpn)
    .filter(([, n]) => n > 0)
    .map(([proto, n]) => {
      const conns = `${formatCount(n)} connection${n === 1 ? '' : 's'}${each ? ' each' : ''}`;
      if (proto === 'h2') return `HTTP/2 (ALPN h2, ${conns})`;
      if (proto === 'none') return `HTTP/1.1 (no ALPN offered, ${conns})`;
      return `HTTP/1.1 (ALPN ${proto}, ${conns})`;
    });
  return parts.length === 0 ? 'no connection' : parts.join(' and ');
}

/** `items` grouped by `key`, in order of each key's first item. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.values()];
}

/** Only h2 among a transport's TLS connections. */
function onlyH2(t: TransportResult): boolean {
  const alpn = Object.entries(t.wire?.tls?.alpn ?? {}).filter(([, n]) => n > 0);
  return alpn.length > 0 && alpn.every(([p]) => p === 'h2');
}

/** TLS and HTTP/2: what each transport rode, and what the TLS records and HTTP/2 frames put in its bytes per event. */
function wireSentences(result: RunResult, ts: readonly TransportResult[]): string[] {
  const o = result.options;
  if (o.tls !== true && o.http2 !== true) return [];
  const secured = ts.filter((t) => t.wire?.tls !== undefined);
  const first = secured[0]?.wire?.tls;
  if (first === undefined) return [];
  const out: string[] = [];
  const sameSuite = secured.every((t) => t.wire?.tls?.protocol === first.protocol && t.wire.tls.cipher === first.cipher);
  const suite = (t: TransportResult): string => (sameSuite ? '' : ` over ${t.wire?.tls?.protocol ?? ''} (${t.wire?.tls?.cipher ?? ''})`);
  const rode = groupBy(secured, (t) => `${alpnText(t.wire?.tls?.alpn ?? {}, false)}${suite(t)}`).map((g) => {
    const [one] = g as [TransportResult];
    return `${listText(g.map((t) => t.transport))} rode ${alpnText(one.wire?.tls?.alpn ?? {}, g.length > 1)}${suite(one)}`;
  });
  out.push(`${sameSuite ? `Over ${first.protocol} (${first.cipher}) with ${o.http2 === true ? '--http2' : '--tls'}` : `With ${o.http2 === true ? '--http2' : '--tls'}`}, ${rode.join('; ')}.`);
  if (o.http2 === true) {
    const h1 = secured.filter((t) => (t.transport === 'ws' || isSocketIo(t.transport)) && !onlyH2(t)).map((t) => t.transport);
    if (h1.length > 0) {
      out.push(
        `${listText(h1)} stayed on HTTP/1.1 under --http2: the ws library, which rtbench's WebSocket server and client${h1.some(isSocketIo) ? ' and Engine.IO' : ''} are built on, takes only an HTTP/1.1 Upgrade, so the server does not offer RFC 8441's extended CONNECT and a WebSocket gets a TLS connection of its own.`,
      );
    }
  }
  const rec = sameSuite ? tlsRecordOverhead(first.protocol, first.cipher) : undefined;
  if (rec !== undefined) {
    const recBytes = rec.headerBytes + rec.nonceBytes + rec.contentTypeBytes + rec.tagBytes;
    const parts = [`${rec.headerBytes} B header`, ...(rec.nonceBytes > 0 ? [`${rec.nonceBytes} B explicit nonce`] : []), ...(rec.contentTypeBytes > 0 ? [`${rec.contentTypeBytes} B content type`] : []), `${rec.tagBytes} B tag`];
    const anyH2 = secured.some(onlyH2);
    const streams = secured.filter((t) => STREAMS.includes(t.transport) && t.wire && (t.delivery?.deliveredEvents ?? 0) > 0 && t.wire.bytesPerEvent < MAX_RECORD_PLAINTEXT);
    const trusted = streams.filter(bytesKept);
    const left = streams.filter((t) => !bytesKept(t));
    const each = groupBy(trusted, (t) => String(onlyH2(t))).map((g) => {
      const h2 = onlyH2(g[0] as TransportResult);
      return `of ${listText(g.map((t) => `${t.transport}'s ${bytes(t.wire?.bytesPerEvent ?? 0)}`))} per event at most ${recBytes + (h2 ? HTTP2_FRAME_HEADER_BYTES : 0)} B are ${h2 ? 'TLS record and DATA frame header' : 'TLS record'}`;
    });
    out.push(
      `Bytes per event count the encrypted bytes on the wire, handshakes included: every ${first.protocol} record adds ${recBytes} B to what it carries (${parts.join(', ')})${anyH2 ? `, and every HTTP/2 DATA frame a ${HTTP2_FRAME_HEADER_BYTES} B header` : ''}` +
        (each.length > 0 ? `. A stream writes one publish tick's events at a time, so ${each.join('; ')}` : '') +
        (left.length > 0 ? ` (${untrustedText(left)})` : '') +
        (secured.some((t) => !STREAMS.includes(t.transport)) ? "; a poll's answer carries its own records and frames, whatever it holds" : '') +
        '.',
    );
  }
  return out;
}

/** The browser API each transport's subscribers used in the page (clients/browser/page.ts). */
const BROWSER_APIS: Partial<Record<Transport, string>> = {
  ws: 'WebSocket for ws',
  sse: 'EventSource for sse',
  'fetch-stream': 'fetch() with a stream reader for fetch-stream',
  'short-poll': 'fetch() polls for short-poll',
  'long-poll': 'fetch() long polls for long-poll',
};

/** Subscribers in Chromium: its native APIs, the page clock's uncertainty against the latencies, the per-origin limit. */
function browserSentences(result: RunResult, ts: readonly TransportResult[]): string[] {
  const inBrowser = ts.filter((t) => t.browser !== undefined);
  const first = inBrowser[0]?.browser;
  if (result.options.clientsIn !== 'chromium' || first === undefined) return [];
  const out: string[] = [];
  const apis = inBrowser.flatMap((t) => (BROWSER_APIS[t.transport] === undefined ? [] : [BROWSER_APIS[t.transport] as string]));
  out.push(`The subscribers ran in headless Chromium ${first.version} on its own APIs, not rtbench's Node clients: ${listText(apis)}.`);

  const timed = inBrowser.filter((t) => t.latency && t.latency.count > 0);
  const trusted = timed.filter((t) => untrusted(t) === undefined);
  const left = untrustedText(timed);
  if (trusted.length > 0) {
    const u = (t: TransportResult): number => t.browser?.uncertaintyUs ?? 0;
    const close: string[] = [];
    for (let i = 0; i < trusted.length; i++) {
      for (let j = i + 1; j < trusted.length; j++) {
        const a = trusted[i] as TransportResult;
        const b = trusted[j] as TransportResult;
        const gap = Math.abs((a.latency?.p50Us ?? 0) - (b.latency?.p50Us ?? 0));
        if (gap <= u(a) + u(b)) close.push(`${a.transport} and ${b.transport} (${formatUs(gap)} apart, within ±${formatUs(u(a) + u(b))})`);
      }
    }
    const verdict =
      trusted.length < 2
        ? ''
        : close.length > 0
          ? `: the p50s of ${listText(close)} are not told apart by this run`
          : ': every two p50s here differ by more than that';
    out.push(
      `Every browser latency is uncertain by ±${rangeText(timed.map(u), formatUs)} (the page clock's alignment with the host's), so a latency difference smaller than two transports' uncertainties together is not meaningful${verdict}${left === '' ? '' : ` (${left})`}.`,
    );
  } else if (left !== '') {
    out.push(`No browser latency is compared: ${left}.`);
  }

  const h2 = result.options.http2 === true;
  const ws = inBrowser.some((t) => t.transport === 'ws');
  out.push(
    `An HTTP/1.1 browser opens at most ${HTTP1_CONNECTIONS_PER_ORIGIN} connections per origin, and a further held stream or poll waits for one of them; the driver gave each of the ${formatCount(result.options.clients)} subscribers its own origin (s<N>.${ORIGIN_DOMAIN} on the server's port), so none waited behind another's connection` +
      (h2 ? ', and over HTTP/2 each origin had its own h2 connection' : '') +
      (ws ? '; WebSocket is not subject to the limit and got its own origin all the same' : '') +
      '.',
  );
  return out;
}
