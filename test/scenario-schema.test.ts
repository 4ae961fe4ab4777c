// Scenario files: the built-in ones are valid, defaults are filled, flags override a profile, and a user's file
// with a mistake is refused with one sentence naming the field before anything starts.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROFILES, validateScenario } from '../scenarios/schema.ts';
import { builtinScenarios, loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { DEFAULT_FANOUT } from '../lib/options.ts';
import { RUNNERS } from '../driver/scenarios/index.ts';
import { runCliBatch, rtbenchChildren, type CliRun } from './helpers/cli.ts';

const FANOUT_FIELDS = 'clients, rate, payloadBytes, warmupMs, warmupMaxMs, durationMs, pollIntervalMs, longPollWaitMs, sseRetryMs, keepAlive, wsCompression, tls, http2, drainMs, workers, maxQueuedBytes, injectDelayMs, injectCpuUs, via';
const KINDS = 'fanout, churn, chat, idle, burst, stream, capacity, poll-ceiling, slow-consumer, faults, browser-limits';

/** A valid file of `kind` whose smoke profile is `smoke` (ci and full empty: all defaults). */
function file(kind: string, smoke: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'mine', description: 'a test', kind, profiles: { smoke, ci: {}, full: {} }, ...extra };
}

describe('the built-in scenarios', () => {
  it('has one valid file per kind, each with smoke, ci and full profiles that resolve', () => {
    assert.deepEqual(builtinScenarios(), ['fanout', 'browser-limits', 'burst', 'capacity', 'chat', 'churn', 'faults', 'idle', 'poll-ceiling', 'slow-consumer', 'stream']);
    for (const name of builtinScenarios()) {
      const f = loadBuiltin(name);
      assert.equal(f.name, name);
      assert.equal(f.kind, name);
      assert.ok(RUNNERS[f.kind]);
      for (const p of PROFILES) assert.equal(resolveOptions(f, p).profile, p);
    }
  });

  it('runs today\'s `rtbench compare` defaults as the fan-out ci profile', () => {
    const o = resolveOptions(loadBuiltin('fanout'), 'ci');
    assert.deepEqual({ ...o }, { ...DEFAULT_FANOUT, kind: 'fanout', profile: 'ci', sseRetryMs: 0, keepAlive: true });
  });

  it('fills defaults, applies overrides, and derives what a kind implies', () => {
    const burst = validateScenario(file('burst'), 'b.json');
    assert.deepEqual(
      { ...burst.profiles.ci },
      { clients: 100, payloadBytes: 100, pollIntervalMs: 1000, longPollWaitMs: 30_000, sseRetryMs: 0, keepAlive: true, wsCompression: false, tls: false, http2: false, drainMs: 5000, workers: 0, maxQueuedBytes: 4194304, injectDelayMs: 0, injectCpuUs: 0, via: 'direct', link: 'loopback', rttMs: 0, jitterMs: 0, bandwidthKbit: 0, burstEvents: 1000, bursts: 3, burstMs: 5, quietMs: 2000 },
    );
    const chat = resolveOptions(validateScenario(file('chat', { clients: 4, sendRatePerClient: 5, messagesPerClient: 10 }), 'c.json'), 'smoke', { keepAlive: false }, ['ws']);
    assert.deepEqual([chat.rate, chat.durationMs, chat.keepAlive, chat.transports], [20, 2000, false, ['ws']]);
    const churn = validateScenario(file('churn', { clients: 7 }), 'c.json');
    assert.equal(churn.profiles.smoke.stormClients, 7, 'the storm drops every client by default');
    const stream = resolveOptions(validateScenario(file('stream', { clients: 2, tokens: 10, tokenIntervalMs: 20, tokenBytes: 4 }), 's.json'), 'smoke');
    assert.deepEqual([stream.payloadBytes, stream.durationMs, stream.rate], [4, 200, 100]);
    assert.deepEqual(validateScenario(file('poll-ceiling'), 'p.json').transports, ['short-poll', 'long-poll']);
  });

  it('refuses a drain shorter than the short-poll interval, naming where each came from', () => {
    assert.throws(() => resolveOptions(loadBuiltin('fanout'), 'ci', { pollIntervalMs: 10_000 }), {
      message: "scenarios/fanout.json: profiles.ci.drainMs is 5000 ms, shorter than the 10000 ms short-poll interval (--poll-interval): a poller's last events arrive up to one interval after publishing stops; make the drain at least 10000 ms",
    });
    assert.throws(() => resolveOptions(loadBuiltin('fanout'), 'ci', { drainMs: 500 }), { message: /^--drain is 500 ms, shorter than the 1000 ms short-poll interval \(profiles\.ci\.pollIntervalMs\)/ });
    // Without short polling in the run the drain may be shorter than its (unused) interval.
    assert.equal(resolveOptions(loadBuiltin('fanout'), 'ci', { drainMs: 500 }, ['ws', 'sse']).drainMs, 500);
    assert.equal(resolveOptions(loadBuiltin('fanout'), 'ci', { drainMs: 10_000, pollIntervalMs: 10_000 }).drainMs, 10_000);
  });

  it("refuses stream profiles whose private streams the servers' memory caps would refuse", () => {
    // 100 000 tokens of 64 KiB: the request that once took a server down.
    assert.throws(() => resolveOptions(validateScenario(file('stream', { clients: 1, tokens: 100_000, tokenBytes: 65_536 }), 's.json'), 'smoke'), {
      message: 's.json: profile smoke asks for streams of 100000 tokens of 65536 bytes, 6298.8 MiB of server memory each, over the 64.0 MiB a server lets one stream hold; lower tokens or tokenBytes',
    });
    // 20 000 clients take 2 client processes, each with a warm-up stream.
    assert.throws(() => resolveOptions(validateScenario(file('stream', { clients: 20_000, tokens: 100, tokenBytes: 16 }), 's.json'), 'smoke'), {
      message: 's.json: profile smoke asks for 20002 streams of 100 tokens of 16 bytes, 1163.4 MiB of server memory together, over the 512.0 MiB a server lets its streams hold; lower clients, tokens or tokenBytes',
    });
    // The largest token count the schema allows still fits one stream when tokens are small.
    assert.equal(resolveOptions(validateScenario(file('stream', { clients: 1, tokens: 100_000, tokenBytes: 16 }), 's.json'), 'smoke').kind, 'stream');
  });

  it('refuses a flag that does not apply to the kind, and transports the kind cannot run', () => {
    assert.throws(() => resolveOptions(loadBuiltin('chat'), 'ci', { rate: 5 }), {
      message: '--rate does not apply to chat scenarios; their parameters are: clients, payloadBytes, warmupMs, pollIntervalMs, longPollWaitMs, sseRetryMs, keepAlive, wsCompression, tls, http2, drainMs, workers, maxQueuedBytes, injectDelayMs, injectCpuUs, via, link, rttMs, jitterMs, bandwidthKbit, messagesPerClient, sendRatePerClient',
    });
    assert.throws(() => resolveOptions(loadBuiltin('poll-ceiling'), 'ci', {}, ['ws']), { message: '--transports names "ws", but poll-ceiling scenarios run on short-poll and long-poll only' });
    assert.throws(() => resolveOptions(loadBuiltin('slow-consumer'), 'ci', {}, ['socketio']), {
      message:
        '--transports names "socketio", but slow-consumer scenarios run on short-poll, long-poll, ws, sse, fetch-stream only: socket.io-client reads every packet as it arrives (no paced reading), and the socket.io server queues without bound (no slow-consumer cut)',
    });
  });

  it('runs the five plain transports when none is named, and Socket.IO when named', () => {
    assert.deepEqual(resolveOptions(loadBuiltin('fanout'), 'ci').transports, ['short-poll', 'long-poll', 'ws', 'sse', 'fetch-stream']);
    assert.deepEqual(resolveOptions(loadBuiltin('idle'), 'ci', {}, ['ws', 'socketio', 'socketio-ws']).transports, ['ws', 'socketio', 'socketio-ws']);
  });
});

describe('a scenario file with a mistake: one sentence naming the field', () => {
  const cases: [string, unknown, string][] = [
    ['unknown field', file('fanout', { rat: 5 }), `unknown field "rat" in profiles.smoke; expected one of: ${FANOUT_FIELDS}, link, rttMs, jitterMs, bandwidthKbit, clientsIn`],
    ['wrong type', file('fanout', { clients: 'ten' }), 'profiles.smoke.clients must be an integer between 1 and 100000, got "ten"'],
    ['negative rate', file('fanout', { rate: -5 }), 'profiles.smoke.rate must be a number between 1 and 1000000, got -5'],
    ['not a boolean', file('churn', { keepAlive: 'yes' }), 'profiles.smoke.keepAlive must be true or false, got "yes"'],
    ['fraction for an integer', file('burst', { bursts: 1.5 }), 'profiles.smoke.bursts must be an integer between 1 and 10000, got 1.5'],
    ['zero send rate', file('chat', { sendRatePerClient: 0 }), 'profiles.smoke.sendRatePerClient must be a number > 0 and <= 10000, got 0'],
    ['storm larger than the clients', file('churn', { clients: 3, stormClients: 4 }), 'profiles.smoke.stormClients must be at most clients (3), got 4'],
    ['bad list item', file('idle', { sweep: [0, -1] }), 'profiles.smoke.sweep[1] must be an integer between 0 and 19000, got -1'],
    ['steps not increasing', file('capacity', { steps: [4, 2] }), 'profiles.smoke.steps must increase, but profiles.smoke.steps[1] is 2 after 4'],
    ['bad enum', file('capacity', { axis: 'load' }), 'profiles.smoke.axis must be one of: clients, rate; got "load"'],
    ['unknown kind', file('firehose'), `kind must be one of: ${KINDS}; got "firehose"`],
    ['missing kind', { name: 'x', profiles: {} }, `kind must be one of: ${KINDS}; got nothing`],
    ['missing profile', { name: 'x', kind: 'burst', profiles: { smoke: {}, ci: {} } }, 'profiles.full is missing; a scenario file needs smoke, ci and full profiles'],
    ['unknown profile', { name: 'x', kind: 'burst', profiles: { smoke: {}, ci: {}, full: {}, fast: {} } }, 'unknown field "fast" in profiles; expected one of: smoke, ci, full'],
    ['unknown top-level field', file('burst', {}, { profile: 'smoke' }), 'unknown field "profile"; expected one of: name, description, kind, transports, profiles'],
    ['bad name', file('burst', {}, { name: '../x' }), 'name must be 1 to 64 letters, digits, ".", "_" or "-" (it names the result files), got "../x"'],
    ['unknown transport', file('burst', {}, { transports: ['ws', 'websockets'] }), 'transports[1] must be one of: short-poll, long-poll, ws, sse, fetch-stream, socketio, socketio-ws; got "websockets"'],
    ['a profile that is not an object', { name: 'x', kind: 'burst', profiles: { smoke: [], ci: {}, full: {} } }, 'profiles.smoke must be an object of burst parameters, got []'],
  ];
  for (const [what, raw, sentence] of cases) {
    it(what, () => {
      assert.throws(() => validateScenario(raw, 'my.json'), (err: Error) => {
        assert.equal(err.name, 'UsageError');
        assert.equal(err.message, `my.json: ${sentence}`);
        return true;
      });
    });
  }
});

describe('rtbench run with a bad file: exit 2, one sentence, nothing started', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtbench-scenario-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, content: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  const cases: [string, unknown, (path: string) => string][] = [
    ['unknown field', file('burst', { rat: 5 }), (p) => `${p}: unknown field "rat" in profiles.smoke; expected one of: clients, payloadBytes, pollIntervalMs, longPollWaitMs, sseRetryMs, keepAlive, wsCompression, tls, http2, drainMs, workers, maxQueuedBytes, injectDelayMs, injectCpuUs, via, link, rttMs, jitterMs, bandwidthKbit, burstEvents, bursts, burstMs, quietMs`],
    ['wrong type', file('churn', { clients: 'ten' }), (p) => `${p}: profiles.smoke.clients must be an integer between 1 and 100000, got "ten"`],
    ['negative rate', file('fanout', { rate: -5 }), (p) => `${p}: profiles.smoke.rate must be a number between 1 and 1000000, got -5`],
    ['unknown kind', file('firehose'), (p) => `${p}: kind must be one of: ${KINDS}; got "firehose"`],
    ['missing profile', { name: 'x', kind: 'stream', profiles: { smoke: {}, full: {} } }, (p) => `${p}: profiles.ci is missing; a scenario file needs smoke, ci and full profiles`],
    ['not JSON', '{"name": "x",', (p) => `${p} is not valid JSON: ${jsonError('{"name": "x",')}`],
  ];
  const slug = (what: string): string => what.replace(/\W/g, '-');
  const out = (what: string): string => join(dir, `out-${slug(what)}`);
  // Every command line runs in one process (they start nothing): each case's, then the three of the last test.
  let runs: CliRun[] = [];
  before(async () => {
    // A good file first: it must not start before the bad one is found.
    const good = write('good.json', file('fanout', { clients: 1, rate: 1, warmupMs: 0, durationMs: 100 }, { transports: ['ws'] }));
    runs = await runCliBatch([
      ...cases.map(([what, content]) => ({ args: ['run', good, write(`${slug(what)}.json`, content), '--profile', 'smoke', '--out', out(what), '--quiet'] })),
      { args: ['run', join(dir, 'nope.json')] },
      { args: ['compare', '--scenario', 'burst', '--profile', 'fast'] },
      { args: ['compare', '--scenario', 'idle', '--clients', '5'] },
    ]);
  });

  for (const [i, [what, , sentence]] of cases.entries()) {
    it(what, () => {
      const r = runs[i] as CliRun;
      const bad = join(dir, `${slug(what)}.json`);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `rtbench: ${sentence(bad)}\n`);
      assert.equal(r.stdout, '');
      assert.throws(() => readdirSync(out(what)), /ENOENT/, 'no result written');
      assert.deepEqual(rtbenchChildren(r.tag), []);
    });
  }

  it('a file that does not exist, and a bad profile name', () => {
    const [missing, profile, flag] = runs.slice(cases.length) as [CliRun, CliRun, CliRun];
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `rtbench: scenario file "${join(dir, 'nope.json')}" does not exist\n`);
    assert.equal(profile.code, 2);
    assert.equal(profile.stderr, 'rtbench: --profile must be one of: smoke, ci, full; got "fast"\n');
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^rtbench: --clients does not apply to idle scenarios; their parameters are: /);
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}
