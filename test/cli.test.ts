// The CLI as a user meets it: bad input, a tiny end-to-end compare, Ctrl-C, a server dying, no orphans.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, runCliBatch, startCli, rtbenchChildren, waitForProcs, type CliRun } from './helpers/cli.ts';
import type { RunResult } from '../lib/result.ts';
import { DEFAULT_TRANSPORTS } from '../lib/transports.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'rtbench-test-'));

describe('bad input: one sentence, exit 2, nothing started', () => {
  const cases: [string[], RegExp][] = [
    [['compare', '--transports', 'websockets'], /^rtbench: unknown transport "websockets" in --transports; expected one of: short-poll, long-poll, ws, sse, fetch-stream, socketio, socketio-ws\n$/],
    [['compare', '--clients', '0'], /^rtbench: --clients must be an integer between 1 and 100000, got "0"\n$/],
    [['compare', '--clients', 'ten'], /^rtbench: --clients must be an integer between 1 and 100000, got "ten"\n$/],
    [['compare', '--rate', '-5'], /^rtbench: --rate must be a number between 1 and 1000000, got "-5"\n$/],
    [['compare', '--payload', '1.5'], /^rtbench: --payload must be an integer between 0 and 1048576, got "1.5"\n$/],
    [['compare', '--duration', 'forever'], /^rtbench: --duration must be a duration like 500ms, 10s or 2m between 100 ms and 86400000 ms, got "forever"\n$/],
    [['compare', '--poll-interval', '10x'], /^rtbench: --poll-interval must be a duration/],
    [['compare', '--scenario', 'nope'], /^rtbench: unknown scenario "nope"/],
    [['compare', '--bogus'], /error: unknown option '--bogus'/],
    [['compare', '--bandwidth', 'fast'], /^rtbench: --bandwidth must be a bandwidth like 512kbit, 2mbit or 1gbit between 0 and 100000000 kbit\/s, got "fast"\n$/],
    [['compare', '--link', 'moon'], /^rtbench: --link must be one of: loopback, lan, wan, mobile; got "moon"\n$/],
    [['serve', 'websocket'], /^rtbench: unknown transport "websocket" in transports; expected one of/],
    [['serve', '--rate', 'x'], /^rtbench: --rate must be an integer between 0 and 100000, got "x"\n$/],
    // An empty or blank list is refused, not taken to mean every transport.
    [['compare', '--transports', ''], /^rtbench: --transports must name at least one transport \(or "all"\), got ""; expected some of: short-poll, long-poll, ws, sse, fetch-stream, socketio, socketio-ws\n$/],
    [['compare', '--transports', ' , '], /^rtbench: --transports must name at least one transport \(or "all"\), got " , "/],
    [['serve', ''], /^rtbench: transports must name at least one transport/],
    // One server from port 65535 is valid; two would need 65536.
    [['serve', 'ws', 'sse', '--port', '65535'], /^rtbench: --port must be an integer between 0 and 65534, got "65535"\n$/],
    [['frobnicate'], /error: unknown command 'frobnicate'/],
    // More connections than one machine has ephemeral ports (at most 64 512 on Linux): refused before anything starts.
    [['compare', '--transports', 'ws', '--clients', '100000'], /^rtbench: this machine cannot run it: .*100,000 clients on one machine need as many local ports to reach the one server address, and this machine hands out [\d,]+ \(net\.ipv4\.ip_local_port_range \d+–\d+\): at most [\d,]+ fit\. Run fewer, or widen the range/],
  ];
  // Every case runs in one process (they start nothing), each with its own output directory.
  const outs = cases.map(() => tmp());
  let runs: CliRun[] = [];
  before(async () => {
    runs = await runCliBatch(cases.map(([args], i) => ({ args: [...args, ...(args[0] === 'compare' ? ['--out', outs[i] as string] : [])] })));
  });
  after(() => {
    for (const out of outs) rmSync(out, { recursive: true, force: true });
  });
  for (const [i, [args, expected]] of cases.entries()) {
    it(`rtbench ${args.join(' ')}`, () => {
      const r = runs[i] as CliRun;
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expected);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
      assert.deepEqual(readdirSync(outs[i] as string), [], 'no result written');
    });
  }
});

describe('rtbench compare on a tiny profile', () => {
  it('writes a result with every transport, every metric, and zero loss', async () => {
    const out = tmp();
    try {
      const r = await runCli(['compare', '--clients', '3', '--rate', '40', '--warmup', '200ms', '--duration', '1s', '--poll-interval', '100ms', '--out', out, '--quiet']);
      assert.equal(r.code, 0, r.stderr);
      const files = readdirSync(out).sort();
      assert.equal(files.length, 2);
      assert.match(files[0] as string, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-fanout\.html$/);
      assert.match(files[1] as string, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-fanout\.json$/);
      const result = JSON.parse(readFileSync(join(out, files[1] as string), 'utf8')) as RunResult;
      assert.equal(result.schemaVersion, 2);
      assert.equal(result.scenario, 'fanout');
      assert.equal(result.interrupted, false);
      assert.deepEqual(
        { clients: result.options.clients, rate: result.options.rate, warmupMs: result.options.warmupMs, durationMs: result.options.durationMs, pollIntervalMs: result.options.pollIntervalMs },
        { clients: 3, rate: 40, warmupMs: 200, durationMs: 1000, pollIntervalMs: 100 },
      );
      assert.equal(result.environment.node, process.version);
      assert.ok(result.environment.cpus >= 1);
      assert.deepEqual(result.transports.map((t) => t.transport), [...DEFAULT_TRANSPORTS], 'compare runs the five plain transports by default');
      for (const t of result.transports) {
        assert.equal(t.status, 'ok', `${t.transport}: ${t.error ?? ''}`);
        // Every event published (warm-up, then the 1 s window) reached each of the 3 clients exactly once.
        const published = t.delivery?.publishedEvents ?? 0;
        assert.ok(published >= 48, `${t.transport}: at least 200 ms of warm-up and 1 s of window at 40 events/s, got ${published} events`);
        assert.deepEqual(t.delivery, { ...t.delivery, expectedDeliveries: published * 3, deliveredEvents: published * 3, lost: 0, stragglers: 0, behind: 0, failedClients: 0, failedMissed: 0, negativeLatencies: 0, duplicates: 0, outOfOrder: 0, gaps: 0 });
        // The window holds exactly the events due in its 1 s: 40 of them (one every 25 ms), to 3 clients.
        assert.equal(t.latency?.count, 120, 'the 40 events scheduled in the window x 3 clients');
        for (const key of ['p50Us', 'p90Us', 'p99Us', 'p999Us', 'maxUs'] as const) assert.equal(typeof t.latency?.[key], 'number');
        assert.equal(typeof t.histogram, 'string');
        for (const key of ['connectionsOpened', 'connectionsClosed', 'httpRequests', 'requestsPerEvent'] as const) assert.equal(typeof t.churn?.[key], 'number');
        assert.ok((t.wire?.bytesPerEvent ?? 0) > 0);
        for (const key of ['peakRssBytes', 'heapUsedBytes', 'cpuSeconds', 'baselineRssBytes', 'connectedRssBytes'] as const) assert.equal(typeof t.server?.[key], 'number');
        // 3 clients are too few for a per-connection memory figure: it is left out, not guessed.
        assert.equal(t.server?.rssPerConnectionBytes, undefined);
        assert.equal(typeof t.driver?.saturated, 'boolean');
      }
      for (const t of result.transports) {
        // Ratios are kept exact (unrounded), so a count can always be recovered from them.
        assert.equal(t.churn?.requestsPerEvent, (t.churn?.httpRequests ?? 0) / (t.delivery?.windowDeliveries ?? 1), t.transport);
        // The warm-up lasted at least the 200 ms asked for, and at most its cap (3 x 200 ms) plus the lead to tell the clients.
        assert.ok((t.warmup?.ms ?? 0) >= 200 && t.warmup?.capMs === 600, `${t.transport}: ${JSON.stringify(t.warmup)}`);
        // What the instrument adds was measured in this run.
        assert.ok(t.floor && t.floor.timestampCostNs > 0 && (t.floor.loopbackRttP50Us ?? 0) > 0, t.transport);
        assert.equal(t.publisher?.latenessUs.count, 40, `${t.transport}: the lateness of each of the 40 events due in the window`);
      }
      // WebSocket, SSE and streams make no HTTP request while measuring; short polling makes some.
      const byName = Object.fromEntries(result.transports.map((t) => [t.transport, t]));
      assert.equal(byName.ws?.churn?.httpRequests, 0);
      assert.equal(byName.sse?.churn?.httpRequests, 0);
      assert.ok((byName['short-poll']?.churn?.httpRequests ?? 0) > 0);
      assert.match(r.stdout, /short-poll/);
      assert.match(r.stdout, /fetch-stream/);
      assert.deepEqual(rtbenchChildren(r.tag), [], 'no server or client process survives');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('faults', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) it(`${signal === 'SIGINT' ? 'Ctrl-C' : signal} stops every child process and still writes what was measured`, async () => {
    const out = tmp();
    try {
      const run = startCli(['compare', '--transports', 'ws,sse', '--clients', '2', '--rate', '20', '--warmup', '0', '--duration', '60s', '--out', out, '--quiet', '--no-html']);
      // Interrupt once the ws clients are running.
      await waitForProcs((procs) => procs.some((p) => p.ppid === run.child.pid && p.cmd.includes('client-process')));
      run.child.kill(signal);
      const r = await run.done;
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /interrupted/);
      const files = readdirSync(out);
      assert.equal(files.length, 1);
      const result = JSON.parse(readFileSync(join(out, files[0] as string), 'utf8')) as RunResult;
      assert.equal(result.interrupted, true);
      assert.deepEqual(result.transports.map((t) => [t.transport, t.status]), [['ws', 'interrupted'], ['sse', 'interrupted']]);
      assert.deepEqual(rtbenchChildren(r.tag), []);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a server that dies mid-run is recorded as errored and the next transport still runs', async () => {
    const out = tmp();
    try {
      const run = startCli(['compare', '--transports', 'ws,sse', '--clients', '2', '--rate', '20', '--warmup', '0', '--duration', '3s', '--out', out, '--quiet', '--no-html']);
      const procs = await waitForProcs((ps) => ps.some((p) => p.ppid === run.child.pid && p.cmd.includes('client-process')));
      const server = procs.find((p) => p.ppid === run.child.pid && p.cmd.includes('servers/host.ts'));
      assert.ok(server, 'the ws server process');
      process.kill(server.pid, 'SIGKILL');
      const r = await run.done;
      assert.equal(r.code, 0, r.stderr);
      const files = readdirSync(out);
      const result = JSON.parse(readFileSync(join(out, files[0] as string), 'utf8')) as RunResult;
      const [ws, sse] = result.transports;
      assert.equal(ws?.status, 'errored');
      assert.match(ws?.error ?? '', /server process exited mid-run \(signal SIGKILL\)/);
      assert.equal(sse?.status, 'ok');
      assert.equal(sse?.delivery?.lost, 0);
      assert.deepEqual(rtbenchChildren(r.tag), []);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
