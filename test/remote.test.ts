// Servers rtbench did not spawn: the control token of `rtbench serve --host`, a --target run against a separately
// started serve, `rtbench check` naming the rule a broken server breaks, and the example server of docs/examples
// gated with --server-cmd (passing against itself, failing with exit 99 once a delay is added to it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RtServer } from '../servers/server.ts';
import { connectRemote } from '../driver/remote-server.ts';
import { checkContract } from '../driver/check.ts';
import { startServerCommand } from '../driver/targets.ts';
import { createClient } from '../clients/index.ts';
import { nowUs } from '../lib/clock.ts';
import type { RunResult } from '../lib/result.ts';
import { Collect } from './helpers/sink.ts';
import { until } from './helpers/raw.ts';
import { runCli, runCliBatch, startCli, type CliRun } from './helpers/cli.ts';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const EXAMPLE = 'node docs/examples/server/server.js';
const BROKEN = 'node test/fixtures/broken-server.js';

/** A port free right now on 127.0.0.1 (for a server command that must be told its port). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

describe('the control token', () => {
  let server: RtServer;
  before(async () => {
    server = await startServer({ transport: 'sse', controlToken: 'secret-token' });
  });
  after(() => server.close());

  const call = (method: string, path: string, body?: string, token?: string): Promise<Response> =>
    fetch(`${server.url}${path}`, { method, ...(body === undefined ? {} : { body }), headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('answers 401 without it on every control endpoint and changes nothing', async () => {
    const plan = JSON.stringify({ rate: 1000, count: 5, payloadBytes: 1 });
    for (const [method, path, body] of [
      ['POST', '/publish', '{"data":"x"}'],
      ['POST', '/publisher', plan],
      ['GET', '/publisher', undefined],
      ['POST', '/publisher/stop-at', '{"endUs":1}'],
      ['POST', '/publisher/stop', undefined],
      ['POST', '/window', '{"startUs":1}'],
      ['GET', '/stats?reset=1', undefined],
    ] as const) {
      for (const token of [undefined, 'wrong-token']) {
        const res = await call(method, path, body, token);
        assert.equal(res.status, 401, `${method} ${path} with ${token ?? 'no token'}`);
        assert.match(((await res.json()) as { error: string }).error, /control token/);
      }
    }
    assert.equal(server.hub.lastSeq, 0, 'nothing was published');
    assert.equal(await server.control.settled(0), undefined, 'no publisher was started');
    assert.equal(server.stats.publisher.windowStartUs, -Infinity, 'no window was set');
  });

  it('keeps the streaming, /time and /healthz endpoints open, and takes the token', async () => {
    assert.equal((await call('GET', '/healthz')).status, 200);
    assert.equal((await call('GET', '/time')).status, 200);
    const sink = new Collect();
    const client = createClient('sse', { baseUrl: server.url, sink, after: 0 });
    await client.connect();
    try {
      const res = await call('POST', '/publish', '{"data":"x"}', 'secret-token');
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { seq: 1 });
      await until(() => sink.seqs.length >= 1, 'the event published');
      assert.deepEqual(sink.seqs, [1]);
      assert.equal((await call('GET', '/stats', undefined, 'secret-token')).status, 200);
    } finally {
      await client.close();
    }
  });
});

describe('a remote rtbench serve', () => {
  let serve: ReturnType<typeof startCli>;
  let token = '';
  const urls = new Map<string, string>();
  before(async () => {
    serve = startCli(['serve', '--host', '0.0.0.0', '--rate', '0', 'sse', 'ws']);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve printed no token within 20 s: ${out}`)), 20_000);
      serve.child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        for (const m of out.matchAll(/^\s+(sse|ws)\s+((?:http|ws):\/\/127\.0\.0\.1:\d+)/gm)) urls.set(m[1] as string, (m[2] as string).replace(/^ws:/, 'http:'));
        const t = /control token: (\S+)/.exec(out);
        if (t && urls.size === 2) {
          token = t[1] as string;
          clearTimeout(timer);
          resolve();
        }
      });
      void serve.done.then((r) => reject(new Error(`serve exited early: ${r.stderr}`)));
    });
  });
  after(async () => {
    serve.child.kill('SIGINT');
    await serve.done;
  });

  it('prints a 128-bit token beyond loopback and refuses control without it', async () => {
    assert.match(token, /^[A-Za-z0-9_-]{22}$/);
    const base = urls.get('sse') as string;
    assert.equal((await fetch(`${base}/publish`, { method: 'POST', body: '{"data":"x"}' })).status, 401);
    assert.equal((await fetch(`${base}/stats`)).status, 401);
  });

  it('is driven over HTTP as a spawned server: a plan delivers exactly its events, after the server\'s seq', async () => {
    const server = await connectRemote({ transport: 'sse', url: urls.get('sse') as string, token });
    const sink = new Collect();
    try {
      assert.equal(server.planControl, true);
      assert.equal(server.measuresServer, true);
      assert.deepEqual(server.clock, { offsetUs: 0, uncertaintyUs: 0 }, 'one host: the same clock');
      const base = (await server.stats()).lastSeq;
      const client = createClient('sse', { baseUrl: server.url, sink, after: base });
      await client.connect();
      const M = 30;
      const done = await server.publishUntilStopped({ rate: 500, count: M, payloadBytes: 10, startUs: nowUs() + 20_000 });
      assert.equal(done.lastSeq, base + M);
      await until(() => sink.seqs.length >= M, `${M} events`);
      await client.close();
      assert.deepEqual(sink.seqs, range(base + 1, base + M));
      assert.equal((await server.stats()).lastSeq, base + M);
    } finally {
      await server.stop();
    }
  });

  it('is measured by compare --target: every event delivered once, rtbench\'s control traffic not counted', async () => {
    const run = await runCli(['compare', '--target', `sse=${urls.get('sse')}`, '--target', `ws=${urls.get('ws')}`, '--control-token', token, '--clients', '3', '--rate', '50', '--warmup', '0ms', '--duration', '500ms', '--drain', '2s', '--workers', '1', '--json', '--quiet', '--no-html', '--out', mkdtempSync(join(tmpdir(), 'rtbench-remote-'))]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /sse server at http:\/\/127\.0\.0\.1:\d+ passes the contract check/);
    const result = JSON.parse(run.stdout) as RunResult;
    assert.deepEqual(Object.keys(result.targets ?? {}), ['sse', 'ws']);
    for (const t of result.transports) {
      assert.equal(t.status, 'ok', t.error);
      const d = t.delivery;
      assert.ok(d && d.publishedEvents > 0);
      assert.equal(d.deliveredEvents, d.publishedEvents * 3, t.transport);
      assert.deepEqual([d.lost, d.duplicates, d.outOfOrder, d.gaps], [0, 0, 0, 0], t.transport);
      assert.equal(t.churn?.httpRequests, 0, `${t.transport}: the control requests are not the transport's`);
      assert.equal(t.notMeasured, undefined, 'a remote rtbench serve measures itself');
      assert.ok((t.server?.cpuSeconds ?? 0) > 0, 'server CPU comes from its /stats');
    }
    assert.equal(result.transports.find((t) => t.transport === 'sse')?.wire?.serverBytesRead, 0, 'an SSE subscriber sends nothing after its request');
  });
});

describe('rtbench check', () => {
  it('passes the reference servers and the example server', async () => {
    const server = await startServer({ transport: 'ws' });
    try {
      assert.deepEqual(await checkContract(server.url, 'ws'), { ok: true, rules: 7 });
    } finally {
      await server.close();
    }
    const port = await freePort();
    const example = await startServerCommand(EXAMPLE, `http://127.0.0.1:${port}`, false);
    try {
      const run = await runCli(['check', `http://127.0.0.1:${port}`, '--transports', 'sse,ws']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /ok {4}sse: 8 rules\nok {4}ws: 7 rules/);
    } finally {
      await example.stop();
    }
  });

  for (const [broken, rule] of [
    ['no-id', /every SSE event frame must carry "id: <seq>"/],
    ['numbering', /POST \/publish must number events one after another, got seq 2 and then 4/],
  ] as const) {
    it(`names the rule a server breaks (${broken}) and exits non-zero`, async () => {
      const port = await freePort();
      const server = await startServerCommand(`BROKEN=${broken} ${BROKEN}`, `http://127.0.0.1:${port}`, true);
      try {
        const run = await runCli(['check', `http://127.0.0.1:${port}`, '--transports', 'sse']);
        assert.equal(run.code, 1);
        assert.match(run.stdout, rule);
        assert.match(run.stderr, /^rtbench: the server at http:\/\/127\.0\.0\.1:\d+ breaks the contract \(sse: .+\)\n$/);
        assert.match(run.stderr, rule);
      } finally {
        await server.stop();
      }
    });
  }

  it('stops compare --server-cmd before any round when the server breaks the contract', async () => {
    const port = await freePort();
    const run = await runCli(['compare', '--server-cmd', `BROKEN=no-id ${BROKEN}`, '--server-port', String(port), '--transports', 'sse', '--clients', '2', '--duration', '500ms', '--json', '--quiet', '--no-html']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /the sse server at http:\/\/127\.0\.0\.1:\d+ breaks the contract, so no round was run: every SSE event frame must carry "id: <seq>"/);
    assert.equal(run.stdout, '');
  });
});

describe('--server-cmd and --target on the command line', () => {
  const refused = [
    [['--server-cmd', EXAMPLE, '-t', 'sse'], '--server-cmd needs where the server listens: --server-url URL or --server-port N (one of them)'],
    [['--server-cmd', EXAMPLE, '--server-port', '3000'], '--server-cmd needs --transports naming the transports your server offers, e.g. --transports sse,ws'],
    [['--target', 'websockets=http://127.0.0.1:1'], '--target names unknown transport "websockets"; expected one of: short-poll, long-poll, ws, sse, fetch-stream'],
    [['--target', 'sse=ftp://x'], '--target must be an http:// URL, got "ftp://x"'],
    [['--target', 'sse=http://127.0.0.1:1', '--server-cmd', EXAMPLE], '--target and --server-cmd exclude each other: measure servers already running, or one you start'],
  ] as const;
  // Every refused command line runs in one process (they start nothing).
  let runs: CliRun[] = [];
  before(async () => {
    runs = await runCliBatch(refused.map(([args]) => ({ args: ['compare', ...args, '--quiet', '--no-html'] })));
  });
  for (const [i, [args, message]] of refused.entries()) {
    it(`refuses ${args.join(' ')} in one sentence, exit 2`, () => {
      const run = runs[i] as CliRun;
      assert.equal(run.code, 2);
      assert.equal(run.stderr, `rtbench: ${message}\n`);
    });
  }

  it('stops the server it started when the run is interrupted (Ctrl-C)', async () => {
    const port = await freePort();
    const run = startCli(['compare', '--server-cmd', EXAMPLE, '--server-port', String(port), '-t', 'sse', '--clients', '2', '--warmup', '0ms', '--duration', '60s', '--quiet', '--no-html', '--out', mkdtempSync(join(tmpdir(), 'rtbench-remote-'))]);
    let err = '';
    run.child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await until(() => /passes the contract check/.test(err), 'the contract check', 20_000, () => err);
    // Whether the round's server is still starting or already serving, Ctrl-C must leave none behind.
    await new Promise((r) => setTimeout(r, 500));
    run.child.kill('SIGINT');
    const done = await run.done;
    assert.equal(done.code, 130, done.stderr);
    const refused = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => false, () => true);
    assert.equal(refused, true, 'the server command was stopped');
  });
});

describe('the example server gated with --server-cmd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-own-server-'));
  const config = join(dir, 'rtbench.config.json');
  const baseline = join(dir, 'baseline.json');
  let port = 0;
  before(async () => {
    port = await freePort();
    // A small gate: 5 rounds of SSE, 2 clients at 20 events/s for 1 s; latency p50 only, regressing past +100%.
    // The server under test takes 20 ms per publish of its own (EXAMPLE_DELAY_MS), so a client process's
    // event-loop stall of a millisecond or two on a busy machine stays below the 25% of the latency that would
    // leave the round out as generator-bound (driver/health.ts).
    writeFileSync(
      config,
      JSON.stringify({
        rounds: 5,
        alpha: 0.05,
        transports: ['sse'],
        scenarios: [{ name: 'example', options: { clients: 2, rate: 20, warmupMs: 0, durationMs: 1000, drainMs: 2000, workers: 1 } }],
        metrics: {
          'latency.p50Us': { floorPercent: 100 },
          'latency.p99Us': false,
          'delivery.eventsPerSec': false,
          'server.cpuMsPer1kEvents': false,
          'server.rssPerConnectionBytes': false,
          'wire.bytesPerEvent': false,
          'churn.requestsPerEvent': false,
          'churn.httpRequests': false,
        },
      }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const base = `EXAMPLE_DELAY_MS=20 ${EXAMPLE}`;
  const server = ['--server-port', () => String(port), '--transports', 'sse'] as const;
  const args = (): string[] => server.map((a) => (typeof a === 'function' ? a() : a));

  it('saves a baseline and passes against itself', async () => {
    const save = await runCli(['baseline', 'save', '--out', baseline, '--config', config, '--server-cmd', base, ...args()]);
    assert.equal(save.code, 0, save.stderr);
    const saved = JSON.parse(readFileSync(baseline, 'utf8')) as { rounds: RunResult[] };
    assert.equal(saved.rounds.length, 5);
    for (const r of saved.rounds) {
      const t = r.transports[0];
      assert.equal(t?.status, 'ok', t?.error);
      assert.equal(t?.delivery?.lost, 0);
      assert.equal(t?.delivery?.deliveredEvents, (t?.delivery?.publishedEvents ?? 0) * 2);
      assert.equal(t?.notMeasured?.length, 2, 'the example has no /stats and no publisher control');
    }
    const gate = await runCli(['gate', '--baseline', baseline, '--config', config, '--server-cmd', base, ...args(), '--json']);
    assert.equal(gate.code, 0, gate.stderr);
    const report = JSON.parse(gate.stdout) as { outcome: string };
    assert.notEqual(report.outcome, 'regression');
  });

  it('fails with exit 99 once each publish takes 60 ms more', async () => {
    const gate = await runCli(['gate', '--baseline', baseline, '--config', config, '--server-cmd', `EXAMPLE_DELAY_MS=80 ${EXAMPLE}`, ...args(), '--json']);
    assert.equal(gate.code, 99, gate.stderr);
    const report = JSON.parse(gate.stdout) as { outcome: string; rows: { transport: string; metric: string; verdict: string }[] };
    assert.equal(report.outcome, 'regression');
    assert.equal(report.rows.find((r) => r.transport === 'sse' && r.metric === 'latency.p50Us')?.verdict, 'regression');
  });

  it('--ab runs the base build\'s server command against the candidate\'s, alternating, and finds the regression', async () => {
    const gate = await runCli(['gate', '--ab', '--config', config, '--baseline-server-cmd', base, '--server-cmd', `EXAMPLE_DELAY_MS=80 ${EXAMPLE}`, ...args(), '--json']);
    assert.equal(gate.code, 99, gate.stderr);
    assert.equal((gate.stderr.match(/passes the contract check/g) ?? []).length, 2, 'both servers checked once, before any round');
    assert.equal((gate.stderr.match(/\(baseline build\): sse/g) ?? []).length, 5);
    const report = JSON.parse(gate.stdout) as { rows: { transport: string; metric: string; verdict: string }[] };
    assert.equal(report.rows.find((r) => r.transport === 'sse' && r.metric === 'latency.p50Us')?.verdict, 'regression');
  });
});
