// Browser clients in real headless Chromium (Debian's `chromium`; a missing one fails these tests with the install
// command): every transport's browser subscribers receive exactly 1..M in order; the fan-out pipeline runs them in
// a client process with the page clocks aligned; browser-limits shows the seventh SSE subscription of one page
// stalled over HTTP/1.1, none over HTTP/2, and WebSocket not limited; a missing Chromium is one sentence before anything starts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrowserHost, alignClock } from '../clients/browser/host.ts';
import type { Client } from '../clients/client.ts';
import { DEFAULT_FANOUT, type OptionsOf } from '../lib/options.ts';
import { PLAIN_TRANSPORTS as TRANSPORTS } from '../lib/transports.ts';
import { spawnServer } from '../servers/spawn.ts';
import { certificateOfRun, type TlsMaterial } from '../lib/tls.ts';
import { runFanout } from '../driver/scenarios/fanout/run.ts';
import { runBrowserLimits } from '../driver/scenarios/browser-limits/run.ts';
import { browserLimitsFindings } from '../reports/scenarios.ts';
import { Collect } from './helpers/sink.ts';
import { until } from './helpers/raw.ts';
import { runCli, runCliBatch, type CliRun } from './helpers/cli.ts';

const M = 20;
const CLIENTS = 3;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('browser subscribers (one shared Chromium)', () => {
  let host: BrowserHost;
  before(async () => {
    host = await BrowserHost.launch();
  });
  after(async () => {
    await host?.close();
  });

  for (const transport of TRANSPORTS) {
    it(`${transport}: ${CLIENTS} page subscribers receive exactly 1..${M} in order`, async () => {
      const server = await spawnServer({ transport });
      const clients: Client[] = [];
      try {
        const sinks = range(CLIENTS).map(() => new Collect());
        for (const sink of sinks) clients.push(await host.client(transport, { baseUrl: server.url, after: 0, pollIntervalMs: 50, longPollWaitMs: 5000, sink, onError: (err) => assert.fail(err) }));
        await Promise.all(clients.map((c) => c.connect()));
        await server.publish({ rate: 500, count: M, payloadBytes: 32 });
        await until(() => sinks.every((s) => s.seqs.length >= M), `${CLIENTS} ${transport} browser clients to receive ${M} events`, 15_000, () => sinks.map((s) => s.seqs.length).join(', '));
        for (const sink of sinks) {
          assert.deepEqual(sink.seqs, range(M));
          assert.equal(sink.gaps, 0);
        }
        assert.deepEqual(
          clients.map((c) => c.lastSeq),
          sinks.map(() => M),
        );
      } finally {
        await Promise.all(clients.map((c) => c.close()));
        await server.stop();
      }
    });
  }

  it('sse: EventSource reconnects by itself after its stream ends, resuming with Last-Event-ID', async () => {
    // A server that ends each stream after two events; the browser comes back with the last id it saw.
    const lastIds: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      const last = req.headers['last-event-id'] as string | undefined;
      lastIds.push(last);
      const from = Number(last ?? 0) + 1;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'access-control-allow-origin': '*' });
      const frame = (seq: number): string => `id: ${seq}\ndata: ${JSON.stringify({ seq, ts: 0, data: '' })}\n\n`;
      res.end(`retry: 20\n\n${frame(from)}${frame(from + 1)}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sink = new Collect();
    const before = host.clock()?.eventSourceReconnects ?? 0;
    const client = await host.client('sse', { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, after: 0, sink });
    try {
      await client.connect();
      await until(() => sink.seqs.length >= 6, 'three streams of two events', 10_000, () => sink.seqs.join(','));
      assert.deepEqual(sink.seqs.slice(0, 6), range(6));
      assert.deepEqual(lastIds.slice(0, 3), [undefined, '2', '4']);
      assert.ok((host.clock()?.eventSourceReconnects ?? 0) - before >= 2, 'the reconnections are counted');
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("measures the pages' timer and aligns their clocks", () => {
    const clock = host.clock();
    assert.ok(clock, 'the pages were opened');
    assert.equal(clock.isolated, true, 'the page is served cross-origin isolated');
    assert.ok(clock.timerResolutionUs > 0 && clock.bestRttUs > 0);
    assert.equal(clock.uncertaintyUs, Math.round(clock.bestRttUs / 2 + clock.timerResolutionUs));
  });
});

describe('clock alignment', () => {
  it('takes the offset at the shortest round trip, from the middle of it', () => {
    // [before, after] in ms of the page's clock, the host's reading in µs.
    const samples: [number, number, number][] = [
      [10, 12, 50_000],
      [20, 20.4, 60_500],
      [30, 31, 70_000],
    ];
    assert.deepEqual(alignClock(samples), { offsetUs: 60_500 - 20_200, bestRttUs: 400 });
  });
});

describe('--clients-in chromium through the pipeline', () => {
  it('fan-out over sse: every event to every browser client, no loss, the alignment in the result', async () => {
    const o: OptionsOf<'fanout'> = { ...DEFAULT_FANOUT, transports: ['sse'], clients: 3, rate: 50, warmupMs: 0, durationMs: 1000, drainMs: 5000, clientsIn: 'chromium' };
    const result = await runFanout(o);
    const t = result.transports[0];
    assert.ok(t);
    assert.equal(t.status, 'ok', t.error);
    const d = t.delivery;
    assert.ok(d);
    assert.ok(d.publishedEvents > 0);
    assert.equal(d.deliveredEvents, d.publishedEvents * 3);
    assert.equal(d.lost, 0);
    assert.equal(d.duplicates, 0);
    assert.equal(d.outOfOrder, 0);
    const b = t.browser;
    assert.ok(b, 'the browser clock alignment is in the result');
    assert.equal(b.pages, 1);
    assert.equal(b.uncertaintyUs, Math.round(b.bestRttUs / 2 + b.timerResolutionUs));
    assert.ok((b.windowCpuUs ?? 0) > 0 && (b.windowUs ?? 0) > 0, "Chromium's CPU over the window was measured");
    // The event-loop delay judged for the generator is the page's own: its probe posted every 10 ms of the window.
    assert.equal(b.pagesProbed, true);
    assert.ok((t.driver?.eventLoopDelay?.count ?? 0) > 0, "the page's probes were recorded");
  });
});

describe('browser subscribers over HTTP/2 (one Chromium trusting the run\'s certificate)', () => {
  let host: BrowserHost;
  let tls: TlsMaterial;
  before(async () => {
    tls = await certificateOfRun();
    host = await BrowserHost.launch(tls.cert);
  });
  after(async () => {
    await host?.close();
  });

  for (const transport of ['sse', 'fetch-stream'] as const) {
    it(`${transport}: ${CLIENTS} page subscribers receive exactly 1..${M} in order over h2, one connection each`, async () => {
      const server = await spawnServer({ transport, tls, http2: true });
      const clients: Client[] = [];
      try {
        assert.match(server.url, /^https:/);
        const sinks = range(CLIENTS).map(() => new Collect());
        for (const sink of sinks) clients.push(await host.client(transport, { baseUrl: server.url, after: 0, sink, onError: (err) => assert.fail(err) }));
        await Promise.all(clients.map((c) => c.connect()));
        await server.publish({ rate: 500, count: M, payloadBytes: 32 });
        await until(() => sinks.every((s) => s.seqs.length >= M), `${CLIENTS} ${transport} browser clients to receive ${M} events over h2`, 15_000, () => sinks.map((s) => s.seqs.length).join(', '));
        for (const sink of sinks) {
          assert.deepEqual(sink.seqs, range(M));
          assert.equal(sink.gaps, 0);
        }
        // Each subscriber has its own origin, so its own h2 connection (ALPN h2, none on HTTP/1.1).
        assert.deepEqual((await server.stats()).tls?.alpn, { h2: CLIENTS });
      } finally {
        await Promise.all(clients.map((c) => c.close()));
        await server.stop();
      }
    });
  }

  it('--clients-in chromium --http2 through the pipeline: fan-out over fetch-stream, no loss', async () => {
    const o: OptionsOf<'fanout'> = { ...DEFAULT_FANOUT, transports: ['fetch-stream'], clients: 3, rate: 50, warmupMs: 0, durationMs: 1000, drainMs: 5000, clientsIn: 'chromium', tls: true, http2: true };
    const result = await runFanout(o);
    const t = result.transports[0];
    assert.equal(t?.status, 'ok', t?.error);
    const d = t.delivery;
    assert.ok(d && d.publishedEvents > 0);
    assert.deepEqual([d.deliveredEvents, d.lost, d.duplicates, d.outOfOrder], [d.publishedEvents * 3, 0, 0, 0]);
  });
});

describe('browser-limits over HTTP/1.1', () => {
  it('one page, 8 subscriptions to one origin: the 7th and 8th SSE stall, every WebSocket connects', async () => {
    const o: OptionsOf<'browser-limits'> = { ...DEFAULT_FANOUT, scenario: 'browser-limits', kind: 'browser-limits', transports: ['sse', 'ws'], clients: 8, holdMs: 2000, payloadBytes: 16 };
    const result = await runBrowserLimits(o);
    const [sse, ws] = result.transports;
    assert.equal(sse?.status, 'ok', sse?.error);
    assert.equal(ws?.status, 'ok', ws?.error);
    const s = sse.browserLimits;
    const w = ws.browserLimits;
    assert.ok(s && w);
    assert.equal(s.serverSubscribers, 6);
    assert.deepEqual(
      s.perSubscription.filter((x) => x.stalled).map((x) => x.index),
      [7, 8],
    );
    // The stalled ones connected once the first two were closed, and got every event after.
    for (const x of s.perSubscription.filter((x) => x.stalled)) assert.ok(x.connectMs !== undefined && x.connectMs >= o.holdMs / 2);
    assert.equal(s.limitApplies, true);
    assert.equal(w.limitApplies, false);
    assert.equal(w.serverSubscribers, 8);
    assert.equal(w.stalled, 0);
    for (const b of [s, w]) {
      assert.deepEqual(
        b.perSubscription.filter((x) => !x.released).map((x) => [x.index, x.received, x.inOrder]),
        [3, 4, 5, 6, 7, 8].map((i) => [i, 3, true]),
      );
    }
  });
});

describe('browser-limits over HTTP/2', () => {
  it('one page, 8 SSE subscriptions to one origin over h2: none stalled, the server held all 8', async () => {
    const o: OptionsOf<'browser-limits'> = { ...DEFAULT_FANOUT, scenario: 'browser-limits', kind: 'browser-limits', transports: ['sse'], clients: 8, holdMs: 2000, payloadBytes: 16, tls: true, http2: true };
    const result = await runBrowserLimits(o);
    const [sse] = result.transports;
    assert.equal(sse?.status, 'ok', sse?.error);
    const s = sse.browserLimits;
    assert.ok(s);
    assert.equal(s.protocol, 'h2');
    assert.equal(s.limitApplies, false);
    assert.equal(s.serverSubscribers, 8);
    assert.equal(s.stalled, 0);
    assert.deepEqual(s.perSubscription.filter((x) => x.stalled).map((x) => x.index), []);
    assert.deepEqual(
      s.perSubscription.filter((x) => !x.released).map((x) => [x.index, x.received, x.inOrder]),
      [3, 4, 5, 6, 7, 8].map((i) => [i, 3, true]),
    );
    assert.ok(browserLimitsFindings(result.transports).some((f) => f.startsWith('sse: all 8 reached the server (the server held 8): over HTTP/2 none stalled')));
  });
});

describe('--clients-in on the command line', () => {
  it('takes node or chromium, for fan-out scenarios only', async () => {
    // Both command lines run in one process (they start nothing).
    const [bad, churn] = (await runCliBatch([
      { args: ['compare', '--clients-in', 'firefox', '--no-html', '-q', '--out', '/tmp'] },
      { args: ['compare', '--scenario', 'churn', '--clients-in', 'chromium', '--no-html', '-q', '--out', '/tmp'] },
    ])) as [CliRun, CliRun];
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'rtbench: --clients-in must be one of: node, chromium; got "firefox"\n');
    assert.equal(churn.code, 2);
    assert.match(churn.stderr, /^rtbench: --clients-in does not apply to churn scenarios; their parameters are: /);
  });
});

describe('a missing Chromium', () => {
  it('is one sentence naming the install command, before anything starts', async () => {
    const run = await runCli(['compare', '--clients-in', 'chromium', '--clients', '2', '-t', 'ws', '--no-html', '-q', '--out', '/tmp'], { RTBENCH_CHROMIUM: '/nonexistent/chromium' });
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'rtbench: Chromium is not installed at /nonexistent/chromium: install Debian\'s package with `apt-get install -y chromium` (or set RTBENCH_CHROMIUM to a Chromium binary)\n');
  });
});
