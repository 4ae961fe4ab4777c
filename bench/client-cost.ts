// `npm run bench:client-cost`: what each client implementation costs the process that runs it, so the number of
// client processes can be sized from the offered load. For each implementation (ws, sse, sse-eventsource,
// fetch-stream, fetch-stream-web): its transport's reference server in its own process, N clients in ONE separate
// child process, a warm-up, then a fixed window at a fixed publish rate. Recorded: the child's CPU (user + system)
// over the window per delivery (µs per delivery = ms per 1 000 deliveries), deliveries, loss, latency.
// Implementations run interleaved, one repetition after the other. Writes bench/results/client-cost-<date>.json
// and prints a table. Flags: --clients --rate --payload-bytes --window-ms --warmup-ms --repetitions --drain-ms
// --implementations a,b,...
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { forkModule } from '../lib/children.ts';
import { describeEnvironment } from '../driver/environment.ts';
import { spawnServer } from '../servers/spawn.ts';
import { CLIENT_IMPLEMENTATIONS, createClientOf, type ClientImplementationName } from '../clients/index.ts';
import type { Client, EventSink } from '../clients/client.ts';
import { LatencyRecorder, SequenceTracker } from '../clients/recorder.ts';
import type { LatencySummaryUs } from '../lib/result.ts';

/** The implementations measured by default, in this order. */
const DEFAULT_IMPLEMENTATIONS: ClientImplementationName[] = ['ws', 'sse', 'sse-eventsource', 'fetch-stream', 'fetch-stream-web'];

/** What the child process is asked to do. */
type ToChild =
  | { type: 'connect'; implementation: ClientImplementationName; baseUrl: string; clients: number }
  | { type: 'mark'; seq: number; drainMs: number }
  | { type: 'finish'; seq: number; drainMs: number };

/** What the child's window measured. */
interface ChildWindow {
  cpuUserUs: number;
  cpuSystemUs: number;
  wallUs: number;
  deliveries: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  /** Clients still behind the last seq when the drain ended. */
  behind: number;
  latency: LatencySummaryUs;
}

type FromChild = { type: 'connected' } | { type: 'marked'; behind: number } | ({ type: 'result' } & ChildWindow) | { type: 'failed'; error: string };

// ---- the child: N clients, counted ---------------------------------------------------------------------------

/** Waits (10 ms at a time) until every client has `seq` or `drainMs` passed; returns the clients still behind. */
async function caughtUp(clients: readonly Client[], seq: number, drainMs: number): Promise<number> {
  const deadline = Date.now() + drainMs;
  const behind = (): number => clients.filter((c) => c.lastSeq < seq).length;
  while (behind() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return behind();
}

async function child(): Promise<void> {
  const send = (msg: FromChild): void => void process.send?.(msg);
  const latency = new LatencyRecorder();
  const trackers: SequenceTracker[] = [];
  const clients: Client[] = [];
  /** Latency is recorded for seqs above this (the warm-up's last seq, once marked). */
  let measureAfter = Number.MAX_SAFE_INTEGER;
  let mark = { cpu: process.cpuUsage(), wallUs: 0, received: 0, seq: 0 };
  const received = (): number => trackers.reduce((a, t) => a + t.received, 0);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg: ToChild) => {
    void (async () => {
      if (msg.type === 'connect') {
        for (let i = 0; i < msg.clients; i++) {
          const tracker = new SequenceTracker(1);
          trackers.push(tracker);
          const sink: EventSink = {
            event: (seq, tsUs, nowUs) => {
              if (tracker.record(seq) && seq > measureAfter) latency.record(nowUs - tsUs);
            },
            gap: () => tracker.gap(),
          };
          clients.push(createClientOf(msg.implementation, { baseUrl: msg.baseUrl, after: 0, sink }));
        }
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < clients.length) await (clients[next++] as Client).connect();
        };
        await Promise.all(Array.from({ length: Math.min(50, clients.length) }, worker));
        send({ type: 'connected' });
      } else if (msg.type === 'mark') {
        const behind = await caughtUp(clients, msg.seq, msg.drainMs);
        measureAfter = msg.seq;
        mark = { cpu: process.cpuUsage(), wallUs: performance.now() * 1000, received: received(), seq: msg.seq };
        send({ type: 'marked', behind });
      } else {
        const behind = await caughtUp(clients, msg.seq, msg.drainMs);
        const cpu = process.cpuUsage(mark.cpu);
        const wallUs = performance.now() * 1000 - mark.wallUs;
        const deliveries = received() - mark.received;
        let lost = 0;
        let duplicates = 0;
        let outOfOrder = 0;
        for (const t of trackers) {
          lost += t.lost(mark.seq + 1, msg.seq);
          duplicates += t.duplicates;
          outOfOrder += t.outOfOrder;
        }
        await Promise.all(clients.map((c) => c.close()));
        send({ type: 'result', cpuUserUs: cpu.user, cpuSystemUs: cpu.system, wallUs: Math.round(wallUs), deliveries, lost, duplicates, outOfOrder, behind, latency: latency.summary() });
      }
    })().catch((err: unknown) => send({ type: 'failed', error: err instanceof Error ? err.message : String(err) }));
  });
}

// ---- the parent: servers, the child, the table --------------------------------------------------------------

/** One implementation, one repetition. */
interface Row extends ChildWindow {
  repetition: number;
  implementation: ClientImplementationName;
  transport: string;
  clients: number;
  /** Events published in the window; each client should get every one. */
  events: number;
  expectedDeliveries: number;
  /** Client CPU (user + system) per delivery, µs: the same number as ms per 1 000 deliveries. */
  cpuUsPerDelivery: number;
  /** Client CPU over the window as a share of one core, percent. */
  cpuPercentOfCore: number;
  /** The server's CPU over the window per delivery, µs. */
  serverCpuUsPerDelivery: number;
  /**
   * CPU the rest of the machine used over the window (busy time from /proc/stat minus the client process, the
   * server and this process), as a share of one core, percent: other work competing for the 2 cores.
   */
  otherCpuPercentOfCore?: number;
  loadAverageBefore: number[];
}

/** CPU time the whole machine spent busy (not idle, not waiting for I/O), µs; undefined without /proc/stat. */
function machineBusyUs(): number | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    // /proc/stat counts USER_HZ ticks: 100 a second on Linux.
    return (user + nice + system + irq + softirq + steal) * 10_000;
  } catch {
    return undefined;
  }
}

/** An integer flag >= min, or one sentence saying what is wrong with it. */
function intFlag(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

/** Sends `msg` to the child and resolves with its next message of type `want` (rejects on 'failed' or exit). */
function ask<T extends FromChild['type']>(proc: ChildProcess, msg: ToChild, want: T): Promise<Extract<FromChild, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: FromChild): void => {
      if (reply.type !== want && reply.type !== 'failed') return;
      cleanup();
      if (reply.type === 'failed') reject(new Error(`client process: ${reply.error}`));
      else resolve(reply as Extract<FromChild, { type: T }>);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`client process exited (code ${code}) before answering ${msg.type}`));
    };
    const cleanup = (): void => {
      proc.off('message', onMessage);
      proc.off('exit', onExit);
    };
    proc.on('message', onMessage);
    proc.once('exit', onExit);
    proc.send(msg);
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

async function measure(implementation: ClientImplementationName, o: Options, repetition: number): Promise<Row> {
  const transport = CLIENT_IMPLEMENTATIONS[implementation].transport;
  const loadAverageBefore = os.loadavg().map((x) => round(x, 2));
  const server = await spawnServer({ transport });
  const proc = forkModule(new URL(import.meta.url), ['--child']);
  try {
    await ask(proc, { type: 'connect', implementation, baseUrl: server.url, clients: o.clients }, 'connected');
    const warmupSeq = await server.publish({ rate: o.rate, count: Math.max(1, Math.round((o.rate * o.warmupMs) / 1000)), payloadBytes: o.payloadBytes });
    const marked = await ask(proc, { type: 'mark', seq: warmupSeq, drainMs: o.drainMs }, 'marked');
    if (marked.behind > 0) throw new Error(`${marked.behind} clients did not receive the warm-up within ${o.drainMs} ms`);
    const s0 = await server.stats();
    const busy0 = machineBusyUs();
    const self0 = process.cpuUsage();
    const lastSeq = await server.publish({ rate: o.rate, count: Math.round((o.rate * o.windowMs) / 1000), payloadBytes: o.payloadBytes });
    const w = await ask(proc, { type: 'finish', seq: lastSeq, drainMs: o.drainMs }, 'result');
    const s1 = await server.stats();
    const busy1 = machineBusyUs();
    const self = process.cpuUsage(self0);
    const events = lastSeq - warmupSeq;
    const cpuUs = w.cpuUserUs + w.cpuSystemUs;
    const serverCpuUs = s1.cpuUserUs + s1.cpuSystemUs - (s0.cpuUserUs + s0.cpuSystemUs);
    const { type: _type, ...window } = w;
    return {
      repetition,
      implementation,
      transport,
      clients: o.clients,
      events,
      expectedDeliveries: events * o.clients,
      ...window,
      cpuUsPerDelivery: w.deliveries > 0 ? round(cpuUs / w.deliveries, 3) : 0,
      cpuPercentOfCore: round((cpuUs / w.wallUs) * 100, 1),
      serverCpuUsPerDelivery: w.deliveries > 0 ? round(serverCpuUs / w.deliveries, 3) : 0,
      ...(busy0 !== undefined && busy1 !== undefined
        ? { otherCpuPercentOfCore: round((Math.max(0, busy1 - busy0 - cpuUs - serverCpuUs - self.user - self.system) / w.wallUs) * 100, 1) }
        : {}),
      loadAverageBefore,
    };
  } finally {
    proc.kill();
    await server.stop();
  }
}

interface Options {
  clients: number;
  rate: number;
  payloadBytes: number;
  windowMs: number;
  warmupMs: number;
  drainMs: number;
  repetitions: number;
  implementations: ClientImplementationName[];
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string' },
      rate: { type: 'string' },
      'payload-bytes': { type: 'string' },
      'window-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      'drain-ms': { type: 'string' },
      repetitions: { type: 'string' },
      implementations: { type: 'string' },
    },
  });
  const names = Object.keys(CLIENT_IMPLEMENTATIONS) as ClientImplementationName[];
  const implementations = values.implementations === undefined ? DEFAULT_IMPLEMENTATIONS : values.implementations.split(',');
  for (const name of implementations) {
    if (!(names as string[]).includes(name)) throw new Error(`unknown client implementation "${name}"; expected one of: ${names.join(', ')}`);
  }
  return {
    clients: intFlag('clients', values.clients, 100, 1),
    rate: intFlag('rate', values.rate, 100, 1),
    payloadBytes: intFlag('payload-bytes', values['payload-bytes'], 100, 0),
    windowMs: intFlag('window-ms', values['window-ms'], 8000, 100),
    warmupMs: intFlag('warmup-ms', values['warmup-ms'], 2000, 0),
    drainMs: intFlag('drain-ms', values['drain-ms'], 5000, 0),
    repetitions: intFlag('repetitions', values.repetitions, 3, 1),
    implementations: implementations as ClientImplementationName[],
  };
}

async function main(): Promise<void> {
  let o: Options;
  try {
    o = options(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const startedAt = new Date().toISOString();
  const loadAverageBefore = os.loadavg().map((x) => round(x, 2));
  process.stdout.write(
    `${o.clients} clients x ${o.rate} events/s x ${o.payloadBytes} B, ${o.warmupMs} ms warm-up, ${o.windowMs} ms window, ` +
      `${o.repetitions} repetitions; load average before: ${loadAverageBefore.join(' ')}\n`,
  );
  const rows: Row[] = [];
  for (let repetition = 1; repetition <= o.repetitions; repetition++) {
    for (const implementation of o.implementations) {
      const row = await measure(implementation, o, repetition);
      rows.push(row);
      process.stdout.write(
        `  #${repetition} ${implementation.padEnd(17)} ${row.cpuUsPerDelivery.toFixed(2).padStart(6)} µs/delivery, ${row.cpuPercentOfCore.toFixed(1).padStart(5)}% of a core, ` +
          `${row.deliveries}/${row.expectedDeliveries} delivered, lost ${row.lost}, p50 ${(row.latency.p50Us / 1000).toFixed(2)} ms, p99 ${(row.latency.p99Us / 1000).toFixed(2)} ms` +
          `${row.otherCpuPercentOfCore === undefined ? '' : `, other processes ${row.otherCpuPercentOfCore}% of a core`}\n`,
      );
    }
  }
  const loadAverageAfter = os.loadavg().map((x) => round(x, 2));
  const summary = o.implementations.map((implementation) => {
    const mine = rows.filter((r) => r.implementation === implementation);
    const cost = mine.map((r) => r.cpuUsPerDelivery);
    const p99 = mine.map((r) => r.latency.p99Us);
    return {
      implementation,
      cpuUsPerDelivery: { median: round(median(cost), 3), min: Math.min(...cost), max: Math.max(...cost) },
      cpuPercentOfCore: { median: round(median(mine.map((r) => r.cpuPercentOfCore)), 1) },
      p99Us: { median: median(p99), min: Math.min(...p99), max: Math.max(...p99) },
      lost: mine.reduce((a, r) => a + r.lost, 0),
    };
  });
  const stamp = startedAt.replace(/[:.]/g, '-');
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL(`./results/client-cost-${stamp}.json`, import.meta.url);
  const { repetitions, implementations, ...workload } = o;
  const result = { kind: 'rtbench-bench-client-cost', startedAt, finishedAt: new Date().toISOString(), environment: describeEnvironment(), workload, repetitions, implementations, loadAverageBefore, loadAverageAfter, summary, rows };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const lines = [
    '',
    'implementation      client CPU µs/delivery (= ms per 1 000)   % of a core   p99 ms (median)   lost',
    '                    median   [min – max]',
    ...summary.map(
      (s) =>
        `${s.implementation.padEnd(19)} ${s.cpuUsPerDelivery.median.toFixed(2).padStart(6)}   [${s.cpuUsPerDelivery.min.toFixed(2)} – ${s.cpuUsPerDelivery.max.toFixed(2)}]`.padEnd(61) +
        `${s.cpuPercentOfCore.median.toFixed(1).padStart(5)}   ${(s.p99Us.median / 1000).toFixed(2).padStart(14)}   ${s.lost}`,
    ),
    `load average before: ${loadAverageBefore.join(' ')}, after: ${loadAverageAfter.join(' ')}`,
    `full results: ${file.pathname}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv.includes('--child')) await child();
else await main();
