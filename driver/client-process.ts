// Child-process entry that runs one share of a transport's subscribers, apart from the server's process. It records
// delivery and latency, reports once a second (aligned to the driver's clock), measures its own CPU and event-loop
// delay over exactly the measured window, and exits when its parent goes away.
import { Client as UndiciClient } from 'undici';
import { undiciWire } from '../clients/http.ts';
import type { Histogram } from 'hdr-histogram-js';
import { CLIENT_PROBE_INTERVAL_MS, LoopDelay } from '../lib/loop-delay.ts';
import { nowUs, setClockSkewUs } from '../lib/clock.ts';
import { ClockSync, appliedOffsetUs, type ClockEstimate } from '../lib/clock-sync.ts';
import { createHistogram, encodeHistogram } from '../lib/histogram.ts';
import { createClient } from '../clients/index.ts';
import type { Client, ClientOptions, EventSink } from '../clients/client.ts';
import { LatencyRecorder, SequenceTracker, attributeMissing } from '../clients/recorder.ts';
import type { ClientMessage, ClientProcessConfig, ClientReport, DriverMessage, ProbeResult, WindowSpec } from './protocol.ts';
import type { Behaviour } from './scenarios/behaviour.ts';
import { createBehaviour } from './scenarios/behaviours.ts';
import { failWithOneLine } from '../lib/child-failure.ts';
import { BrowserHost } from '../clients/browser/host.ts';

const send = (msg: ClientMessage): void => {
  if (process.connected) process.send?.(msg, undefined, undefined, () => undefined);
};

// ---- what every subscriber of this process records (the hot path reads these module variables) -------------

/** The measured window, µs: latency for events scheduled in [windowStartUs, windowEndUs), deliveries received in it. */
let windowStartUs = Infinity;
let windowEndUs = Infinity;
/** Latency of the events scheduled in the window. */
const windowLatency = new LatencyRecorder();
/** Latency of every first delivery received in the current second (the timeline), µs. */
const secondLatency: Histogram = createHistogram();
/** Unique deliveries received inside the window. */
let windowDeliveries = 0;
/** Latencies that came out negative, over the whole run (an error of the instrument). */
let negativeLatencies = 0;
/** Receive time of the last first delivery, µs of the server's clock. */
let lastReceiveUs = 0;
/** The server's clock minus this process's, as applied to every receive time, µs (0 when they cannot be told apart). */
let clockOffsetUs = 0;
/** Scheduled time of the run's first event (seq `after` + 1) once a subscriber of this process received it, µs. */
let firstEventTsUs: number | undefined;
/** Called once the first event arrived. */
let onFirstEvent: (() => void) | undefined;
/** This process's time on the server's clock, µs. */
const serverNowUs = (): number => nowUs() + clockOffsetUs;

/** Records one client's deliveries into its tracker and the process's figures. */
class Sink implements EventSink {
  readonly tracker: SequenceTracker;
  constructor(private readonly firstSeq: number) {
    this.tracker = new SequenceTracker(firstSeq);
  }
  event(seq: number, tsUs: number, localUs: number): void {
    if (!this.tracker.record(seq)) return;
    if (firstEventTsUs === undefined && seq === this.firstSeq) {
      firstEventTsUs = tsUs;
      onFirstEvent?.();
    }
    // `ts` is the server's clock: the receive time is read on it too.
    const nowUs = localUs + clockOffsetUs;
    lastReceiveUs = nowUs;
    const latency = nowUs - tsUs;
    if (latency < 0) {
      negativeLatencies++;
    } else {
      secondLatency.recordValue(latency);
      if (tsUs >= windowStartUs && tsUs < windowEndUs) windowLatency.record(latency);
    }
    if (nowUs >= windowStartUs && nowUs < windowEndUs) windowDeliveries++;
  }
  gap(): void {
    this.tracker.gap();
  }
}

const sinks: Sink[] = [];
const clients: Client[] = [];
/** Index of each failed client, and the first reason. */
const failedIndexes = new Set<number>();
let firstError: string | undefined;
let config: ClientProcessConfig | undefined;
/** The scenario behaviour (churn, chat, burst, stream, slow-consumer), when the config names one. */
let behaviour: Behaviour | undefined;
/** The headless Chromium the subscribers run in, when the config says so. */
let browser: BrowserHost | undefined;
const eld = new LoopDelay(CLIENT_PROBE_INTERVAL_MS);

// ---- the per-second clock ----------------------------------------------------------------------------------

let clockTimer: NodeJS.Timeout | undefined;

/** Ticks at t0 + k s for k = 1, 2, ...: each tick reports the second that just ended. */
function startClock(t0Us: number): void {
  if (clockTimer) clearTimeout(clockTimer);
  let second = Math.max(1, Math.ceil((serverNowUs() - t0Us) / 1e6));
  let lastCpu = process.cpuUsage();
  let lastUs = nowUs();
  eld.reset();
  const arm = (): void => {
    clockTimer = setTimeout(tick, Math.max(0, (t0Us + second * 1e6 - serverNowUs()) / 1000));
  };
  const tick = (): void => {
    const now = nowUs();
    const cpu = process.cpuUsage(lastCpu);
    lastCpu = process.cpuUsage();
    const cpuPercent = ((cpu.user + cpu.system) / Math.max(1, now - lastUs)) * 100;
    lastUs = now;
    let delivered = 0;
    for (const s of sinks) delivered += s.tracker.received;
    send({
      type: 'tick',
      second,
      delivered,
      interval: secondLatency.totalCount === 0 ? '' : encodeHistogram(secondLatency),
      cpuPercent: Math.round(cpuPercent * 10) / 10,
      eventLoopDelayP99Us: eld.percentileUs(99),
    });
    secondLatency.reset();
    eld.reset();
    second++;
    arm();
  };
  arm();
}

// ---- the window --------------------------------------------------------------------------------------------

let windowCpuStart: NodeJS.CpuUsage | undefined;
/** When windowCpuStart was taken, µs: a stalled process takes it (and closes the window) late. */
let windowCpuStartUs = 0;
let windowCpuUs = 0;
let windowUs = 0;
let windowLateUs = 0;
let windowClosed = false;
const windowTimers: NodeJS.Timeout[] = [];

function openWindow(w: WindowSpec): void {
  // The window is on the server's clock; the event-loop probe and the scenario behaviour read this process's.
  const received = serverNowUs();
  windowStartUs = w.startUs;
  windowEndUs = w.endUs ?? Infinity;
  windowLateUs = Math.max(0, received - w.startUs);
  eld.setWindow(w.startUs - clockOffsetUs, windowEndUs - clockOffsetUs);
  behaviour?.window?.(w.endUs === undefined ? { startUs: w.startUs - clockOffsetUs } : { startUs: w.startUs - clockOffsetUs, endUs: w.endUs - clockOffsetUs });
  windowTimers.push(
    setTimeout(() => {
      windowCpuStart = process.cpuUsage();
      windowCpuStartUs = nowUs();
      browser?.windowOpened();
    }, Math.max(0, (w.startUs - received) / 1000)),
  );
  if (w.endUs !== undefined) windowTimers.push(setTimeout(closeWindow, Math.max(0, (w.endUs - received) / 1000)));
}

/** Takes the window's CPU (once): at its end, or at 'finish' for a window without an end. */
function closeWindow(): void {
  if (windowClosed || windowStartUs === Infinity) return;
  windowClosed = true;
  const now = nowUs();
  if (windowCpuStart === undefined) {
    windowCpuStart = process.cpuUsage();
    windowCpuStartUs = now;
    browser?.windowOpened();
  }
  browser?.windowClosed();
  const cpu = process.cpuUsage(windowCpuStart);
  windowCpuUs = cpu.user + cpu.system;
  // The CPU's own span: a process stalled past the window's end measures its CPU until it gets to close it, so
  // dividing by the nominal window would read several cores' worth.
  windowUs = Math.max(0, now - windowCpuStartUs);
  eld.closeWindow(now);
}

// ---- connecting --------------------------------------------------------------------------------------------

let clockSync: ClockSync | undefined;
/** The last estimate of the offset to the server's clock. */
let clockEstimate: ClockEstimate | undefined;

/** Estimates the offset to the server's clock and applies it; re-estimates every `resyncMs` (0: never). */
async function syncClock(c: ClientProcessConfig): Promise<void> {
  clockSync = new ClockSync(c.baseUrl, { ...(c.controlHeaders ? { headers: c.controlHeaders } : {}), ...(c.ca === undefined ? {} : { ca: c.ca }) });
  clockEstimate = await clockSync.measure(CLOCK_SYNC_EXCHANGES);
  clockOffsetUs = appliedOffsetUs(clockEstimate);
  if ((c.clockResyncMs ?? 0) > 0) {
    clockSync.start(c.clockResyncMs as number, (e) => {
      clockEstimate = e;
      clockOffsetUs = appliedOffsetUs(e);
    });
  }
}

/** Exchanges of the first clock estimate. */
const CLOCK_SYNC_EXCHANGES = 16;

/** Sets the process up: its clock's offset to the server's, and its behaviour, which may warm the client path with an unmeasured connection first. */
async function start(c: ClientProcessConfig): Promise<void> {
  config = c;
  if (c.clockSkewUs !== undefined) setClockSkewUs(c.clockSkewUs);
  await syncClock(c);
  behaviour = c.scenario ? createBehaviour(c.scenario, c.clientTotal) : undefined;
  if (c.clientsIn === 'chromium') {
    if (behaviour) throw new Error('a scenario behaviour cannot run in browser clients');
    browser = await BrowserHost.launch(c.ca);
  }
  if (behaviour?.warmUp) await behaviour.warmUp(c.transport, clientOptions(c, 0, () => undefined));
  send({ type: 'ready' });
}

/** The options of subscriber `index` of this process (its sink added by the caller). */
function clientOptions(c: ClientProcessConfig, index: number, onError: (err: Error) => void): Omit<ClientOptions, 'sink'> {
  return {
    baseUrl: c.baseUrl,
    after: c.after,
    pollIntervalMs: c.pollIntervalMs,
    pollPhaseMs: phaseMs(c, index),
    longPollWaitMs: c.longPollWaitMs,
    wsCompression: c.wsCompression,
    ...(c.keepAlive === undefined ? {} : { keepAlive: c.keepAlive }),
    ...(c.ca === undefined ? {} : { ca: c.ca }),
    ...(c.http2 === true ? { http2: true } : {}),
    onError,
  };
}

/** Creates `count` more clients and connects them in bounded batches. */
async function add(c: ClientProcessConfig, count: number): Promise<void> {
  const firstSeq = c.after + 1;
  const from = clients.length;
  for (let i = 0; i < count; i++) {
    const index = from + i;
    const sink = new Sink(firstSeq);
    sinks.push(sink);
    const options = {
      ...clientOptions(c, index, (err: Error) => {
        failedIndexes.add(index);
        firstError ??= err.message;
      }),
      sink,
    };
    if (browser) clients.push(await browser.client(c.transport, options));
    else clients.push(behaviour ? behaviour.client(c.transport, c.clientOffset + index, options) : createClient(c.transport, options));
  }
  // Connect in bounded batches so the server's accept backlog is never overrun.
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < clients.length) await (clients[next++] as Client).connect();
  };
  await Promise.all(Array.from({ length: Math.min(c.connectConcurrency, clients.length - from) }, worker));
}

/**
 * Pollers of this process spread evenly over one interval (and across processes, by their offset); those added
 * later by a growing pool (the idle sweep) get a uniformly random phase.
 */
function phaseMs(c: ClientProcessConfig, index: number): number {
  if (index < c.clients) return Math.floor((c.pollIntervalMs * (c.clientOffset + index)) / c.clientTotal);
  return Math.floor(Math.random() * c.pollIntervalMs);
}

// ---- the instrument ----------------------------------------------------------------------------------------

/** Where the clock readings of the cost probe go, so the loop cannot be optimised away. */
let _probeSum = 0;

/** The clock's cost per call and `count` GET /time round trips on one keep-alive connection. */
async function probe(count: number): Promise<ProbeResult> {
  const calls = 100_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) _probeSum += nowUs();
  const timestampCostNs = Number(process.hrtime.bigint() - t0) / calls;
  const rttUs: number[] = [];
  let clockOffsetUs = 0;
  if (config) {
    // Over the same wire as the subscribers: TLS with the run's CA, HTTP/2 when they speak it.
    const http = new UndiciClient(new URL(config.baseUrl).origin, { pipelining: 1, ...undiciWire(config) });
    try {
      let best = Infinity;
      // The first exchange opens the connection; it is not a round trip of the kept-alive path.
      for (let i = 0; i <= count; i++) {
        const before = nowUs();
        const res = await http.request({ method: 'GET', path: '/time' });
        const body = (await res.body.json()) as { now: number };
        const after = nowUs();
        if (i === 0) continue;
        const rtt = after - before;
        rttUs.push(rtt);
        if (rtt < best) {
          best = rtt;
          clockOffsetUs = body.now - Math.round((before + after) / 2);
        }
      }
    } finally {
      await http.close();
    }
  }
  rttUs.sort((a, b) => a - b);
  return { type: 'probe-result', timestampCostNs: Math.round(timestampCostNs * 10) / 10, rttUs, clockOffsetUs };
}

// ---- finishing ---------------------------------------------------------------------------------------------

async function finish(lastSeq: number, drainMs: number): Promise<void> {
  const deadline = Date.now() + drainMs;
  const behind = (): number => clients.filter((cl, i) => cl.lastSeq < lastSeq && !failedIndexes.has(i)).length;
  while (behind() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  closeWindow();
  if (clockTimer) clearTimeout(clockTimer);
  for (const t of windowTimers) clearTimeout(t);
  behaviour?.stop();
  // The pages' clocks aligned again: how far they moved over the run.
  await browser?.realign().catch(() => undefined);
  // Browser clients stamp their deliveries in the pages: the pages' event loops are the ones that can delay a stamp.
  const pageLoopDelay = await browser?.pageLoopDelay().catch(() => undefined);
  await Promise.all([...clients.map((cl) => cl.close()), clockSync?.close()]);
  const browserClock = browser?.clock();
  await browser?.close();
  const first = (config?.after ?? 0) + 1;
  const report: ClientReport = {
    type: 'report',
    histogram: windowLatency.encode(),
    negativeLatencies,
    received: 0,
    windowDeliveries,
    duplicates: 0,
    outOfOrder: 0,
    gaps: 0,
    lost: 0,
    behind: 0,
    stragglers: 0,
    failedClients: failedIndexes.size,
    failedMissed: 0,
    ...(firstError === undefined ? {} : { firstError }),
    lastReceiveUs,
    eventLoopDelay: pageLoopDelay ?? eld.encodeWindow(),
    cpuUs: windowCpuUs,
    windowUs,
    windowLateUs,
    ...(clockEstimate ? { clock: { offsetUs: clockEstimate.offsetUs, uncertaintyUs: clockEstimate.uncertaintyUs, appliedOffsetUs: clockOffsetUs, samples: clockEstimate.samples, rttMinUs: clockEstimate.rttMinUs } } : {}),
    ...(behaviour ? { scenario: behaviour.report(lastSeq) } : {}),
    ...(browserClock ? { browser: { ...browserClock, ...(pageLoopDelay === undefined ? {} : { pagesProbed: true }) } } : {}),
  };
  for (const s of sinks) {
    report.received += s.tracker.received;
    report.duplicates += s.tracker.duplicates;
    report.outOfOrder += s.tracker.outOfOrder;
    report.gaps += s.tracker.gaps;
  }
  Object.assign(report, attributeMissing(sinks.map((s, i) => ({ tracker: s.tracker, failed: failedIndexes.has(i) })), first, lastSeq));
  send(report);
}

// An error nothing caught ends this process with one line to the driver, never a stack trace on the terminal.
failWithOneLine('client process');
// Ctrl-C and a closed terminal's SIGHUP reach the whole process group; the driver decides when clients stop.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.on('disconnect', () => process.exit(0));
process.on('message', (msg: DriverMessage) => {
  const failed = (err: unknown): void => send({ type: 'connect-failed', error: err instanceof Error ? err.message : String(err) });
  switch (msg.type) {
    case 'start':
      start(msg.config).catch(failed);
      break;
    case 'connect':
      if (!config) return failed(new Error('connect before start'));
      add(config, config.clients).then(() => send({ type: 'connected', clients: clients.length }), failed);
      break;
    case 'add':
      if (!config) return failed(new Error('add before start'));
      add(config, msg.clients).then(() => send({ type: 'connected', clients: clients.length }), failed);
      break;
    case 'clock':
      startClock(msg.t0Us);
      break;
    case 'window':
      openWindow(msg);
      send({ type: 'window-set', lateUs: windowLateUs });
      break;
    case 'probe':
      // A failed probe leaves the round trip unmeasured (an empty list); the run goes on.
      probe(msg.count).then(send, () => send({ type: 'probe-result', timestampCostNs: 0, rttUs: [], clockOffsetUs: 0 }));
      break;
    case 'first-event':
      if (firstEventTsUs !== undefined) send({ type: 'first-event', tsUs: firstEventTsUs });
      else onFirstEvent = () => send({ type: 'first-event', tsUs: firstEventTsUs as number });
      break;
    case 'scenario':
      if (!behaviour) return send({ type: 'scenario-reply', action: msg.action, values: {} });
      void behaviour.command(msg).then(send);
      break;
    case 'finish':
      // The driver closes the channel once it has the report; 'disconnect' then ends this process.
      void finish(msg.lastSeq, msg.drainMs);
      break;
  }
});
