// The idle sweep: exact connection and subscriber counts at every step over all five transports, and the fit.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSPORTS } from '../lib/transports.ts';
import { DEFAULT_FANOUT } from '../lib/options.ts';
import { fitSweep, leastSquaresSlope, runIdle, sweepCounts } from '../driver/scenarios/idle/run.ts';
import { parseSlabinfo, parseSockstat } from '../driver/sockstat.ts';
import type { OptionsOf } from '../lib/options.ts';

describe('idle: pure parts', () => {
  it('fits the least-squares slope exactly on a line, and 0 without two distinct x', () => {
    assert.equal(leastSquaresSlope([[0, 100], [10, 150], [20, 200]]), 5);
    assert.equal(leastSquaresSlope([[0, 0], [1, 1], [2, 1], [3, 2]]), 0.6);
    assert.equal(leastSquaresSlope([[5, 1]]), 0);
    assert.equal(leastSquaresSlope([[5, 1], [5, 9]]), 0);
  });

  it('sweeps from 0, ascending, without repeats; rejects bad counts', () => {
    assert.deepEqual(sweepCounts([5000, 1000, 1000, 0]), [0, 1000, 5000]);
    assert.deepEqual(sweepCounts([20]), [0, 20]);
    assert.throws(() => sweepCounts([-1]), /sweep must hold integers >= 0, got -1/);
    assert.throws(() => sweepCounts([1.5]), /got 1.5/);
    assert.throws(() => sweepCounts([1_000_000]), /at most/);
  });

  it('fits bytes per connection and per kernel socket', () => {
    const sweep = fitSweep([
      { connections: 0, rssBytes: 1000, heapUsedBytes: 500, kernelSocketBytes: 0, kernelTcpSockets: 0, kernelSlabBytes: 0 },
      { connections: 100, rssBytes: 801_000, heapUsedBytes: 300_500, kernelSocketBytes: 819_200, kernelTcpSockets: 200, kernelSlabBytes: 800_000 },
    ]);
    assert.equal(sweep.kernelSlabBytesPerConnection, 8000);
    assert.equal(sweep.kernelSlabBytesPerSocket, 4000);
    assert.equal(sweep.rssBytesPerConnection, 8000);
    assert.equal(sweep.heapBytesPerConnection, 3000);
    assert.equal(sweep.kernelBytesPerConnection, 8192);
    assert.equal(sweep.kernelSocketsPerConnection, 2);
    assert.equal(sweep.kernelBytesPerSocket, 4096);
  });

  it('adds up the socket slab caches of /proc/slabinfo', () => {
    const text =
      'slabinfo - version: 2.1\n# name <active_objs> <num_objs> <objsize> ...\n' +
      'TCP                   66    117   2368   13    8 : tunables    0    0    0 : slabdata      9      9      0\n' +
      'TCPv6                 13     13   2496   13    8 : tunables    0    0    0 : slabdata      1      1      0\n' +
      'sock_inode_cache     232    342    832   19    4 : tunables    0    0    0 : slabdata     18     18      0\n';
    assert.equal(parseSlabinfo(text), 66 * 2368 + 232 * 832);
    assert.equal(parseSlabinfo('slabinfo - version: 2.1\n'), undefined);
  });

  it('parses the TCP line of /proc/net/sockstat', () => {
    const text = 'sockets: used 12\nTCP: inuse 7 orphan 0 tw 55 alloc 9 mem 131\nUDP: inuse 0 mem 0\n';
    assert.deepEqual(parseSockstat(text, 4096), { tcpInUse: 7, tcpMemPages: 131, tcpMemBytes: 131 * 4096 });
    assert.equal(parseSockstat('UDP: inuse 0 mem 0\n'), undefined);
  });
});

describe('idle: a real sweep', () => {
  it('holds exactly 0, 20 and 50 connections per transport, over two client processes', async () => {
    const options: OptionsOf<'idle'> = {
      ...DEFAULT_FANOUT,
      scenario: 'idle-test',
      kind: 'idle',
      profile: 'custom',
      sseRetryMs: 0,
      keepAlive: true,
      transports: [...TRANSPORTS],
      workers: 2,
      pollIntervalMs: 1000,
      longPollWaitMs: 60_000,
      sweep: [20, 50],
      heartbeatMs: 15_000,
      settleMs: 100,
    };
    const result = await runIdle(options, {});
    assert.equal(result.transports.length, TRANSPORTS.length);
    for (const t of result.transports) {
      assert.equal(t.status, 'ok', `${t.transport}: ${t.error ?? ''}`);
      const idle = t.idle;
      assert.ok(idle, t.transport);
      assert.deepEqual(
        idle.points.map((p) => [p.connections, p.serverConnections, p.serverSubscribers]),
        [0, 20, 50].map((n) => [n, n, t.transport === 'short-poll' ? 0 : n]),
        t.transport,
      );
      assert.equal(idle.points[0]?.kernelSocketBytes, 0, 'the kernel figure is a delta against 0 connections');
      for (const slope of [idle.rssBytesPerConnection, idle.heapBytesPerConnection, idle.kernelBytesPerConnection]) assert.ok(Number.isFinite(slope));
      assert.equal(typeof idle.keepAlive, 'string');
      if (t.transport === 'socketio') {
        // socket.io-client's long-polling in Node (xmlhttprequest-ssl) opens a TCP connection per request and closes
        // it after the answer: the handshake, CONNECT and polls before the upgrade come and go; one WebSocket stays.
        const opened = t.churn?.connectionsOpened ?? 0;
        assert.ok(opened > 50, `socketio: ${opened} connections opened`);
        assert.equal(opened - (t.churn?.connectionsClosed ?? 0), 50, 'socketio: one connection per client stays');
      } else {
        assert.equal(t.churn?.connectionsOpened, 50, `${t.transport}: connections were only ever added`);
        assert.equal(t.churn?.connectionsClosed, 0);
      }
      if (t.transport === 'short-poll') assert.ok(idle.points.every((p) => Number.isFinite(p.wastedRequestsPerSec) && Number.isFinite(p.wastedBytesPerSec)));
      else assert.ok(idle.points.every((p) => p.wastedRequestsPerSec === undefined));
    }
  });
});
