// Client behaviour over every client implementation (each transport's default and the alternatives), against an
// in-process reference server (its hub driven directly): cursors, gaps, upstream send, close, failure reporting;
// plus SSE and NDJSON split across socket chunks, the lean SSE client's connect failures, and eventsource's
// reconnection.
import { strict as assert } from 'node:assert';
import diagnostics from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { TRANSPORTS, TRANSPORT_PATHS, type Transport } from '../lib/transports.ts';
import { CLIENTS, CLIENT_IMPLEMENTATIONS, createClientOf, type ClientImplementationName } from '../clients/index.ts';
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

function client(implementation: ClientImplementationName, options: Partial<ClientOptions> & Pick<ClientOptions, 'baseUrl' | 'sink'>): Client {
  const c = createClientOf(implementation, { pollIntervalMs: 5, ...options });
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

const IMPLEMENTATIONS = Object.keys(CLIENT_IMPLEMENTATIONS) as ClientImplementationName[];

it('CLIENT_IMPLEMENTATIONS holds every default under its transport name, and the two alternatives', { timeout: 10_000 }, () => {
  for (const transport of TRANSPORTS) assert.equal(CLIENT_IMPLEMENTATIONS[transport].create, CLIENTS[transport]);
  assert.deepEqual(IMPLEMENTATIONS.filter((name) => !(TRANSPORTS as readonly string[]).includes(name)).sort(), ['fetch-stream-web', 'sse-eventsource']);
  for (const name of IMPLEMENTATIONS) {
    const c = createClientOf(name, { baseUrl: 'http://127.0.0.1:1', sink: new Collector() });
    assert.equal(c.transport, CLIENT_IMPLEMENTATIONS[name].transport);
  }
});

for (const implementation of IMPLEMENTATIONS) {
  const transport = CLIENT_IMPLEMENTATIONS[implementation].transport;
  describe(`${implementation} client`, { timeout: 30_000 }, () => {
    it('resumes after a cursor: receives exactly the events after it', async () => {
      const server = await serve(transport);
      publishN(server, 5);
      const sink = new Collector();
      const c = client(implementation, { baseUrl: server.url, after: 2, sink });
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
      const c = client(implementation, { baseUrl: server.url, sink });
      // Long polling: connect() resolves on TCP connect, so also wait until the server has handled the poll.
      const handled = nextRequest(server, TRANSPORT_PATHS[transport]);
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
      const c = client(implementation, { baseUrl: server.url, after: 0, sink });
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
      const c = client(implementation, { baseUrl: server.url, after: 0, sink });
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
      const c = client(implementation, { baseUrl: server.url, after: 0, sink: new Collector() });
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
      const c = client(implementation, { baseUrl: url, sink: new Collector() });
      await assert.rejects(c.connect());
    });

    if (transport === 'short-poll' || transport === 'long-poll') {
      it('stamps every event of one answer with the same receive time', async () => {
        const server = await serve(transport);
        for (let i = 0; i < 10; i++) server.hub.append('x', 0);
        server.hub.flush();
        const sink = new Collector();
        const c = client(implementation, { baseUrl: server.url, after: 0, sink });
        await c.connect();
        await sink.until(10);
        await c.close();
        assert.deepEqual(sink.seqs, range(1, 10));
        assert.equal(new Set(sink.nows).size, 1);
      });
    }

    if (implementation !== 'sse-eventsource') {
      // (eventsource reconnects by itself instead; see its resumption test below.)
      it('reports the server going away once through onError, then stops', async () => {
        const server = await serve(transport);
        const errors: Error[] = [];
        let reported!: () => void;
        const onErrorCalled = new Promise<void>((resolve) => (reported = resolve));
        const c = client(implementation, {
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

/** A raw HTTP server answering every request with `head` and handing the response to the test; closed after it. */
async function rawServer(head: { status: number; type: string; body?: string }): Promise<{ url: string; response: Promise<ServerResponse> }> {
  let opened!: (res: ServerResponse) => void;
  const response = new Promise<ServerResponse>((resolve) => (opened = resolve));
  const http = createServer((_req, res) => {
    res.writeHead(head.status, { 'content-type': head.type });
    if (head.body !== undefined) return res.end(head.body);
    res.flushHeaders();
    opened(res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => (http.closeAllConnections(), new Promise<void>((done) => http.close(() => done()))) });
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, response };
}

for (const implementation of ['sse', 'sse-eventsource'] as const) {
  describe(`${implementation} client: cursors and framing`, { timeout: 30_000 }, () => {
    for (const useLastEventId of [false, true]) {
      const how = useLastEventId ? 'Last-Event-ID' : '?after=';
      it(`sends its cursor as ${how} only`, async () => {
        const server = await serve('sse');
        publishN(server, 5);
        const sink = new Collector();
        const c = client(implementation, { baseUrl: server.url, after: 2, useLastEventId, sink });
        const request = nextRequest(server, '/sse');
        await c.connect();
        const req = await request;
        await sink.until(3);
        await c.close();
        assert.deepEqual(sink.seqs, [3, 4, 5]);
        assert.equal(req.url, useLastEventId ? '/sse' : '/sse?after=2');
        assert.equal(req.headers['last-event-id'], useLastEventId ? '2' : undefined);
        assert.equal(req.headers.accept, 'text/event-stream');
      });
    }

    it('parses frames split anywhere: CR, LF and CRLF ends, a CRLF and UTF-8 characters across chunks, comments, gap events', async () => {
      const raw = await rawServer({ status: 200, type: 'text/event-stream' });
      const sink = new Collector();
      const c = client(implementation, { baseUrl: raw.url, after: 0, sink });
      await c.connect();
      const res = await raw.response;
      const event = (seq: number, eol: string): string => `id: ${seq}${eol}data: {"seq":${seq},"ts":${seq * 10},"data":"é€😀"}${eol}${eol}`;
      const gap = 'event: gap\ndata: {"gap":true,"after":0,"oldest":5}\n\n';
      const bytes = Buffer.from(`: hello\n${event(1, '\n')}${event(2, '\r\n')}${event(3, '\r')}${event(4, '\r\n')}${gap}${event(5, '\r\n')}`);
      const after = (s: string, from: number): number => bytes.indexOf(Buffer.from(s), from);
      const cuts = [
        after('é', after('"seq":2', 0)) + 1, // inside the 2-byte é of event 2
        after('\r\n\r\n', after('"seq":4', 0)) + 1, // between the CR and the LF ending event 4's data line
        after('😀', after('"seq":5', 0)) + 2, // inside the 4-byte emoji of event 5
        bytes.length,
      ];
      // After each write, wait for the events it completes, so the next bytes arrive in a later chunk.
      const completes = [1, 3, 4, 5];
      let from = 0;
      for (const [i, cut] of cuts.entries()) {
        res.write(bytes.subarray(from, cut));
        from = cut;
        await sink.until(completes[i] as number);
      }
      await c.close();
      assert.deepEqual(sink.seqs, [1, 2, 3, 4, 5]);
      assert.equal(sink.gaps, 1);
      assert.equal(c.lastSeq, 5);
    });
  });
}

describe('sse client (lean)', { timeout: 30_000 }, () => {
  it('fails connect() with a sentence on a non-200 answer, and on another content-type, quoting the body', async () => {
    const missing = await rawServer({ status: 404, type: 'application/json', body: '{"error":"no such stream"}' });
    await assert.rejects(client('sse', { baseUrl: missing.url, after: 7, sink: new Collector() }).connect(), {
      message: 'GET /sse?after=7 answered 404: {"error":"no such stream"}',
    });
    const html = await rawServer({ status: 200, type: 'text/html', body: '<p>hi</p>' });
    await assert.rejects(client('sse', { baseUrl: html.url, sink: new Collector() }).connect(), {
      message: 'GET /sse answered 200 with content-type "text/html", expected text/event-stream: <p>hi</p>',
    });
    // An error answer whose body never ends: its first 200 characters are quoted, without waiting for the end.
    const endless = await rawServer({ status: 503, type: 'text/plain' });
    const connecting = client('sse', { baseUrl: endless.url, sink: new Collector() }).connect();
    (await endless.response).write('x'.repeat(300));
    await assert.rejects(connecting, { message: `GET /sse answered 503: ${'x'.repeat(200)}` });
  });

  it('does not reconnect: the stream dropping goes to onError once, and nothing is requested again', async () => {
    const server = await serve('sse', { sseRetryMs: 1 });
    let requests = 0;
    server.http.on('request', () => requests++);
    const errors: Error[] = [];
    let reported!: () => void;
    const onErrorCalled = new Promise<void>((resolve) => (reported = resolve));
    const sink = new Collector();
    const c = client('sse', {
      baseUrl: server.url,
      after: 0,
      sink,
      onError: (err) => {
        errors.push(err);
        reported();
      },
    });
    await c.connect();
    publishN(server, 2);
    await sink.until(2);
    server.http.closeAllConnections();
    await onErrorCalled;
    await c.close();
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /^the sse stream broke off: /);
    assert.equal(requests, 1);
    assert.deepEqual(sink.seqs, [1, 2]);
  });

  it('close() resolves once its sockets are closed, the stream and a send() connection alike', async () => {
    const server = await serve('sse');
    const created: Socket[] = [];
    const onSocket = (message: unknown): void => void created.push((message as { socket: Socket }).socket);
    diagnostics.subscribe('net.client.socket', onSocket);
    try {
      const sink = new Collector();
      const c = client('sse', { baseUrl: server.url, after: 0, sink });
      await c.connect();
      await c.send('one');
      await sink.until(1);
      assert.deepEqual(created.map((s) => s.closed), [false, false]);
      await c.close();
      assert.deepEqual(created.map((s) => s.closed), [true, true]);
    } finally {
      diagnostics.unsubscribe('net.client.socket', onSocket);
    }
  });
});

describe('sse-eventsource client: reconnection', { timeout: 30_000 }, () => {
  // eventsource reconnects by itself; the lean client does not (see above).
  for (const useLastEventId of [false, true]) {
    const how = useLastEventId ? 'Last-Event-ID' : '?after=';
    it(`reconnects after the stream drops and resumes from the last seq (${how}), without duplicates`, async () => {
      const server = await serve('sse', { sseRetryMs: 1 });
      const sockets = new Set<Socket>();
      server.http.on('connection', (s: Socket) => sockets.add(s));
      const sink = new Collector();
      const errors: Error[] = [];
      const c = client('sse-eventsource', { baseUrl: server.url, after: 0, useLastEventId, sink, onError: (e) => errors.push(e) });
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

for (const implementation of ['fetch-stream', 'fetch-stream-web'] as const) {
  describe(`${implementation} client: framing`, { timeout: 30_000 }, () => {
    it('parses NDJSON split anywhere: several lines per chunk, lines and UTF-8 characters across chunks, blank lines', async () => {
      const line = (seq: number): string => `{"seq":${seq},"ts":${seq * 10},"data":"é€😀"}\n`;
      const sink = new Collector();
      const raw = await rawServer({ status: 200, type: 'application/x-ndjson' });
      const c = client(implementation, { baseUrl: raw.url, after: 0, sink });
      await c.connect();
      const res = await raw.response;
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
}
