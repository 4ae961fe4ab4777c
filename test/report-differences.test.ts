// "Why they differ": the sentences computed from a run's own figures (reports/differences.ts) on constructed
// results, exact; and that the terminal, Markdown and HTML reports each print them (and nothing for a plain run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { BrowserClock, RunResult, TimelinePoint, TransportResult } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import { differences } from '../reports/differences.ts';
import { renderHtml } from '../reports/html.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { renderTerminal } from '../reports/terminal.ts';
import { SYNTHETIC_TYPICAL, syntheticRun, syntheticTransport } from './helpers/synthetic.ts';

/** A synthetic transport named `name` (Socket.IO included), its figures from ws's typical ones with `over` on top. */
function transport(name: Transport, over: { bytesPerEvent?: number; cpuMsPer1kEvents?: number; p50Us?: number; saturated?: boolean }, extra: Partial<TransportResult> = {}): TransportResult {
  const t = syntheticTransport('ws', { ...SYNTHETIC_TYPICAL.ws, ...over });
  if (over.saturated === true && t.driver) t.driver.bound = 'generator';
  return { ...t, transport: name, ...extra };
}

/** A fan-out run of exactly these transports, with `options` on top of the synthetic defaults. */
function run(ts: TransportResult[], options: Partial<RunResult['options']> = {}): RunResult {
  const base = syntheticRun({ ws: SYNTHETIC_TYPICAL.ws });
  return { ...base, options: { ...base.options, ...options, transports: ts.map((t) => t.transport) } as RunResult['options'], transports: ts };
}

/** Five window seconds with these p50s and server CPU per second (1 000 deliveries each). */
function seconds(p50s: number[], cpuMs: number[]): TimelinePoint[] {
  return p50s.map((p50Us, i) => ({ tMs: (i + 1) * 1000, delivered: 1000, p50Us, p99Us: p50Us * 4, maxUs: p50Us * 8, serverCpuMs: cpuMs[i] ?? 0, window: true }));
}

const ws = transport('ws', { bytesPerEvent: 142.3, cpuMsPer1kEvents: 1.2, p50Us: 420 });
const socketio = transport('socketio', { bytesPerEvent: 158.7, cpuMsPer1kEvents: 2.4, p50Us: 520 });
const socketioWs = transport('socketio-ws', { bytesPerEvent: 154.3, cpuMsPer1kEvents: 1.8, p50Us: 450 });
const CPU_WHY =
  "Socket.IO frames each event once for all its WebSocket sockets but passes every delivery through its own and Engine.IO's per-socket layers, where rtbench's ws server frames each event per socket.";

test('--transports ws,socketio,socketio-ws: framing bytes, CPU and p50 against ws, the polling start, resume not exercised', () => {
  assert.deepEqual(differences(run([ws, socketio, socketioWs])), [
    `socketio carries 16.4 B more per event than ws (158.7 B vs 142.3 B): Socket.IO's packet 42["event",...] adds 12 B around the same event JSON; the other 4.4 B per event are what it sends per connection (Engine.IO's handshake, the long-polling requests before the upgrade, pings), spread over the run's deliveries.`,
    `socketio's server spent 2.40 ms of CPU per 1 000 deliveries against ws's 1.20 ms (2.0×, with no per-second series to tell it from noise): ${CPU_WHY}`,
    "socketio's latency p50 was 520 µs against ws's 420 µs, with no per-second series to tell it from noise.",
    `socketio-ws carries 12.0 B more per event than ws (154.3 B vs 142.3 B): Socket.IO's packet 42["event",...] adds 12 B around the same event JSON.`,
    `socketio-ws's server spent 1.80 ms of CPU per 1 000 deliveries against ws's 1.20 ms (1.5×, with no per-second series to tell it from noise): ${CPU_WHY}`,
    "socketio-ws's latency p50 was 450 µs against ws's 420 µs, with no per-second series to tell it from noise.",
    "socketio is Socket.IO's default configuration, as rtbench's server and client set it: each client connected with HTTP long-polling first, then upgraded to a WebSocket; that start costs it 4.4 B more per event than socketio-ws, which opens one WebSocket from the start (158.7 B vs 154.3 B, spread over the run's deliveries).",
    "No socketio or socketio-ws client reconnected in this run, so resuming was not exercised: rtbench resumes Socket.IO from the cursor in the CONNECT packet's auth, with Socket.IO's own connection state recovery off (the churn scenario measures resuming).",
  ]);
});

test('socketio against ws with window seconds: each difference set against the per-second noise', () => {
  const a = { ...ws, timeline: seconds([400, 410, 420, 430, 440], [1.2, 1.3, 1.1, 1.2, 1.25]) };
  const b = { ...socketio, timeline: seconds([900, 910, 920, 930, 940], [1.2, 1.35, 1.15, 1.2, 1.3]) };
  const lines = differences(run([a, b]));
  assert.equal(lines[1], `socketio's server spent 2.40 ms of CPU per 1 000 deliveries against ws's 1.20 ms (2.0×, within this run's per-second noise, so this run cannot tell them apart): ${CPU_WHY}`);
  assert.equal(lines[2], "socketio's latency p50 was 520 µs against ws's 420 µs, beyond this run's per-second noise.");
});

test('a generator-bound socketio: its bytes compared, its CPU and latency named as untrusted; a churn run says how it resumed', () => {
  const bound = transport('socketio', { bytesPerEvent: 158.7, saturated: true });
  assert.deepEqual(differences(run([ws, bound])), [
    `socketio carries 16.4 B more per event than ws (158.7 B vs 142.3 B): Socket.IO's packet 42["event",...] adds 12 B around the same event JSON; the other 4.4 B per event are what it sends per connection (Engine.IO's handshake, the long-polling requests before the upgrade, pings), spread over the run's deliveries.`,
    "socketio's server CPU and latency are not compared with ws's here: socketio was generator-bound, so its figures show the load generator's limits, not the transport's.",
    "socketio is Socket.IO's default configuration, as rtbench's server and client set it: each client connected with HTTP long-polling first, then upgraded to a WebSocket.",
    "No socketio client reconnected in this run, so resuming was not exercised: rtbench resumes Socket.IO from the cursor in the CONNECT packet's auth, with Socket.IO's own connection state recovery off (the churn scenario measures resuming).",
  ]);
  const summary = { count: 10, minUs: 1, meanUs: 1, p50Us: 1, p90Us: 1, p99Us: 1, p999Us: 1, maxUs: 1 };
  const churned = transport('socketio-ws', { bytesPerEvent: 154.3 }, { connect: { reconnects: 120, connectsPerSec: 60, requestsPerSec: 60, newTcpConnectionsPerSec: 60, connectTime: summary, firstEventTime: summary, serverCpuUsPerConnect: 100 } });
  assert.equal(
    differences(run([churned])).at(-1),
    "socketio-ws resumed 120 reconnections in the window from the cursor in its CONNECT packet's auth (Socket.IO's own connection state recovery is off in rtbench's server): 0 lost, 0 duplicates, 0 out of order.",
  );
  const wsBound = transport('ws', { bytesPerEvent: 142.3, saturated: true });
  assert.equal(differences(run([wsBound, bound]))[1], "socketio's server CPU and latency are not compared with ws's here: socketio and ws were generator-bound, so their figures show the load generator's limits, not the transports'.");
  // a Socket.IO transport that never started says nothing about what Socket.IO did
  const notStarted: TransportResult = { transport: 'socketio', status: 'interrupted', error: 'not started', wallMs: 0 };
  assert.deepEqual(differences(run([ws, notStarted])), ["socketio's figures are not compared with ws's here: socketio was interrupted."]);
});

test('--http2: what each transport rode, why ws stayed on HTTP/1.1, and the record and frame bytes inside bytes per event', () => {
  const tls = (alpn: Record<string, number>): { protocol: string; cipher: string; alpn: Record<string, number> } => ({ protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpn });
  const withTls = (t: TransportResult, alpn: Record<string, number>): TransportResult => ({ ...t, wire: { ...(t.wire as NonNullable<TransportResult['wire']>), tls: tls(alpn) } });
  const r = run(
    [
      withTls(syntheticTransport('short-poll', { ...SYNTHETIC_TYPICAL['short-poll'], bytesPerEvent: 400 }), { h2: 10 }),
      withTls(transport('ws', { bytesPerEvent: 170.2 }), { none: 10 }),
      withTls(syntheticTransport('sse', { ...SYNTHETIC_TYPICAL.sse, bytesPerEvent: 180.4 }), { h2: 10 }),
    ],
    { tls: true, http2: true },
  );
  assert.deepEqual(differences(r), [
    'Over TLSv1.3 (TLS_AES_256_GCM_SHA384) with --http2, short-poll and sse rode HTTP/2 (ALPN h2, 10 connections each); ws rode HTTP/1.1 (no ALPN offered, 10 connections).',
    "ws stayed on HTTP/1.1 under --http2: the ws library, which rtbench's WebSocket server and client are built on, takes only an HTTP/1.1 Upgrade, so the server does not offer RFC 8441's extended CONNECT and a WebSocket gets a TLS connection of its own.",
    "Bytes per event count the encrypted bytes on the wire, handshakes included: every TLSv1.3 record adds 22 B to what it carries (5 B header, 1 B content type, 16 B tag), and every HTTP/2 DATA frame a 9 B header. A stream writes one publish tick's events at a time, so of ws's 170.2 B per event at most 22 B are TLS record; of sse's 180.4 B per event at most 31 B are TLS record and DATA frame header; a poll's answer carries its own records and frames, whatever it holds.",
  ]);
  // a generator-bound sse ran late, but the bytes the server wrote for it are the same: still in the sentence
  const lateSse = withTls(syntheticTransport('sse', { ...SYNTHETIC_TYPICAL.sse, bytesPerEvent: 180.4, saturated: true }), { h2: 10 });
  if (lateSse.driver) lateSse.driver.bound = 'generator';
  const late = run([lateSse], { tls: true, http2: true });
  assert.equal(renderTerminal(late).includes('sse (generator-bound)'), true, 'the sse of this case is generator-bound');
  assert.equal(
    differences(late)[1],
    "Bytes per event count the encrypted bytes on the wire, handshakes included: every TLSv1.3 record adds 22 B to what it carries (5 B header, 1 B content type, 16 B tag), and every HTTP/2 DATA frame a 9 B header. A stream writes one publish tick's events at a time, so of sse's 180.4 B per event at most 31 B are TLS record and DATA frame header.",
  );
  // a plain run has no such sentences, and compares with no run it does not hold
  assert.deepEqual(differences(run([syntheticTransport('sse', SYNTHETIC_TYPICAL.sse)])), []);
});

test('--clients-in chromium: the native APIs, the clock uncertainty against the p50s, one origin per subscriber', () => {
  const clock = (uncertaintyUs: number): BrowserClock => ({ version: '142.0.0.0', pages: 4, timerResolutionUs: 5, isolated: true, bestRttUs: 2 * (uncertaintyUs - 5), uncertaintyUs, driftUs: 3, clampedLatencies: 0, eventSourceReconnects: 0 });
  const inPage = (t: TransportResult, uncertaintyUs: number): TransportResult => ({ ...t, browser: clock(uncertaintyUs) });
  const longPoll = inPage(syntheticTransport('long-poll', { ...SYNTHETIC_TYPICAL['long-poll'], p50Us: 2000 }), 120);
  const a = inPage(transport('ws', { p50Us: 800 }), 105);
  const sse = inPage(syntheticTransport('sse', { ...SYNTHETIC_TYPICAL.sse, p50Us: 900 }), 110);
  const origins =
    "An HTTP/1.1 browser opens at most 6 connections per origin, and a further held stream or poll waits for one of them; the driver gave each of the 100 subscribers its own origin (s<N>.rtbench.test on the server's port), so none waited behind another's connection; WebSocket is not subject to the limit and got its own origin all the same.";
  assert.deepEqual(differences(run([longPoll, a, sse], { clientsIn: 'chromium' })), [
    "The subscribers ran in headless Chromium 142.0.0.0 on its own APIs, not rtbench's Node clients: fetch() long polls for long-poll, WebSocket for ws and EventSource for sse.",
    "Every browser latency is uncertain by ±105–120 µs (the page clock's alignment with the host's), so a latency difference smaller than two transports' uncertainties together is not meaningful: the p50s of ws and sse (100 µs apart, within ±215 µs) are not told apart by this run.",
    origins,
  ]);
  const bound = inPage(syntheticTransport('sse', { ...SYNTHETIC_TYPICAL.sse, p50Us: 900, saturated: true }), 110);
  assert.equal(
    differences(run([longPoll, a, bound], { clientsIn: 'chromium' }))[1],
    "Every browser latency is uncertain by ±105–120 µs (the page clock's alignment with the host's), so a latency difference smaller than two transports' uncertainties together is not meaningful: every two p50s here differ by more than that (sse was generator-bound, so its figures show the load generator's limits, not the transport's).",
  );
  const boundToo = inPage(syntheticTransport('long-poll', { ...SYNTHETIC_TYPICAL['long-poll'], saturated: true }), 120);
  assert.equal(
    differences(run([boundToo, a, bound], { clientsIn: 'chromium' }))[1],
    "Every browser latency is uncertain by ±105–120 µs (the page clock's alignment with the host's), so a latency difference smaller than two transports' uncertainties together is not meaningful (long-poll and sse were generator-bound, so their figures show the load generator's limits, not the transports').",
  );
});

test('the terminal, Markdown and HTML reports each print the section; a plain run has none', () => {
  const r = run([ws, socketioWs]);
  const [first] = differences(r);
  assert.ok(first !== undefined);
  const terminal = renderTerminal(r);
  assert.ok(terminal.includes('\nWhy they differ:\n- socketio-ws carries 12.0 B more per event than ws (154.3 B vs 142.3 B): Socket.IO'), terminal);
  const md = renderMarkdown([r]);
  assert.ok(md.includes(`### Why they differ\n\n- ${first}\n`), md);
  const html = renderHtml([r], { generatedAt: '2025-01-01T00:00:00.000Z' });
  assert.ok(html.includes(`<ul class="differences">\n<li>${first.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</li>`));

  const small = JSON.parse(readFileSync(new URL('./fixtures/result-small.json', import.meta.url), 'utf8')) as RunResult;
  assert.ok(!renderTerminal(small).includes('Why they differ:'));
  assert.ok(!renderMarkdown([small]).includes('Why they differ'));
  assert.ok(!renderHtml([small], { generatedAt: '2025-01-01T00:00:00.000Z' }).includes('class="differences"'));
});
