// The round runners with a stand-in for runFanout and for the baseline command: interleaving, rotation,
// A/B alternation, placeholder expansion, and the checks on what the baseline command prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../lib/result.ts';
import type { OptionsOf } from '../lib/options.ts';
import { RtbenchError, UsageError } from '../lib/errors.ts';
import type { Transport } from '../lib/transports.ts';
import { defaultConfig, parseConfig, type GateScenario } from '../gate/config.ts';
import { compareArgs, expandCommand, parseBaselineOutput, rotate, runAbRounds, runRounds, type RoundInfo } from '../gate/runner.ts';
import { SYNTHETIC_TYPICAL, syntheticRun } from './helpers/synthetic.ts';

/** A stand-in for runFanout that records what it was asked to run. */
function fakeRun(log: string[]): (o: OptionsOf<'fanout'>) => Promise<RunResult> {
  return async (o) => {
    log.push(`run ${o.clients} ${o.transports.join(',')}`);
    const figures = Object.fromEntries(o.transports.map((t) => [t, SYNTHETIC_TYPICAL[t]])) as Record<Transport, (typeof SYNTHETIC_TYPICAL)[Transport]>;
    return syntheticRun(figures, { ...o });
  };
}

test('rotate', () => {
  assert.deepEqual(rotate(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  assert.deepEqual(rotate(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
  assert.deepEqual(rotate(['a', 'b', 'c'], 5), ['c', 'a', 'b']);
  assert.deepEqual(rotate([], 3), []);
});

test('runRounds: one run per scenario per round, transport order rotated each round', async () => {
  const config = parseConfig({ scenarios: [{ name: 'a', transports: ['ws', 'sse', 'long-poll'] }, { name: 'b', transports: ['ws'], options: { clients: 7 } }] });
  const log: string[] = [];
  const infos: RoundInfo[] = [];
  const results = await runRounds(config.scenarios, 3, { run: fakeRun(log), onRound: (i) => infos.push(i) });
  assert.equal(results.length, 6);
  assert.deepEqual(log, ['run 100 ws,sse,long-poll', 'run 7 ws', 'run 100 sse,long-poll,ws', 'run 7 ws', 'run 100 long-poll,ws,sse', 'run 7 ws']);
  assert.deepEqual(infos.map((i) => `${i.round}/${i.rounds} ${i.scenario} ${i.side}`), ['1/3 a current', '1/3 b current', '2/3 a current', '2/3 b current', '3/3 a current', '3/3 b current']);
});

test('runRounds stops when aborted and says how far it got', async () => {
  const controller = new AbortController();
  const log: string[] = [];
  const run = fakeRun(log);
  const scenarios = defaultConfig().scenarios;
  await assert.rejects(
    runRounds(scenarios, 10, {
      signal: controller.signal,
      run: async (o) => {
        if (log.length === 1) controller.abort();
        return run(o);
      },
    }),
    (err: unknown) => err instanceof RtbenchError && err.code === 'EINTERRUPTED' && err.message === 'interrupted after 1 of 10 rounds; nothing was compared or saved',
  );
  assert.equal(log.length, 2);
});

test('compareArgs and the --baseline-cmd placeholders reproduce the scenario for rtbench compare', () => {
  const [s] = parseConfig({ scenarios: [{ name: 'x', transports: ['ws', 'sse'], options: { clients: 20, wsCompression: true } }] }).scenarios;
  assert.ok(s);
  assert.equal(
    compareArgs(s.options),
    '--transports ws,sse --clients 20 --rate 100 --payload 100 --warmup 2000ms --warmup-max 0ms --duration 8000ms --poll-interval 1000ms --long-poll-wait 30000ms --sse-retry 0ms --ws-compression --drain 5000ms --workers 0',
  );
  assert.equal(expandCommand('base compare --json {args} # {round} {transports}', { ...s.options, transports: ['sse', 'ws'] }, 3), `base compare --json ${compareArgs({ ...s.options, transports: ['sse', 'ws'] })} # 3 sse,ws`);
});

test('runAbRounds alternates the baseline command and the candidate, ABBA, with rotated transports', async () => {
  const [scenario] = parseConfig({ scenarios: [{ name: 'ab', transports: ['ws', 'sse'] }] }).scenarios as [GateScenario];
  const log: string[] = [];
  const run = fakeRun(log);
  const exec = async (command: string): Promise<string> => {
    log.push(`exec ${command}`);
    const transports = (/--transports (\S+)/.exec(command)?.[1] ?? '').split(',') as Transport[];
    return `some log line\n${JSON.stringify(await fakeRun([])({ ...scenario.options, transports }), null, 2)}\n`;
  };
  const { baseline, current } = await runAbRounds(scenario, 3, { baselineCmd: 'base {args} #{round}', run, exec });
  assert.equal(baseline.length, 3);
  assert.equal(current.length, 3);
  const args = (t: Transport[]): string => compareArgs({ ...scenario.options, transports: t });
  assert.deepEqual(log, [
    `exec base ${args(['ws', 'sse'])} #1`,
    'run 100 ws,sse',
    'run 100 sse,ws',
    `exec base ${args(['sse', 'ws'])} #2`,
    `exec base ${args(['ws', 'sse'])} #3`,
    'run 100 ws,sse',
  ]);
});

test('runAbRounds rejects a baseline command that ran another workload', async () => {
  const [scenario] = defaultConfig().scenarios as [GateScenario];
  const exec = async (): Promise<string> => JSON.stringify(syntheticRun({ ws: SYNTHETIC_TYPICAL.ws }, { clients: 3 }));
  await assert.rejects(
    runAbRounds(scenario, 10, { baselineCmd: 'base', run: fakeRun([]), exec }),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message === 'the baseline command ran another workload than the gate scenario "fanout" (clients: baseline 3, current 100); put {args} in --baseline-cmd or pass matching flags',
  );
});

test('parseBaselineOutput: whole output, output after log lines, and nothing useful', () => {
  const run = syntheticRun({ ws: SYNTHETIC_TYPICAL.ws });
  assert.deepEqual(parseBaselineOutput(JSON.stringify(run)), run);
  assert.deepEqual(parseBaselineOutput(`starting\n${JSON.stringify(run, null, 2)}\n`), run);
  assert.throws(() => parseBaselineOutput('no json here\n'), (err: unknown) => err instanceof RtbenchError && err.code === 'EIO' && /printed no result JSON on stdout/.test(err.message));
  assert.throws(() => parseBaselineOutput('{"schemaVersion": 7}'), (err: unknown) => err instanceof RtbenchError && err.code === 'EIO' && /schemaVersion 7/.test(err.message));
});
