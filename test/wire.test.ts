// Wire-bytes arithmetic: real servers and real clients, and the server's socket byte counters must equal, to the
// byte, what each transport's framing says M events cost (WebSocket frame headers, SSE frames and NDJSON lines in
// HTTP chunks, whole HTTP responses for polling), in both directions where the client's bytes are deterministic.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startServer, type RtServer } from '../servers/server.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { JSON_HEADERS } from '../servers/http-util.ts';
import { createClient } from '../clients/index.ts';
import type { Client, ClientOptions, EventSink } from '../clients/client.ts';
import type { Transport } from '../lib/transports.ts';

/** `data` lengths: an event JSON below 126 bytes, between 126 and 65 535, and above 65 535. */
const SIZES = [10, 200, 70_000];
/** Three events of each size, published one per tick: seqs 1..9 (single digits keep poll cursors one byte). */
const DATA = SIZES.flatMap((n) => [n, n, n]).map((n, i) => String.fromCharCode(97 + i).repeat(n));
const M = DATA.length;
/** Scheduled time stamped on event i (fixed, so every event JSON is known). */
const tsOf = (i: number): number => 1_000_000 + i;
const eventJson = (seq: number): string => `{"seq":${seq},"ts":${tsOf(seq)},"data":"${DATA[seq - 1] ?? ''}"}`;

const bytes = (s: string): number => Buffer.byteLength(s);
/** A WebSocket frame header: 2 bytes below 126 payload bytes, 4 up to 65 535, 10 above; +4 mask bytes from a client. */
const wsHeader = (payload: number, masked: boolean): number => (payload < 126 ? 2 : payload <= 0xffff ? 4 : 10) + (masked ? 4 : 0);
/** One HTTP/1.1 chunk: `<hex length>\r\n<data>\r\n`. */
const chunk = (data: number): number => data.toString(16).length + 2 + data + 2;
/** The head of a 200 JSON answer as node:http writes it (Date is always 29 characters: IMF-fixdate). */
const jsonHead = (contentLength: number): string =>
  'HTTP/1.1 200 OK\r\n' +
  Object.entries(JSON_HEADERS)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('') +
  `content-length: ${contentLength}\r\nDate: ${'D'.repeat(29)}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=65\r\n\r\n`;
/** A whole 200 JSON answer, head and body, bytes. */
const jsonAnswer = (body: string): number => bytes(jsonHead(bytes(body))) + bytes(body);
/** The request undici sends for a GET without a body (the polling clients). */
const undiciGet = (path: string, port: number): number => bytes(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: keep-alive\r\n\r\n`);
const pollBody = (seqs: number[], next: number): string => `{"events":[${seqs.map(eventJson).join(',')}],"next":${next}}`;

/** A sink that resolves when a given seq has arrived. */
class Collect implements EventSink {
  seqs: number[] = [];
  private waiters: { target: number; resolve: () => void }[] = [];
  event(seq: number): void {
    this.seqs.push(seq);
    this.waiters = this.waiters.filter((w) => (seq >= w.target ? (w.resolve(), false) : true));
  }
  gap(): void {}
  until(target: number): Promise<void> {
    if (this.seqs.some((s) => s >= target)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }
}

/** Waits (a turn of the event loop at a time) until `ready` holds for the server's counters. */
async function until(server: RtServer, ready: (s: StatsSnapshot) => boolean): Promise<StatsSnapshot> {
  for (;;) {
    const s = server.stats.snapshot();
    if (ready(s)) return s;
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function withClient(
  transport: Transport,
  options: Partial<ClientOptions>,
  fn: (server: RtServer, client: Client, sink: Collect) => Promise<void>,
  serverOptions: { maxBodyBytes?: number; heartbeatMs?: number; wsPingMs?: number } = {},
): Promise<void> {
  const server = await startServer({ transport, ...serverOptions });
  const sink = new Collect();
  const client = createClient(transport, { baseUrl: server.url, sink, ...options });
  try {
    await fn(server, client, sink);
  } finally {
    await client.close();
    await server.close();
  }
}

/** Publishes events 1..M, one per publish tick (so one write, one chunk, per event), and waits for the last. */
async function publishAll(server: RtServer, sink: Collect): Promise<void> {
  for (let seq = 1; seq <= M; seq++) server.hub.publish(DATA[seq - 1] as string, tsOf(seq));
  await sink.until(M);
}

describe('wire bytes: streams', () => {
  it('ws: each event costs its JSON plus a 2-, 4- or 10-byte frame header', async () => {
    await withClient('ws', { after: 0 }, async (server, client, sink) => {
      await client.connect();
      const s0 = await until(server, (s) => s.subscribers === 1);
      await publishAll(server, sink);
      const s1 = server.stats.snapshot();
      let expected = 0;
      for (let seq = 1; seq <= M; seq++) expected += wsHeader(bytes(eventJson(seq)), false) + bytes(eventJson(seq));
      assert.deepEqual(sink.seqs, Array.from({ length: M }, (_, i) => i + 1));
      assert.equal(s1.bytesWritten - s0.bytesWritten, expected);
      assert.equal(s1.bytesRead - s0.bytesRead, 0, 'the client sends nothing while it receives');
    });
  });

  it('ws: a client frame costs its payload plus a masked 6-, 8- or 14-byte header; its echo a 2-, 4- or 10-byte one', async () => {
    await withClient(
      'ws',
      { after: 0 },
      async (server, client, sink) => {
        await client.connect();
        const s0 = await until(server, (s) => s.subscribers === 1);
        let up = 0;
        for (const [i, n] of SIZES.entries()) {
          const payload = JSON.stringify({ data: 'u'.repeat(n) });
          up += wsHeader(bytes(payload), true) + bytes(payload);
          await client.send('u'.repeat(n));
          await sink.until(i + 1);
        }
        const s1 = server.stats.snapshot();
        // The server stamps upstream events with its own clock: take their JSON from its retention.
        const down = server.hub.since(0).events.reduce((a, e) => a + wsHeader(bytes(e.json), false) + bytes(e.json), 0);
        assert.deepEqual([6, 8, 14].map((h, i) => wsHeader(bytes(JSON.stringify({ data: 'u'.repeat(SIZES[i] as number) })), true) === h), [true, true, true]);
        assert.equal(s1.bytesRead - s0.bytesRead, up);
        assert.equal(s1.bytesWritten - s0.bytesWritten, down);
      },
      { maxBodyBytes: 128 * 1024 },
    );
  });

  it('sse: each event costs `id: N\\ndata: <json>\\n\\n` in one HTTP chunk', async () => {
    await withClient('sse', { after: 0 }, async (server, client, sink) => {
      await client.connect();
      const s0 = await until(server, (s) => s.subscribers === 1);
      await publishAll(server, sink);
      const s1 = server.stats.snapshot();
      let expected = 0;
      for (let seq = 1; seq <= M; seq++) expected += chunk(bytes(`id: ${seq}\ndata: ${eventJson(seq)}\n\n`));
      assert.equal(s1.bytesWritten - s0.bytesWritten, expected);
      assert.equal(s1.bytesRead - s0.bytesRead, 0);
    });
  });

  it('fetch-stream: each event costs `<json>\\n` in one HTTP chunk', async () => {
    await withClient('fetch-stream', { after: 0 }, async (server, client, sink) => {
      await client.connect();
      const s0 = await until(server, (s) => s.subscribers === 1);
      await publishAll(server, sink);
      const s1 = server.stats.snapshot();
      let expected = 0;
      for (let seq = 1; seq <= M; seq++) expected += chunk(bytes(`${eventJson(seq)}\n`));
      assert.equal(s1.bytesWritten - s0.bytesWritten, expected);
      assert.equal(s1.bytesRead - s0.bytesRead, 0);
    });
  });
});

describe('wire bytes: polling', () => {
  it('a poll answer is exactly the head node:http writes plus the body', async () => {
    const server = await startServer({ transport: 'short-poll' });
    const socket = connect(server.port, '127.0.0.1');
    try {
      server.hub.publish(DATA[0] as string, tsOf(1));
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString()));
      socket.write('GET /poll?after=0 HTTP/1.1\r\nHost: x\r\n\r\n');
      const body = pollBody([1], 1);
      while (!got.endsWith(body)) await new Promise((r) => socket.once('data', r));
      assert.equal(got.replace(/\r\nDate: [^\r]{29}\r\n/, `\r\nDate: ${'D'.repeat(29)}\r\n`), jsonHead(bytes(body)) + body);
    } finally {
      socket.destroy();
      await server.close();
    }
  });

  it('short-poll: every poll costs its request and a whole answer; empty ones included', async () => {
    await withClient('short-poll', { after: 0, pollIntervalMs: 2 }, async (server, client, sink) => {
      await client.connect();
      for (let seq = 1; seq <= M; seq++) {
        server.hub.publish(DATA[seq - 1] as string, tsOf(seq));
        await sink.until(seq);
      }
      const s = server.stats.snapshot();
      // Each event was published after the previous one arrived: M answers carry one event each, every other
      // answer is empty, and with one-digit cursors all empty answers and all requests have the same size.
      const empties = s.requests - M;
      assert.ok(empties >= 1, 'the first poll (before any event) is empty');
      let written = empties * jsonAnswer(pollBody([], 0));
      for (let seq = 1; seq <= M; seq++) written += jsonAnswer(pollBody([seq], seq));
      assert.equal(s.connectionsAccepted, 1);
      assert.equal(s.bytesWritten, written);
      assert.equal(s.bytesRead, s.requests * undiciGet('/poll?after=0', server.port));
    });
  });

  it('long-poll: one immediate answer, then one answer per event, each re-poll held', async () => {
    await withClient('long-poll', { after: 0, longPollWaitMs: 60_000 }, async (server, client, sink) => {
      await client.connect();
      for (let seq = 1; seq <= M; seq++) {
        await until(server, (s) => s.subscribers === 1);
        server.hub.publish(DATA[seq - 1] as string, tsOf(seq));
        await sink.until(seq);
      }
      const s = await until(server, (x) => x.subscribers === 1 && x.requests === M + 2);
      let written = jsonAnswer(pollBody([], 0));
      for (let seq = 1; seq <= M; seq++) written += jsonAnswer(pollBody([seq], seq));
      let read = undiciGet('/long-poll?after=0&wait=0', server.port);
      for (let cursor = 0; cursor <= M; cursor++) read += undiciGet(`/long-poll?after=${cursor}&wait=60000`, server.port);
      assert.equal(s.connectionsAccepted, 1);
      assert.equal(s.bytesWritten, written);
      assert.equal(s.bytesRead, read);
    });
  });
});

describe('wire bytes: idle keep-alives', () => {
  it('sse: a heartbeat costs `: heartbeat\\n\\n` in one chunk (18 bytes)', async () => {
    await withClient(
      'sse',
      { after: 0 },
      async (server, client) => {
        await client.connect();
        const s0 = await until(server, (s) => s.subscribers === 1);
        const s1 = await until(server, (s) => s.bytesWritten - s0.bytesWritten >= 3 * 18);
        assert.equal(chunk(bytes(': heartbeat\n\n')), 18);
        assert.equal((s1.bytesWritten - s0.bytesWritten) % 18, 0);
        assert.equal(s1.bytesRead - s0.bytesRead, 0);
      },
      { heartbeatMs: 5 },
    );
  });

  it('ws: a ping costs 2 bytes down and its pong 6 masked bytes up', async () => {
    await withClient(
      'ws',
      { after: 0 },
      async (server, client) => {
        await client.connect();
        const s0 = await until(server, (s) => s.subscribers === 1);
        const s1 = await until(server, (s) => s.bytesRead - s0.bytesRead >= 3 * 6);
        assert.equal((s1.bytesWritten - s0.bytesWritten) % 2, 0);
        assert.equal((s1.bytesRead - s0.bytesRead) % 6, 0);
        // Every pong answers a ping; the pong of a ping written just before s0 may arrive inside the window.
        assert.ok((s1.bytesRead - s0.bytesRead) / 6 <= (s1.bytesWritten - s0.bytesWritten) / 2 + 1, 'a pong answers a ping');
      },
      { wsPingMs: 5 },
    );
  });
});
