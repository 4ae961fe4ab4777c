// The clients' allocation-free event parser must agree with JSON.parse on every shape it accepts.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { BaseClient } from '../clients/base.ts';
import type { EventSink } from '../clients/client.ts';

class Probe extends BaseClient {
  readonly transport = 'ws' as const;
  protected async open(): Promise<void> {}
  protected async shutdown(): Promise<void> {}
  async send(): Promise<void> {}
  text(t: string, start?: number, end?: number): void {
    this.deliverText(t, 7, start, end);
  }
  bytes(t: string): void {
    this.deliverBytes(Buffer.from(t), 7);
  }
}

function run(feed: (p: Probe) => void): { events: [number, number, number][]; gaps: number; lastSeq: number } {
  const events: [number, number, number][] = [];
  let gaps = 0;
  const sink: EventSink = { event: (seq, ts, now) => events.push([seq, ts, now]), gap: () => gaps++ };
  const p = new Probe({ baseUrl: 'http://127.0.0.1:1', sink });
  feed(p);
  return { events, gaps, lastSeq: p.lastSeq };
}

const SHAPES = [
  '{"seq":42,"ts":123456789012,"data":"x"}',
  '{"seq":1,"ts":0}',
  '{"ts":5,"seq":3,"data":"other field order"}',
  '{"seq": 9, "ts": 10, "data": "spaces"}',
];

it('deliverText and deliverBytes read seq and ts exactly as JSON.parse does', () => {
  for (const shape of SHAPES) {
    const expected = JSON.parse(shape) as { seq: number; ts: number };
    for (const feed of [(p: Probe) => p.text(shape), (p: Probe) => p.bytes(shape)]) {
      const r = run(feed);
      assert.deepEqual(r.events, [[expected.seq, expected.ts, 7]], shape);
      assert.equal(r.lastSeq, expected.seq);
    }
  }
});

it('deliverText parses a line inside a larger chunk', () => {
  const chunk = `${SHAPES[0]}\n${SHAPES[2]}\n`;
  const nl = chunk.indexOf('\n');
  const r = run((p) => {
    p.text(chunk, 0, nl);
    p.text(chunk, nl + 1, chunk.length - 1);
  });
  assert.deepEqual(r.events, [[42, 123456789012, 7], [3, 5, 7]]);
});

it('gap notices and malformed messages take the JSON path', () => {
  assert.equal(run((p) => p.text('{"gap":true,"after":0,"oldest":6}')).gaps, 1);
  assert.equal(run((p) => p.bytes('{"gap":true,"after":0,"oldest":6}')).gaps, 1);
  assert.throws(() => run((p) => p.text('{"seq":,"ts":1}')), SyntaxError);
  assert.throws(() => run((p) => p.bytes('{"seq":1,"ts":}')), SyntaxError);
  assert.throws(() => run((p) => p.text('{"data":"no seq"}')), /malformed message/);
});
