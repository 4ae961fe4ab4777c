// Socket.IO as a transport, beyond the contract suite (which runs over it too): the exact bytes of its framing on
// WebSocket and on Engine.IO long-polling, and resumption after a dropped connection, counted with the pipeline's
// own loss and duplicate counters: the app-level cursor loses nothing; Socket.IO's reconnection alone loses what
// was published while it was away; Socket.IO's own connection state recovery (on a bare socket.io server) restores
// a dropped session but not a new one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import { createServer, type Server as HttpServer } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server as SocketIoServer } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { startServer, type RtServer } from '../servers/server.ts';
import { createClient } from '../clients/index.ts';
import type { Client, EventSink } from '../clients/client.ts';
import { SequenceTracker } from '../clients/recorder.ts';
import { SOCKETIO_EVENT, SOCKETIO_PATH } from '../lib/socketio.ts';
import { RawConnection, until, wsFrame } from './helpers/raw.ts';
import { runCli } from './helpers/cli.ts';
import type { RunResult } from '../lib/result.ts';

const bytes = (s: string): number => Buffer.byteLength(s);
/** A server WebSocket frame header (unmasked): 2 bytes below 126 payload bytes, 4 up to 65 535, 10 above. */
const wsHeader = (payload: number): number => (payload < 126 ? 2 : payload <= 0xffff ? 4 : 10);
/** The Socket.IO packet of one rtbench event: EVENT (4) of the Engine.IO MESSAGE (2) packet type, then the args. */
const eventPacket = (json: string): string => `42["${SOCKETIO_EVENT}",${json}]`;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A sink that feeds the pipeline's SequenceTracker and keeps the seqs in arrival order. */
class Tracked implements EventSink {
  readonly tracker = new SequenceTracker(1);
  readonly seqs: number[] = [];
  event(seq: number): void {
    this.seqs.push(seq);
    this.tracker.record(seq);
  }
  gap(): void {
    this.tracker.gap();
  }
}

describe('socketio framing: bytes on the wire per event', () => {
  for (const transport of ['socketio', 'socketio-ws'] as const) {
    it(`${transport}: one delivery over WebSocket is the frame header plus 42["event",<event JSON>], to the byte`, async () => {
      const server = await startServer({ transport });
      const sink = new Tracked();
      const client = createClient(transport, { baseUrl: server.url, after: 0, sink });
      try {
        await client.connect();
        if (transport === 'socketio') {
          // The default configuration starts on polling; wait until the upgrade to WebSocket is done.
          const socket = (client as unknown as { socket: Socket }).socket;
          await until(() => socket.io.engine.transport.name === 'websocket', 'the upgrade to WebSocket');
          await new Promise((r) => setTimeout(r, 50));
        }
        // data of 10, 200 and 70 000 bytes: payloads under 126, under 65 536 and over (2-, 4- and 10-byte headers).
        for (const [i, size] of [10, 200, 70_000].entries()) {
          const seq = i + 1;
          const before = server.stats.snapshot().bytesWritten;
          const event = server.hub.publish('x'.repeat(size), 1_000_000 + seq);
          await until(() => sink.seqs.includes(seq), `event ${seq}`);
          const packet = eventPacket(event.json);
          assert.equal(server.stats.snapshot().bytesWritten - before, wsHeader(bytes(packet)) + bytes(packet), `event of ${size} data bytes`);
        }
        assert.deepEqual(sink.seqs, [1, 2, 3]);
      } finally {
        await client.close();
        await server.close();
      }
    });
  }

  it('socketio-ws: the frame payload is exactly 42["event",<the event JSON of every other transport>]', async () => {
    const server = await startServer({ transport: 'socketio-ws' });
    const c = await RawConnection.websocket(server.port, `${SOCKETIO_PATH}?EIO=4&transport=websocket`);
    try {
      await until(() => c.frames.length >= 1, 'the Engine.IO open packet');
      assert.match(c.frames[0]?.payload.toString() ?? '', /^0\{"sid":"[^"]+","upgrades":\[\],"pingInterval":25000,"pingTimeout":20000,"maxPayload":65536\}$/);
      c.write(wsFrame(0x1, '40{"after":0}'));
      await until(() => c.frames.length >= 2, 'the CONNECT answer');
      assert.match(c.frames[1]?.payload.toString() ?? '', /^40\{"sid":"[^"]+"\}$/);
      const event = server.hub.publish('hello', 42);
      await until(() => c.frames.length >= 3, 'the event frame');
      assert.equal(c.frames[2]?.opcode, 0x1);
      assert.equal(c.frames[2]?.payload.toString(), `42["event",{"seq":1,"ts":42,"data":"hello"}]`);
      assert.equal(c.frames[2]?.payload.toString(), eventPacket(event.json));
    } finally {
      c.destroy();
      await server.close();
    }
  });

  it('socketio: a long-poll answer is one HTTP response whose body holds the packets joined by \\x1e, to the byte', async () => {
    const server = await startServer({ transport: 'socketio' });
    const c = await RawConnection.open(server.port);
    const get = (sid?: string): void =>
      c.write(`GET ${SOCKETIO_PATH}?EIO=4&transport=polling${sid === undefined ? '' : `&sid=${sid}`} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    try {
      get();
      const [open] = await c.waitResponses(1);
      const sid = (JSON.parse(open?.body.slice(1) ?? '{}') as { sid: string }).sid;
      const connect = '40{"after":0}';
      c.write(`POST ${SOCKETIO_PATH}?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${connect.length}\r\n\r\n${connect}`);
      get(sid);
      await c.waitResponses(3);
      assert.equal(c.responses[1]?.body, 'ok');
      assert.match(c.responses[2]?.body ?? '', /^40\{"sid":"[^"]+"\}$/);
      // A poll held by the server; three events in one publish tick. The first emit answers the held poll at once;
      // the next two wait in Engine.IO's buffer for the next poll, which takes both in one body.
      get(sid);
      await until(() => server.stats.snapshot().requests >= 4, 'the held poll');
      const before = server.stats.snapshot().bytesWritten;
      const events = ['a', 'bb', 'ccc'].map((d, i) => server.hub.append(d, 10 + i));
      server.hub.flush();
      await c.waitResponses(4);
      get(sid);
      await c.waitResponses(5);
      const [json1, json2, json3] = events.map((e) => e.json) as [string, string, string];
      assert.equal(c.responses[3]?.body, eventPacket(json1));
      assert.equal(c.responses[4]?.body, `${eventPacket(json2)}\x1e${eventPacket(json3)}`);
      // The head as node:http writes Engine.IO's headers (Date is always 29 characters: IMF-fixdate).
      const head = (length: number): number =>
        bytes(
          'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\n' +
            `Content-Length: ${length}\r\ncache-control: no-store\r\naccess-control-allow-origin: *\r\n` +
            `Date: ${'D'.repeat(29)}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=65\r\n\r\n`,
        );
      const answer = (body: string): number => head(bytes(body)) + bytes(body);
      const expected = answer(eventPacket(json1)) + answer(`${eventPacket(json2)}\x1e${eventPacket(json3)}`);
      assert.equal(server.stats.snapshot().bytesWritten - before, expected);
    } finally {
      c.destroy();
      await server.close();
    }
  });
});

describe('socketio resume: counted with the pipeline\'s loss and duplicate counters', () => {
  for (const transport of ['socketio', 'socketio-ws'] as const) {
    describe(transport, () => {
      let server: RtServer;
      // Every TCP connection the server accepted (upgraded ones included), to drop them all at once.
      const sockets = new Set<NetSocket>();
      const dropAll = (): void => {
        for (const s of sockets) s.destroy();
        sockets.clear();
      };
      before(async () => {
        server = await startServer({ transport });
        server.http.on('connection', (s: NetSocket) => sockets.add(s));
      });
      after(async () => {
        await server.close();
      });

      it('a dropped connection resumed by a new client from lastSeq: 1..M exactly once, in order', async () => {
        const base = server.hub.lastSeq;
        const sink = new Tracked();
        let dropped!: () => void;
        const failed = new Promise<void>((resolve) => (dropped = resolve));
        const first = createClient(transport, { baseUrl: server.url, after: base, sink, onError: () => dropped() });
        let second: Client | undefined;
        try {
          await first.connect();
          for (let i = 0; i < 10; i++) server.hub.publish('before', 0);
          await until(() => first.lastSeq === base + 10, 'the first 10 events');
          // The server's end of every connection goes away; events go on being published meanwhile.
          dropAll();
          for (let i = 0; i < 10; i++) server.hub.publish('while away', 0);
          await failed;
          second = createClient(transport, { baseUrl: server.url, after: first.lastSeq, sink });
          await second.connect();
          for (let i = 0; i < 10; i++) server.hub.publish('after', 0);
          await until(() => second?.lastSeq === base + 30, 'every event');
          assert.deepEqual(sink.seqs, range(base + 1, base + 30));
          assert.equal(sink.tracker.lost(base + 1, base + 30), 0);
          assert.equal(sink.tracker.duplicates, 0);
          assert.equal(sink.tracker.outOfOrder, 0);
        } finally {
          await first.close();
          await second?.close();
        }
      });

      /** socket.io-client with its own reconnection (no delay jitter), `auth` giving the cursor or nothing. */
      const reconnecting = (auth: (cb: (data: object) => void) => void, sink: Tracked): Socket => {
        const socket = io(server.url, {
          path: SOCKETIO_PATH,
          transports: transport === 'socketio' ? ['polling', 'websocket'] : ['websocket'],
          forceNew: true,
          reconnectionDelay: 100,
          randomizationFactor: 0,
          auth,
        });
        socket.on(SOCKETIO_EVENT, (e: { seq: number }) => sink.event(e.seq));
        return socket;
      };

      /** Connects, takes 5 events, loses the connection, 5 events are published, reconnects, 5 more: the sink. */
      const dropAndReconnect = async (withCursor: boolean): Promise<{ sink: Tracked; base: number }> => {
        const base = server.hub.lastSeq;
        const sink = new Tracked();
        let last = base;
        const socket = reconnecting((cb) => cb(withCursor ? { after: last } : {}), sink);
        socket.on(SOCKETIO_EVENT, (e: { seq: number }) => (last = e.seq));
        let connects = 0;
        socket.on('connect', () => connects++);
        try {
          await until(() => connects === 1, 'the first connect');
          for (let i = 0; i < 5; i++) server.hub.publish('before', 0);
          await until(() => last === base + 5, 'the first 5 events');
          dropAll();
          // Published before the reconnection can happen (it waits 100 ms at least).
          for (let i = 0; i < 5; i++) server.hub.publish('while away', 0);
          await until(() => connects === 2, 'socket.io-client reconnecting by itself', 10_000);
          for (let i = 0; i < 5; i++) server.hub.publish('after', 0);
          await until(() => last === base + 15, 'the last event');
          await new Promise((r) => setTimeout(r, 50));
          return { sink, base };
        } finally {
          socket.close();
        }
      };

      it("socket.io-client's own reconnection with the cursor in auth: nothing lost, nothing twice", async () => {
        const { sink, base } = await dropAndReconnect(true);
        assert.deepEqual(sink.seqs, range(base + 1, base + 15));
        assert.equal(sink.tracker.lost(base + 1, base + 15), 0);
        assert.equal(sink.tracker.duplicates, 0);
      });

      it("socket.io-client's own reconnection without a cursor (no state recovery): the events published while away are lost", async () => {
        const { sink, base } = await dropAndReconnect(false);
        assert.deepEqual(sink.seqs, [...range(base + 1, base + 5), ...range(base + 11, base + 15)]);
        assert.equal(sink.tracker.lost(base + 1, base + 15), 5);
        assert.equal(sink.tracker.duplicates, 0);
      });
    });
  }
});

describe("Socket.IO's connection state recovery (a bare socket.io server, not rtbench's), with the same counters", () => {
  let http: HttpServer;
  let sio: SocketIoServer;
  let url = '';
  const sockets = new Set<NetSocket>();
  let seq = 0;
  /** Broadcasts the next numbered event, as rtbench's server does. */
  const publish = (n: number): void => {
    for (let i = 0; i < n; i++) sio.emit(SOCKETIO_EVENT, { seq: ++seq });
  };
  before(async () => {
    http = createServer();
    http.on('connection', (s: NetSocket) => sockets.add(s));
    sio = new SocketIoServer(http, { transports: ['websocket'], connectionStateRecovery: { maxDisconnectionDuration: 60_000 } });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(async () => {
    await sio.close();
  });

  /** A socket.io-client with its reconnection (100 ms, no jitter) feeding `sink`; resolves once connected. */
  const connect = async (sink: Tracked): Promise<Socket> => {
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 100, randomizationFactor: 0 });
    socket.on(SOCKETIO_EVENT, (e: { seq: number }) => sink.event(e.seq));
    await until(() => socket.connected, 'connect');
    return socket;
  };

  it('appends its offset to every broadcast packet, 42["event",{...},"<offset>"], and tells the client its pid', async () => {
    const port = (http.address() as AddressInfo).port;
    const c = await RawConnection.websocket(port, '/socket.io/?EIO=4&transport=websocket');
    try {
      c.write(wsFrame(0x1, '40'));
      await until(() => c.frames.length >= 2, 'the CONNECT answer');
      assert.match(c.frames[1]?.payload.toString() ?? '', /^40\{"sid":"[^"]+","pid":"[^"]+"\}$/);
      publish(1);
      await until(() => c.frames.length >= 3, 'the event frame');
      assert.match(c.frames[2]?.payload.toString() ?? '', new RegExp(`^42\\["event",\\{"seq":${seq}\\},"[^"]+"\\]$`));
    } finally {
      c.destroy();
    }
  });

  it('a dropped connection of one session is recovered: nothing lost, nothing twice', async () => {
    const sink = new Tracked();
    const socket = await connect(sink);
    const first = seq + 1;
    try {
      publish(5);
      await until(() => sink.seqs.length === 5, 'the first 5 events');
      for (const s of sockets) s.destroy();
      publish(5);
      await until(() => socket.connected && socket.recovered, 'the recovered reconnection', 10_000);
      publish(5);
      await until(() => sink.seqs.length >= 15, 'every event');
      assert.deepEqual(sink.seqs, range(first, first + 14));
      assert.equal(sink.tracker.lost(first, first + 14), 0);
      assert.equal(sink.tracker.duplicates, 0);
    } finally {
      socket.close();
    }
  });

  it('a new session (a reload, a new client) cannot resume: what was published in between is lost', async () => {
    const sink = new Tracked();
    const socket = await connect(sink);
    const first = seq + 1;
    publish(5);
    await until(() => sink.seqs.length === 5, 'the first 5 events');
    socket.close();
    publish(5);
    const again = await connect(sink);
    try {
      assert.equal(again.recovered, false);
      publish(5);
      await until(() => sink.seqs.length >= 10, 'the last 5 events');
      assert.deepEqual(sink.seqs, [...range(first, first + 4), ...range(first + 10, first + 14)]);
      assert.equal(sink.tracker.lost(first, first + 14), 5);
    } finally {
      again.close();
    }
  });
});

describe('socketio bad input', () => {
  it("answers a malformed Engine.IO request with Engine.IO's own 400 JSON, another method with 405, and keeps serving", async () => {
    const server = await startServer({ transport: 'socketio' });
    const get = async (path: string, method = 'GET'): Promise<[number, string]> => {
      const r = await fetch(`${server.url}${path}`, { method });
      return [r.status, await r.text()];
    };
    try {
      assert.deepEqual(await get(SOCKETIO_PATH), [400, '{"code":0,"message":"Transport unknown"}']);
      assert.deepEqual(await get(`${SOCKETIO_PATH}?EIO=3&transport=polling`), [400, '{"code":5,"message":"Unsupported protocol version"}']);
      assert.deepEqual(await get(`${SOCKETIO_PATH}?EIO=4&transport=polling&sid=nope`), [400, '{"code":1,"message":"Session ID unknown"}']);
      assert.deepEqual(await get(`${SOCKETIO_PATH}?EIO=4&transport=polling`, 'DELETE'), [405, '{"error":"method DELETE not allowed here; use GET, POST"}\n']);
      assert.deepEqual(await get('/healthz'), [200, 'ok']);
    } finally {
      await server.close();
    }
  });
});

describe('socketio upstream', () => {
  it('a publish event is published like POST /publish; a malformed one ends that socket and the server goes on', async () => {
    const server = await startServer({ transport: 'socketio-ws' });
    const open = (): Socket => io(server.url, { path: SOCKETIO_PATH, transports: ['websocket'], forceNew: true, reconnection: false, auth: { after: 0 } });
    const bad = open();
    const good = open();
    const got: number[] = [];
    good.on(SOCKETIO_EVENT, (e: { seq: number }) => got.push(e.seq));
    let badReason = '';
    bad.on('disconnect', (reason) => (badReason = reason));
    try {
      await until(() => bad.connected && good.connected, 'both sockets');
      bad.emit('publish', { data: 42 });
      await until(() => badReason !== '', 'the malformed publisher to be disconnected');
      assert.equal(badReason, 'io server disconnect');
      good.emit('publish', { data: 'fine' });
      await until(() => got.length === 1, 'the published event');
      assert.deepEqual(got, [1]);
      assert.equal(server.hub.lastSeq, 1);
    } finally {
      bad.close();
      good.close();
      await server.close();
    }
  });
});

describe('rtbench compare --transports ws,socketio,socketio-ws', () => {
  it('runs the fan-out over ws and both Socket.IO configurations, every event delivered once, and says what sets Socket.IO apart', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rtbench-socketio-'));
    try {
      const r = await runCli(['compare', '--transports', 'ws,socketio,socketio-ws', '--profile', 'smoke', '--out', out, '--quiet', '--no-html']);
      assert.equal(r.code, 0, r.stderr);
      const file = readdirSync(out).find((f) => f.endsWith('.json'));
      const result = JSON.parse(readFileSync(join(out, file ?? ''), 'utf8')) as RunResult;
      assert.deepEqual(result.transports.map((t) => t.transport), ['ws', 'socketio', 'socketio-ws']);
      for (const t of result.transports) {
        assert.equal(t.status, 'ok', `${t.transport}: ${t.error ?? ''}`);
        const d = t.delivery;
        assert.ok(d && d.publishedEvents > 0, t.transport);
        assert.deepEqual([d.deliveredEvents, d.lost, d.duplicates, d.outOfOrder, d.failedClients], [d.publishedEvents * result.options.clients, 0, 0, 0, 0], t.transport);
      }
      for (const name of ['socketio', 'socketio-ws']) assert.match(r.stdout, new RegExp(`NOTE ${name} is the socket\\.io library`));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
