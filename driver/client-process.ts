// Child-process entry that runs one share of a transport's subscribers, apart from the server's process.
// It records delivery and latency, reports once a second, and exits when its parent goes away.
import { LoopDelay } from '../lib/loop-delay.ts';
import { createClient } from '../clients/index.ts';
import type { Client, EventSink } from '../clients/client.ts';
import { LatencyRecorder, SequenceTracker } from '../clients/recorder.ts';
import type { ClientMessage, ClientProcessConfig, DriverMessage } from './protocol.ts';
import { createBehaviour, type Behaviour } from './scenario-clients.ts';

const send = (msg: ClientMessage): void => {
  if (process.connected) process.send?.(msg);
};

/** Records every client's deliveries; latency only for events of the measured window (by seq). */
class Sink implements EventSink {
  readonly tracker: SequenceTracker;
  constructor(
    private readonly latency: LatencyRecorder,
    private readonly from: number,
    private readonly to: number,
    firstSeq: number,
  ) {
    this.tracker = new SequenceTracker(firstSeq);
  }
  event(seq: number, tsUs: number, nowUs: number): void {
    if (this.tracker.record(seq) && seq >= this.from && seq <= this.to) this.latency.record(nowUs - tsUs);
  }
  gap(): void {
    this.tracker.gap();
  }
}

const latency = new LatencyRecorder();
const sinks: Sink[] = [];
const clients: Client[] = [];
let failed = 0;
let firstError: string | undefined;
let config: ClientProcessConfig | undefined;
let ticker: NodeJS.Timeout | undefined;

let eld: LoopDelay | undefined;
let lastCpu = process.cpuUsage();
let lastTick = performance.now();

function tick(): void {
  const now = performance.now();
  const cpu = process.cpuUsage(lastCpu);
  const cpuPercent = ((cpu.user + cpu.system) / 1000 / (now - lastTick)) * 100;
  lastCpu = process.cpuUsage();
  lastTick = now;
  let delivered = 0;
  for (const s of sinks) delivered += s.tracker.received;
  send({
    type: 'tick',
    delivered,
    interval: latency.takeIntervalEncoded(),
    cpuPercent: Math.round(cpuPercent * 10) / 10,
    eventLoopDelayP99Us: eld?.percentileUs(99) ?? 0,
  });
  eld?.reset();
}

/** The scenario behaviour (churn, chat, burst, stream), when the config names one. */
let behaviour: Behaviour | undefined;
let cpuAtStart = process.cpuUsage();

async function start(c: ClientProcessConfig): Promise<void> {
  config = c;
  cpuAtStart = process.cpuUsage();
  behaviour = c.scenario ? createBehaviour(c.scenario, c.clientTotal ?? c.clients) : undefined;
  await add(c, c.clients);
  eld = new LoopDelay();
  ticker = setInterval(tick, 1000);
  send({ type: 'connected', clients: clients.length });
}

/** Creates `count` more clients and connects them in bounded batches. */
async function add(c: ClientProcessConfig, count: number): Promise<void> {
  const firstSeq = c.after + 1;
  const from = clients.length;
  for (let i = 0; i < count; i++) {
    const sink = new Sink(latency, c.measureFromSeq, c.measureToSeq, firstSeq);
    sinks.push(sink);
    const options = {
      baseUrl: c.baseUrl,
      after: c.after,
      sink,
      pollIntervalMs: c.pollIntervalMs,
      pollPhaseMs: phaseMs(c, from + i),
      longPollWaitMs: c.longPollWaitMs,
      wsCompression: c.wsCompression,
      keepAlive: c.keepAlive,
      onError: (err: Error) => {
        failed++;
        firstError ??= err.message;
      },
    };
    clients.push(behaviour ? behaviour.client(c.transport, (c.clientOffset ?? 0) + from + i, options) : createClient(c.transport, options));
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
  if (index < c.clients) return Math.floor((c.pollIntervalMs * ((c.clientOffset ?? 0) + index)) / (c.clientTotal ?? c.clients));
  return Math.floor(Math.random() * c.pollIntervalMs);
}

async function finish(lastSeq: number, drainMs: number): Promise<void> {
  const deadline = Date.now() + drainMs;
  const behind = (): number => clients.filter((cl) => cl.lastSeq < lastSeq).length;
  while (behind() > 0 && Date.now() < deadline && failed < clients.length) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const stragglers = lastSeq === Number.MAX_SAFE_INTEGER ? 0 : behind();
  if (ticker) clearInterval(ticker);
  behaviour?.stop();
  await Promise.all(clients.map((cl) => cl.close()));
  const first = (config?.after ?? 0) + 1;
  const last = lastSeq === Number.MAX_SAFE_INTEGER ? Math.max(0, ...sinks.map((s) => s.tracker.highest)) : lastSeq;
  let received = 0;
  let lost = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let gaps = 0;
  for (const s of sinks) {
    received += s.tracker.received;
    lost += s.tracker.lost(first, last);
    duplicates += s.tracker.duplicates;
    outOfOrder += s.tracker.outOfOrder;
    gaps += s.tracker.gaps;
  }
  const cpu = process.cpuUsage(cpuAtStart);
  send({
    type: 'report',
    histogram: latency.encode(),
    received,
    lost,
    duplicates,
    outOfOrder,
    gaps,
    failedClients: failed,
    ...(firstError ? { firstError } : {}),
    stragglers,
    cpuUs: cpu.user + cpu.system,
    ...(behaviour ? { scenario: behaviour.report() } : {}),
  });
}

process.on('SIGINT', () => {}); // the driver decides when clients stop
process.on('disconnect', () => process.exit(0));
process.on('message', (msg: DriverMessage) => {
  if (msg.type === 'start') {
    start(msg.config).catch((err: unknown) => send({ type: 'connect-failed', error: err instanceof Error ? err.message : String(err) }));
  } else if (msg.type === 'add') {
    if (!config) return send({ type: 'connect-failed', error: 'add before start' });
    add(config, msg.clients).then(
      () => send({ type: 'connected', clients: clients.length }),
      (err: unknown) => send({ type: 'connect-failed', error: err instanceof Error ? err.message : String(err) }),
    );
  } else if (msg.type === 'scenario') {
    if (!behaviour) return send({ type: 'scenario-reply', action: msg.action, values: {} });
    void behaviour.command(msg).then(send);
  } else if (msg.type === 'finish') {
    // The driver closes the channel once it has the report; 'disconnect' then ends this process.
    void finish(msg.lastSeq, msg.drainMs);
  }
});
