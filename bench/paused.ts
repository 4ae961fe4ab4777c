// `npm run bench:paused`: what one subscriber that stops reading does to a reference server. The server (its own
// process) publishes 5 000 events/s of 10 KB; one raw subscriber sends its request and then never reads. For 12 s
// the server's RSS (from /proc) and the time /healthz takes to answer (a new connection each time) are sampled every
// 100 ms, with the slow-consumer policy at its default bound and with it off (maxQueuedBytes 0), and, as the
// control, without the subscriber (what publishing alone does to RSS over the same time).
// Target (issue 9): RSS growth under 100 MB and /healthz within 50 ms throughout, with the policy.
// Writes bench/results/paused-<date>.json and prints a table.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { spawnServer } from '../servers/spawn.ts';
import { DEFAULT_MAX_QUEUED_BYTES } from '../servers/slow-consumer.ts';
import { describeEnvironment } from '../driver/environment.ts';

const TRANSPORTS = ['ws', 'sse', 'fetch-stream'] as const;
const PATH = { ws: '/ws', sse: '/sse', 'fetch-stream': '/stream' } as const;
const RATE = 5000;
const PAYLOAD = 10 * 1024;
const SECONDS = Number(process.env.RTBENCH_BENCH_SECONDS ?? 12);

const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** ms until /healthz answers on a new connection (Infinity after 5 s without an answer). */
function healthz(port: number): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t0));
    });
    req.setTimeout(5000, () => {
      req.destroy();
      resolve(Infinity);
    });
    req.on('error', () => resolve(Infinity));
    req.end();
  });
}

interface Row {
  transport: string;
  /** The subscriber's bound; 0: no bound; -1: the control run, without a subscriber. */
  maxQueuedBytes: number;
  rssAtConnectBytes: number;
  rssStartBytes: number;
  rssMaxBytes: number;
  growthSinceConnectBytes: number;
  growthSinceStartBytes: number;
  healthzMs: { p50: number; p99: number; max: number; samples: number };
  slowConsumersCut: number;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

const rows: Row[] = [];
const loadBefore = loadavg();
for (const transport of TRANSPORTS) {
  // -1: the control, no subscriber at all (what publishing alone does to RSS over the same time).
  for (const maxQueuedBytes of [-1, DEFAULT_MAX_QUEUED_BYTES, 0]) {
    const server = await spawnServer({ transport, maxQueuedBytes: Math.max(0, maxQueuedBytes), publishRate: RATE, payloadBytes: PAYLOAD });
    let socket: Socket | undefined;
    try {
      const rssStart = rssOf(server.pid);
      // Publishing from the start: retention fills as it would on a server that has been up a while.
      await new Promise((r) => setTimeout(r, 2000));
      const rssAtConnect = rssOf(server.pid);
      if (maxQueuedBytes >= 0) {
        const s = connect(server.port, '127.0.0.1');
        socket = s;
        s.on('error', () => undefined);
        await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
        const upgrade = transport === 'ws' ? `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` : '';
        s.write(`GET ${PATH[transport]} HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgrade}\r\n`);
        s.pause();
      }
      let rssMax = rssAtConnect;
      const times: number[] = [];
      const end = performance.now() + SECONDS * 1000;
      while (performance.now() < end) {
        times.push(await healthz(server.port));
        rssMax = Math.max(rssMax, rssOf(server.pid));
        await new Promise((r) => setTimeout(r, 100));
      }
      const st = await server.stats();
      rows.push({
        transport,
        maxQueuedBytes,
        rssStartBytes: rssStart,
        rssAtConnectBytes: rssAtConnect,
        rssMaxBytes: rssMax,
        growthSinceConnectBytes: rssMax - rssAtConnect,
        growthSinceStartBytes: rssMax - rssStart,
        healthzMs: { p50: quantile(times, 0.5), p99: quantile(times, 0.99), max: Math.max(...times), samples: times.length },
        slowConsumersCut: st.slowConsumersCut,
      });
    } finally {
      socket?.destroy();
      await server.stop();
    }
  }
}

const file = { kind: 'rtbench-bench-paused', generatedAt: new Date().toISOString(), environment: describeEnvironment(), loadBefore, loadAfter: loadavg(), rate: RATE, payloadBytes: PAYLOAD, seconds: SECONDS, rows };
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const out = new URL(`paused-${file.generatedAt.replace(/[:.]/g, '-')}.json`, dir);
writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
const mb = (b: number): string => (b / 1048576).toFixed(1);
process.stdout.write('transport     policy     RSS at connect   growth since connect  growth since start  /healthz p50/p99/max ms  cut  (sizes in MiB)\n');
for (const r of rows) {
  process.stdout.write(
    `${r.transport.padEnd(13)} ${(r.maxQueuedBytes < 0 ? 'no sub.' : r.maxQueuedBytes === 0 ? 'off' : `${mb(r.maxQueuedBytes)} MiB`).padEnd(10)} ${mb(r.rssAtConnectBytes).padStart(10)} MB ${mb(r.growthSinceConnectBytes).padStart(15)} MB ${mb(r.growthSinceStartBytes).padStart(16)} MB   ${r.healthzMs.p50.toFixed(1)}/${r.healthzMs.p99.toFixed(1)}/${r.healthzMs.max.toFixed(1)}  ${r.slowConsumersCut}\n`,
  );
}
process.stdout.write(`load before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${file.loadAfter.map((x) => x.toFixed(2)).join(' ')}\nwrote ${out.pathname}\n`);
