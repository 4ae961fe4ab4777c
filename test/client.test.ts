// Client behaviour over every transport, against an in-process reference server (its hub driven directly):
// cursors, gaps, upstream send, close, failure reporting; plus SSE resumption and NDJSON chunk splitting.
import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { TRANSPORTS, type Transport } from '../lib/transports.ts';
import { CLIENTS, createClient } from '../clients/index.ts';
import type { Client, ClientOptions, EventSink } from '../clients/client.ts';
import { SequenceTracker } from '../clients/recorder.ts';
import { startServer, type RtServer } from '../servers/server.ts';
import type { ServerOptions } from '../servers/options.ts';

/** Collects what a client delivers; `until(n)` resolves once n events arrived. */
class Collector implements EventSink {
  readonly seqs: number[] = [];
  readonly nows: number[] = [];
  readonly tracker = new SequenceTracker(1);
  gaps = 0;
  private waiter: { n: number; resolve: () => void } | undefined;

  event(seq: number, _tsUs: number, nowUs: number): void {
    this.seqs.push(seq);
    this.nows.push(nowUs);
    this.tracker.record(seq);
    if (this.waiter && this.seqs.length >= this.waiter.n) this.waiter.resolve();
  }

  gap(): void {
    this.gaps++;
    this.tracker.gap();
  }

  until(n: number): Promise<void> {
    if (this.seqs.length >= n) return Promise.resolve();
    return new Promise<void>((resolve) => (this.waiter = { n, resolve }));
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function publishN(server: RtServer, n: number): void {
  for (let i = 0; i < n; i++) server.hub.publish('x', 0);
}

/** Resolves on the next request the server has handled for `path` (its handler has run by then). */
function nextRequest(server: RtServer, path: string): Promise<IncomingMessage> {
  return new Promise((resolve) => {
    const onRequest = (req: IncomingMessage): void => {
      if (!req.url?.startsWith(path)) return;
      server.http.off('request', onRequest);
      resolve(req);
    };
    server.http.on('request', onRequest);
  });
}

const ENDPOINT: Record<Transport, string> = {
  'short-poll': '/poll',
  'long-poll': '/long-poll',
  ws: '/ws',
  sse: '/sse',
  'fetch-stream': '/stream',
};

// What each test opened, closed after it even when it fails.
let servers: { close(): Promise<void> }[] = [];
let clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  clients = [];
});

async function serve(transport: Transport, options: Partial<ServerOptions> = {}): Promise<RtServer> {
  const server = await startServer({ transport, ...options });
  servers.push(server);
  return server;
}

function client(transport: Transport, options: Partial<ClientOptions> & Pick<ClientOptions, 'baseUrl' | 'sink'>): Client {
  const c = createClient(transport, { pollIntervalMs: 5, ...options });
  clients.push(c);
  return c;
}

it('CLIENTS has one factory per transport, each building a client of that transport', () => {
  assert.deepEqual(Object.keys(CLIENTS).sort(), [...TRANSPORTS].sort());
  for (const transport of TRANSPORTS) {
    const c = CLIENTS[transport]({ baseUrl: 'http://127.0.0.1:1', sink: new Collector() });
    assert.equal(c.transport, transport);
    assert.equal(c.lastSeq, 0);
  }
});

for (const transport of TRANSPORTS) {
  describe(`${transport} client`, { timeout: 30_000 }, () => {
    it('resumes after a cursor: receives exactly the events after it', async () => {
      const server = await serve(transport);
      publishN(server, 5);
      const sink = new Collector();
      const c = client(transport, { baseUrl: server.url, after: 2, sink });
      await c.connect();
      publishN(server, 2);
      await sink.until(5);
      await c.close();
      assert.deepEqual(sink.seqs, [3, 4, 5, 6, 7]);
      assert.equal(c.lastSeq, 7);
    });

    it('without a cursor, starts at the newest event', async () => {
      const server = await serve(transport);
      publishN(server, 5);
      const sink = new Collector();
      const c = client(transport, { baseUrl: server.url, sink });
      // Long polling: connect() resolves on TCP connect, so also wait until the server has handled the poll.
      const handled = nextRequest(server, ENDPOINT[transport]);
      await c.connect();
      if (transport === 'long-poll') await handled;
      publishN(server, 3);
      await sink.until(3);
      await c.close();
      assert.deepEqual(sink.seqs, [6, 7, 8]);
      assert.equal(c.lastSeq, 8);
    });

    it('reports a gap when the cursor is older than retention, and the skipped events are lost', async () => {
      const server = await serve(transport, { retention: 5 });
      publishN(server, 20);
      const sink = new Collector();
      const c = client(transport, { baseUrl: server.url, after: 0, sink });
      await c.connect();
      await sink.until(5);
      await c.close();
      assert.equal(sink.gaps, 1);
      assert.deepEqual(sink.seqs, range(16, 20));
      assert.equal(sink.tracker.lost(1, 20), 15);
    });

    it('send() publishes upstream, and the event comes back', async () => {
      const server = await serve(transport);
      const sink = new Collector();
      const c = client(transport, { baseUrl: server.url, after: 0, sink });
      await c.connect();
      await c.send('hello');
      await c.send('again');
      await sink.until(2);
      await c.close();
      assert.deepEqual(sink.seqs, [1, 2]);
      assert.equal(server.hub.lastSeq, 2);
    });

    it('close() is idempotent, and a closed client cannot connect', async () => {
      const server = await serve(transport);
      const c = client(transport, { baseUrl: server.url, after: 0, sink: new Collector() });
      await c.connect();
      await Promise.all([c.close(), c.close()]);
      await c.close();
      await assert.rejects(c.connect());
    });

    it('connect() rejects when nothing listens', async () => {
      const server = await serve(transport);
      const url = server.url;
      await server.close();
      servers = [];
      const c = client(transport, { baseUrl: url, sink: new Collector() });
      await assert.rejects(c.connect());
    });

    if (transport === 'short-poll' || transport === 'long-poll') {
      it('stamps every event of one answer with the same receive time', async () => {
        const server = await serve(transport);
        for (let i = 0; i < 10; i++) server.hub.append('x', 0);
        server.hub.flush();
        const sink = new Collector();
        const c = client(transport, { baseUrl: server.url, after: 0, sink });
        await c.connect();
        await sink.until(10);
        await c.close();
        assert.deepEqual(sink.seqs, range(1, 10));
        assert.equal(new Set(sink.nows).size, 1);
      });
    }

    if (transport !== 'sse') {
      // (SSE reconnects by itself instead; see the resumption test below.)
      it('reports the server going away once through onError, then stops', async () => {
        const server = await serve(transport);
        const errors: Error[] = [];
        let reported!: () => void;
        const onErrorCalled = new Promise<void>((resolve) => (reported = resolve));
        const c = client(transport, {
          baseUrl: server.url,
          after: 0,
          sink: new Collector(),
          onError: (err) => {
            errors.push(err);
            reported();
          },
        });
        await c.connect();
        await server.close();
        servers = [];
        await onErrorCalled;
        await c.close();
        assert.equal(errors.length, 1);
        assert.ok(errors[0] instanceof Error);
      });
    }
  });
}

describe('sse client', { timeout: 30_000 }, () => {
  for (const useLastEventId of [false, true]) {
    const how = useLastEventId ? 'Last-Event-ID' : '?after=';
    it(`sends its cursor as ${how} only`, async () => {
      const server = await serve('sse');
      publishN(server, 5);
      const sink = new Collector();
      const c = client('sse', { baseUrl: server.url, after: 2, useLastEventId, sink });
      const request = nextRequest(server, '/sse');
      await c.connect();
      const req = await request;
      await sink.until(3);
      await c.close();
      assert.deepEqual(sink.seqs, [3, 4, 5]);
      assert.equal(req.url, useLastEventId ? '/sse' : '/sse?after=2');
      assert.equal(req.headers['last-event-id'], useLastEventId ? '2' : undefined);
    });

    it(`reconnects after the stream drops and resumes from the last seq (${how}), without duplicates`, async () => {
      const server = await serve('sse', { sseRetryMs: 1 });
      const sockets = new Set<Socket>();
      server.http.on('connection', (s: Socket) => sockets.add(s));
      const sink = new Collector();
      const errors: Error[] = [];
      const c = client('sse', { baseUrl: server.url, after: 0, useLastEventId, sink, onError: (e) => errors.push(e) });
      await c.connect();
      publishN(server, 3);
      await sink.until(3);
      const reconnected = nextRequest(server, '/sse');
      for (const s of sockets) s.destroy();
      publishN(server, 2);
      const req = await reconnected;
      await sink.until(5);
      await c.close();
      assert.deepEqual(sink.seqs, [1, 2, 3, 4, 5]);
      assert.equal(useLastEventId ? req.headers['last-event-id'] : req.url, useLastEventId ? '3' : '/sse?after=3');
      assert.deepEqual(errors, []);
    });
  }
});

describe('fetch-stream client', { timeout: 30_000 }, () => {
  it('parses NDJSON split anywhere: several lines per chunk, lines and UTF-8 characters across chunks, blank lines', async () => {
    const line = (seq: number): string => `{"seq":${seq},"ts":${seq * 10},"data":"é€😀"}\n`;
    const sink = new Collector();
    let res!: ServerResponse;
    let opened!: () => void;
    const requested = new Promise<void>((resolve) => (opened = resolve));
    const http = createServer((_req, r) => {
      res = r;
      r.writeHead(200, { 'content-type': 'application/x-ndjson' });
      r.flushHeaders();
      opened();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => (http.closeAllConnections(), new Promise<void>((done) => http.close(() => done()))) });
    const { port } = http.address() as AddressInfo;
    const c = client('fetch-stream', { baseUrl: `http://127.0.0.1:${port}`, after: 0, sink });
    await c.connect();
    await requested;
    // Each write ends mid-line; waiting for the complete lines before it forces the next bytes into a later chunk.
    const bytes = Buffer.from(line(1) + line(2) + '\n' + line(3) + line(4));
    const cutMidLine = Buffer.byteLength(line(1) + line(2) + '\n' + line(3)) + 5;
    const cutMidChar = Buffer.byteLength(line(1) + line(2) + '\n' + line(3)) + Buffer.byteLength('{"seq":4,"ts":40,"data":"') + 1;
    res.write(bytes.subarray(0, Buffer.byteLength(line(1)) + 3));
    await sink.until(1);
    res.write(bytes.subarray(Buffer.byteLength(line(1)) + 3, cutMidLine));
    await sink.until(3);
    res.write(bytes.subarray(cutMidLine, cutMidChar));
    res.write(bytes.subarray(cutMidChar));
    await sink.until(4);
    res.write(line(5) + line(6) + line(7));
    await sink.until(7);
    await c.close();
    assert.deepEqual(sink.seqs, range(1, 7));
  });
});
