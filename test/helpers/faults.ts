// What the faults end-to-end tests share (test/faults.test.ts, test/idle-cut.test.ts): the smoke profile made
// smaller, and the check that every client ended with exactly seqs 1..M.
import assert from 'node:assert/strict';
import { loadBuiltin, resolveOptions } from '../../scenarios/load.ts';
import type { OptionsOf, ProfileValues } from '../../lib/options.ts';
import type { DeliveryFigures, FaultFigures, TransportResult } from '../../lib/result.ts';

/** The faults scenario's smoke profile with `o` over it. */
export function faultsOptions(o: ProfileValues): OptionsOf<'faults'> {
  const resolved = resolveOptions(loadBuiltin('faults'), 'smoke', o);
  assert.equal(resolved.kind, 'faults');
  return resolved as OptionsOf<'faults'>;
}

/**
 * Exactly seqs 1..M at every one of `clients` (M: the last seq published), nothing lost, duplicated or out of order,
 * and every client had an event after the fault. Returns the delivery and fault figures it checked are there.
 */
export function assertWhole(t: TransportResult, clients: number): { d: DeliveryFigures; f: FaultFigures } {
  const d = t.delivery;
  assert.equal(t.status, 'ok', `${t.transport}: ${t.error ?? ''}`);
  assert.ok(d && t.faults, t.transport);
  assert.deepEqual(
    [d.deliveredEvents, d.lost, d.duplicates, d.outOfOrder, d.gaps, d.failedClients, d.stragglers],
    [d.publishedEvents * clients, 0, 0, 0, 0, 0, 0],
    `${t.transport}: every client had exactly 1..${d.publishedEvents}`,
  );
  assert.equal(t.faults.unrecovered, 0, `${t.transport}: every client had an event after the fault`);
  return { d, f: t.faults };
}
