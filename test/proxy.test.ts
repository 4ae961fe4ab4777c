// A real reverse proxy in the path (net/proxy.ts): through nginx-default, nginx-tuned and HAProxy every transport
// delivers exactly the published seqs, in order; what nginx's buffering does to a small streamed event; and the
// idle cut (proxy_read_timeout shorter than the gap between bytes) with the SSE heartbeat as its remedy.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClient } from '../clients/index.ts';
import type { Client } from '../clients/client.ts';
import { TRANSPORTS, type Transport } from '../lib/transports.ts';
import { RtbenchError } from '../lib/errors.ts';
import { findBinary, haproxyConfig, nginxConfig, proxyProgram, startProxy, type ProxyVia, type RunningProxy } from '../net/proxy.ts';
import { openPath } from '../net/path.ts';
import { DEFAULT_FANOUT, type OptionsOf } from '../lib/options.ts';
import { runFanout } from '../driver/scenarios/fanout/run.ts';
import { renderTerminal, renderTerminalChanges } from '../reports/terminal.ts';
import type { RunResult } from '../lib/result.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { renderHtml } from '../reports/html.ts';
import { spawnServer, type ServerProcess } from '../servers/spawn.ts';
import { Collect } from './helpers/sink.ts';
import { RawConnection, until } from './helpers/raw.ts';

const VIAS: ProxyVia[] = ['nginx-default', 'nginx-tuned', 'haproxy'];
const K = 2;
const M = 30;

const missing = ['nginx', 'haproxy'].filter((b) => findBinary(b) === undefined);
const skip = missing.length > 0 ? `${missing.join(' and ')} not installed (apt-get install -y ${missing.join(' ')})` : false;

const portOf = (p: { url: string }): number => Number(new URL(p.url).port);

/** GET `path` on `port` as raw bytes (the stream's body lands in `streamed`), waiting for the response head. */
async function rawGet(port: number, path: string): Promise<RawConnection> {
  const c = await RawConnection.open(port);
  c.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  await c.waitResponses(1);
  assert.equal(c.responses[0]?.status, 200, c.describe());
  return c;
}

describe('through a reverse proxy, every transport delivers exactly the published seqs', { skip, timeout: 120_000 }, () => {
  const servers = new Map<Transport, ServerProcess>();
  /** The last seq each server published (the next clients start after it). */
  const published = new Map<Transport, number>();

  before(async () => {
    for (const t of TRANSPORTS) {
      servers.set(t, await spawnServer({ transport: t }));
      published.set(t, 0);
    }
  });
  after(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  });

  for (const via of VIAS) {
    for (const transport of TRANSPORTS) {
      it(`${via}: ${K} ${transport} clients each receive exactly the next ${M} seqs, in order`, async () => {
        const server = servers.get(transport) as ServerProcess;
        const from = published.get(transport) as number;
        const path = await openPath({ via }, { host: '127.0.0.1', port: server.port });
        const s0 = await server.stats();
        const sinks = Array.from({ length: K }, () => new Collect());
        const errors: Error[] = [];
        const clients: Client[] = sinks.map((sink) => createClient(transport, { baseUrl: path.url, after: from, sink, pollIntervalMs: 5, onError: (e) => errors.push(e) }));
        try {
          assert.notEqual(path.url, server.url, 'the clients talk to the proxy, not the server');
          await Promise.all(clients.map((c) => c.connect()));
          const last = await server.publish({ rate: 2000, count: M, payloadBytes: 64 });
          published.set(transport, last);
          assert.equal(last, from + M);
          await until(() => sinks.every((s) => s.seqs.length >= M) || errors.length > 0, `${M} events at each client`, 15_000, () => sinks.map((s) => s.seqs.length).join(','));
        } finally {
          await Promise.all(clients.map((c) => c.close()));
          await path.stop();
        }
        assert.deepEqual(errors, []);
        if (transport === 'short-poll' || transport === 'long-poll') {
          // HTTP/1.1 keep-alive to the server: the proxy sent more requests than it opened connections.
          const s1 = await server.stats();
          assert.ok(s1.connectionsAccepted - s0.connectionsAccepted < s1.requests - s0.requests, `${s1.connectionsAccepted - s0.connectionsAccepted} connections for ${s1.requests - s0.requests} requests`);
        }
        const expected = Array.from({ length: M }, (_, i) => from + i + 1);
        for (const [k, s] of sinks.entries()) {
          assert.deepEqual(s.seqs, expected, `client ${k}`);
          assert.equal(s.gaps, 0);
        }
        assert.equal(path.record.via, via);
        assert.match(path.record.proxy ?? '', via === 'haproxy' ? /^haproxy\/2\.\d+/ : /^nginx\/1\.\d+/);
        assert.match(path.record.proxyConfig ?? '', new RegExp(`:${server.port}\\b`), 'the config points at the server');
      });
    }
  }
});

describe('nginx-default buffers responses, yet a small streamed event reaches a reading client', { skip, timeout: 60_000 }, () => {
  // A stream from a server that does not send X-Accel-Buffering: no (the reference servers do, which turns
  // nginx's buffering off for their streams): nginx 1.22 with proxy_buffering on still passes each chunk on as it
  // arrives while the client reads; its buffers fill only when the client does not read.
  let upstream: Server;
  let open: ServerResponse | undefined;
  before(async () => {
    upstream = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('id: 1\ndata: {"seq":1}\n\n');
      open = res;
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    open?.end();
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  for (const via of ['nginx-default', 'nginx-tuned'] as const) {
    it(`${via}: a 24-byte SSE frame arrives while the response is still open`, async () => {
      const address = upstream.address();
      assert.ok(address !== null && typeof address === 'object');
      const proxy = await startProxy(via, { host: '127.0.0.1', port: address.port });
      let c: RawConnection | undefined;
      try {
        assert.match(proxy.record.proxyConfig ?? '', via === 'nginx-default' ? /proxy_buffering on;/ : /proxy_buffering off;/);
        c = await rawGet(portOf(proxy), '/events');
        await until(() => c?.streamed.includes('data: {"seq":1}') === true, 'the first frame', 5000, () => c?.describe() ?? '');
        assert.equal(open?.writableEnded, false, 'the upstream response is still open');
      } finally {
        c?.destroy();
        open?.end();
        await proxy.stop();
      }
    });
  }
});

describe('nginx-default buffering and a client that does not read', { skip, timeout: 120_000 }, () => {
  // More than every socket buffer on both legs can hold (tcp_rmem and tcp_wmem allow tens of MiB here), so a
  // server that gets it all written while the client reads nothing was absorbed by the proxy.
  const TOTAL = 128 * 1024 * 1024;
  const CHUNK = Buffer.alloc(64 * 1024, 'x');

  /** A server that streams TOTAL bytes to its one request as fast as it may; `accelNo`: with X-Accel-Buffering: no. */
  async function streamingServer(accelNo: boolean): Promise<{ server: Server; port: number; written: () => number; finished: () => boolean }> {
    let written = 0;
    let finished = false;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', ...(accelNo ? { 'x-accel-buffering': 'no' } : {}) });
      res.once('finish', () => (finished = true));
      const pump = (): void => {
        while (written < TOTAL) {
          written += CHUNK.length;
          if (!res.write(CHUNK)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    return { server, port: address.port, written: () => written, finished: () => finished };
  }

  /** A client that sends the request and then reads nothing until resume(); counts what it read after. */
  async function pausedClient(port: number): Promise<{ read: () => number; resume: () => void; destroy: () => void }> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let read = 0;
    socket.pause();
    socket.on('data', (c: Buffer) => (read += c.length));
    socket.write('GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    return { read: () => read, resume: () => socket.resume(), destroy: () => socket.destroy() };
  }

  it('without X-Accel-Buffering: no, nginx takes the whole 128 MiB off the server while the client reads nothing', async () => {
    const up = await streamingServer(false);
    const proxy = await startProxy('nginx-default', { host: '127.0.0.1', port: up.port });
    const client = await pausedClient(portOf(proxy));
    try {
      await until(up.finished, 'the server to write it all', 60_000, () => `${up.written()} bytes written`);
      assert.equal(client.read(), 0);
    } finally {
      client.destroy();
      await proxy.stop();
      up.server.closeAllConnections();
      up.server.close();
    }
  });

  it('with X-Accel-Buffering: no (as the reference servers send), the server is held back until the client reads', async () => {
    const up = await streamingServer(true);
    const proxy = await startProxy('nginx-default', { host: '127.0.0.1', port: up.port });
    const client = await pausedClient(portOf(proxy));
    try {
      // Wait until the server's writing stops moving (1 s without progress) or it finished.
      let last = -1;
      let since = Date.now();
      await until(
        () => {
          if (up.written() !== last) [last, since] = [up.written(), Date.now()];
          return up.finished() || Date.now() - since >= 1000;
        },
        'the server to stall or finish',
        60_000,
      );
      assert.equal(up.finished(), false, 'the server could not finish while the client read nothing');
      assert.ok(up.written() < TOTAL);
      client.resume();
      await until(up.finished, 'the server to write it all', 60_000, () => `${up.written()} bytes written`);
      await until(() => client.read() >= TOTAL, 'the client to read it all', 60_000, () => `${client.read()} bytes`);
    } finally {
      client.destroy();
      await proxy.stop();
      up.server.closeAllConnections();
      up.server.close();
    }
  });
});

describe('the idle cut: proxy_read_timeout shorter than the quiet on a stream', { skip, timeout: 60_000 }, () => {
  const READ_TIMEOUT_MS = 1000;

  it(`nginx-default with a ${READ_TIMEOUT_MS} ms read timeout cuts an SSE stream whose server sends no heartbeat`, async () => {
    const server = await spawnServer({ transport: 'sse', heartbeatMs: 0 });
    let proxy: RunningProxy | undefined;
    let c: RawConnection | undefined;
    try {
      proxy = await startProxy('nginx-default', { host: '127.0.0.1', port: server.port }, { readTimeoutMs: READ_TIMEOUT_MS });
      assert.match(proxy.record.proxyConfig ?? '', /proxy_read_timeout 1s;/);
      c = await rawGet(portOf(proxy), '/sse?after=0');
      await c.waitClosed(10_000);
      // The server did not end the stream: nginx did, and its error log says why.
      const log = readFileSync(`${proxy.dir}/error.log`, 'utf8');
      assert.match(log, /upstream timed out \(110: Connection timed out\) while reading upstream/);
      assert.doesNotMatch(c.streamed, /heartbeat/);
    } finally {
      c?.destroy();
      await proxy?.stop();
      await server.stop();
    }
  });

  it(`with a heartbeat every 250 ms the same stream outlives several read timeouts and still delivers`, async () => {
    const server = await spawnServer({ transport: 'sse', heartbeatMs: 250 });
    let proxy: RunningProxy | undefined;
    let c: RawConnection | undefined;
    try {
      proxy = await startProxy('nginx-default', { host: '127.0.0.1', port: server.port }, { readTimeoutMs: READ_TIMEOUT_MS });
      c = await rawGet(portOf(proxy), '/sse?after=0');
      const conn = c;
      // Twelve heartbeats span 3 s: three read timeouts in which nothing but heartbeats crossed the proxy.
      await until(() => (conn.streamed.match(/: heartbeat/g)?.length ?? 0) >= 12 || conn.closed, '12 heartbeats', 15_000, () => conn.describe());
      assert.equal(conn.closed, false, 'the stream was not cut');
      await server.publish({ rate: 1000, count: 1, payloadBytes: 8 });
      await until(() => conn.streamed.includes('id: 1\n'), 'the event after the quiet', 5000, () => conn.describe());
      assert.doesNotMatch(readFileSync(`${proxy.dir}/error.log`, 'utf8'), /timed out/);
    } finally {
      c?.destroy();
      await proxy?.stop();
      await server.stop();
    }
  });
});

describe('a fan-out run --via nginx-tuned', { skip, timeout: 120_000 }, () => {
  it('measures every transport through the proxy, records the path, and every report names it in its title', async () => {
    const o: OptionsOf<'fanout'> = { ...DEFAULT_FANOUT, transports: ['short-poll', 'sse'], clients: 3, rate: 50, warmupMs: 0, durationMs: 1500, drainMs: 3000, pollIntervalMs: 100, via: 'nginx-tuned' };
    const result = await runFanout(o);
    for (const t of result.transports) {
      assert.equal(t.status, 'ok', `${t.transport}: ${t.error ?? ''}`);
      assert.equal(t.delivery?.lost, 0, t.transport);
      assert.equal(t.path?.via, 'nginx-tuned');
      assert.match(t.path?.proxy ?? '', /^nginx\/1\./);
      assert.match(t.path?.proxyConfig ?? '', /proxy_buffering off;/);
      // The proxy's directory went with it.
      const dir = /pid (\S+)\/nginx\.pid;/.exec(t.path?.proxyConfig ?? '')?.[1] ?? '';
      assert.ok(dir.startsWith(tmpdir()), dir);
      assert.equal(existsSync(dir), false, `${dir} was removed`);
    }
    const version = result.transports[0]?.path?.proxy ?? '';
    const title = `rtbench ${result.scenario} via nginx-tuned (${version})`;
    assert.ok(renderTerminal(result).includes(title), 'terminal');
    assert.ok(renderMarkdown([result]).includes(title), 'markdown');
    assert.ok(renderHtml([result], { generatedAt: 'now' }).includes(title), 'html');
    // Before (direct) and after (through the proxy): the after side names its path.
    const direct: RunResult = { ...result, options: { ...result.options, via: 'direct' }, transports: result.transports.map(({ path: _path, ...t }) => t) };
    const via = ` via nginx-tuned (${version})`;
    const sides = renderTerminalChanges(direct, result).split('\n')[1]?.split(', after ') ?? [];
    assert.equal(sides.length, 2);
    assert.ok(!sides[0]?.includes(via) && sides[1]?.endsWith(via), sides.join(' | '));
    assert.ok(renderMarkdown([direct, result]).includes(`${via}, `), 'markdown before/after');
    assert.ok(!renderMarkdown([direct, result]).includes(`Before: ${direct.startedAt}${via}`), 'the direct side names no proxy');
  });
});

describe('starting and stopping a proxy', { skip, timeout: 60_000 }, () => {
  it('stop() ends the proxy and its workers, removes its directory, and can be called twice', async () => {
    const server = await spawnServer({ transport: 'short-poll' });
    try {
      const proxy = await startProxy('nginx-tuned', { host: '127.0.0.1', port: server.port });
      const group = (): number[] => readPids().filter((pid) => pgidOf(pid) === proxy.pid);
      // The master forks its worker after it listens: wait for it (with a deadline) rather than race it.
      await until(() => group().length >= 2, 'nginx runs a master and a worker in its own process group', 10_000);
      await proxy.stop();
      await proxy.stop();
      assert.deepEqual(group(), []);
      assert.throws(() => readFileSync(`${proxy.dir}/nginx.conf`));
    } finally {
      await server.stop();
    }
  });

  it('the configs differ where the brief says: buffering and timeouts; both proxy the upgrade and keep the upstream alive', () => {
    const up = { host: '127.0.0.1', port: 1234 };
    const listen = { host: '127.0.0.1', port: 5678 };
    const d = nginxConfig('nginx-default', '/tmp/x', listen, up, 60_000);
    const t = nginxConfig('nginx-tuned', '/tmp/x', listen, up, 3_600_000);
    for (const conf of [d, t]) {
      assert.match(conf, /proxy_http_version 1\.1;/);
      assert.match(conf, /proxy_set_header Upgrade \$http_upgrade;/);
      assert.match(conf, /keepalive \d+;/);
      assert.match(conf, /daemon off;/);
      assert.doesNotMatch(conf, /\/etc\/nginx|\/var\/log/);
    }
    assert.match(d, /proxy_buffering on;\n\s+proxy_read_timeout 60s;/);
    assert.match(t, /proxy_buffering off;\n\s+proxy_request_buffering off;\n\s+proxy_read_timeout 3600s;/);
    const h = haproxyConfig('/tmp/x', listen, up, 3_600_000);
    assert.match(h, /mode http\n/);
    assert.match(h, /timeout tunnel 3600000ms\n/);
    assert.match(h, /http-reuse safe\n/);
    assert.match(h, /option http-no-delay\n/);
  });

  it('a missing binary is one sentence naming the install command', () => {
    for (const [via, pkg] of [['nginx-default', 'nginx'], ['nginx-tuned', 'nginx'], ['haproxy', 'haproxy']] as const) {
      assert.throws(() => proxyProgram(via, ['/nonexistent']), (err: unknown) => {
        assert.ok(err instanceof RtbenchError);
        assert.equal(err.message, `--via ${via} needs ${pkg}, which is not installed; install it with: apt-get install -y ${pkg}`);
        return true;
      });
    }
  });
});

/** Every process id on this machine. */
function readPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** The process group of `pid` (undefined when it is gone). */
function pgidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

