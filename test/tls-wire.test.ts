// Bytes on the wire over TLS and HTTP/2, checked against the arithmetic: the server counts the bytes its TCP
// sockets write (servers/stats.ts), so one event costs its transport framing, plus HTTP/2's 9-byte DATA frame
// header, inside TLS records whose overhead depends on the version and cipher negotiated.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { certificateOfRun, tlsRecordOverheadBytes, type TlsMaterial } from '../lib/tls.ts';
import { startServer, type RtServer } from '../servers/server.ts';
import { sseFrames } from '../servers/sse.ts';
import { ndjsonLines } from '../servers/fetch-stream.ts';
import type { HubEvent } from '../servers/hub.ts';
import { createClient } from '../clients/index.ts';
import type { Client } from '../clients/client.ts';
import { Collect } from './helpers/sink.ts';
import { until } from './helpers/raw.ts';

/** The TLS record overhead of lib/tls.ts, which the reports use; a version or cipher without a formula fails the test. */
function recordOverhead(protocol: string, cipher: string): number {
  const bytes = tlsRecordOverheadBytes(protocol, cipher);
  if (bytes === undefined) throw new Error(`no formula for ${protocol} ${cipher}`);
  return bytes;
}

/** A WebSocket text frame from the server: 2-byte header up to 125 bytes of payload, 4 bytes up to 65 535. */
const wsFrameBytes = (payload: number): number => payload + (payload < 126 ? 2 : 4);

let material: TlsMaterial;
before(async () => {
  material = await certificateOfRun();
});

/** Publishes one event of `dataBytes` and returns it with the bytes the server wrote until `sink` had it. */
async function oneEvent(server: RtServer, sink: Collect, dataBytes: number): Promise<{ event: HubEvent; written: number }> {
  const before = server.stats.snapshot().bytesWritten;
  const event = server.hub.publish('x'.repeat(dataBytes), 0);
  await until(() => sink.seqs.includes(event.seq), `event ${event.seq}`);
  return { event, written: server.stats.snapshot().bytesWritten - before };
}

for (const mode of ['tls', 'h2'] as const) {
  describe(`wire bytes over ${mode === 'tls' ? 'TLS (HTTP/1.1)' : 'HTTP/2'}`, () => {
    const servers: RtServer[] = [];
    const clients: Client[] = [];
    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all(servers.map((s) => s.close()));
    });
    const subscribe = async (transport: 'sse' | 'fetch-stream' | 'ws'): Promise<{ server: RtServer; sink: Collect; overhead: number }> => {
      const server = await startServer({ transport, tls: material, http2: mode === 'h2', heartbeatMs: 0 });
      servers.push(server);
      const sink = new Collect();
      const client = createClient(transport, { baseUrl: server.url, sink, ca: material.cert, http2: mode === 'h2' });
      clients.push(client);
      await client.connect();
      const tls = server.stats.snapshot().tls;
      assert.ok(tls, 'the server reports its TLS handshake');
      // node's https and ws clients offer no ALPN (HTTP/1.1 then); the HTTP/2 client offers h2.
      assert.deepEqual(tls.alpn, mode === 'h2' && transport !== 'ws' ? { h2: 1 } : { none: 1 });
      return { server, sink, overhead: recordOverhead(tls.protocol, tls.cipher) };
    };

    for (const dataBytes of [10, 1000]) {
      it(`sse: one event of ${dataBytes} B data is its frame${mode === 'h2' ? ' + a 9-byte DATA frame header' : ' in one chunk'} in one TLS record`, async () => {
        const { server, sink, overhead } = await subscribe('sse');
        const { event, written } = await oneEvent(server, sink, dataBytes);
        const frame = Buffer.byteLength(sseFrames([event]));
        const http = mode === 'h2' ? 9 + frame : `${frame.toString(16)}\r\n`.length + frame + 2;
        assert.equal(written, http + overhead);
      });
    }

    it('fetch-stream: one event is its NDJSON line, framed the same way, in one TLS record', async () => {
      const { server, sink, overhead } = await subscribe('fetch-stream');
      const { event, written } = await oneEvent(server, sink, 200);
      const line = Buffer.byteLength(ndjsonLines([event]));
      const http = mode === 'h2' ? 9 + line : `${line.toString(16)}\r\n`.length + line + 2;
      assert.equal(written, http + overhead);
    });

    it('ws: one event is one text frame in one TLS record (WebSocket stays on HTTP/1.1)', async () => {
      const { server, sink, overhead } = await subscribe('ws');
      for (const dataBytes of [10, 500]) {
        const { event, written } = await oneEvent(server, sink, dataBytes);
        assert.equal(written, wsFrameBytes(Buffer.byteLength(event.json)) + overhead);
      }
    });
  });
}

it('wire bytes over TLS 1.2: the 8-byte explicit nonce of AES-GCM in every record', async () => {
  const server = await startServer({ transport: 'sse', tls: material, heartbeatMs: 0 });
  let socket: TLSSocket | undefined;
  try {
    // A raw TLS 1.2 client: node's clients would all negotiate TLS 1.3.
    let received = '';
    socket = tlsConnect({ host: '127.0.0.1', port: server.port, ca: material.cert, maxVersion: 'TLSv1.2' });
    socket.setEncoding('utf8');
    socket.on('data', (s: string) => (received += s));
    socket.write('GET /sse HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await until(() => received.includes('\r\n\r\n') && server.stats.snapshot().subscribers === 1, 'the SSE subscription');
    const tls = server.stats.snapshot().tls;
    assert.equal(tls?.protocol, 'TLSv1.2');
    assert.match(tls?.cipher ?? '', /GCM/);
    const before = server.stats.snapshot().bytesWritten;
    const event = server.hub.publish('y'.repeat(100), 0);
    await until(() => received.includes(`id: ${event.seq}\n`) && received.endsWith('\n\n\r\n'), `event ${event.seq}`);
    const frame = Buffer.byteLength(sseFrames([event]));
    assert.equal(server.stats.snapshot().bytesWritten - before, `${frame.toString(16)}\r\n`.length + frame + 2 + 5 + 8 + 16);
  } finally {
    socket?.destroy();
    await server.close();
  }
});
