// The wire contract, checked over every transport: exact delivery, resume, gaps, bad input, CORS.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, Agent } from 'node:http';
import { TRANSPORTS, type Transport } from '../lib/transports.ts';
import { startServer, type RtServer } from '../servers/server.ts';
import { createClient } from '../clients/index.ts';
import type { Client, EventSink } from '../clients/client.ts';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { startPublisher } from '../servers/publisher.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { checkContract } from '../driver/check.ts';

/** A sink that keeps every seq and resolves when `target` arrives. */
class Collect implements EventSink {
  seqs: number[] = [];
  gaps = 0;
  private waiters: { target: number; resolve: () => void }[] = [];
  event(seq: number): void {
    this.seqs.push(seq);
    this.waiters = this.waiters.filter((w) => (seq >= w.target ? (w.resolve(), false) : true));
  }
  gap(): void {
    this.gaps++;
  }
  until(target: number): Promise<void> {
    if (this.seqs.some((s) => s >= target)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A GET or POST over a keep-alive agent; returns status, headers and body. */
function http(
  agent: Agent,
  port: number,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; socketPort: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, socketPort: req.socket?.localPort ?? 0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ENDPOINT: Record<Transport, string> = {
  'short-poll': '/poll',
  'long-poll': '/long-poll',
  ws: '/ws',
  sse: '/sse',
  'fetch-stream': '/stream',
};

for (const transport of TRANSPORTS) {
  describe(`contract: ${transport}`, () => {
    let server: RtServer;
    const clients: Client[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });

    before(async () => {
      server = await startServer({ transport, retention: 1000 });
    });
    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
      agent.destroy();
      await server.close();
    });

    const connect = async (sink: EventSink, opts: { after?: number; useLastEventId?: boolean } = {}): Promise<Client> => {
      const client = createClient(transport, { baseUrl: server.url, sink, pollIntervalMs: 5, longPollWaitMs: 30_000, ...opts });
      clients.push(client);
      await client.connect();
      return client;
    };

    it('delivers exactly events 1..M in order to K clients, no loss, no duplicates', async () => {
      const K = 3;
      const M = 50;
      const base = server.hub.lastSeq;
      const sinks = Array.from({ length: K }, () => new Collect());
      await Promise.all(sinks.map((s) => connect(s, { after: base })));
      for (let i = 0; i < M; i++) server.hub.publish(`event ${i}`, i);
      await Promise.all(sinks.map((s) => s.until(base + M)));
      for (const s of sinks) {
        assert.deepEqual(s.seqs, range(base + 1, base + M));
        assert.equal(s.gaps, 0);
      }
    });

    it('resumes from a cursor with exactly the missed events, then live ones', async () => {
      const first = server.hub.lastSeq;
      for (let i = 0; i < 10; i++) server.hub.publish('missed', 0);
      const sink = new Collect();
      const cursor = first + 4;
      await connect(sink, { after: cursor, useLastEventId: transport === 'sse' });
      await sink.until(first + 10);
      server.hub.publish('live', 0);
      await sink.until(first + 11);
      assert.deepEqual(sink.seqs, range(cursor + 1, first + 11));
    });

    it('starts at the newest event when no cursor is given', async () => {
      for (let i = 0; i < 3; i++) server.hub.publish('old', 0);
      const sink = new Collect();
      await connect(sink);
      const next = server.hub.lastSeq + 1;
      server.hub.publish('new', 0);
      await sink.until(next);
      assert.deepEqual(sink.seqs, [next]);
    });

    it('answers a malformed cursor with a 4xx JSON error and keeps serving', async () => {
      const bad = await http(agent, server.port, 'GET', `${ENDPOINT[transport]}?after=abc`);
      assert.equal(bad.status, transport === 'ws' ? 426 : 400);
      assert.equal(typeof (JSON.parse(bad.body) as { error: unknown }).error, 'string');
      const neg = await http(agent, server.port, 'GET', `${ENDPOINT[transport]}?after=-1`);
      assert.ok(neg.status >= 400 && neg.status < 500, `status ${neg.status}`);
      const health = await http(agent, server.port, 'GET', '/healthz');
      assert.equal(health.status, 200);
      assert.equal(health.body, 'ok');
      assert.equal(health.socketPort, bad.socketPort, 'the keep-alive connection stays usable');
    });

    it('rejects bad publish bodies with 4xx and keeps the connection usable', async () => {
      const notJson = await http(agent, server.port, 'POST', '/publish', 'nope');
      assert.equal(notJson.status, 400);
      const noData = await http(agent, server.port, 'POST', '/publish', '{"x":1}');
      assert.equal(noData.status, 400);
      const big = await http(agent, server.port, 'POST', '/publish', JSON.stringify({ data: 'x'.repeat(70_000) }));
      assert.equal(big.status, 413);
      const unknown = await http(agent, server.port, 'GET', '/nope');
      assert.equal(unknown.status, 404);
      const wrongMethod = await http(agent, server.port, 'DELETE', '/publish');
      assert.equal(wrongMethod.status, 405);
      const before = server.hub.lastSeq;
      const ok = await http(agent, server.port, 'POST', '/publish', '{"data":"hello"}', { 'content-type': 'application/json' });
      assert.equal(ok.status, 200);
      assert.deepEqual(JSON.parse(ok.body), { seq: before + 1 });
      assert.equal(ok.socketPort, notJson.socketPort);
    });

    it('allows any origin and answers preflight', async () => {
      const pre = await http(agent, server.port, 'OPTIONS', '/publish', undefined, { origin: 'http://example.test', 'access-control-request-method': 'POST' });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers['access-control-allow-origin'], '*');
      const stats = await http(agent, server.port, 'GET', '/stats');
      assert.equal(stats.headers['access-control-allow-origin'], '*');
      const snap = JSON.parse(stats.body) as { transport: string; lastSeq: number };
      assert.equal(snap.transport, transport);
      assert.equal(snap.lastSeq, server.hub.lastSeq);
      const time = JSON.parse((await http(agent, server.port, 'GET', '/time')).body) as { now: number };
      assert.ok(Number.isInteger(time.now));
    });
  });
}

it('contract: /stats carries the publisher\'s lateness, per event, and its histogram on ?histograms=1', async () => {
  const server = await startServer({ transport: 'sse' });
  const agent = new Agent({ keepAlive: true });
  try {
    const p = startPublisher(server.hub, { rate: 1000, count: 20, payloadBytes: 8 }, server.stats.publisher);
    assert.equal(await p.done, 20);
    const plain = JSON.parse((await http(agent, server.port, 'GET', '/stats')).body) as StatsSnapshot;
    assert.equal(plain.publisher.latenessUs.count, 20, 'one lateness per event published');
    assert.equal(plain.publisher.latenessHistogram, undefined);
    const full = JSON.parse((await http(agent, server.port, 'GET', '/stats?histograms=1')).body) as StatsSnapshot;
    assert.equal(decodeFromCompressedBase64(full.publisher.latenessHistogram ?? '').totalCount, 20);
  } finally {
    agent.destroy();
    await server.close();
  }
});

for (const transport of TRANSPORTS) {
  it(`contract: ${transport} announces a gap when the cursor is older than retention`, async () => {
    const server = await startServer({ transport, retention: 5 });
    const sink = new Collect();
    const client = createClient(transport, { baseUrl: server.url, sink, after: 0, pollIntervalMs: 5 });
    try {
      for (let i = 0; i < 10; i++) server.hub.publish('e', 0);
      await client.connect();
      await sink.until(10);
      assert.deepEqual(sink.seqs, range(6, 10));
      assert.equal(sink.gaps, 1);
    } finally {
      await client.close();
      await server.close();
    }
  });
}

it('contract: ws closes a socket that sends a bad upstream frame (1007, 1003, 1009) and keeps serving', async () => {
  const { WebSocket } = await import('ws');
  const server = await startServer({ transport: 'ws', maxBodyBytes: 1024 });
  const closeCode = (payload: string | Buffer, binary = false): Promise<number> =>
    new Promise((resolve, reject) => {
      const sock = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
      sock.once('open', () => sock.send(payload, { binary }));
      sock.once('close', (code) => resolve(code));
      sock.once('error', reject);
    });
  try {
    assert.equal(await closeCode('not json'), 1007);
    assert.equal(await closeCode('{"data":42}'), 1007);
    assert.equal(await closeCode(Buffer.from('{"data":"x"}'), true), 1003);
    assert.equal(await closeCode(JSON.stringify({ data: 'x'.repeat(2000) })), 1009);
    // A good upstream frame from a fresh socket is published and broadcast back.
    const echoed = await new Promise<string>((resolve, reject) => {
      const sock = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
      sock.once('open', () => sock.send('{"data":"fine"}'));
      sock.once('message', (data: Buffer) => {
        sock.close();
        resolve(data.toString());
      });
      sock.once('error', reject);
    });
    assert.match(echoed, /^\{"seq":1,"ts":\d+,"data":"fine"\}$/);
  } finally {
    await server.close();
  }
});

// The same contract as `rtbench check` applies it to any server over HTTP (driver/check.ts): every rule holds.
for (const transport of TRANSPORTS) {
  it(`contract: ${transport} passes every rule of rtbench check`, async () => {
    const server = await startServer({ transport });
    try {
      assert.deepEqual(await checkContract(server.url, transport), { ok: true, rules: transport === 'ws' ? 7 : 8 });
    } finally {
      await server.close();
    }
  });
}
