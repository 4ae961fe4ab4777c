// The regression-injection knobs reach every transport alike: a delayed tick is invisible to pollers too, and
// the CPU knob is charged exactly once per delivery (one event to one subscriber) on every transport.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSPORTS } from '../lib/transports.ts';
import { startServer } from '../servers/server.ts';
import { createClient } from '../clients/index.ts';
import type { EventSink } from '../clients/client.ts';

for (const transport of TRANSPORTS) {
  it(`${transport}: the server counts exactly one delivery per event per subscriber`, async () => {
    const server = await startServer({ transport });
    const K = 3;
    const M = 5;
    let received = 0;
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const sink: EventSink = {
      event: () => {
        if (++received === K * M) done();
      },
      gap: () => {},
    };
    const clients = Array.from({ length: K }, () => createClient(transport, { baseUrl: server.url, sink, after: 0, pollIntervalMs: 5 }));
    try {
      await Promise.all(clients.map((c) => c.connect()));
      for (let i = 0; i < M; i++) server.hub.publish('x', i);
      await all;
      assert.equal(server.stats.snapshot().deliveries, K * M);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    }
  });

  it(`${transport}: a delayed publish tick is not visible before it is delivered`, async () => {
    const server = await startServer({ transport, injectDelayMs: 3_600_000 });
    try {
      const event = server.hub.publish('held back', 1);
      assert.equal(event.seq, 1);
      assert.equal(server.hub.publishedSeq, 1);
      assert.equal(server.hub.lastSeq, 0);
      assert.deepEqual(server.hub.since(0), { events: [], gap: false });
      if (transport === 'short-poll') {
        const body = await (await fetch(`${server.url}/poll?after=0`)).text();
        assert.equal(body, '{"events":[],"next":0}');
      }
      if (transport === 'long-poll') {
        const body = await (await fetch(`${server.url}/long-poll?after=0&wait=0`)).text();
        assert.equal(body, '{"events":[],"next":0}');
      }
    } finally {
      await server.close();
    }
  });
}
