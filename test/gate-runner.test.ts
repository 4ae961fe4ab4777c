// The round runners with a stand-in for runFanout and for the baseline command: interleaving, rotation,
// A/B alternation, placeholder expansion, and the checks on what the baseline command prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../lib/result.ts';
import type { OptionsOf } from '../lib/options.ts';
import { RtbenchError, UsageError } from '../lib/errors.ts';
import type { PlainTransport, Transport } from '../lib/transports.ts';
import { defaultConfig, parseConfig, type GateScenario } from '../gate/config.ts';
import {
  RTBENCH_BIN,
  candidateCommand,
  compareArgs,
  expandCommand,
  knobArgs,
  makeExecCommand,
  parseBaselineOutput,
  rotate,
  runAbRounds,
  runRounds,
  shellQuote,
  type ExecFn,
  type RoundInfo,
} from '../gate/runner.ts';
import { SYNTHETIC_TYPICAL, syntheticRun } from './helpers/synthetic.ts';

/** A stand-in for runFanout that records what it was asked to run. */
function fakeRun(log: string[]): (o: OptionsOf<'fanout'>) => Promise<RunResult> {
  return async (o) => {
    log.push(`run ${o.clients} ${o.transports.join(',')}`);
    const figures = Object.fromEntries(o.transports.map((t) => [t, SYNTHETIC_TYPICAL[t as PlainTransport]])) as Record<PlainTransport, (typeof SYNTHETIC_TYPICAL)[PlainTransport]>;
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
  assert.deepEqual(log, ['run 20 ws,sse,long-poll', 'run 7 ws', 'run 20 sse,long-poll,ws', 'run 7 ws', 'run 20 long-poll,ws,sse', 'run 7 ws']);
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
    '--transports ws,sse --clients 20 --rate 100 --payload 100 --warmup 2000ms --warmup-max 0ms --duration 8000ms --poll-interval 1000ms --long-poll-wait 30000ms --sse-retry 0ms --ws-compression --drain 5000ms --workers 0 --max-queued-bytes 4194304',
  );
  assert.equal(expandCommand('base compare --json {args} # {round} {transports}', { ...s.options, transports: ['sse', 'ws'] }, 3), `base compare --json ${compareArgs({ ...s.options, transports: ['sse', 'ws'] })} # 3 sse,ws`);
});

/** A stand-in for execCommand: records each command and answers like `rtbench compare --json` for its --transports. */
function fakeExec(scenario: GateScenario, log: string[], edit: (r: RunResult, command: string) => RunResult = (r) => r): ExecFn {
  return async (command) => {
    log.push(command);
    const transports = (/--transports (\S+)/.exec(command)?.[1] ?? '').split(',') as Transport[];
    const result = await fakeRun([])({ ...scenario.options, transports });
    return `some log line\n${JSON.stringify(edit(result, command), null, 2)}\n`;
  };
}

/** The temporary --out directory of a candidate command. */
const outDirOf = (command: string): string => /--out (\S+)/.exec(command)?.[1] ?? '';

test('runAbRounds runs both sides as commands through exec, ABBA, with rotated transports; the candidate is this build in a fresh process', async () => {
  const [scenario] = parseConfig({ scenarios: [{ name: 'ab', transports: ['ws', 'sse'] }] }).scenarios as [GateScenario];
  const log: string[] = [];
  const infos: string[] = [];
  const { baseline, current } = await runAbRounds(scenario, 3, { baselineCmd: 'base {args} #{round}', exec: fakeExec(scenario, log), onRound: (i) => infos.push(`${i.round} ${i.side}`) });
  assert.equal(baseline.length, 3);
  assert.equal(current.length, 3);
  assert.deepEqual(current.map((r) => r.options.transports), [['ws', 'sse'], ['sse', 'ws'], ['ws', 'sse']]);
  const out = outDirOf(log[1] ?? '');
  assert.match(out, /rtbench-gate-ab-/);
  const args = (t: Transport[]): string => compareArgs({ ...scenario.options, transports: t });
  const candidate = (t: Transport[]): string => `${process.execPath} ${RTBENCH_BIN} compare --json --quiet --no-html --out ${out} ${args(t)}`;
  assert.deepEqual(log, [`base ${args(['ws', 'sse'])} #1`, candidate(['ws', 'sse']), candidate(['sse', 'ws']), `base ${args(['sse', 'ws'])} #2`, `base ${args(['ws', 'sse'])} #3`, candidate(['ws', 'sse'])]);
  assert.equal(candidateCommand(out, { ...scenario.options, transports: ['ws', 'sse'] }), candidate(['ws', 'sse']));
  assert.ok(RTBENCH_BIN.endsWith('/bin/rtbench.js') && existsSync(RTBENCH_BIN));
  assert.deepEqual(infos, ['1 baseline', '1 current', '2 current', '2 baseline', '3 baseline', '3 current']);
  assert.equal(existsSync(out), false, 'the candidate\'s result directory is removed afterwards');
});

test('the candidate gets the test knobs, the baseline {args} do not; non-default SSE retry and keep-alive reach both', async () => {
  const [scenario] = parseConfig({ scenarios: [{ name: 'k', transports: ['ws'], options: { injectDelayMs: 5, injectCpuUs: 37, sseRetryMs: 2000, keepAlive: false } }] }).scenarios as [GateScenario];
  assert.equal(knobArgs(scenario.options), '--inject-delay-ms 5 --inject-cpu-us 37');
  assert.ok(compareArgs(scenario.options).includes(' --sse-retry 2000ms --no-keep-alive '));
  assert.equal(candidateCommand('/tmp/x', scenario.options), `${process.execPath} ${RTBENCH_BIN} compare --json --quiet --no-html --out /tmp/x ${compareArgs(scenario.options)} --inject-delay-ms 5 --inject-cpu-us 37`);
  assert.equal(expandCommand('base {args}', scenario.options, 1), `base ${compareArgs(scenario.options)}`);
  assert.equal(shellQuote('/a b/it\'s'), `'/a b/it'\\''s'`);
  assert.equal(shellQuote('/usr/bin/node'), '/usr/bin/node');
});

test('runAbRounds rejects a baseline command that ran another workload (usage error), and a candidate that did (failure)', async () => {
  const [scenario] = defaultConfig().scenarios as [GateScenario];
  const exec = async (): Promise<string> => JSON.stringify(syntheticRun({ ws: SYNTHETIC_TYPICAL.ws }, { clients: 3 }));
  await assert.rejects(
    runAbRounds(scenario, 10, { baselineCmd: 'base', exec }),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message === 'the baseline command ran another workload than the gate scenario "fanout" (clients: baseline 3, current 20); put {args} in --baseline-cmd or pass matching flags',
  );
  const log: string[] = [];
  const wrongCandidate = fakeExec(scenario, log, (r, command) => (command.startsWith('base') ? r : { ...r, options: { ...r.options, rate: 7 } }));
  await assert.rejects(
    runAbRounds(scenario, 10, { baselineCmd: 'base {args}', exec: wrongCandidate }),
    (err: unknown) =>
      err instanceof RtbenchError &&
      err.code === 'EIO' &&
      err.message === 'the candidate (this build\'s rtbench compare) ran another workload than the gate scenario "fanout" (rate: baseline 7, current 100); the gate\'s flags for rtbench compare do not reproduce the scenario',
  );
  assert.equal(existsSync(outDirOf(log[1] ?? '')), false);
});

test('runAbRounds names the side whose command failed; an abort while a command runs is an interruption', async () => {
  const [scenario] = defaultConfig().scenarios as [GateScenario];
  const failing = (side: string): ExecFn => async (command) => {
    if (command.startsWith('base') === (side === 'baseline')) throw new RtbenchError('EIO', `exited with code 3: ${command}`);
    return JSON.stringify(await fakeRun([])(scenario.options));
  };
  await assert.rejects(runAbRounds(scenario, 10, { baselineCmd: 'base', exec: failing('baseline') }), (err: unknown) => err instanceof RtbenchError && err.message === 'the baseline command failed: exited with code 3: base');
  await assert.rejects(
    runAbRounds(scenario, 10, { baselineCmd: 'base', exec: failing('current') }),
    (err: unknown) => err instanceof RtbenchError && /^the candidate \(this build's rtbench compare\) failed: exited with code 3: .* compare --json --quiet --no-html --out /.test(err.message),
  );
  const controller = new AbortController();
  const stopped: ExecFn = async (command, signal) => {
    if (!command.startsWith('base')) {
      controller.abort();
      assert.equal(signal, controller.signal, 'the candidate\'s command gets the gate\'s signal');
      throw new RtbenchError('EINTERRUPTED', `interrupted: ${command}`);
    }
    return JSON.stringify(await fakeRun([])(scenario.options));
  };
  await assert.rejects(
    runAbRounds(scenario, 10, { baselineCmd: 'base', exec: stopped, signal: controller.signal }),
    (err: unknown) => err instanceof RtbenchError && err.code === 'EINTERRUPTED' && err.message === 'interrupted after 0 of 10 rounds; nothing was compared or saved',
  );
});

test('parseBaselineOutput: whole output, output after log lines, and nothing useful', () => {
  const run = syntheticRun({ ws: SYNTHETIC_TYPICAL.ws });
  assert.deepEqual(parseBaselineOutput(JSON.stringify(run)), run);
  assert.deepEqual(parseBaselineOutput(`starting\n${JSON.stringify(run, null, 2)}\n`), run);
  assert.throws(() => parseBaselineOutput('no json here\n'), (err: unknown) => err instanceof RtbenchError && err.code === 'EIO' && /printed no result JSON on stdout/.test(err.message));
  assert.throws(() => parseBaselineOutput('{"schemaVersion": 7}'), (err: unknown) => err instanceof RtbenchError && err.code === 'EIO' && /schemaVersion 7/.test(err.message));
});

/** True while process `pid` exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves once none of `pids` is alive (a process that closed its output may still be finishing its exit), checking every 10 ms. */
async function exited(pids: readonly number[], timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** Resolves with the text of `file` once it exists and is not empty, checking every 20 ms. */
async function readWhenWritten(file: string): Promise<string> {
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (text !== '') return text;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('execCommand: stdout of a shell command, one sentence when it exits non-zero', { timeout: 20_000 }, async () => {
  const exec = makeExecCommand(200);
  assert.equal(await exec(`${shellQuote(process.execPath)} -e "process.stdout.write('{}')"; echo`), '{}\n');
  await assert.rejects(exec('exit 3'), (err: unknown) => err instanceof RtbenchError && err.code === 'EIO' && err.message === 'exited with code 3: exit 3');
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(exec('true', aborted.signal), (err: unknown) => err instanceof RtbenchError && err.code === 'EINTERRUPTED');
});

test('execCommand: an abort stops the command\'s whole process group, a child that ignores SIGINT included', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-gate-exec-'));
  try {
    // a shell runs node, which starts a grandchild that ignores SIGINT (as rtbench's servers and clients do)
    const grandchild = `process.on('SIGINT', () => {}); require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'grandchild'))}, String(process.pid)); setInterval(() => {}, 1000);`;
    const parent = [
      "const { spawn } = require('node:child_process');",
      `spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: ['ignore', 'inherit', 'inherit'] });`,
      `require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'parent'))}, String(process.pid));`,
      'setInterval(() => {}, 1000);',
    ].join('\n');
    writeFileSync(join(dir, 'parent.cjs'), parent);
    const controller = new AbortController();
    const exec = makeExecCommand(200);
    const running = exec(`${shellQuote(process.execPath)} ${shellQuote(join(dir, 'parent.cjs'))}`, controller.signal);
    const pids = [Number(await readWhenWritten(join(dir, 'parent'))), Number(await readWhenWritten(join(dir, 'grandchild')))];
    assert.deepEqual(pids.map(alive), [true, true]);
    controller.abort();
    await assert.rejects(running, (err: unknown) => err instanceof RtbenchError && err.code === 'EINTERRUPTED');
    // SIGINT ended the parent; the grandchild ignored it and was killed with the group after the grace period.
    // The promise settled when both had closed their output, i.e. were exiting.
    assert.equal(await exited(pids), true, `still running: ${pids.filter(alive).join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
