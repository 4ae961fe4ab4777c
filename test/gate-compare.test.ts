// The gate's decision on synthetic rounds (seeded noise, no servers): every verdict, the exit outcome, the
// warnings, and the three views of the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../lib/result.ts';
import { UsageError } from '../lib/errors.ts';
import type { Transport } from '../lib/transports.ts';
import { compareRuns, type GateReport, type GateRow } from '../gate/compare.ts';
import { defaultConfig, parseConfig, type GateConfig } from '../gate/config.ts';
import { formatChange, formatInterval, formatMetric, formatP, renderGateJson, renderGateMarkdown, renderGateTable, summaryLine } from '../gate/render.ts';
import { mannWhitneyU } from '../gate/stats.ts';
import { SYNTHETIC_TYPICAL, noisyRounds, syntheticRun, type SyntheticFigures } from './helpers/synthetic.ts';

const config: GateConfig = defaultConfig();

function row(report: GateReport, transport: Transport, metric: string): GateRow {
  const r = report.rows.find((x) => x.transport === transport && x.metric === metric);
  assert.ok(r, `no row for ${transport} ${metric}`);
  return r;
}

/** Rows whose verdict is not pass, as "transport metric verdict". */
function notPassing(report: GateReport): string[] {
  return report.rows.filter((r) => r.verdict !== 'pass').map((r) => `${r.transport} ${r.metric} ${r.verdict}`);
}

const tight = (seed: number, change?: (t: Transport, f: SyntheticFigures, round: number) => SyntheticFigures): RunResult[] =>
  noisyRounds({ rounds: 10, seed, spreadPercent: 2, change });

test('identical samples pass every metric', () => {
  const rounds = tight(1);
  const report = compareRuns(rounds, rounds, config);
  assert.equal(report.outcome, 'pass');
  assert.deepEqual(notPassing(report), []);
  assert.equal(report.rows.length, 5 * config.rules.length);
  assert.equal(row(report, 'ws', 'latency.p99Us').changePercent, 0);
  assert.equal(row(report, 'ws', 'latency.p99Us').pValue, 1);
  assert.deepEqual(report.scenarios, [{ name: 'fanout', baselineRounds: 10, currentRounds: 10 }]);
  assert.deepEqual(report.warnings, []);
});

test('A/A with tight noise passes: two independent sets of the same figures', () => {
  const report = compareRuns(tight(1), tight(2), config);
  assert.equal(report.outcome, 'pass');
  assert.deepEqual(notPassing(report), []);
});

test('p99 latency 30% worse with a tight spread is a regression on that transport and metric only', () => {
  const report = compareRuns(tight(1), tight(2, (t, f) => (t === 'ws' ? { ...f, p99Us: Math.round(f.p99Us * 1.3) } : f)), config);
  assert.equal(report.outcome, 'regression');
  assert.deepEqual(notPassing(report), ['ws latency.p99Us regression']);
  const r = row(report, 'ws', 'latency.p99Us');
  assert.equal(r.pMethod, 'exact');
  assert.ok(r.pValue !== null && r.pValue < 0.001, `p = ${r.pValue}`);
  assert.ok(r.changePercent !== null && r.changePercent > 25 && r.changePercent < 35, `change ${r.changePercent}`);
  assert.equal(r.thresholdPercent, 10);
  assert.ok(r.pAdjusted !== null && r.pAdjusted < 0.01 && r.pAdjusted >= r.pValue, `adjusted p = ${r.pAdjusted}`);
  assert.equal(r.changeModel, 'ratio');
  assert.ok(r.ciPercent?.lower !== null && r.ciPercent !== null && r.ciPercent.lower > 10, `the better-side bound is beyond the floor: ${JSON.stringify(r.ciPercent)}`);
  assert.equal(r.pImprovement, 1);
  assert.match(r.reason, /^latency\.p99Us got worse by \+\d+(\.\d+)?%, beyond the 10% floor \(adjusted p = 0\.\d+ against the floor\)\.$/);
});

test('twice the CPU per event is a regression on server.cpuMsPer1kEvents', () => {
  const report = compareRuns(tight(1), tight(2, (t, f) => (t === 'sse' ? { ...f, cpuMsPer1kEvents: f.cpuMsPer1kEvents * 2 } : f)), config);
  assert.deepEqual(notPassing(report), ['sse server.cpuMsPer1kEvents regression']);
});

test('a significant 3% shift stays below the 10% floor and passes', () => {
  const base = tight(1);
  const cur = tight(2, (_t, f) => ({ ...f, p99Us: Math.round(f.p99Us * 1.03) }));
  const report = compareRuns(base, cur, config);
  assert.equal(report.outcome, 'pass');
  const r = row(report, 'fetch-stream', 'latency.p99Us');
  assert.equal(r.verdict, 'pass');
  // the change itself is significant (two-sided Mann–Whitney), but it is not a change beyond the floor
  const p99 = (rs: RunResult[]): number[] => rs.map((x) => x.transports.find((t) => t.transport === 'fetch-stream')?.latency?.p99Us ?? Number.NaN);
  assert.ok(mannWhitneyU(p99(base), p99(cur)).pValue < 0.01);
  assert.equal(r.pValue, 1);
  assert.ok(r.ciPercent?.upper !== null && r.ciPercent !== null && r.ciPercent.upper < 10);
  assert.match(r.reason, /^latency\.p99Us changed \+[\d.]+%; its one-sided 99% bound, \+[\d.]+%, rules out a regression beyond the 10% floor\.$/);
});

test('lower throughput is a regression, higher throughput and lower latency are improvements', () => {
  const slower = compareRuns(tight(1), tight(2, (t, f) => (t === 'long-poll' ? { ...f, eventsPerSec: f.eventsPerSec * 0.8 } : f)), config);
  assert.deepEqual(notPassing(slower), ['long-poll delivery.eventsPerSec regression']);
  const faster = compareRuns(tight(1), tight(2, (t, f) => (t === 'ws' ? { ...f, eventsPerSec: f.eventsPerSec * 1.2, p50Us: Math.round(f.p50Us * 0.7) } : f)), config);
  assert.equal(faster.outcome, 'pass');
  assert.deepEqual(notPassing(faster), ['ws latency.p50Us improvement', 'ws delivery.eventsPerSec improvement']);
});

test('any loss, duplicate or reordering fails the zero gates', () => {
  const report = compareRuns(
    tight(1),
    tight(2, (t, f, round) => (t === 'sse' && round === 7 ? { ...f, lost: 3 } : t === 'ws' && round === 2 ? { ...f, duplicates: 1, outOfOrder: 2 } : f)),
    config,
  );
  assert.equal(report.outcome, 'regression');
  assert.deepEqual(notPassing(report), ['ws delivery.duplicates fail', 'ws delivery.outOfOrder fail', 'sse delivery.lost fail']);
  const lost = row(report, 'sse', 'delivery.lost');
  assert.equal(lost.current, 3);
  assert.equal(lost.baseline, 0);
  assert.equal(lost.reason, 'delivery.lost was above 0 in 1 of 10 current rounds (worst 3); it must be 0.');
});

test('exact gates: bytes per event within the per-transport tolerance, beyond it fails, below it improves', () => {
  const bytes = (ws: number, shortPoll: number, sse: number) => (t: Transport, f: SyntheticFigures): SyntheticFigures =>
    t === 'ws' ? { ...f, bytesPerEvent: f.bytesPerEvent * ws } : t === 'short-poll' ? { ...f, bytesPerEvent: f.bytesPerEvent * shortPoll } : t === 'sse' ? { ...f, bytesPerEvent: f.bytesPerEvent * sse } : f;
  const report = compareRuns(tight(1), tight(2, bytes(1.02, 1.08, 0.9)), config);
  assert.deepEqual(notPassing(report), ['ws wire.bytesPerEvent fail', 'sse wire.bytesPerEvent improvement']);
  const ws = row(report, 'ws', 'wire.bytesPerEvent');
  assert.equal(ws.baseline, 131);
  assert.equal(ws.current, 131 * 1.02);
  assert.equal(ws.thresholdPercent, 1);
  assert.equal(ws.reason, 'wire.bytesPerEvent changed +2%, beyond the 1% tolerance for ws.');
  assert.equal(row(report, 'short-poll', 'wire.bytesPerEvent').verdict, 'pass');
});

test('a stream that starts making requests (reconnects) fails requestsPerEvent even from a zero baseline', () => {
  const report = compareRuns(tight(1), tight(2, (t, f) => (t === 'fetch-stream' ? { ...f, requestsPerEvent: 0.0001 } : f)), config);
  const r = row(report, 'fetch-stream', 'churn.requestsPerEvent');
  assert.equal(r.verdict, 'fail');
  assert.equal(r.changePercent, null);
  assert.equal(r.reason, 'churn.requestsPerEvent was 0 in every baseline round but above 0 in 10 of 10 current rounds (worst 0.0001); from a zero baseline any increase fails.');
});

test('three reconnects of a stream in one round of ten fail the gate: from a zero baseline, any request fails', () => {
  // 3 requests in a window of 80 000 deliveries: requestsPerEvent 0.0000375, unrounded, in one current round
  const cur = tight(2, (t, f, round) => (t === 'sse' && round === 4 ? { ...f, requestsPerEvent: 3 / 80_000 } : f));
  const report = compareRuns(tight(1), cur, config);
  assert.equal(report.outcome, 'regression');
  assert.deepEqual(notPassing(report), ['sse churn.requestsPerEvent fail', 'sse churn.httpRequests fail']);
  const perEvent = row(report, 'sse', 'churn.requestsPerEvent');
  assert.deepEqual([perEvent.baseline, perEvent.current], [0, 0.0000375]);
  assert.equal(perEvent.reason, 'churn.requestsPerEvent was 0 in every baseline round but above 0 in 1 of 10 current rounds (worst 0.0000375); from a zero baseline any increase fails.');
  const count = row(report, 'sse', 'churn.httpRequests');
  assert.deepEqual([count.baseline, count.current, count.thresholdPercent], [0, 3, 0]);
  assert.equal(count.reason, 'churn.httpRequests was 0 in every baseline round but above 0 in 1 of 10 current rounds (worst 3); from a zero baseline any increase fails.');
  // a result that still rounds requestsPerEvent to 4 decimals reads 0 there; the count of requests fails all the same
  const rounded = cur.map((r, round) => ({
    ...r,
    transports: r.transports.map((t) => (t.transport === 'sse' && round === 4 && t.churn ? { ...t, churn: { ...t.churn, requestsPerEvent: Math.round(t.churn.requestsPerEvent * 1e4) / 1e4 } } : t)),
  }));
  assert.deepEqual(notPassing(compareRuns(tight(1), rounded, config)), ['sse churn.httpRequests fail']);
});

test('polling requests are compared by their medians within the tolerance', () => {
  const cur = tight(2, (t, f) => (t === 'long-poll' ? { ...f, requestsPerEvent: f.requestsPerEvent * 1.1 } : t === 'short-poll' ? { ...f, requestsPerEvent: f.requestsPerEvent * 1.2 } : f));
  const report = compareRuns(tight(1), cur, config);
  assert.deepEqual(notPassing(report), ['short-poll churn.requestsPerEvent fail', 'short-poll churn.httpRequests fail']);
  assert.equal(row(report, 'long-poll', 'churn.httpRequests').reason, 'churn.httpRequests changed +10%, within the 20% tolerance for long-poll.');
});

test('high noise is inconclusive, with an estimate of the rounds that would decide; strict makes it fail', () => {
  const noisy = (seed: number, factor: number): RunResult[] =>
    noisyRounds({ rounds: 10, seed, spreadPercent: 40, base: { ws: SYNTHETIC_TYPICAL.ws }, change: (_t, f) => ({ ...f, p99Us: Math.round(f.p99Us * factor) }) });
  const report = compareRuns(noisy(3, 1), noisy(4, 1.3), config);
  assert.equal(report.outcome, 'pass');
  const r = row(report, 'ws', 'latency.p99Us');
  assert.equal(r.verdict, 'inconclusive');
  assert.ok(r.moreRounds !== null && r.moreRounds > 0, `more rounds ${r.moreRounds}`);
  assert.ok(r.pValue !== null && r.pValue >= 0.01);
  assert.match(r.reason, /^latency\.p99Us changed \+[\d.]+%, beyond the 10% floor, but not with confidence \(adjusted p = [\d.]+ against the floor\); about \d+ more rounds per side would decide\.$/);
  const strict = compareRuns(noisy(3, 1), noisy(4, 1.3), { ...config, strict: true });
  assert.equal(strict.outcome, 'regression');
  assert.equal(strict.counts.regression, 0);
  assert.ok(strict.counts.inconclusive > 0);
});

test('too few rounds to ever be significant is inconclusive and says how many are needed', () => {
  const few = (seed: number): RunResult[] => noisyRounds({ rounds: 3, seed, spreadPercent: 5, base: { sse: SYNTHETIC_TYPICAL.sse } });
  const report = compareRuns(few(1), few(2), config);
  const r = row(report, 'sse', 'latency.p99Us');
  assert.equal(r.verdict, 'inconclusive');
  // 1 transport x 5 statistical metrics share alpha 0.01 (Holm): one one-sided test needs p < 0.002, so 6 rounds
  // per side (1 / C(12, 6) = 0.0011)
  assert.equal(r.moreRounds, 3);
  assert.deepEqual(r.ciPercent, { lower: null, upper: null });
  assert.equal(r.reason, 'latency.p99Us: 3 baseline and 3 current rounds are too few at alpha 0.01 over 5 comparisons; at least 6 per side are needed.');
  const uncorrected = compareRuns(few(1), few(2), { ...config, correction: 'none' });
  assert.equal(row(uncorrected, 'sse', 'latency.p99Us').reason, 'latency.p99Us: 3 baseline and 3 current rounds are too few at alpha 0.01; at least 5 per side are needed.');
});

test('A/A: 100 comparisons of independent ±15% noisy rounds never fail, with or without the Holm correction', () => {
  const aa = (i: number, c: GateConfig): GateReport =>
    compareRuns(noisyRounds({ rounds: 10, seed: 1000 + 2 * i, spreadPercent: 15 }), noisyRounds({ rounds: 10, seed: 1001 + 2 * i, spreadPercent: 15 }), c);
  let inconclusive = 0;
  for (let i = 0; i < 100; i += 1) {
    const report = aa(i, config);
    assert.equal(report.comparisons, 25);
    assert.equal(report.outcome, 'pass', `comparison ${i}: ${notPassing(report).join(', ')}`);
    inconclusive += report.counts.inconclusive;
    assert.equal(aa(i, { ...config, correction: 'none' }).outcome, 'pass');
  }
  assert.ok(inconclusive > 0, 'with ±15% noise some metrics should be too noisy to tell');
});

test('every metric truly worse by exactly its floor: Holm keeps false regressions in a run rare; without it many runs fail', () => {
  // The hardest case for the regression tests: each of the 25 nulls holds with equality (a change of exactly the floor).
  const atFloor = (_t: Transport, f: SyntheticFigures): SyntheticFigures => ({
    ...f,
    p50Us: f.p50Us * 1.1,
    p99Us: f.p99Us * 1.1,
    eventsPerSec: f.eventsPerSec * 0.95,
    cpuMsPer1kEvents: f.cpuMsPer1kEvents * 1.05,
    rssPerConnectionBytes: f.rssPerConnectionBytes * 1.1,
  });
  let holm = 0;
  let none = 0;
  for (let i = 0; i < 100; i += 1) {
    const base = noisyRounds({ rounds: 10, seed: 3000 + 2 * i, spreadPercent: 15 });
    const cur = noisyRounds({ rounds: 10, seed: 3001 + 2 * i, spreadPercent: 15, change: atFloor });
    if (compareRuns(base, cur, config).outcome === 'regression') holm += 1;
    if (compareRuns(base, cur, { ...config, correction: 'none' }).outcome === 'regression') none += 1;
  }
  // Holm: at most alpha = 1% of runs in expectation (3 of these 100 by chance; 8 of 1 000 with more seeds);
  // without a correction about 1 - 0.99^25 = 22% of runs
  assert.ok(holm <= 2 * config.alpha * 100 + 4, `${holm} of 100 runs failed with Holm`);
  assert.ok(none >= 10, `${none} of 100 runs failed without a correction`);
  assert.deepEqual({ holm, none }, { holm: 3, none: 22 });
});

test('an errored transport fails its status row; a transport missing on one side is skipped', () => {
  const base = tight(1);
  const cur = tight(2, (t, f, round) => (t === 'long-poll' && round === 4 ? { ...f, error: 'server process exited mid-run (code 1, signal null)' } : f));
  const report = compareRuns(base, cur, config);
  const status = row(report, 'long-poll', 'status');
  assert.equal(status.verdict, 'fail');
  assert.equal(status.reason, 'long-poll errored in 1 of 10 current rounds: server process exited mid-run (code 1, signal null).');
  assert.equal(row(report, 'long-poll', 'latency.p99Us').nCurrent, 9);
  const onlyWs = noisyRounds({ rounds: 10, seed: 5, spreadPercent: 2, base: { ws: SYNTHETIC_TYPICAL.ws } });
  const partial = compareRuns(base, onlyWs, config);
  assert.equal(partial.outcome, 'pass');
  assert.equal(row(partial, 'sse', 'status').verdict, 'skipped');
  assert.equal(row(partial, 'sse', 'status').reason, 'sse is in the baseline but was not run now.');
});

test('rounds of another workload are not compared: an error when nothing matches, a warning otherwise', () => {
  const base = tight(1);
  const other = noisyRounds({ rounds: 10, seed: 2, spreadPercent: 2, options: { clients: 50 } });
  assert.throws(
    () => compareRuns(base, other, config),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message === 'the current results were run with other options than the baseline (clients: baseline 100, current 50); re-save the baseline or align the config',
  );
  const report = compareRuns(base, [...tight(2), ...other], config);
  assert.equal(report.scenarios.length, 1);
  assert.deepEqual(report.warnings, ['Current results of "fanout" have no baseline with the same options (clients: baseline 100, current 50); they were not gated.']);
});

test('injected test knobs are not a workload change, but are called out', () => {
  const report = compareRuns(tight(1), noisyRounds({ rounds: 10, seed: 2, spreadPercent: 2, options: { injectDelayMs: 5 } }), config);
  assert.deepEqual(report.warnings, ['fanout: the current rounds ran with the test knob injectDelayMs = 5 ms.']);
});

test('a different machine is warned about', () => {
  const cur = tight(2).map((r) => ({ ...r, environment: { ...r.environment, cpus: 2, cpuModel: 'Other CPU' } }));
  const report = compareRuns(tight(1), cur, config);
  assert.deepEqual(report.warnings, [
    'fanout: the baseline ran on 4 x Synthetic CPU, Node v20.20.2, linux x64 but the current rounds on 2 x Other CPU, Node v20.20.2, linux x64; a different machine shifts every figure, so prefer the same-job A/B mode (--ab).',
  ]);
  assert.deepEqual(report.exclusions, []);
});

test('saturated rounds are left out of the exact and statistical gates on both sides, counted, and still count for the zero gates', () => {
  // Rounds with a saturated load generator carry wild figures; were they compared, ws p99 and bytes per event would fail.
  const base = tight(1, (t, f, round) => (t === 'ws' && round >= 8 ? { ...f, saturated: true, p99Us: f.p99Us * 0.3, bytesPerEvent: 90 } : f));
  const cur = tight(2, (t, f, round) => (t === 'ws' && round < 3 ? { ...f, saturated: true, p99Us: f.p99Us * 3, bytesPerEvent: 200, lost: round === 1 ? 2 : 0 } : f));
  const report = compareRuns(base, cur, config);
  assert.deepEqual(notPassing(report), ['ws delivery.lost fail']);
  const p99 = row(report, 'ws', 'latency.p99Us');
  assert.deepEqual([p99.nBaseline, p99.nCurrent], [8, 7]);
  const bytes = row(report, 'ws', 'wire.bytesPerEvent');
  assert.deepEqual([bytes.verdict, bytes.nBaseline, bytes.nCurrent, bytes.baseline, bytes.current], ['pass', 8, 7, 131, 131]);
  const lost = row(report, 'ws', 'delivery.lost');
  assert.deepEqual([lost.nBaseline, lost.nCurrent], [10, 10]);
  assert.equal(lost.reason, 'delivery.lost was above 0 in 1 of 10 current rounds (worst 2, 1 of them with a saturated load generator); it must be 0.');
  assert.deepEqual(report.exclusions, [{ scenario: 'fanout', transport: 'ws', saturated: { baseline: 2, current: 3 }, errored: { baseline: 0, current: 0 } }]);
  const warning =
    "fanout/ws: left out of the exact and statistical gates: 2 baseline and 3 current rounds because the load generator was saturated (their figures show the generator's limits, not the server's; the zero gates still count them).";
  assert.deepEqual(report.warnings, [warning]);
  assert.ok(renderGateTable(report).includes(`Warnings:\n  - ${warning}\n`));
  assert.ok(renderGateMarkdown(report).includes(`**Warnings**\n\n- ${warning}\n`));
  const json = JSON.parse(renderGateJson(report)) as GateReport;
  assert.deepEqual(json.exclusions, report.exclusions);
  assert.deepEqual(json.warnings, [warning]);
});

test('errored rounds are counted as left out, on either side', () => {
  const base = tight(1, (t, f, round) => (t === 'sse' && round === 0 ? { ...f, error: 'client process exited' } : f));
  const cur = tight(2, (t, f, round) => (t === 'sse' && round === 5 ? { ...f, error: 'server process exited mid-run (code 1, signal null)' } : f));
  const report = compareRuns(base, cur, config);
  assert.deepEqual(notPassing(report), ['sse status fail']);
  assert.deepEqual(report.exclusions, [{ scenario: 'fanout', transport: 'sse', saturated: { baseline: 0, current: 0 }, errored: { baseline: 1, current: 1 } }]);
  assert.deepEqual(report.warnings, ['fanout/sse: left out of the exact and statistical gates: 1 baseline and 1 current rounds because the transport errored.']);
  assert.deepEqual([row(report, 'sse', 'latency.p50Us').nBaseline, row(report, 'sse', 'latency.p50Us').nCurrent], [9, 9]);
});

test('when saturation leaves too few rounds the row is inconclusive; with none left there is nothing to compare', () => {
  const cur = tight(2, (t, f, round) => (t === 'sse' && round < 8 ? { ...f, saturated: true } : t === 'ws' ? { ...f, saturated: true } : f));
  const report = compareRuns(tight(1), cur, config);
  assert.equal(report.outcome, 'pass');
  const few = row(report, 'sse', 'latency.p50Us');
  assert.equal(few.verdict, 'inconclusive');
  assert.equal(few.reason, 'latency.p50Us: 10 baseline and 2 current rounds are too few at alpha 0.01 over 20 comparisons; at least 7 per side are needed.');
  const none = row(report, 'ws', 'latency.p50Us');
  assert.deepEqual([none.verdict, none.nCurrent, none.pValue], ['inconclusive', 0, null]);
  assert.equal(none.reason, 'latency.p50Us: all 10 current rounds were left out because the load generator was saturated; nothing to compare.');
  assert.equal(row(report, 'ws', 'wire.bytesPerEvent').verdict, 'inconclusive');
  assert.equal(row(report, 'ws', 'delivery.lost').verdict, 'pass');
  // the ws comparisons that could not be made are not in the family
  assert.equal(report.comparisons, 20);
  assert.equal(compareRuns(tight(1), cur, { ...config, strict: true }).outcome, 'regression');
});

test('config metrics: custom floors, directions, disabled defaults, extra metrics', () => {
  const custom = parseConfig({
    metrics: {
      'latency.p99Us': { floorPercent: 40 },
      'server.rssPerConnectionBytes': false,
      'latency.p999Us': { gate: 'statistical', floorPercent: 10 },
    },
  });
  const report = compareRuns(tight(1), tight(2, (t, f) => (t === 'ws' ? { ...f, p99Us: Math.round(f.p99Us * 1.3) } : f)), custom);
  // +30% is under the 40% floor for p99, but p999 (2 x p99 in the synthetic data) is checked at 10%
  assert.deepEqual(notPassing(report), ['ws latency.p999Us regression']);
  assert.equal(report.rows.filter((r) => r.metric === 'server.rssPerConnectionBytes').length, 0);
});

test('interrupted runs are left out with a warning', () => {
  const cur = tight(2);
  const first = cur[0] as RunResult;
  cur[0] = { ...first, interrupted: true };
  const report = compareRuns(tight(1), cur, config);
  assert.equal(report.scenarios[0]?.currentRounds, 9);
  assert.deepEqual(report.warnings, ['1 interrupted current run(s) were left out.']);
});

test('formatters used by the views', () => {
  assert.equal(formatMetric('latency.p99Us', 1234), '1.23 ms');
  assert.equal(formatMetric('latency.p99Us', null), '–');
  assert.equal(formatMetric('wire.bytesPerEvent', 131.04), '131.0 B');
  assert.equal(formatMetric('server.rssPerConnectionBytes', 14_000), '13.7 KiB');
  assert.equal(formatMetric('delivery.eventsPerSec', 10_000), '10,000/s');
  assert.equal(formatMetric('server.cpuMsPer1kEvents', 1.2), '1.20 ms');
  assert.equal(formatMetric('delivery.lost', 3), '3');
  assert.equal(formatMetric('churn.requestsPerEvent', 0.5), '0.500');
  assert.equal(formatChange(12.345), '+12.3%');
  assert.equal(formatChange(-4), '-4.00%');
  assert.equal(formatChange(0), '±0%');
  assert.equal(formatChange(null), '–');
  assert.equal(formatP(0.00001), '< 0.0001');
  assert.equal(formatP(0.01234), '0.012');
  assert.equal(formatInterval({ lower: -3.1, upper: 8 }), '[-3.10%, +8.00%]');
  assert.equal(formatInterval({ lower: null, upper: null }), '[-∞, +∞]');
});

test('views: table, Markdown and JSON of one report', () => {
  const report = compareRuns(tight(1), tight(2, (t, f) => (t === 'ws' ? { ...f, p99Us: Math.round(f.p99Us * 1.3) } : f)), config);
  assert.equal(summaryLine(report), 'rtbench gate: REGRESSION (1 regression, 54 pass; alpha 0.01, Holm over 25 comparisons)');
  const table = renderGateTable(report);
  const lines = table.split('\n');
  assert.equal(lines[0], summaryLine(report));
  assert.equal(lines[2], 'fanout: 10 baseline rounds, 10 current rounds');
  assert.match(lines[3] ?? '', /^transport +metric +baseline +current +change +99% bounds +p \(Holm\) +verdict$/);
  assert.equal(lines.filter((l) => / REGRESSION$/.test(l)).length, 1);
  assert.ok(table.includes('Why:\n  fanout/ws REGRESSION: latency.p99Us got worse by'));
  const md = renderGateMarkdown(report);
  assert.ok(md.startsWith('## rtbench gate: **REGRESSION**\n\n1 regression, 54 pass; alpha 0.01, Holm over 25 comparisons.\n'));
  assert.ok(md.includes('| transport | metric | baseline | current | change | 99% bounds | p (Holm) | verdict |'));
  assert.ok(md.includes('| **REGRESSION** |'));
  assert.ok(md.includes('<details><summary>All metrics</summary>'));
  const parsed = JSON.parse(renderGateJson(report)) as GateReport;
  assert.equal(parsed.kind, 'rtbench-gate-report');
  assert.equal(parsed.outcome, 'regression');
  assert.equal(parsed.rows.length, 55);
  assert.deepEqual(parsed, JSON.parse(JSON.stringify(report)));
});

test('a synthetic run carries only the transports it was given', () => {
  const r = syntheticRun({ ws: SYNTHETIC_TYPICAL.ws });
  assert.deepEqual(r.options.transports, ['ws']);
  assert.deepEqual(r.transports.map((t) => t.transport), ['ws']);
});

test('two workloads of one scenario name are reported as separate scenarios', () => {
  const small = (seed: number): RunResult[] => noisyRounds({ rounds: 10, seed, spreadPercent: 2, base: { ws: SYNTHETIC_TYPICAL.ws }, options: { clients: 10 } });
  const report = compareRuns([...tight(1), ...small(3)], [...tight(2), ...small(4)], config);
  assert.deepEqual(report.scenarios.map((s) => s.name), ['fanout', 'fanout#2']);
  assert.equal(report.comparisons, 30);
  assert.equal(report.rows.filter((r) => r.scenario === 'fanout#2').length, config.rules.length);
});
