// Exact bytes on the wire: SSE frames, chunked NDJSON lines, WebSocket text frames, poll bodies.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startServer, type RtServer } from '../servers/server.ts';
import type { Transport } from '../lib/transports.ts';

/** A raw TCP connection that collects everything the server sends. */
class Raw {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static open(port: number): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }
  /** Waits until the received bytes contain `marker`; returns everything received and clears the buffer. */
  async until(marker: Buffer | string): Promise<Buffer> {
    const m = typeof marker === 'string' ? Buffer.from(marker) : marker;
    while (this.buf.indexOf(m) === -1) await new Promise<void>((r) => this.waiters.push(r));
    const end = this.buf.indexOf(m) + m.length;
    const out = this.buf.subarray(0, end);
    this.buf = this.buf.subarray(end);
    return out;
  }
  /** Waits for exactly `n` more bytes. */
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) await new Promise<void>((r) => this.waiters.push(r));
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  close(): void {
    this.socket.destroy();
  }
}

async function withServer(transport: Transport, fn: (s: RtServer) => Promise<void>): Promise<void> {
  const server = await startServer({ transport });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

const EVENT1 = '{"seq":1,"ts":1000,"data":"hi"}';
const EVENT2 = '{"seq":2,"ts":2000,"data":"a\\"b"}';

it('SSE: one `id:`/`data:` frame per event, exact bytes', async () => {
  await withServer('sse', async (server) => {
    const raw = await Raw.open(server.port);
    try {
      raw.socket.write('GET /sse?after=0 HTTP/1.1\r\nHost: x\r\n\r\n');
      const head = (await raw.until('\r\n\r\n')).toString();
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /\r\ncontent-type: text\/event-stream\r\n/i);
      assert.match(head, /\r\nx-accel-buffering: no\r\n/i);
      assert.match(head, /\r\ntransfer-encoding: chunked\r\n/i);
      assert.match(head, /\r\naccess-control-allow-origin: \*\r\n/i);
      server.hub.publish('hi', 1000);
      const frame1 = `id: 1\ndata: ${EVENT1}\n\n`;
      // Node frames each write as one HTTP chunk: <hex length>\r\n<bytes>\r\n
      assert.equal((await raw.take(frame1.length.toString(16).length + 2 + frame1.length + 2)).toString(), `${frame1.length.toString(16)}\r\n${frame1}\r\n`);
      server.hub.publish('a"b', 2000);
      const frame2 = `id: 2\ndata: ${EVENT2}\n\n`;
      assert.equal((await raw.take(frame2.length.toString(16).length + 4 + frame2.length)).toString(), `${frame2.length.toString(16)}\r\n${frame2}\r\n`);
    } finally {
      raw.close();
    }
  });
});

it('SSE: Last-Event-ID resumes after that id', async () => {
  await withServer('sse', async (server) => {
    server.hub.publish('hi', 1000);
    server.hub.publish('a"b', 2000);
    const raw = await Raw.open(server.port);
    try {
      raw.socket.write('GET /sse?after=0 HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\n\r\n');
      await raw.until('\r\n\r\n');
      const frame2 = `id: 2\ndata: ${EVENT2}\n\n`;
      assert.equal((await raw.take(frame2.length.toString(16).length + 4 + frame2.length)).toString(), `${frame2.length.toString(16)}\r\n${frame2}\r\n`);
    } finally {
      raw.close();
    }
  });
});

it('fetch-stream: chunked NDJSON, one event JSON per line, exact bytes', async () => {
  await withServer('fetch-stream', async (server) => {
    const raw = await Raw.open(server.port);
    try {
      raw.socket.write('GET /stream?after=0 HTTP/1.1\r\nHost: x\r\n\r\n');
      const head = (await raw.until('\r\n\r\n')).toString();
      assert.match(head, /\r\ncontent-type: application\/x-ndjson\r\n/i);
      assert.match(head, /\r\ntransfer-encoding: chunked\r\n/i);
      server.hub.publish('hi', 1000);
      const line = `${EVENT1}\n`;
      assert.equal((await raw.take(line.length.toString(16).length + 4 + line.length)).toString(), `${line.length.toString(16)}\r\n${line}\r\n`);
    } finally {
      raw.close();
    }
  });
});

it('ws: one unmasked text frame per event (2-byte header below 126 bytes, 4-byte header up to 65535)', async () => {
  await withServer('ws', async (server) => {
    const raw = await Raw.open(server.port);
    try {
      raw.socket.write(
        'GET /ws?after=0 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      const head = (await raw.until('\r\n\r\n')).toString();
      assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
      assert.match(head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i);
      assert.doesNotMatch(head, /permessage-deflate/i);
      server.hub.publish('hi', 1000);
      const small = await raw.take(2 + EVENT1.length);
      assert.deepEqual([...small.subarray(0, 2)], [0x81, EVENT1.length]);
      assert.equal(small.subarray(2).toString(), EVENT1);
      const data = 'x'.repeat(200);
      server.hub.publish(data, 3000);
      const json = `{"seq":2,"ts":3000,"data":"${data}"}`;
      const big = await raw.take(4 + json.length);
      assert.deepEqual([...big.subarray(0, 4)], [0x81, 126, json.length >> 8, json.length & 0xff]);
      assert.equal(big.subarray(4).toString(), json);
    } finally {
      raw.close();
    }
  });
});

it('short-poll: `{"events":[...],"next":S}` with content-length, exact body', async () => {
  await withServer('short-poll', async (server) => {
    server.hub.publish('hi', 1000);
    server.hub.publish('a"b', 2000);
    const raw = await Raw.open(server.port);
    try {
      raw.socket.write('GET /poll?after=0 HTTP/1.1\r\nHost: x\r\n\r\n');
      const head = (await raw.until('\r\n\r\n')).toString();
      const body = `{"events":[${EVENT1},${EVENT2}],"next":2}`;
      assert.match(head, new RegExp(`\\r\\ncontent-length: ${body.length}\\r\\n`, 'i'));
      assert.equal((await raw.take(body.length)).toString(), body);
      raw.socket.write('GET /poll?after=2 HTTP/1.1\r\nHost: x\r\n\r\n');
      await raw.until('\r\n\r\n');
      assert.equal((await raw.take('{"events":[],"next":2}'.length)).toString(), '{"events":[],"next":2}');
    } finally {
      raw.close();
    }
  });
});

it('long-poll: a held poll is answered with the next event; an elapsed wait with no events', async () => {
  await withServer('long-poll', async (server) => {
    const raw = await Raw.open(server.port);
    try {
      raw.socket.write('GET /long-poll?after=0&wait=60000 HTTP/1.1\r\nHost: x\r\n\r\n');
      // The poll is held: the server counts it as a subscriber before we publish.
      while (server.stats.snapshot().subscribers < 1) await new Promise((r) => setImmediate(r));
      server.hub.publish('hi', 1000);
      await raw.until('\r\n\r\n');
      const body = `{"events":[${EVENT1}],"next":1}`;
      assert.equal((await raw.take(body.length)).toString(), body);
      raw.socket.write('GET /long-poll?after=1&wait=1 HTTP/1.1\r\nHost: x\r\n\r\n');
      await raw.until('\r\n\r\n');
      assert.equal((await raw.take('{"events":[],"next":1}'.length)).toString(), '{"events":[],"next":1}');
    } finally {
      raw.close();
    }
  });
});
