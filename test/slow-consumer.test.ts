// The slow-consumer policy of the streaming servers: a subscriber that stops reading is cut once its queue passes
// the bound (with a reason), the server stops queueing for it and closes its socket, healthy subscribers get every
// event, and a subscriber coming back with its cursor resumes exactly from there (with the gap notice when
// retention no longer covers it). Real sockets; the stopped subscriber is a raw TCP socket that never reads.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startServer, type RtServer } from '../servers/server.ts';
import { createClient } from '../clients/index.ts';
import { CUT_GRACE_MS } from '../servers/slow-consumer.ts';
import { Collect } from './helpers/sink.ts';
import { until as untilWithin } from './helpers/raw.ts';

/** Waits for `check()`, at most `ms` (this file's default deadline). */
const until = (check: () => boolean, what: string, ms = 15000): Promise<void> => untilWithin(check, what, ms);

const STREAMING = ['ws', 'sse', 'fetch-stream'] as const;
const PATH = { ws: '/ws', sse: '/sse', 'fetch-stream': '/stream' } as const;
const BOUND = 256 * 1024;
const EVENT = 'x'.repeat(10 * 1024);

/** A subscriber that sends its request and then never reads a byte (its socket is paused). */
async function stoppedSubscriber(server: RtServer, transport: (typeof STREAMING)[number]): Promise<Socket> {
  const socket = connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const upgrade = transport === 'ws' ? `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` : '';
  socket.write(`GET ${PATH[transport]}?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgrade}\r\n`);
  socket.pause();
  socket.on('error', () => undefined);
  return socket;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('slow consumers', { timeout: 60_000 }, () => {
  for (const transport of STREAMING) {
    it(`${transport}: a stopped subscriber is cut at the bound; the healthy one gets everything; it resumes from its cursor`, async () => {
      const server = await startServer({ transport, maxQueuedBytes: BOUND, retention: 100_000 });
      const healthy = new Collect();
      const client = createClient(transport, { baseUrl: server.url, after: 0, sink: healthy });
      const stopped = await stoppedSubscriber(server, transport);
      try {
        await client.connect();
        await until(() => server.stats.snapshot().subscribers === 2, 'both subscribers');
        // Publish 10 KB events, a few per tick, until the stopped one is cut (the kernel's socket buffers fill first).
        let published = 0;
        while (server.stats.snapshot().slowConsumersCut === 0) {
          assert.ok(published < 20_000, 'cut before 200 MB were published');
          for (let i = 0; i < 8; i++) server.hub.append(EVENT, 0);
          server.hub.flush();
          published += 8;
          await new Promise((r) => setImmediate(r));
        }
        assert.equal(server.stats.snapshot().slowConsumersCut, 1);
        assert.equal(server.stats.snapshot().subscribers, 1, 'the cut subscriber is no longer written to');
        // Its socket is closed once the grace for its notice is over: the server holds only the healthy connection(s).
        await until(() => stopped.destroyed || stopped.readableEnded || server.stats.snapshot().connectionsOpen <= 2, 'the cut socket closed', CUT_GRACE_MS + 10_000);
        // The healthy subscriber got every event, in order.
        await until(() => healthy.seqs.length === published, `the healthy subscriber's ${published} events`);
        assert.deepEqual(healthy.seqs, range(1, published));
        // The cut one comes back with its cursor (it read nothing: 0) and resumes exactly from there.
        const back = new Collect();
        const again = createClient(transport, { baseUrl: server.url, after: 0, sink: back });
        await again.connect();
        await until(() => back.seqs.length === published, 'the resumed subscriber');
        assert.deepEqual(back.seqs, range(1, published));
        assert.equal(back.gaps, 0);
        await again.close();
      } finally {
        stopped.destroy();
        await client.close();
        await server.close();
      }
    });
  }

  it('a cut subscriber resuming from a cursor older than retention gets the gap notice, then what is retained', async () => {
    const server = await startServer({ transport: 'sse', maxQueuedBytes: BOUND, retention: 50 });
    const stopped = await stoppedSubscriber(server, 'sse');
    try {
      await until(() => server.stats.snapshot().subscribers === 1, 'the subscriber');
      let published = 0;
      while (server.stats.snapshot().slowConsumersCut === 0) {
        assert.ok(published < 20_000, 'cut before 200 MB were published');
        for (let i = 0; i < 8; i++) server.hub.append(EVENT, 0);
        server.hub.flush();
        published += 8;
        await new Promise((r) => setImmediate(r));
      }
      const back = new Collect();
      const again = createClient('sse', { baseUrl: server.url, after: 0, sink: back });
      await again.connect();
      await until(() => back.seqs.length === 50, 'the retained events');
      assert.equal(back.gaps, 1);
      assert.deepEqual(back.seqs, range(published - 49, published));
      await again.close();
    } finally {
      stopped.destroy();
      await server.close();
    }
  });

  it('the policy can be turned off (0): nothing is cut', async () => {
    const server = await startServer({ transport: 'ws', maxQueuedBytes: 0 });
    const stopped = await stoppedSubscriber(server, 'ws');
    try {
      await until(() => server.stats.snapshot().subscribers === 1, 'the subscriber');
      for (let i = 0; i < 100; i++) server.hub.publish(EVENT, 0);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(server.stats.snapshot().slowConsumersCut, 0);
      assert.equal(server.stats.snapshot().subscribers, 1);
    } finally {
      stopped.destroy();
      await server.close();
    }
  });
});
