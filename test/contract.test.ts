// The wire contract, checked over every transport (test/helpers/contract.ts): exact delivery, resume, gaps, bad
// input, CORS; over TLS and HTTP/2 in test/contract-tls.test.ts.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../servers/server.ts';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { startPublisher } from '../servers/publisher.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { contractSuite, http1Requester } from './helpers/contract.ts';
import { checkContract } from '../driver/check.ts';
import { PLAIN_TRANSPORTS } from '../lib/transports.ts';

contractSuite('plain');

it('contract: /stats carries the publisher\'s lateness, per event, and its histogram on ?histograms=1', async () => {
  const server = await startServer({ transport: 'sse' });
  const http = http1Requester(server.port);
  try {
    const p = startPublisher(server.hub, { rate: 1000, count: 20, payloadBytes: 8 }, server.stats.publisher);
    assert.equal(await p.done, 20);
    const plain = JSON.parse((await http.send('GET', '/stats')).body) as StatsSnapshot;
    assert.equal(plain.publisher.latenessUs.count, 20, 'one lateness per event published');
    assert.equal(plain.publisher.latenessHistogram, undefined);
    const full = JSON.parse((await http.send('GET', '/stats?histograms=1')).body) as StatsSnapshot;
    assert.equal(decodeFromCompressedBase64(full.publisher.latenessHistogram ?? '').totalCount, 20);
  } finally {
    http.close();
    await server.close();
  }
});

it('contract: ws closes a socket that sends a bad upstream frame (1007, 1003, 1009) and keeps serving', async () => {
  const { WebSocket } = await import('ws');
  const server = await startServer({ transport: 'ws', maxBodyBytes: 1024 });
  const closeCode = (payload: string | Buffer, binary = false): Promise<number> =>
    new Promise((resolve, reject) => {
      const sock = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
      sock.once('open', () => sock.send(payload, { binary }));
      sock.once('close', (code) => resolve(code));
      sock.once('error', reject);
    });
  try {
    assert.equal(await closeCode('not json'), 1007);
    assert.equal(await closeCode('{"data":42}'), 1007);
    assert.equal(await closeCode(Buffer.from('{"data":"x"}'), true), 1003);
    assert.equal(await closeCode(JSON.stringify({ data: 'x'.repeat(2000) })), 1009);
    // A good upstream frame from a fresh socket is published and broadcast back.
    const echoed = await new Promise<string>((resolve, reject) => {
      const sock = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
      sock.once('open', () => sock.send('{"data":"fine"}'));
      sock.once('message', (data: Buffer) => {
        sock.close();
        resolve(data.toString());
      });
      sock.once('error', reject);
    });
    assert.match(echoed, /^\{"seq":1,"ts":\d+,"data":"fine"\}$/);
  } finally {
    await server.close();
  }
});

// The same contract as `rtbench check` applies it to any server over HTTP (driver/check.ts): every rule holds.
for (const transport of PLAIN_TRANSPORTS) {
  it(`contract: ${transport} passes every rule of rtbench check`, async () => {
    const server = await startServer({ transport });
    try {
      assert.deepEqual(await checkContract(server.url, transport), { ok: true, rules: transport === 'ws' ? 7 : 8 });
    } finally {
      await server.close();
    }
  });
}
