// rtbench.config.json: defaults, merging of profiles and options, one-sentence errors, and the round trip
// through the form a baseline stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../lib/errors.ts';
import { DEFAULT_TRANSPORTS, TRANSPORTS } from '../lib/transports.ts';
import { DEFAULT_FANOUT } from '../lib/options.ts';
import { DEFAULT_GATE_OPTIONS, checkRounds, defaultConfig, familySize, findConfig, loadConfig, parseConfig, toRawConfig } from '../gate/config.ts';
import { DEFAULT_RULES, DEFAULT_TOLERANCE_PERCENT, METRIC_PATHS, metricValue } from '../gate/metrics.ts';
import { SYNTHETIC_TYPICAL, syntheticTransport } from './helpers/synthetic.ts';

/** Asserts parseConfig(data) throws a UsageError with exactly `message`. */
function rejects(data: unknown, message: string): void {
  assert.throws(
    () => parseConfig(data, 'rtbench.config.json'),
    (err: unknown) => {
      assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
      assert.equal(err.message, message);
      return true;
    },
  );
}

test('defaults: rtbench compare\'s scenario, 10 rounds, alpha 0.01 with Holm, every default metric', () => {
  const c = defaultConfig();
  // compare's defaults with 20 clients: rounds a small CI runner measures validly (docs/gate.md, "The default scenario").
  assert.deepEqual(c.scenarios, [{ name: 'fanout', options: { ...DEFAULT_FANOUT, clients: 20, transports: [...DEFAULT_TRANSPORTS] } }]);
  assert.deepEqual(DEFAULT_GATE_OPTIONS, { ...DEFAULT_FANOUT, clients: 20 });
  assert.equal(c.rounds, 10);
  assert.equal(c.alpha, 0.01);
  assert.equal(c.correction, 'holm');
  assert.equal(c.strict, false);
  assert.deepEqual(c.rules, DEFAULT_RULES);
  assert.deepEqual(
    c.rules.filter((r) => r.gate === 'statistical').map((r) => [r.metric, r.direction, r.floorPercent]),
    [
      ['latency.p50Us', 'higher-is-worse', 10],
      ['latency.p99Us', 'higher-is-worse', 10],
      ['delivery.eventsPerSec', 'lower-is-worse', 5],
      ['server.cpuMsPer1kEvents', 'higher-is-worse', 5],
      ['server.rssPerConnectionBytes', 'higher-is-worse', 10],
    ],
  );
  assert.deepEqual(DEFAULT_TOLERANCE_PERCENT, { 'short-poll': 10, 'long-poll': 20, ws: 1, sse: 1, 'fetch-stream': 1, socketio: 5, 'socketio-ws': 1 });
  assert.equal(familySize(c), 25);
});

test('profiles, scenario options and transports merge in that order', () => {
  const c = parseConfig({
    transports: ['ws', 'sse'],
    profiles: { small: { clients: 20, durationMs: 3000, warmupMs: 500 } },
    scenarios: [
      { name: 'small', profile: 'small' },
      { name: 'small-fast', profile: 'small', transports: 'all', options: { rate: 500, clients: 30_000 } },
    ],
  });
  const [a, b] = c.scenarios;
  assert.deepEqual(a, { name: 'small', options: { ...DEFAULT_FANOUT, transports: ['ws', 'sse'], clients: 20, durationMs: 3000, warmupMs: 500 } });
  assert.deepEqual(b?.options.transports, [...TRANSPORTS]);
  assert.equal(b?.options.rate, 500);
  assert.equal(b?.options.clients, 30_000);
  assert.equal(b?.options.workers, 2, 'one client process per 15 000 clients, as rtbench compare does');
  assert.equal(b?.options.durationMs, 3000);
  // "all": every transport, Socket.IO's two included.
  assert.equal(familySize(c), 2 * 5 + 7 * 5);
});

test('option ranges are the ones scenario files and flags use (lib/options.ts): a 2 h window is allowed, as in a scenario file', () => {
  const c = parseConfig({ scenarios: [{ name: 'long', options: { durationMs: 7_200_000, sseRetryMs: 2000, keepAlive: false } }] });
  assert.equal(c.scenarios[0]?.options.durationMs, 7_200_000);
  assert.equal(c.scenarios[0]?.options.sseRetryMs, 2000);
  assert.equal(c.scenarios[0]?.options.keepAlive, false);
  rejects({ scenarios: [{ name: 'x', options: { durationMs: 86_400_001 } }] }, 'rtbench.config.json: "scenarios[0].options.durationMs" must be an integer between 100 and 86400000, got 86400001');
});

test('metric overrides: floors, tolerances per transport or for all, extra metrics, disabled defaults', () => {
  const c = parseConfig({
    metrics: {
      'latency.p99Us': { floorPercent: 15 },
      'wire.bytesPerEvent': { tolerancePercent: { 'long-poll': 30 } },
      'churn.requestsPerEvent': { tolerancePercent: 5 },
      'server.rssPerConnectionBytes': false,
      'latency.p999Us': { gate: 'statistical', floorPercent: 20 },
      'server.eventLoopDelayP99Us': { gate: 'statistical', direction: 'higher-is-worse' },
    },
  });
  const rule = (m: string) => c.rules.find((r) => r.metric === m);
  assert.equal(rule('latency.p99Us')?.floorPercent, 15);
  assert.deepEqual(rule('wire.bytesPerEvent')?.tolerancePercent, { ...DEFAULT_TOLERANCE_PERCENT, 'long-poll': 30 });
  assert.deepEqual(rule('churn.requestsPerEvent')?.tolerancePercent, { 'short-poll': 5, 'long-poll': 5, ws: 5, sse: 5, 'fetch-stream': 5, socketio: 5, 'socketio-ws': 5 });
  assert.equal(rule('server.rssPerConnectionBytes'), undefined);
  assert.deepEqual(rule('latency.p999Us'), { metric: 'latency.p999Us', gate: 'statistical', direction: 'higher-is-worse', floorPercent: 20, tolerancePercent: { 'short-poll': 0, 'long-poll': 0, ws: 0, sse: 0, 'fetch-stream': 0, socketio: 0, 'socketio-ws': 0 } });
  assert.equal(rule('server.eventLoopDelayP99Us')?.floorPercent, 10);
  assert.deepEqual(c.rules.map((r) => r.metric).slice(-2), ['latency.p999Us', 'server.eventLoopDelayP99Us']);
});

test('the stored raw form round-trips to the same config', () => {
  const c = parseConfig({
    rounds: 12,
    alpha: 0.02,
    correction: 'none',
    strict: true,
    profiles: { p: { clients: 7 } },
    scenarios: [{ name: 'one', profile: 'p', transports: ['ws'] }, { name: 'two', options: { wsCompression: true } }],
    metrics: { 'latency.p50Us': false, 'latency.maxUs': { gate: 'statistical', floorPercent: 50 }, 'wire.bytesPerEvent': { tolerancePercent: 3 } },
  });
  assert.deepEqual(parseConfig(JSON.parse(JSON.stringify(toRawConfig(c)))), c);
  assert.deepEqual(parseConfig(toRawConfig(defaultConfig())), defaultConfig());
});

test('every error is one sentence naming the field', () => {
  rejects([], 'rtbench.config.json must hold a JSON object, got []');
  rejects({ alpha: 2 }, 'rtbench.config.json: "alpha" must be a number above 0 and at most 0.5, got 2');
  rejects({ alpha: '0.01' }, 'rtbench.config.json: "alpha" must be a number above 0 and at most 0.5, got "0.01"');
  rejects({ rounds: 0 }, 'rtbench.config.json: "rounds" must be an integer between 1 and 1000, got 0');
  rejects({ rounds: 2.5 }, 'rtbench.config.json: "rounds" must be an integer between 1 and 1000, got 2.5');
  rejects({ rounds: 6 }, 'rtbench.config.json: "rounds" is 6, but at alpha 0.01 shared by 25 comparisons the test needs at least 7 rounds per side to ever find a significant change');
  rejects({ rounds: 4, correction: 'none' }, 'rtbench.config.json: "rounds" is 4, but at alpha 0.01 the test needs at least 5 rounds per side to ever find a significant change');
  rejects({ correction: 'bonferroni' }, 'rtbench.config.json: "correction" must be one of: holm, none, got "bonferroni"');
  rejects({ strict: 'yes' }, 'rtbench.config.json: "strict" must be true or false, got "yes"');
  rejects({ round: 10 }, 'rtbench.config.json: unknown field "round"; expected one of: $schema, rounds, alpha, correction, strict, transports, profiles, scenarios, metrics');
  rejects({ transports: ['websocket'] }, 'rtbench.config.json: unknown transport "websocket" in "transports"; expected one of: short-poll, long-poll, ws, sse, fetch-stream, socketio, socketio-ws');
  rejects({ transports: [] }, 'rtbench.config.json: "transports" must be "all" or a non-empty array of transport names, got []');
  rejects({ scenarios: [] }, 'rtbench.config.json: "scenarios" must be a non-empty array, got []');
  rejects({ scenarios: [{ name: 'a b' }] }, 'rtbench.config.json: "scenarios[0].name" must be a name of 1 to 64 letters, digits, ".", "_" or "-", got "a b"');
  rejects({ scenarios: [{ name: 'a', clients: 5 }] }, 'rtbench.config.json: unknown field "scenarios[0].clients"; expected one of: name, profile, transports, options');
  rejects({ scenarios: [{ name: 'a', options: { clients: 0 } }] }, 'rtbench.config.json: "scenarios[0].options.clients" must be an integer between 1 and 100000, got 0');
  rejects({ scenarios: [{ name: 'a', options: { wsCompression: 1 } }] }, 'rtbench.config.json: "scenarios[0].options.wsCompression" must be true or false, got 1');
  rejects(
    { scenarios: [{ name: 'a', options: { transports: ['ws'] } }] },
    'rtbench.config.json: unknown option "scenarios[0].options.transports" (set "transports" on the scenario, not in its options); expected one of: clients, rate, payloadBytes, warmupMs, warmupMaxMs, durationMs, pollIntervalMs, longPollWaitMs, sseRetryMs, keepAlive, wsCompression, tls, http2, drainMs, workers, maxQueuedBytes, injectDelayMs, injectCpuUs',
  );
  rejects({ scenarios: [{ name: 'a', profile: 'ci' }] }, 'rtbench.config.json: "scenarios[0].profile" must be the name of an entry of "profiles" (there are none), got "ci"');
  rejects({ profiles: { x: {} }, scenarios: [{ name: 'a', profile: 'ci' }] }, 'rtbench.config.json: "scenarios[0].profile" must be one of the profiles: x, got "ci"');
  rejects({ profiles: { x: { rate: 0 } } }, 'rtbench.config.json: "profiles.x.rate" must be a number between 1 and 1000000, got 0');
  rejects({ scenarios: [{ name: 'a' }, { name: 'a' }] }, 'rtbench.config.json: "scenarios[1].name" repeats the scenario name "a"; names must be unique');
  rejects({ metrics: { 'latency.p99': {} } }, `rtbench.config.json: unknown metric "latency.p99" in "metrics"; expected a path such as latency.p99Us, one of: ${METRIC_PATHS.join(', ')}`);
  rejects({ metrics: { 'latency.p99Us': true } }, 'rtbench.config.json: "metrics.latency.p99Us" must be false (off) or an object with gate, direction, floorPercent, tolerancePercent, got true');
  rejects({ metrics: { 'latency.p99Us': { floor: 5 } } }, 'rtbench.config.json: unknown field "metrics.latency.p99Us.floor"; expected one of: gate, direction, floorPercent, tolerancePercent');
  rejects({ metrics: { 'latency.p99Us': { floorPercent: -1 } } }, 'rtbench.config.json: "metrics.latency.p99Us.floorPercent" must be a number between 0 and 1000, got -1');
  rejects({ metrics: { 'latency.maxUs': {} } }, 'rtbench.config.json: "metrics.latency.maxUs.gate" must be one of: statistical, exact, zero, got nothing');
  rejects({ metrics: { 'latency.p99Us': { direction: 'up' } } }, 'rtbench.config.json: "metrics.latency.p99Us.direction" must be one of: higher-is-worse, lower-is-worse, got "up"');
  rejects({ metrics: { 'wire.bytesPerEvent': { tolerancePercent: { websocket: 1 } } } }, 'rtbench.config.json: unknown transport "websocket" in "metrics.wire.bytesPerEvent.tolerancePercent"; expected one of: short-poll, long-poll, ws, sse, fetch-stream, socketio, socketio-ws');
  rejects({ metrics: { 'wire.bytesPerEvent': { tolerancePercent: { ws: '1%' } } } }, 'rtbench.config.json: "metrics.wire.bytesPerEvent.tolerancePercent.ws" must be a number between 0 and 1000, got "1%"');
});

test('checkRounds applies to a resolved config (after --rounds/--alpha overrides)', () => {
  const c = defaultConfig();
  // one-sided tests against the floor: 1 / C(14, 7) = 0.00029 < 0.01 / 25, 1 / C(12, 6) = 0.0011 is not
  assert.doesNotThrow(() => checkRounds({ ...c, rounds: 7 }, '--rounds'));
  assert.throws(() => checkRounds({ ...c, rounds: 6 }, '--rounds'), /^UsageError: --rounds is 6, but at alpha 0.01 shared by 25 comparisons the test needs at least 7 rounds per side/);
  assert.doesNotThrow(() => checkRounds({ ...c, rounds: 5, correction: 'none' }, '--rounds'));
});

test('config files: found in the working directory, missing or broken files are usage errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-gate-config-'));
  try {
    assert.equal(findConfig(dir), undefined);
    writeFileSync(join(dir, 'rtbench.config.json'), JSON.stringify({ rounds: 12 }));
    assert.equal(findConfig(dir), join(dir, 'rtbench.config.json'));
    assert.equal(loadConfig(join(dir, 'rtbench.config.json')).rounds, 12);
    writeFileSync(join(dir, 'bad.json'), '{ rounds: 12 }');
    assert.throws(() => loadConfig(join(dir, 'bad.json')), /^UsageError: config file ".*bad\.json" is not valid JSON \(/);
    assert.throws(() => loadConfig(join(dir, 'none.json')), /^UsageError: cannot read config file ".*none\.json": no such file$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('metric paths read the figures of a transport result', () => {
  const t = syntheticTransport('ws', SYNTHETIC_TYPICAL.ws);
  assert.equal(metricValue(t, 'latency.p99Us'), 4000);
  assert.equal(metricValue(t, 'server.cpuMsPer1kEvents'), 1.2);
  assert.equal(metricValue(t, 'churn.requestsPerEvent'), 0);
  assert.equal(metricValue({ transport: 'ws', status: 'errored', wallMs: 1 }, 'latency.p99Us'), undefined);
  assert.ok(METRIC_PATHS.includes('delivery.lost'));
});
