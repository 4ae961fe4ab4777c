// The wire contract's per-transport cases, run over one wire mode: plain HTTP/1.1 (test/contract.test.ts), or TLS
// and HTTP/2 (test/contract-tls.test.ts). One server per transport, shared by the mode's cases.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as http2Connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { PLAIN_TRANSPORTS, TRANSPORTS, TRANSPORT_PATHS, isSocketIo } from '../../lib/transports.ts';
import { io } from 'socket.io-client';
import { SOCKETIO_PATH } from '../../lib/socketio.ts';
import type { TlsMaterial } from '../../lib/tls.ts';
import { startServer, type RtServer } from '../../servers/server.ts';
import type { ServerOptions } from '../../servers/options.ts';
import { createClient } from '../../clients/index.ts';
import type { Client, EventSink } from '../../clients/client.ts';

/** How the suite's servers and clients talk: plain HTTP/1.1, HTTP/1.1 over TLS, HTTP/2 over TLS. */
export type ContractMode = 'plain' | 'tls' | 'h2';

/** A sink that keeps every seq and resolves when `target` arrives (rejecting after 10 s). */
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
  until(target: number, ms = 10_000): Promise<void> {
    if (this.seqs.some((s) => s >= target)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`seq ${target} did not arrive within ${ms} ms; got ${this.seqs.length} events`)), ms);
      this.waiters.push({
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** One answer: status, headers, body, and the local port of the connection it came on. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  socketPort: number;
}

/** Requests on one kept-alive connection of the mode: an HTTP/1.1 agent of one socket, or one HTTP/2 session. */
export interface Requester {
  send(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<Answer>;
  close(): void;
}

/** A Requester over one kept-alive HTTP/1.1 connection to 127.0.0.1:`port`, over TLS when `tls` is given. */
export function http1Requester(port: number, tls?: TlsMaterial): Requester {
  const agent = tls === undefined ? new Agent({ keepAlive: true, maxSockets: 1 }) : new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: tls.cert });
  const request = tls === undefined ? httpRequest : httpsRequest;
  return {
    send: (method, path, body, headers = {}) =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, socketPort: req.socket?.localPort ?? 0 }));
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

function http2Requester(port: number, tls: TlsMaterial): Requester {
  let session: ClientHttp2Session | undefined;
  const open = (): ClientHttp2Session => {
    session ??= http2Connect(`https://127.0.0.1:${port}`, { ca: tls.cert });
    return session;
  };
  return {
    send: (method, path, body, headers = {}) =>
      new Promise((resolve, reject) => {
        const s = open();
        const stream = s.request({ ':method': method, ':path': path, ...headers });
        let head: IncomingHttpHeaders = {};
        let text = '';
        stream.setEncoding('utf8');
        stream.once('response', (h) => (head = h));
        stream.on('data', (c: string) => (text += c));
        stream.on('end', () => resolve({ status: Number(head[':status']), headers: head, body: text, socketPort: s.socket.localPort ?? 0 }));
        stream.on('error', reject);
        stream.end(body);
      }),
    close: () => session?.destroy(),
  };
}

/** A Socket.IO connection's CONNECT_ERROR message (the server refused its CONNECT packet's auth). */
function socketIoRefusal(port: number, transport: 'socketio' | 'socketio-ws', auth: Record<string, unknown>): Promise<string> {
  const socket = io(`http://127.0.0.1:${port}`, { path: SOCKETIO_PATH, transports: transport === 'socketio' ? ['polling', 'websocket'] : ['websocket'], forceNew: true, reconnection: false, auth });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no connect_error within 5 s')), 5000);
    socket.once('connect', () => reject(new Error('the server accepted a malformed cursor')));
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      resolve(err.message);
    });
  }).finally(() => socket.close());
}

/**
 * Registers the contract cases of every transport over `mode`; `material` gives the TLS key and certificate
 * (modes tls and h2; the clients trust the certificate as their CA).
 */
export function contractSuite(mode: ContractMode, material: () => TlsMaterial | undefined = () => undefined): void {
  const label = mode === 'plain' ? '' : ` over ${mode === 'tls' ? 'TLS' : 'HTTP/2'}`;
  // WebSocket stays on HTTP/1.1: over h2 its control requests still go on an HTTP/2 session.
  const wire = (): Partial<ServerOptions> => (mode === 'plain' ? {} : { tls: material(), http2: mode === 'h2' });
  const clientWire = (): { ca?: string; http2?: boolean } => {
    const tls = material();
    return tls === undefined ? {} : { ca: tls.cert, http2: mode === 'h2' };
  };
  const requester = (port: number): Requester => {
    const tls = material();
    if (mode === 'h2' && tls !== undefined) return http2Requester(port, tls);
    return http1Requester(port, mode === 'plain' ? undefined : tls);
  };

  // Socket.IO is checked over plain HTTP/1.1 (its TLS and HTTP/2 are not rtbench's to measure yet).
  for (const transport of mode === 'plain' ? TRANSPORTS : PLAIN_TRANSPORTS) {
    describe(`contract${label}: ${transport}`, () => {
      let server: RtServer;
      let http: Requester;
      const clients: Client[] = [];

      before(async () => {
        server = await startServer({ transport, retention: 1000, ...wire() });
        http = requester(server.port);
      });
      after(async () => {
        await Promise.all(clients.map((c) => c.close()));
        http.close();
        await server.close();
      });

      const connect = async (sink: EventSink, opts: { after?: number; useLastEventId?: boolean } = {}): Promise<Client> => {
        const client = createClient(transport, { baseUrl: server.url, sink, pollIntervalMs: 5, longPollWaitMs: 30_000, ...clientWire(), ...opts });
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

      it('sends the client upstream with send() and broadcasts it', async () => {
        const sink = new Collect();
        const client = await connect(sink);
        const next = server.hub.lastSeq + 1;
        await client.send('upstream');
        await sink.until(next);
        assert.deepEqual(sink.seqs, [next]);
      });

      it('answers a malformed cursor with a 4xx JSON error and keeps serving', async () => {
        if (isSocketIo(transport)) {
          // Socket.IO's cursor is in the CONNECT packet's auth; a bad one is refused with a CONNECT_ERROR packet.
          assert.equal(await socketIoRefusal(server.port, transport, { after: 'abc' }), 'auth.after must be an integer >= 0, got "abc"');
          assert.equal(await socketIoRefusal(server.port, transport, { after: -1 }), 'auth.after must be an integer >= 0, got -1');
          const health = await http.send('GET', '/healthz');
          assert.equal(health.body, 'ok');
          return;
        }
        const bad = await http.send('GET', `${TRANSPORT_PATHS[transport]}?after=abc`);
        assert.equal(bad.status, transport === 'ws' ? 426 : 400);
        assert.equal(typeof (JSON.parse(bad.body) as { error: unknown }).error, 'string');
        const neg = await http.send('GET', `${TRANSPORT_PATHS[transport]}?after=-1`);
        assert.ok(neg.status >= 400 && neg.status < 500, `status ${neg.status}`);
        const health = await http.send('GET', '/healthz');
        assert.equal(health.status, 200);
        assert.equal(health.body, 'ok');
        assert.equal(health.socketPort, bad.socketPort, 'the keep-alive connection stays usable');
      });

      it('rejects bad publish bodies with 4xx and keeps the connection usable', async () => {
        const notJson = await http.send('POST', '/publish', 'nope');
        assert.equal(notJson.status, 400);
        const noData = await http.send('POST', '/publish', '{"x":1}');
        assert.equal(noData.status, 400);
        const big = await http.send('POST', '/publish', JSON.stringify({ data: 'x'.repeat(70_000) }));
        assert.equal(big.status, 413);
        const unknown = await http.send('GET', '/nope');
        assert.equal(unknown.status, 404);
        const wrongMethod = await http.send('DELETE', '/publish');
        assert.equal(wrongMethod.status, 405);
        const before = server.hub.lastSeq;
        const ok = await http.send('POST', '/publish', '{"data":"hello"}', { 'content-type': 'application/json' });
        assert.equal(ok.status, 200);
        assert.deepEqual(JSON.parse(ok.body), { seq: before + 1 });
        assert.equal(ok.socketPort, notJson.socketPort);
      });

      it('allows any origin and answers preflight', async () => {
        const pre = await http.send('OPTIONS', '/publish', undefined, { origin: 'http://example.test', 'access-control-request-method': 'POST' });
        assert.equal(pre.status, 204);
        assert.equal(pre.headers['access-control-allow-origin'], '*');
        const stats = await http.send('GET', '/stats');
        assert.equal(stats.headers['access-control-allow-origin'], '*');
        const snap = JSON.parse(stats.body) as { transport: string; lastSeq: number };
        assert.equal(snap.transport, transport);
        assert.equal(snap.lastSeq, server.hub.lastSeq);
        const time = JSON.parse((await http.send('GET', '/time')).body) as { now: number };
        assert.ok(Number.isInteger(time.now));
      });

      it('announces a gap when the cursor is older than retention', async () => {
        const small = await startServer({ transport, retention: 5, ...wire() });
        const sink = new Collect();
        const client = createClient(transport, { baseUrl: small.url, sink, after: 0, pollIntervalMs: 5, ...clientWire() });
        try {
          for (let i = 0; i < 10; i++) small.hub.publish('e', 0);
          await client.connect();
          await sink.until(10);
          assert.deepEqual(sink.seqs, range(6, 10));
          assert.equal(sink.gaps, 1);
        } finally {
          await client.close();
          await small.close();
        }
      });
    });
  }
}
