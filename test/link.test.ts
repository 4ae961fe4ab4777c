// The link: its relay keeps every byte in order under jitter, applies its delay, passes half-closes and resets on;
// its namespace and tbf shaping limit the bandwidth; every transport delivers exactly 1..M in order across it.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { TRANSPORTS } from '../lib/transports.ts';
import { nowUs } from '../lib/clock.ts';
import { createClient } from '../clients/index.ts';
import type { Client } from '../clients/client.ts';
import { spawnServer, type ServerProcess } from '../servers/spawn.ts';
import { openLink, startLink, type LinkPath } from '../net/link.ts';
import { NamespacesUnavailable, createNamespacePair, liveNamespaces, runInNamespace, tbfArgs } from '../net/netns.ts';
import { parseBandwidthKbit } from '../lib/validate.ts';
import { loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { linkSpecOf } from '../net/link.ts';
import { linkText } from '../reports/link.ts';
import { renderTerminal } from '../reports/terminal.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { renderHtml } from '../reports/html.ts';
import { SYNTHETIC_TYPICAL, syntheticRun } from './helpers/synthetic.ts';
import { Collect } from './helpers/sink.ts';
import { startCli } from './helpers/cli.ts';
import type { RunResult } from '../lib/result.ts';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './helpers/raw.ts';

/** A TCP server on 127.0.0.1 that echoes every byte and ends when its client ends; `got` per connection. */
async function echoServer(): Promise<{ server: Server; port: number; got: Buffer[][]; sockets: Socket[] }> {
  const got: Buffer[][] = [];
  const sockets: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (s) => {
    const mine: Buffer[] = [];
    got.push(mine);
    sockets.push(s);
    s.on('data', (b: Buffer) => {
      mine.push(b);
      s.write(b);
    });
    s.on('end', () => s.end());
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, got, sockets };
}

function dial(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostname, port: Number(port), allowHalfOpen: true, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Dials `url`, retrying while nothing listens there yet (up to `ms`). */
async function dialWhenListening(url: string, ms: number): Promise<Socket> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await dial(url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** `n` bytes: the uint32 numbers 0, 1, 2, ... big-endian, cut to length. */
function numbered(n: number): Buffer {
  const b = Buffer.alloc(Math.ceil(n / 4) * 4);
  for (let i = 0; i < b.length / 4; i++) b.writeUInt32BE(i, i * 4);
  return b.subarray(0, n);
}

describe('link options and report line', () => {
  it('parses bandwidths into kbit/s and refuses what is not one', () => {
    assert.equal(parseBandwidthKbit('--bandwidth', '2mbit', 0, 1e8), 2000);
    assert.equal(parseBandwidthKbit('--bandwidth', '512kbit', 0, 1e8), 512);
    assert.equal(parseBandwidthKbit('--bandwidth', '10Mbit', 0, 1e8), 10_000);
    assert.equal(parseBandwidthKbit('--bandwidth', '1gbit', 0, 1e8), 1_000_000);
    assert.equal(parseBandwidthKbit('--bandwidth', '300', 0, 1e8), 300);
    assert.throws(() => parseBandwidthKbit('--bandwidth', 'fast', 0, 1e8), /--bandwidth must be a bandwidth like 512kbit, 2mbit or 1gbit .*got "fast"/);
  });

  it('fills a named link from its profile; explicit values override it', () => {
    const file = loadBuiltin('fanout');
    assert.equal(linkSpecOf(resolveOptions(file, 'ci')), undefined);
    assert.deepEqual(linkSpecOf(resolveOptions(file, 'ci', { link: 'mobile' })), { profile: 'mobile', rttMs: 150, jitterMs: 0, bandwidthKbit: 2000 });
    assert.deepEqual(linkSpecOf(resolveOptions(file, 'ci', { link: 'wan' })), { profile: 'wan', rttMs: 80, jitterMs: 0, bandwidthKbit: 0 });
    assert.deepEqual(linkSpecOf(resolveOptions(file, 'ci', { link: 'mobile', rttMs: 40, jitterMs: 5 })), { profile: 'mobile', rttMs: 40, jitterMs: 5, bandwidthKbit: 2000 });
    assert.deepEqual(linkSpecOf(resolveOptions(file, 'ci', { rttMs: 100 })), { rttMs: 100, jitterMs: 0, bandwidthKbit: 0 });
  });

  it('states the link and the round trip measured across it', () => {
    const r = syntheticRun({ ws: SYNTHETIC_TYPICAL.ws, sse: SYNTHETIC_TYPICAL.sse });
    assert.equal(linkText(r), undefined);
    r.transports = r.transports.map((t, i) => ({ ...t, path: { via: 'direct', link: { profile: 'mobile', rttMs: 150, jitterMs: 0, bandwidthKbit: 2000, measuredRttMinUs: 150_100, measuredRttP50Us: 150_400 + i * 100 } } }));
    assert.match(linkText(r) ?? '', /^link: mobile \(150 ms RTT, 2 Mbit\/s each way; measured 150–151 ms\)\./);
    const line = 'link: mobile (150 ms RTT, 2 Mbit/s each way; measured 150–151 ms).';
    assert.ok(renderTerminal(r).includes(line), 'terminal');
    assert.ok(renderMarkdown([r]).includes(line), 'Markdown');
    assert.ok(renderHtml([r], { generatedAt: 'now' }).includes(`<p class="link">${line}`), 'HTML');
  });
});

describe('link relay', { timeout: 60_000 }, () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  before(async () => {
    echo = await echoServer();
  });
  after(() => new Promise<void>((resolve) => echo.server.close(() => resolve())));

  it('keeps every byte in order under jitter, both ways, and passes a half-close on', async () => {
    // Jitter close to the delay: without the ordering rule, chunks would overtake each other.
    const link = await startLink({ rttMs: 10, jitterMs: 4.5, bandwidthKbit: 0 }, { host: '127.0.0.1', port: echo.port });
    try {
      const data = numbered(300_000);
      const s = await dial(link.url);
      const back: Buffer[] = [];
      let ended = false;
      s.on('data', (b: Buffer) => back.push(b));
      s.on('end', () => (ended = true));
      // Chunks of varied sizes, some back to back, some a little apart, so many arrive within one jitter span.
      for (let at = 0, i = 0; at < data.length; i++) {
        const size = 1 + ((i * 7919) % 4096);
        s.write(data.subarray(at, at + size));
        at += size;
        if (i % 5 === 0) await new Promise((r) => setImmediate(r));
      }
      s.end();
      await until(() => ended, 'the echo and its end through the relay', 20_000);
      const n = echo.got.length - 1;
      assert.ok(Buffer.concat(echo.got[n] ?? []).equals(data), 'the server received exactly the bytes sent, in order');
      assert.ok(Buffer.concat(back).equals(data), 'the client received exactly the echo, in order');
      const stats = await link.stats();
      assert.equal(stats.bytesUp, data.length);
      assert.equal(stats.bytesDown, data.length);
      s.destroy();
    } finally {
      await link.stop();
    }
  });

  it('delays each round trip by at least the RTT (and not absurdly more)', async () => {
    const rttMs = 20;
    const link = await startLink({ rttMs, jitterMs: 0, bandwidthKbit: 0 }, { host: '127.0.0.1', port: echo.port });
    try {
      const s = await dial(link.url);
      const rtts: number[] = [];
      for (let i = 0; i < 15; i++) {
        const sent = nowUs();
        const got = new Promise<void>((resolve) => s.once('data', () => resolve()));
        s.write(Buffer.from([i]));
        await got;
        rtts.push(nowUs() - sent);
      }
      s.destroy();
      rtts.sort((a, b) => a - b);
      // The lower bound is exact: a byte leaves the relay no earlier than its arrival + RTT/2, each way.
      assert.ok((rtts[0] as number) >= rttMs * 1000, `min RTT ${rtts[0]} µs >= ${rttMs} ms`);
      // The upper bound is loose, so a slow or busy machine passes: the median within 50 ms of the RTT.
      assert.ok((rtts[7] as number) < (rttMs + 50) * 1000, `median RTT ${rtts[7]} µs < ${rttMs + 50} ms`);
    } finally {
      await link.stop();
    }
  });

  it('stops reading from the server while the client does not read, then delivers every byte in order', async () => {
    // 64 MiB: more than the relay may hold (4 MiB) plus every socket buffer on the way.
    const data = numbered(64 * 1024 * 1024);
    let serverSide: Socket | undefined;
    const source = createServer((s) => {
      serverSide = s;
      s.on('error', () => undefined);
      s.end(data);
    });
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    const port = (source.address() as { port: number }).port;
    const link = await startLink({ rttMs: 2, jitterMs: 0, bandwidthKbit: 0 }, { host: '127.0.0.1', port });
    try {
      const s = await dial(link.url);
      s.pause();
      await until(() => serverSide !== undefined, 'the upstream connection');
      // The relay's reads stop, so the server's own buffer keeps what the path could not take.
      // Were the relay to read on regardless, the server's buffer would empty; it stays put, some of it unsent.
      let last = -1;
      let same = 0;
      await until(() => {
        const held = (serverSide as Socket).writableLength;
        same = held > 0 && held === last ? same + 1 : 0;
        last = held;
        return same >= 5;
      }, 'the server to be held back', 20_000);
      const back: Buffer[] = [];
      let ended = false;
      s.on('data', (b: Buffer) => back.push(b));
      s.on('end', () => (ended = true));
      s.resume();
      await until(() => ended, 'every byte and the end', 30_000);
      assert.ok(Buffer.concat(back).equals(data), 'the client received exactly the bytes sent, in order');
      s.destroy();
    } finally {
      await link.stop();
      await new Promise<void>((resolve) => source.close(() => resolve()));
    }
  });

  it('passes a reset on to the other side', async () => {
    const link = await startLink({ rttMs: 2, jitterMs: 0, bandwidthKbit: 0 }, { host: '127.0.0.1', port: echo.port });
    try {
      // Counted before dialling: the echo server may accept the relay's connection before the client's connect is seen.
      const before = echo.sockets.length;
      const s = await dial(link.url);
      s.on('error', () => undefined);
      s.write('x');
      await until(() => echo.sockets.length > before, 'the upstream connection');
      const upstream = echo.sockets[before] as Socket;
      let reset = false;
      upstream.on('error', (err: NodeJS.ErrnoException) => (reset = err.code === 'ECONNRESET'));
      s.resetAndDestroy();
      await until(() => reset, 'the reset at the server', 5000);
      // The other way: the server resets, the client sees it.
      const s2 = await dial(link.url);
      let reset2 = false;
      s2.on('error', (err: NodeJS.ErrnoException) => (reset2 = err.code === 'ECONNRESET'));
      s2.write('y');
      await until(() => echo.sockets.length > before + 1, 'the second upstream connection');
      (echo.sockets[before + 1] as Socket).resetAndDestroy();
      await until(() => reset2, 'the reset at the client', 5000);
    } finally {
      await link.stop();
    }
  });

  it('resets a client whose upstream refuses the connection', async () => {
    const spare = await echoServer();
    const port = spare.port;
    await new Promise<void>((resolve) => spare.server.close(() => resolve()));
    const link = await startLink({ rttMs: 2, jitterMs: 0, bandwidthKbit: 0 }, { host: '127.0.0.1', port });
    try {
      const s = await dial(link.url);
      let closed = false;
      s.on('error', () => undefined);
      s.on('close', () => (closed = true));
      await until(() => closed, 'the client connection to close', 5000);
    } finally {
      await link.stop();
    }
  });
});

/** Why namespace tests cannot run here, or undefined when they can. */
async function namespaceBlocker(): Promise<string | undefined> {
  try {
    const pair = await createNamespacePair();
    await pair.stop();
    return undefined;
  } catch (err) {
    if (err instanceof NamespacesUnavailable) return err.message;
    throw err;
  }
}

const blocker = await namespaceBlocker();

describe('shaped link (namespace + tbf + relay)', { timeout: 120_000, skip: blocker }, () => {
  it('limits the bandwidth each way and removes its namespace on stop', async () => {
    const kbit = 4000;
    const pair = await createNamespacePair({ bandwidthKbit: kbit });
    try {
      assert.ok(liveNamespaces().includes(pair.name));
      const qdisc = execFileSync('tc', ['qdisc', 'show', 'dev', pair.hostIf], { encoding: 'utf8' });
      assert.match(qdisc, /tbf .*rate 4Mbit/);
      // A sink inside the namespace (a port of its own: nothing else listens there) that exits once it read n bytes.
      const n = 200_000;
      const script = `require('net').createServer((s) => { let got = 0; s.on('data', (b) => { got += b.length; if (got >= ${n}) process.exit(0); }); }).listen(5000, '${pair.nsAddress}');`;
      const sink = runInNamespace(pair.name, [process.execPath, '-e', script]);
      const s = await dialWhenListening(`http://${pair.nsAddress}:5000`, 10_000);
      s.on('error', () => undefined);
      const started = nowUs();
      s.write(numbered(n));
      await sink;
      const elapsedUs = nowUs() - started;
      s.destroy();
      // The bucket lets one burst through at once; everything past it waits for tokens at the rate (headers only add).
      const burst = Number(tbfArgs(kbit)[4]);
      const floorUs = ((n - burst) * 8 * 1000) / kbit;
      assert.ok(elapsedUs >= floorUs, `${n} bytes took ${elapsedUs} µs at ${kbit} kbit/s; at least ${Math.round(floorUs)} µs expected`);
    } finally {
      await pair.stop();
    }
    assert.ok(!liveNamespaces().includes(pair.name));
    assert.ok(!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(pair.name), 'the namespace is gone');
  });

  const M = 40;
  const ONE_TO_M = Array.from({ length: M }, (_, i) => i + 1);
  for (const transport of TRANSPORTS) {
    it(`${transport}: two clients each receive exactly 1..${M} in order across a shaped link with delay and jitter`, async () => {
      let server: ServerProcess | undefined;
      let link: LinkPath | undefined;
      const clients: Client[] = [];
      const sinks = [new Collect(), new Collect()];
      try {
        link = await openLink({ rttMs: 10, jitterMs: 3, bandwidthKbit: 2000 }, async (place) => {
          server = await spawnServer({ transport, host: place.host, ...(place.netns === undefined ? {} : { netns: place.netns }) });
          return { host: server.host, port: server.port };
        });
        const url = link.url;
        for (const sink of sinks) clients.push(createClient(transport, { baseUrl: url, after: 0, sink, pollIntervalMs: 5 }));
        await Promise.all(clients.map((c) => c.connect()));
        const srv = server as ServerProcess;
        assert.equal(await srv.publish({ rate: 2000, count: M, payloadBytes: 64 }), M);
        await until(() => sinks.every((s) => s.seqs.length >= M), `${M} events at each client`, 20_000);
      } finally {
        await Promise.all(clients.map((c) => c.close()));
        await server?.stop();
        await link?.stop();
      }
      for (const [k, s] of sinks.entries()) {
        assert.deepEqual(s.seqs, ONE_TO_M, `client ${k}`);
        assert.equal(s.gaps, 0);
      }
    });
  }
});

describe('rtbench compare across a link', { timeout: 120_000 }, () => {
  it('puts every client behind the link, records it and the round trip the clients measured, and loses nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rtbench-link-'));
    try {
      // With namespaces, the bandwidth puts the server behind a shaped veth too.
      const shaped = blocker === undefined ? ['--bandwidth', '20mbit'] : [];
      const cli = startCli(['compare', '--transports', 'long-poll,ws', '--rtt', '20ms', '--jitter', '2ms', ...shaped, '--clients', '2', '--rate', '20', '--warmup', '0', '--duration', '1s', '--out', out, '--quiet', '--no-html']);
      const r = await cli.done;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^link \(20 ms RTT, ±2 ms jitter(, 20 Mbit\/s each way)?; measured [\d.]+(–[\d.]+)? ms/m);
      const file = readdirSync(out).find((f) => f.endsWith('.json')) as string;
      const result = JSON.parse(readFileSync(join(out, file), 'utf8')) as RunResult;
      assert.equal(result.options.rttMs, 20);
      for (const t of result.transports) {
        assert.equal(t.status, 'ok', `${t.transport}: ${t.error ?? ''}`);
        const link = t.path?.link;
        const measured = { measuredRttMinUs: 0, measuredRttP50Us: 0, relayLateP50Us: 0, relayLateP99Us: 0 };
        assert.deepEqual({ ...link, ...measured }, { rttMs: 20, jitterMs: 2, bandwidthKbit: blocker === undefined ? 20_000 : 0, ...measured });
        assert.ok((link?.relayLateP99Us ?? -1) >= 0, `${t.transport}: the relay's precision is recorded`);
        // Each way at least 10 ms less 2 ms of jitter: the clients' round trips cannot be shorter than 16 ms.
        assert.ok((link?.measuredRttMinUs ?? 0) >= 16_000, `${t.transport}: measured min RTT ${link?.measuredRttMinUs} µs`);
        assert.equal(t.delivery?.lost, 0);
        assert.equal(t.delivery?.deliveredEvents, t.delivery?.expectedDeliveries);
      }
      // Its namespaces (named after its pid) are gone with it.
      assert.ok(!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(`rtb${cli.child.pid}n`), 'no namespace left behind');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
