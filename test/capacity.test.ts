// The capacity search: knee-finding on synthetic steps (exact), and a tiny real search of two steps.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FANOUT } from '../lib/options.ts';
import { capacitySearch, capacitySteps, judgeStep, runCapacity, type StepMeasurement } from '../driver/scenarios/capacity/run.ts';
import type { OptionsOf } from '../lib/options.ts';

const SLO_US = 100_000;
const step = (clients: number, p99Us: number, more: Partial<StepMeasurement> = {}): StepMeasurement => ({
  clients,
  rate: 10,
  status: 'ok',
  p50Us: p99Us / 2,
  p99Us,
  eventsPerSec: clients * 10,
  lost: 0,
  saturated: false,
  saturationReasons: [],
  ...more,
});

describe('capacity: knee-finding', () => {
  it('the knee is the last step before the first that broke the SLO', () => {
    const c = capacitySearch('clients', SLO_US, [step(100, 20_000), step(200, 60_000), step(400, 150_000), step(800, 40_000)]);
    assert.deepEqual(c.knee, { clients: 200, rate: 10 });
    assert.deepEqual(c.steps.map((s) => [s.clients, s.held]), [[100, true], [200, true], [400, false]]);
    assert.equal(c.stoppedBy, 'slo');
    assert.equal(c.steps[2]?.reason, 'p99 150.0 ms over the 100.0 ms SLO');
    assert.equal(c.note, 'the knee lies between 200 clients and 400 clients');
  });

  it('a p99 exactly at the SLO holds; any loss breaks a step', () => {
    assert.equal(judgeStep(step(1, SLO_US), SLO_US).held, true);
    const lossy = judgeStep(step(1, 10, { lost: 1 }), SLO_US);
    assert.equal(lossy.held, false);
    assert.equal(lossy.stop, 'loss');
    assert.equal(lossy.reason, '1 deliveries lost');
  });

  it('a saturated generator ends the search without counting the step as the server knee', () => {
    const c = capacitySearch('rate', SLO_US, [
      step(100, 10_000, { rate: 100 }),
      step(100, 500_000, { rate: 1000, lost: 5, saturated: true, saturationReasons: ['a client process used 97% of a core (limit 90%)'] }),
    ]);
    assert.deepEqual(c.knee, { clients: 100, rate: 100 });
    assert.equal(c.stoppedBy, 'saturated');
    assert.equal(c.steps[1]?.saturated, true);
    assert.equal(c.steps[1]?.reason, 'load generator saturated (a client process used 97% of a core (limit 90%))');
    assert.match(c.note ?? '', /^the load generator saturated at 1000 events\/s, so that step does not count: the server's knee is at least 100 events\/s and may be higher/);
  });

  it('no knee when the first step breaks; "exhausted" when every step holds', () => {
    const broke = capacitySearch('clients', SLO_US, [step(100, 200_000), step(200, 10)]);
    assert.equal(broke.knee, null);
    assert.equal(broke.steps.length, 1);
    const all = capacitySearch('clients', SLO_US, [step(100, 10), step(200, 20)]);
    assert.deepEqual(all.knee, { clients: 200, rate: 10 });
    assert.equal(all.stoppedBy, 'exhausted');
    const errored = capacitySearch('clients', SLO_US, [step(100, 10), step(200, 0, { status: 'errored', error: 'server died' })]);
    assert.equal(errored.stoppedBy, 'errored');
    assert.equal(errored.steps[1]?.reason, 'errored: server died');
  });

  it('steps: explicit and increasing, or start x factor^i', () => {
    assert.deepEqual(capacitySteps({ steps: [10, 20, 40], start: 1, factor: 2, maxSteps: 1 }), [10, 20, 40]);
    assert.deepEqual(capacitySteps({ steps: [], start: 100, factor: 1.5, maxSteps: 4 }), [100, 150, 225, 338]);
    assert.throws(() => capacitySteps({ steps: [20, 10], start: 1, factor: 2, maxSteps: 1 }), /capacity steps must increase, got \[20,10\]/);
  });
});

describe('capacity: a real search', () => {
  it('measures two client steps of ws, each on its own server', async () => {
    const options: OptionsOf<'capacity'> = {
      ...DEFAULT_FANOUT,
      scenario: 'capacity-test',
      kind: 'capacity',
      profile: 'custom',
      sseRetryMs: 0,
      keepAlive: true,
      transports: ['ws'],
      rate: 20,
      warmupMs: 0,
      drainMs: 3000,
      axis: 'clients',
      steps: [2, 4],
      start: 1,
      factor: 2,
      maxSteps: 2,
      // Generous: this test checks the pipeline, not the machine.
      sloP99Ms: 10_000,
      stepDurationMs: 500,
    };
    const result = await runCapacity(options, {});
    const t = result.transports[0];
    assert.ok(t?.capacity, t?.error);
    assert.equal(t.status, 'ok', t.error);
    const c = t.capacity;
    assert.equal(c.sloP99Us, 10_000_000);
    // The pipeline must measure: a step may only end the search because this machine's generator could not keep
    // up (said so, with the reason), never because a step errored, lost events or broke a 10 s SLO.
    assert.ok(c.stoppedBy === 'exhausted' || c.stoppedBy === 'saturated' || c.stoppedBy === 'invalid', `${c.stoppedBy}: ${c.note ?? ''}`);
    assert.ok(c.steps.length >= 1, 'the first step ran');
    assert.deepEqual(c.steps.map((s) => [s.clients, s.rate]), [[2, 20], [4, 20]].slice(0, c.steps.length));
    for (const s of c.steps) assert.equal(s.lost, 0, `${s.clients} clients`);
    if (c.stoppedBy === 'exhausted') {
      assert.deepEqual(c.steps.map((s) => s.held), [true, true]);
      assert.deepEqual(c.knee, { clients: 4, rate: 20 });
    } else {
      assert.match(c.steps[c.steps.length - 1]?.reason ?? '', /load generator saturated|client|negative|window/);
    }
    if (c.knee) {
      // The result carries the knee step's own fan-out figures: every event to every client.
      assert.equal(t.delivery?.expectedDeliveries, 10 * c.knee.clients);
      assert.equal(t.delivery?.deliveredEvents, 10 * c.knee.clients);
    }
  });
});
