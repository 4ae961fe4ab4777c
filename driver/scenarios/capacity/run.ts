// The capacity scenario: for one transport at a time, step the load up (clients or publish rate), each step a short
// fan-out measurement of its own server and clients, until p99 passes the SLO, events are lost or the generator
// saturates. The knee is the highest step that held; a saturated generator ends the search without a verdict.
import type { Transport } from '../../../lib/transports.ts';
import { UsageError } from '../../../lib/errors.ts';
import type { OptionsOf } from '../../../lib/options.ts';
import type { CapacitySearch, CapacityStep, RunHooks, RunResult, TransportResult } from '../../../lib/result.ts';
import { runEachTransport, TransportRun } from '../../pipeline.ts';
import { fanoutFigures } from '../fanout/run.ts';
import { planGenerator } from '../../sizing.ts';

/** The capacity options the runner reads. */
type CapacityOptions = OptionsOf<'capacity'>;

/** Why a capacity search ended. */
export type CapacityStop = NonNullable<CapacitySearch['stoppedBy']>;

/** What one step measured, before it is judged. */
export interface StepMeasurement {
  clients: number;
  rate: number;
  status: TransportResult['status'];
  error?: string;
  p50Us: number;
  p99Us: number;
  eventsPerSec: number;
  lost: number;
  /** The generator saturated, with its reasons. */
  saturated: boolean;
  saturationReasons: string[];
  /** Other reasons the step's figures cannot be trusted (failed or straggling clients, negative latencies). */
  invalidReasons?: string[];
}

/** The axis values of a search: `steps` when given, else round(start x factor^i) for maxSteps steps (no repeats). */
export function capacitySteps(o: Pick<CapacityOptions, 'steps' | 'start' | 'factor' | 'maxSteps'>): number[] {
  const raw = o.steps.length > 0 ? o.steps : Array.from({ length: o.maxSteps }, (_, i) => Math.round(o.start * o.factor ** i));
  const out: number[] = [];
  for (const v of raw) {
    if (!Number.isFinite(v) || v <= 0) throw new UsageError(`capacity steps must be numbers > 0, got ${JSON.stringify(v)}`);
    if (out.length > 0 && v <= (out[out.length - 1] as number)) throw new UsageError(`capacity steps must increase, got ${JSON.stringify(raw)}`);
    out.push(v);
  }
  return out;
}

/** Judges one step against the SLO: held, or why not and what that ends the search with. */
export function judgeStep(m: StepMeasurement, sloP99Us: number): CapacityStep & { stop?: CapacityStop } {
  const step: CapacityStep = { clients: m.clients, rate: m.rate, p50Us: m.p50Us, p99Us: m.p99Us, eventsPerSec: m.eventsPerSec, lost: m.lost, held: false, saturated: m.saturated };
  if (m.status === 'interrupted') return { ...step, reason: 'interrupted', stop: 'interrupted' };
  if (m.status === 'errored') return { ...step, reason: `errored: ${m.error ?? 'unknown error'}`, stop: 'errored' };
  // A saturated generator's latency and loss are its own: the step says nothing about the server.
  if (m.saturated) return { ...step, reason: `load generator saturated (${m.saturationReasons.join('; ')})`, stop: 'saturated' };
  if ((m.invalidReasons?.length ?? 0) > 0) return { ...step, reason: (m.invalidReasons ?? []).join('; '), stop: 'invalid' };
  if (m.lost > 0) return { ...step, reason: `${m.lost} deliveries lost`, stop: 'loss' };
  if (m.p99Us > sloP99Us) return { ...step, reason: `p99 ${ms(m.p99Us)} ms over the ${ms(sloP99Us)} ms SLO`, stop: 'slo' };
  return { ...step, held: true };
}

/** Builds the search from steps measured in order: it ends at the first step that did not hold; the knee is the one before. */
export function capacitySearch(axis: 'clients' | 'rate', sloP99Us: number, measured: readonly StepMeasurement[]): CapacitySearch {
  const steps: CapacityStep[] = [];
  let stoppedBy: CapacityStop = 'exhausted';
  for (const m of measured) {
    const { stop, ...step } = judgeStep(m, sloP99Us);
    steps.push(step);
    if (stop) {
      stoppedBy = stop;
      break;
    }
  }
  const held = steps.filter((s) => s.held);
  const kneeStep = held[held.length - 1];
  const knee = kneeStep ? { clients: kneeStep.clients, rate: kneeStep.rate } : null;
  const value = (s: { clients: number; rate: number }): string => (axis === 'clients' ? `${s.clients} clients` : `${s.rate} events/s`);
  const broke = steps[steps.length - 1];
  let note: string;
  if (stoppedBy === 'exhausted') note = kneeStep ? `every step held: the knee is above ${value(kneeStep)}; add higher steps` : 'no step ran';
  else if (stoppedBy === 'saturated')
    note = `the load generator saturated at ${value(broke as CapacityStep)}, so that step does not count: the server's knee is ${kneeStep ? `at least ${value(kneeStep)}` : 'unknown'} and may be higher (use more client processes or a second machine)`;
  else if (stoppedBy === 'interrupted') note = 'the search was interrupted';
  else if (stoppedBy === 'errored') note = `the step at ${value(broke as CapacityStep)} errored; the knee is the last step before it`;
  else if (stoppedBy === 'invalid') note = `the step at ${value(broke as CapacityStep)} cannot be trusted (${broke?.reason ?? 'see its figures'}); the knee is ${kneeStep ? `at least ${value(kneeStep)}` : 'unknown'}`;
  else note = kneeStep ? `the knee lies between ${value(kneeStep)} and ${value(broke as CapacityStep)}` : `the first step (${value(broke as CapacityStep)}) already broke the SLO`;
  return { sloP99Us, axis, steps, knee, stoppedBy, note };
}

/** Runs the capacity search over `options.transports`, one transport at a time. */
export function runCapacity(o: CapacityOptions, hooks: RunHooks = {}): Promise<RunResult> {
  const values = capacitySteps(o);
  const last = values[values.length - 1] ?? 0;
  const top = { ...o, clients: o.axis === 'clients' ? last : o.clients, rate: o.axis === 'rate' ? last : o.rate };
  const warnings = o.transports.flatMap((t) => planGenerator(t, top.clients, top.clients * top.rate, o.workers).warning ?? []);
  return runEachTransport(o, hooks, (transport, index) => searchTransport(transport, index, o, values, hooks), warnings);
}

/** Steps one transport up until a step does not hold; the result carries the knee step's figures (or the first step's). */
async function searchTransport(transport: Transport, index: number, o: CapacityOptions, values: number[], hooks: RunHooks): Promise<TransportResult> {
  const started = Date.now();
  const sloP99Us = Math.round(o.sloP99Ms * 1000);
  const measured: StepMeasurement[] = [];
  const results: TransportResult[] = [];
  for (const value of values) {
    const clients = o.axis === 'clients' ? value : o.clients;
    const rate = o.axis === 'rate' ? value : o.rate;
    const step: CapacityOptions = { ...o, transports: [transport], clients, rate, durationMs: o.stepDurationMs };
    const r = await new TransportRun(transport, index, step, hooks, step.warmupMs + step.durationMs).run((run) => fanoutFigures(run, step));
    results.push(r);
    const m: StepMeasurement = {
      clients,
      rate,
      status: r.status,
      ...(r.error !== undefined ? { error: r.error } : {}),
      p50Us: r.latency?.p50Us ?? 0,
      p99Us: r.latency?.p99Us ?? 0,
      eventsPerSec: r.delivery?.eventsPerSec ?? 0,
      lost: r.delivery?.lost ?? 0,
      saturated: r.driver?.saturated ?? false,
      saturationReasons: r.driver?.saturated ? r.driver.reasons : [],
      invalidReasons: (r.invalid ?? []).filter((reason) => !(r.driver?.reasons ?? []).includes(reason)),
    };
    measured.push(m);
    if (judgeStep(m, sloP99Us).stop) break;
  }
  const capacity = capacitySearch(o.axis, sloP99Us, measured);
  let kneeIndex = -1;
  capacity.steps.forEach((s, i) => {
    if (s.held) kneeIndex = i;
  });
  const shown = results[Math.max(0, kneeIndex)];
  // The first step failed outright: the transport errored (or was interrupted), and says so.
  if (shown && shown.status !== 'ok') return { ...shown, wallMs: Date.now() - started, capacity };
  const { transport: _t, status: _s, error: _e, wallMs: _w, ...figures } = shown ?? { transport, status: 'ok', wallMs: 0 };
  return {
    transport,
    status: capacity.stoppedBy === 'interrupted' ? 'interrupted' : 'ok',
    ...(capacity.stoppedBy === 'interrupted' ? { error: 'interrupted' } : {}),
    wallMs: Date.now() - started,
    ...figures,
    capacity,
  };
}

function ms(us: number): string {
  return (us / 1000).toFixed(1);
}
