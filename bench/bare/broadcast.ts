// The yardstick: a bare `ws` / `node:http` SSE broadcast with an open-loop publisher and latency clients, with no
// rtbench code at all (only node built-ins, `ws` and `hdr-histogram-js`), to read rtbench's own figures against.
//
//   node --import tsx bench/bare/broadcast.ts --transport ws|sse --clients 100 --rate 100 --payload 100 \
//     --warmup 2000 --duration 8000 --client-processes 1 [--drain 1000]
//
// One file, three roles: the coordinator (no argument `--role`) forks one server process and the client
// process(es), starts the publisher at an agreed time, then prints ONE JSON object to stdout. Times are integer µs
// of process.hrtime (CLOCK_MONOTONIC, the same in every process of the host). Event i (seq i + 1) is due at
// start + i / rate and carries its DUE time as `ts`; a client records receive - ts (receive time taken once per
// socket chunk) for the events whose ts lies in [start + warmup, start + warmup + duration).
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, get, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import WebSocket, { WebSocketServer } from 'ws';

type Transport = 'ws' | 'sse';
/** What the coordinator tells every child when publishing starts. */
interface Plan {
  startUs: number;
  rate: number;
  /** Events in warm-up + window: seqs 1..total. */
  total: number;
  fromUs: number;
  toUs: number;
}
/** Coordinator -> child. */
type Command =
  | { type: 'listen'; transport: Transport }
  | { type: 'connect'; transport: Transport; port: number; clients: number }
  | { type: 'start'; plan: Plan; clients?: number; payloadBytes?: number }
  | { type: 'finish'; drainMs: number };
/** Child -> coordinator. */
type Report =
  | { type: 'listening'; port: number }
  | { type: 'connected' }
  | { type: 'published'; lateness: string; cpuPercent: number }
  | { type: 'report'; latency: string; received: number; lost: number; duplicates: number; negative: number; cpuPercent: number }
  | { type: 'error'; message: string };

const HIGHEST_US = 3_600_000_000; // 1 h
const histogram = (): Histogram =>
  build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, useWebAssembly: false });
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Due time of event index i (seq i + 1), µs. */
const dueUs = (p: Plan, i: number): number => p.startUs + Math.round((i * 1e6) / p.rate);
const send = (m: Report): void => void process.send?.(m);
/** Calls `f` at monotonic time `atUs` (timer precision, ~1 ms). */
const at = (atUs: number, f: () => void): NodeJS.Timeout => setTimeout(f, Math.max(0, (atUs - nowUs()) / 1000));

// ---- server process ---------------------------------------------------------------------------------------------

function server(): void {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const wsSubs: { ws: WebSocket; socket: Socket }[] = [];
  const sseSubs: ServerResponse[] = [];
  let transport: Transport = 'ws';
  http.on('request', (req, res: ServerResponse) => {
    if (transport !== 'sse' || req.url !== '/sse') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    sseSubs.push(res);
  });
  http.on('upgrade', (req, socket: Socket, head) => {
    if (transport !== 'ws') return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => void wsSubs.push({ ws, socket }));
  });

  /** One publish tick: each event written once per subscriber (ws: socket corked for the tick; SSE: one write). */
  const broadcast = (events: { seq: number; json: string }[]): void => {
    if (transport === 'ws') {
      const frames = events.map((e) => Buffer.from(e.json));
      for (const s of wsSubs) {
        s.socket.cork();
        for (const f of frames) s.ws.send(f, { binary: false });
        s.socket.uncork();
      }
    } else {
      const chunk = Buffer.from(events.map((e) => `id: ${e.seq}\ndata: ${e.json}\n\n`).join(''));
      for (const res of sseSubs) res.write(chunk);
    }
  };

  process.on('message', (m: Command) => {
    if (m.type === 'listen') {
      transport = m.transport;
      http.listen(0, '127.0.0.1', () => {
        const a = http.address();
        send({ type: 'listening', port: typeof a === 'object' && a !== null ? a.port : 0 });
      });
    } else if (m.type === 'start') {
      const subscribers = wsSubs.length + sseSubs.length;
      if (subscribers !== m.clients) return send({ type: 'error', message: `server has ${subscribers} subscribers, expected ${m.clients}` });
      publish(m.plan, 'x'.repeat(m.payloadBytes ?? 0), broadcast);
    }
  });
}

/**
 * The open-loop publisher: wakes ~1.5 ms before the next due time on a timer, spins on setImmediate until it is
 * due, then sends every event already due in one tick. Lateness (send time - due) is recorded for window events.
 */
function publish(p: Plan, payload: string, broadcast: (events: { seq: number; json: string }[]) => void): void {
  const lateness = histogram();
  const cpu = windowCpu(p);
  let next = 0; // index of the next event to send; its seq is next + 1
  const tick = (): void => {
    const now = nowUs();
    const events: { seq: number; json: string }[] = [];
    const dues: number[] = [];
    for (; next < p.total && dueUs(p, next) <= now; next++) {
      const ts = dueUs(p, next);
      events.push({ seq: next + 1, json: `{"seq":${next + 1},"ts":${ts},"data":"${payload}"}` });
      dues.push(ts);
    }
    if (events.length > 0) {
      const sentUs = nowUs();
      broadcast(events);
      for (const ts of dues) if (ts >= p.fromUs && ts < p.toUs) lateness.recordValue(sentUs - ts);
    }
    if (next >= p.total) {
      // Report once the window's CPU reading (at toUs, just after the last due time) is taken.
      return void at(p.toUs + 5000, () => send({ type: 'published', lateness: encodeIntoCompressedBase64(lateness), cpuPercent: cpu() }));
    }
    const waitUs = dueUs(p, next) - nowUs();
    if (waitUs > 2500) setTimeout(tick, Math.floor((waitUs - 1500) / 1000));
    else setImmediate(tick);
  };
  at(p.startUs - 2000, tick);
}

/** CPU (user + system) of this process over the window [fromUs, toUs), percent of one core; 0 until toUs. */
function windowCpu(p: Plan): () => number {
  let from: { cpu: NodeJS.CpuUsage; us: number } | undefined;
  let percent = 0;
  at(p.fromUs, () => (from = { cpu: process.cpuUsage(), us: nowUs() }));
  at(p.toUs, () => {
    if (!from) return;
    const d = process.cpuUsage(from.cpu);
    percent = Math.round(((d.user + d.system) / Math.max(1, nowUs() - from.us)) * 1000) / 10;
  });
  return () => percent;
}

// ---- client process ---------------------------------------------------------------------------------------------

/** One subscriber's bookkeeping by seq. */
interface Tracker {
  seen: Uint8Array;
  received: number;
  duplicates: number;
}

function clients(): void {
  const latency = histogram();
  const trackers: Tracker[] = [];
  const closers: (() => void)[] = [];
  let plan: Plan | undefined;
  let cpu = (): number => 0;
  let negative = 0;

  /** One event, received by tracker t in a socket chunk read at recvUs. */
  const deliver = (t: Tracker, json: string, recvUs: number): void => {
    const e = JSON.parse(json) as { seq: number; ts: number };
    if (!plan || !(e.seq >= 1 && e.seq <= plan.total)) throw new Error(`unexpected event ${json.slice(0, 80)}`);
    if (t.seen[e.seq] === 1) return void t.duplicates++;
    t.seen[e.seq] = 1;
    t.received++;
    if (e.ts < plan.fromUs || e.ts >= plan.toUs) return;
    const v = recvUs - e.ts;
    if (v < 0) negative++;
    else latency.recordValue(Math.min(v, HIGHEST_US));
  };

  const connectWs = (port: number, t: Tracker): Promise<void> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
      let chunkUs = 0;
      // The receive time, once per socket chunk: this listener runs before ws parses the chunk's frames
      // (ws emits the chunk's messages synchronously).
      ws.once('upgrade', (res) => res.socket.prependListener('data', () => (chunkUs = nowUs())));
      ws.on('message', (data) => deliver(t, (data as Buffer).toString(), chunkUs));
      ws.once('open', () => resolve());
      ws.once('error', reject);
      closers.push(() => ws.terminate());
    });

  const connectSse = (port: number, t: Tracker): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port, path: '/sse', agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET /sse answered ${res.statusCode}`));
        res.setEncoding('utf8');
        let rest = ''; // an incomplete line carried over to the next chunk
        res.on('data', (chunk: string) => {
          const recvUs = nowUs();
          const lines = (rest + chunk).split('\n');
          rest = lines.pop() ?? '';
          for (const line of lines) if (line.startsWith('data: ')) deliver(t, line.slice(6), recvUs);
        });
        resolve();
      });
      req.once('error', reject);
      closers.push(() => req.destroy());
    });

  process.on('message', (m: Command) => {
    if (m.type === 'connect') {
      const connect = m.transport === 'ws' ? connectWs : connectSse;
      const all: Promise<void>[] = [];
      for (let i = 0; i < m.clients; i++) {
        const t: Tracker = { seen: new Uint8Array(0), received: 0, duplicates: 0 };
        trackers.push(t);
        all.push(connect(m.port, t));
      }
      Promise.all(all).then(
        () => send({ type: 'connected' }),
        (err: unknown) => send({ type: 'error', message: `client connect failed: ${String(err)}` }),
      );
    } else if (m.type === 'start') {
      plan = m.plan;
      for (const t of trackers) t.seen = new Uint8Array(m.plan.total + 1);
      cpu = windowCpu(m.plan);
    } else if (m.type === 'finish') {
      void finish(m.drainMs);
    }
  });

  /** Waits (at most drainMs) until every subscriber has every seq, then reports. */
  async function finish(drainMs: number): Promise<void> {
    const total = plan?.total ?? 0;
    const deadline = Date.now() + drainMs;
    while (Date.now() < deadline && trackers.some((t) => t.received < total)) await delay(10);
    for (const close of closers) close();
    let received = 0;
    let duplicates = 0;
    for (const t of trackers) {
      received += t.received;
      duplicates += t.duplicates;
    }
    const lost = total * trackers.length - received;
    send({ type: 'report', latency: encodeIntoCompressedBase64(latency), received, lost, duplicates, negative, cpuPercent: cpu() });
  }
}

// ---- coordinator ------------------------------------------------------------------------------------------------

async function coordinator(): Promise<void> {
  const { values } = parseArgs({
    options: {
      transport: { type: 'string', default: 'ws' },
      clients: { type: 'string', default: '100' },
      rate: { type: 'string', default: '100' },
      payload: { type: 'string', default: '100' },
      warmup: { type: 'string', default: '2000' },
      duration: { type: 'string', default: '8000' },
      'client-processes': { type: 'string', default: '1' },
      drain: { type: 'string', default: '1000' },
    },
  });
  const transport = values.transport;
  if (transport !== 'ws' && transport !== 'sse') throw new Error(`--transport must be ws or sse, got ${transport}`);
  const num = (name: keyof typeof values, min: number, max: number): number => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < min || v > max) throw new Error(`--${name} must be a number in [${min}, ${max}], got ${values[name]}`);
    return v;
  };
  const o = {
    clients: Math.floor(num('clients', 1, 10_000)),
    rate: num('rate', 0.1, 100_000),
    payloadBytes: Math.floor(num('payload', 0, 1_000_000)),
    warmupMs: num('warmup', 0, 600_000),
    durationMs: num('duration', 1, 3_600_000),
    processes: Math.floor(num('client-processes', 1, 64)),
    drainMs: num('drain', 0, 60_000),
  };

  const children: ChildProcess[] = [];
  const stopAll = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', stopAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));
  // The whole run is bounded: start-up, publishing, drain and reporting.
  setTimeout(() => {
    process.stderr.write('broadcast: timed out\n');
    process.exit(1);
  }, o.warmupMs + o.durationMs + o.drainMs + 60_000).unref();

  const self = fileURLToPath(import.meta.url);
  const spawn = (role: string): ChildProcess => {
    const c = fork(self, ['--role', role], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 2, 2, 'ipc'] });
    children.push(c);
    c.on('exit', (code, signal) => {
      if (!done) fail(`${role} process exited early (code ${code}, signal ${signal})`);
    });
    c.on('message', (m: Report) => {
      if (m.type === 'error') fail(`${role}: ${m.message}`);
    });
    return c;
  };
  let done = false;
  const fail = (why: string): never => {
    process.stderr.write(`broadcast: ${why}\n`);
    process.exit(1);
  };
  /** The next message of type `type` from `c`, within `ms`. */
  const next = <T extends Report['type']>(c: ChildProcess, type: T, ms: number): Promise<Extract<Report, { type: T }>> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => fail(`no "${type}" message within ${ms} ms`), ms);
      const on = (m: Report): void => {
        if (m.type !== type) return;
        clearTimeout(timer);
        c.off('message', on);
        resolve(m as Extract<Report, { type: T }>);
      };
      c.on('message', on);
    });

  const srv = spawn('server');
  srv.send({ type: 'listen', transport } satisfies Command);
  const { port } = await next(srv, 'listening', 15_000);
  const procs: ChildProcess[] = [];
  for (let i = 0; i < o.processes; i++) {
    const share = Math.floor(o.clients / o.processes) + (i < o.clients % o.processes ? 1 : 0);
    const c = spawn('clients');
    procs.push(c);
    c.send({ type: 'connect', transport, port, clients: share } satisfies Command);
  }
  await Promise.all(procs.map((c) => next(c, 'connected', 20_000)));

  // Publishing starts 200 ms from now, so every process has the plan before the first event is due.
  const startUs = nowUs() + 200_000;
  const total = Math.ceil((o.rate * (o.warmupMs + o.durationMs)) / 1000);
  const plan: Plan = { startUs, rate: o.rate, total, fromUs: startUs + o.warmupMs * 1000, toUs: startUs + (o.warmupMs + o.durationMs) * 1000 };
  for (const c of procs) c.send({ type: 'start', plan } satisfies Command);
  const published = next(srv, 'published', o.warmupMs + o.durationMs + 20_000);
  srv.send({ type: 'start', plan, clients: o.clients, payloadBytes: o.payloadBytes } satisfies Command);
  const pub = await published;
  const reports = await Promise.all(
    procs.map((c) => {
      const r = next(c, 'report', o.drainMs + 20_000);
      c.send({ type: 'finish', drainMs: o.drainMs } satisfies Command);
      return r;
    }),
  );
  done = true;
  stopAll();

  const latency = histogram();
  for (const r of reports) latency.add(decodeFromCompressedBase64(r.latency));
  const lateness = decodeFromCompressedBase64(pub.lateness);
  const sum = (k: 'received' | 'lost' | 'duplicates' | 'negative' | 'cpuPercent'): number => reports.reduce((s, r) => s + r[k], 0);
  const pct = (h: Histogram, q: number): number => (h.totalCount === 0 ? 0 : h.getValueAtPercentile(q));
  const out = {
    transport,
    clients: o.clients,
    rate: o.rate,
    payloadBytes: o.payloadBytes,
    windowMs: o.durationMs,
    /** Unique deliveries over the whole run (warm-up included); latencyUs.count is the window's. */
    deliveries: sum('received'),
    lost: sum('lost'),
    duplicates: sum('duplicates'),
    latencyUs: { p50: pct(latency, 50), p90: pct(latency, 90), p99: pct(latency, 99), p999: pct(latency, 99.9), max: latency.maxValue, count: latency.totalCount },
    publisherLatenessUs: { p50: pct(lateness, 50), p99: pct(lateness, 99), max: lateness.maxValue },
    /** Summed over the client processes, percent of one core, over the window. */
    clientCpuPercent: Math.round(sum('cpuPercent') * 10) / 10,
    serverCpuPercent: pub.cpuPercent,
    ...(sum('negative') > 0 ? { negativeLatencies: sum('negative') } : {}),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// ---- entry ------------------------------------------------------------------------------------------------------

const role = process.argv.indexOf('--role') >= 0 ? process.argv[process.argv.indexOf('--role') + 1] : undefined;
if (role === 'server' || role === 'clients') {
  // A child ends with its coordinator, and on any error it reports before dying.
  process.on('disconnect', () => process.exit(0));
  process.on('uncaughtException', (err) => {
    send({ type: 'error', message: err.stack ?? String(err) });
    setTimeout(() => process.exit(1), 100);
  });
  if (role === 'server') server();
  else clients();
} else {
  coordinator().catch((err: unknown) => {
    process.stderr.write(`broadcast: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
