// `npm run bench:bare-http`: the requests/s a bare node:http server answers on this machine, measured by the same
// autocannon settings as the poll-ceiling scenario's full profile, so the reference polling servers' ceiling can be
// read against it. Writes bench/results/bare-http-<date>.json.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import { createRequire } from 'node:module';

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
/** autocannon ships no types; this is the part used here. */
const autocannon = createRequire(import.meta.url)('autocannon') as (o: object) => Promise<AutocannonResult>;

if (process.argv[2] === 'serve') {
  // The child: the smallest JSON answer, like an up-to-date short poll.
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"events":[],"next":0}');
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.(typeof address === 'object' && address ? address.port : 0);
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const child = fork(new URL(import.meta.url).pathname, ['serve'], { execArgv: ['--import', 'tsx'] });
  try {
    const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(p as number)));
    const loadBefore = os.loadavg()[0];
    const r = await autocannon({ url: `http://127.0.0.1:${port}/poll?after=0`, connections: 100, pipelining: 1, duration: 20 });
    const out = {
      kind: 'rtbench-bench-bare-http',
      at: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      loadAverage1m: { before: loadBefore, after: os.loadavg()[0] },
      settings: { connections: 100, pipelining: 1, durationS: 20 },
      requestsPerSec: r.requests.average,
      latencyP50Ms: r.latency.p50,
      latencyP99Ms: r.latency.p99,
      errors: r.errors,
      non2xx: r.non2xx,
    };
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    const file = new URL(`./results/bare-http-${out.at.replace(/[:.]/g, '-')}.json`, import.meta.url);
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`bare node:http: ${Math.round(out.requestsPerSec)} requests/s, p99 ${out.latencyP99Ms} ms (${file.pathname})\n`);
  } finally {
    child.kill();
  }
}
