// The pieces the scenario runners stand on, in-process: private token streams on every transport, the data sink
// the chat scenario reads senders from, polling without keep-alive, and the runners' pure helpers.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { TRANSPORTS } from '../lib/transports.ts';
import { createClient } from '../clients/index.ts';
import type { EventSink } from '../clients/client.ts';
import { startServer, type RtServer } from '../servers/server.ts';
import { countTimeWait, stormShares } from '../driver/scenarios/churn/run.ts';
import { burstRate } from '../driver/scenarios/burst/run.ts';
import { warmupMessages } from '../driver/scenarios/chat/run.ts';

/** Collects seqs; `until(n)` resolves once n events arrived. */
class Collector implements EventSink {
  readonly seqs: number[] = [];
  private waiter: { n: number; resolve: () => void } | undefined;
  event(seq: number): void {
    this.seqs.push(seq);
    this.check();
  }
  gap(): void {}
  until(n: number): Promise<void> {
    const p = new Promise<void>((resolve) => (this.waiter = { n, resolve }));
    this.check();
    return p;
  }
  protected count(): number {
    return this.seqs.length;
  }
  protected check(): void {
    if (this.waiter && this.count() >= this.waiter.n) this.waiter.resolve();
  }
}

/** A Collector whose sink asks for each event's data, as the chat scenario's does. */
class DataCollector extends Collector {
  readonly payloads: string[] = [];
  data(_seq: number, data: string): void {
    this.payloads.push(data);
    this.check();
  }
  protected override count(): number {
    return Math.min(this.seqs.length, this.payloads.length);
  }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('private token streams (?stream=ID): each request its own generator, on every transport', () => {
  for (const transport of TRANSPORTS) {
    describe(transport, () => {
      let server: RtServer;
      before(async () => {
        server = await startServer({ transport });
      });
      after(async () => {
        await server.close();
      });

      it('delivers tokens 1..T of its own stream, T bytes each, and none of the shared stream', async () => {
        const sinks = [new Collector(), new Collector()];
        const clients = sinks.map((sink, i) =>
          createClient(transport, { baseUrl: server.url, after: 0, sink, pollIntervalMs: 5, query: `stream=t-${i}&tokens=12&interval=2&bytes=7` }),
        );
        await Promise.all(clients.map((c) => c.connect()));
        server.hub.publish('shared', 0); // the shared stream is not what a stream client reads
        await Promise.all(sinks.map((s) => s.until(12)));
        await Promise.all(clients.map((c) => c.close()));
        for (const s of sinks) assert.deepEqual(s.seqs, range(12));
        assert.equal(server.hub.lastSeq, 1);
      });

      it('gives every token its data when the sink asks for it (the chat sink), parsing every event', async () => {
        const sink = new DataCollector();
        const client = createClient(transport, { baseUrl: server.url, after: 0, sink, pollIntervalMs: 5, query: 'stream=data-1&tokens=5&interval=0&bytes=3' });
        await client.connect();
        await sink.until(5);
        await client.close();
        assert.deepEqual(sink.seqs, range(5));
        assert.deepEqual(sink.payloads, ['xxx', 'xxx', 'xxx', 'xxx', 'xxx']);
      });
    });
  }

  it('answers a bad stream request with 400 and one sentence', async () => {
    const server = await startServer({ transport: 'sse' });
    try {
      const bad = async (query: string): Promise<[number, string]> => {
        const res = await request(`${server.url}/sse?${query}`);
        return [res.statusCode, await res.body.text()];
      };
      assert.deepEqual(await bad('stream=a&tokens=0'), [400, '{"error":"a new stream needs query parameter \\"tokens\\" (an integer >= 1)"}\n']);
      assert.deepEqual(await bad('stream=a%20b&tokens=3'), [400, '{"error":"query parameter \\"stream\\" must be 1 to 64 letters, digits, \\".\\", \\"_\\" or \\"-\\", got \\"a b\\""}\n']);
      assert.deepEqual(await bad('stream=a&tokens=3&interval=-1'), [400, '{"error":"query parameter \\"interval\\" must be an integer between 0 and 60000, got \\"-1\\""}\n']);
    } finally {
      await server.close();
    }
  });
});

describe('polling without keep-alive: one TCP connection per request', () => {
  for (const transport of ['short-poll', 'long-poll'] as const) {
    it(transport, async () => {
      const server = await startServer({ transport });
      try {
        const sink = new Collector();
        const client = createClient(transport, { baseUrl: server.url, after: 0, sink, pollIntervalMs: 5, longPollWaitMs: 50, keepAlive: false });
        await client.connect();
        for (let i = 0; i < 5; i++) server.hub.publish('x', 0);
        await sink.until(5);
        await client.send('up');
        await sink.until(6);
        await client.close();
        const s = server.stats.snapshot();
        assert.deepEqual(sink.seqs, range(6));
        assert.ok(s.requests >= 3, `${s.requests} requests`);
        assert.equal(s.connectionsAccepted, s.requests, 'every request on its own connection');
      } finally {
        await server.close();
      }
    });
  }
});

describe('runner helpers', () => {
  it('counts TIME_WAIT sockets on a port from /proc/net/tcp tables', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1',
      '   1: 0100007F:1F90 0100007F:A2C4 06 00000000:00000000 03:00000F9A 00000000     0        0 0 3',
      '   2: 0100007F:A2C6 0100007F:1F90 06 00000000:00000000 03:00000F9A 00000000     0        0 0 3',
      '   3: 0100007F:A2C8 0100007F:1F91 06 00000000:00000000 03:00000F9A 00000000     0        0 0 3',
      '   4: 0100007F:A2CA 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 2 1',
    ].join('\n');
    const tcp6 = ['  sl  local_address rem_address st', '   0: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:B000 06 0'].join('\n');
    assert.equal(countTimeWait(0x1f90, [tcp, tcp6]), 3);
    assert.equal(countTimeWait(0x1f91, [tcp]), 1);
    assert.equal(countTimeWait(0x1f90, []), undefined);
  });

  it('splits the storm over client processes in order', () => {
    assert.deepEqual(stormShares([3, 3, 2], 5), [3, 2, 0]);
    assert.deepEqual(stormShares([4], 4), [4]);
    assert.deepEqual(stormShares([2, 2], 0), [0, 0]);
  });

  it('spreads a burst over burstMs, or publishes it all at once', () => {
    assert.equal(burstRate(1000, 5), 200_000);
    assert.equal(burstRate(50, 0), 1e9);
  });

  it('leaves the messages of the chat warm-up out of the round trips', () => {
    assert.equal(warmupMessages({ warmupMs: 200, sendRatePerClient: 10, messagesPerClient: 10 }), 2);
    assert.equal(warmupMessages({ warmupMs: 0, sendRatePerClient: 10, messagesPerClient: 10 }), 0);
    assert.equal(warmupMessages({ warmupMs: 60_000, sendRatePerClient: 10, messagesPerClient: 10 }), 9);
  });
});
