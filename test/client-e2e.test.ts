// Every client implementation against its transport's reference server process: K clients each receive exactly
// seq 1..M, in order.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { CLIENT_IMPLEMENTATIONS, createClientOf, type ClientImplementationName } from '../clients/index.ts';
import type { Client, EventSink } from '../clients/client.ts';
import { spawnServer } from '../servers/spawn.ts';

const K = 3;
const M = 50;

/** Collects seqs, and resolves `done` once `expected` events arrived (or on the client's error). */
class Collector implements EventSink {
  readonly seqs: number[] = [];
  gaps = 0;
  readonly done: Promise<void>;
  fail!: (err: Error) => void;
  private resolve!: () => void;

  constructor(private readonly expected: number) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.fail = reject;
    });
  }

  event(seq: number): void {
    this.seqs.push(seq);
    if (this.seqs.length === this.expected) this.resolve();
  }

  gap(): void {
    this.gaps++;
  }
}

const ONE_TO_M = Array.from({ length: M }, (_, i) => i + 1);

for (const implementation of Object.keys(CLIENT_IMPLEMENTATIONS) as ClientImplementationName[]) {
  const transport = CLIENT_IMPLEMENTATIONS[implementation].transport;
  describe(`${implementation} client against the ${transport} server process`, { timeout: 60_000 }, () => {
    it(`delivers exactly seq 1..${M} in order to each of ${K} clients`, async () => {
      const server = await spawnServer({ transport });
      const collectors: Collector[] = [];
      const clients: Client[] = [];
      try {
        for (let k = 0; k < K; k++) {
          const collector = new Collector(M);
          collectors.push(collector);
          clients.push(
            createClientOf(implementation, {
              baseUrl: server.url,
              after: 0,
              sink: collector,
              pollIntervalMs: 5,
              onError: (err) => collector.fail(err),
            }),
          );
        }
        await Promise.all(clients.map((c) => c.connect()));
        const lastSeq = await server.publish({ rate: 10_000, count: M, payloadBytes: 64 });
        assert.equal(lastSeq, M);
        await Promise.all(collectors.map((c) => c.done));
      } finally {
        await Promise.all(clients.map((c) => c.close()));
        await server.stop();
      }
      // Asserted after close: nothing extra (a duplicate, a replay) arrived in the meantime either.
      for (const [k, c] of collectors.entries()) {
        assert.deepEqual(c.seqs, ONE_TO_M, `client ${k}`);
        assert.equal(c.gaps, 0, `client ${k} gaps`);
        assert.equal(clients[k]?.lastSeq, M);
      }
    });
  });
}
