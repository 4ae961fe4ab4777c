// The hub's retention: the newest `retention` events, and at most `retentionBytes` of them, oldest first out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from '../servers/hub.ts';

const seqs = (hub: Hub, after: number): number[] => hub.since(after).events.map((e) => e.seq);

describe('hub retention', { timeout: 10_000 }, () => {
  it('keeps the newest `retention` events and says when a cursor is older', () => {
    const hub = new Hub(5);
    for (let i = 0; i < 12; i++) hub.publish('x', i);
    assert.equal(hub.oldestSeq, 8);
    assert.deepEqual(seqs(hub, 0), [8, 9, 10, 11, 12]);
    assert.equal(hub.since(0).gap, true);
    assert.equal(hub.since(7).gap, false);
    assert.deepEqual(seqs(hub, 10), [11, 12]);
  });

  it('keeps at most `retentionBytes` of event JSON, the oldest going first, the newest always', () => {
    const data = 'y'.repeat(100);
    const size = JSON.stringify({ seq: 1, ts: 0, data }).length; // seq 1..9: one digit each
    const hub = new Hub(1000, undefined, 3 * size);
    for (let i = 0; i < 9; i++) hub.publish(data, 0);
    assert.equal(hub.oldestSeq, 7);
    assert.deepEqual(seqs(hub, 0), [7, 8, 9]);
    assert.equal(hub.since(0).gap, true);
    assert.equal(hub.since(6).gap, false);
    // In one tick, the batch is kept as far as the budget goes: seq 10 and 11 are a byte longer each, so the three
    // newest (9, 10, 11) are 2 bytes over and 9 goes.
    hub.append(data, 0);
    hub.append(data, 0);
    hub.flush();
    assert.equal(hub.lastSeq, 11);
    assert.deepEqual(seqs(hub, 0), [10, 11]);
    // An event larger than the budget is still kept, alone.
    const big = new Hub(1000, undefined, 10);
    big.publish(data, 0);
    big.publish(data, 0);
    assert.deepEqual(seqs(big, 0), [2]);
    assert.equal(big.oldestSeq, 2);
  });

  it('counts an event overwritten by the count limit once', () => {
    const data = 'z'.repeat(50);
    const hub = new Hub(3, undefined, 1_000_000);
    for (let i = 0; i < 100; i++) hub.publish(data, 0);
    assert.deepEqual(seqs(hub, 0), [98, 99, 100]);
    // 3 events retained: lowering nothing, but the budget bookkeeping must not have drifted upward.
    const tight = new Hub(3, undefined, 3 * 100);
    for (let i = 0; i < 100; i++) tight.publish(data, 0);
    assert.deepEqual(seqs(tight, 0), [98, 99, 100]);
  });
});
