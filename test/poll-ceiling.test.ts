// The poll ceiling: a short autocannon run per polling transport; exact request accounting, never absolute rates.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FANOUT } from '../lib/options.ts';
import { ceilingHealth, ceilingPath, pollersSupported, runPollCeiling } from '../driver/scenarios/poll-ceiling/run.ts';
import type { OptionsOf } from '../lib/options.ts';

const options = (transports: OptionsOf<'poll-ceiling'>['transports']): OptionsOf<'poll-ceiling'> => ({
  ...DEFAULT_FANOUT,
  scenario: 'poll-ceiling-test',
  kind: 'poll-ceiling',
  profile: 'custom',
  sseRetryMs: 0,
  keepAlive: true,
  transports,
  payloadBytes: 100,
  pollIntervalMs: 2000,
  durationMs: 1000,
  connections: 4,
  pipelining: 1,
});

describe('poll-ceiling: pure parts', () => {
  it('short-poll asks at the head (an empty answer); long-poll one behind (answered at once with one event)', () => {
    assert.deepEqual(ceilingPath('short-poll', 10), { path: '/poll?after=10', eventsPerAnswer: 0 });
    assert.deepEqual(ceilingPath('long-poll', 10), { path: '/long-poll?after=9', eventsPerAnswer: 1 });
    assert.throws(() => ceilingPath('ws', 10), /poll-ceiling measures short-poll and long-poll only, got "ws"/);
  });

  it('a ceiling of R requests/s serves R pollers at 1 s, and R x interval at another interval', () => {
    assert.deepEqual(pollersSupported(12_345.6, 1000), { clientsAt1sInterval: 12_345, clientsAtPollInterval: 12_345 });
    assert.deepEqual(pollersSupported(12_000, 5000), { clientsAt1sInterval: 12_000, clientsAtPollInterval: 60_000 });
  });

  it('a ceiling measured by a saturated autocannon is invalid (a floor); one at the server\'s limit is valid', () => {
    const common = { generatorCpuUs: 9_000_000, requests: 200_000, latencyP50Ms: 2, latencyP99Ms: 6, host: { cores: 2, busyPercent: 80, stealPercent: 0 } };
    const saturated = ceilingHealth({ ...common, generatorCpuPercent: 95, serverCpuPercent: 60 });
    assert.deepEqual([saturated.saturated, saturated.bound], [true, 'generator']);
    assert.match(saturated.reasons[0] ?? '', /a client process used 95% of a core over the window \(limit 90%\)/);
    const atLimit = ceilingHealth({ ...common, generatorCpuPercent: 60, serverCpuPercent: 99 });
    assert.deepEqual([atLimit.saturated, atLimit.bound], [false, 'server']);
  });

  it('rejects a streaming transport before any server starts', async () => {
    await assert.rejects(runPollCeiling(options(['short-poll', 'sse']), {}), /got "sse"/);
  });
});

describe('poll-ceiling: a real run', () => {
  it('answers every request 200 with no errors, on both polling endpoints', async () => {
    const result = await runPollCeiling(options(['short-poll', 'long-poll']), {});
    assert.deepEqual(result.transports.map((t) => t.transport), ['short-poll', 'long-poll']);
    for (const t of result.transports) {
      assert.equal(t.status, 'ok', `${t.transport}: ${t.error ?? ''}`);
      const c = t.pollCeiling;
      assert.ok(c);
      assert.equal(c.errors, 0);
      assert.equal(c.timeouts, 0);
      assert.equal(c.non2xx, 0);
      assert.ok(c.requests > 0);
      assert.equal(c.eventsPerAnswer, t.transport === 'short-poll' ? 0 : 1);
      // 10 events of 100 bytes retained: the answers are exactly an empty list, or the newest event.
      if (t.transport === 'short-poll') assert.equal(c.answerBodyBytes, '{"events":[],"next":10}'.length);
      else {
        // Everything but the digits of the event's `ts` (µs of the host's monotonic clock) is known.
        const tsDigits = c.answerBodyBytes - `{"events":[{"seq":10,"ts":,"data":"${'x'.repeat(100)}"}],"next":10}`.length;
        assert.ok(tsDigits >= 1 && tsDigits <= 16, `ts digits ${tsDigits}`);
      }
      assert.equal(c.clientsAtPollInterval, Math.floor(c.requestsPerSec * 2));
      // The probe request plus every request autocannon completed reached the server (one connection each).
      assert.equal(t.churn?.connectionsOpened, 4);
      assert.ok((t.churn?.httpRequests ?? 0) >= c.requests);
    }
  });
});
