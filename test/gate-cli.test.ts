// `rtbench gate` and `rtbench baseline save` as a user meets them, on synthetic result files: usage errors exit
// 2 with one sentence and run nothing; a regression exits 99; an A/A comparison passes with 0.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, rtbenchChildren, runCliBatch, startCli, taggedProcesses, waitForProcs } from './helpers/cli.ts';
import type { GateReport } from '../gate/compare.ts';
import { SYNTHETIC_TYPICAL, noisyRounds, syntheticRun } from './helpers/synthetic.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir = '';

/** Runs `rtbench ...args` in the temp directory (so no rtbench.config.json of the repo applies). */
function rtbench(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const file = (name: string): string => join(dir, name);
const write = (name: string, data: unknown): void => writeFileSync(file(name), JSON.stringify(data));

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rtbench-gate-cli-'));
  write('base-rounds.json', noisyRounds({ rounds: 10, seed: 11, spreadPercent: 2 }));
  write('aa-rounds.json', noisyRounds({ rounds: 10, seed: 12, spreadPercent: 2 }));
  write('slow-rounds.json', noisyRounds({ rounds: 10, seed: 13, spreadPercent: 2, change: (t, f) => (t === 'ws' ? { ...f, p99Us: f.p99Us + 5000 } : f) }));
  write('noisy-rounds.json', noisyRounds({ rounds: 10, seed: 14, spreadPercent: 40 }));
  write('other-workload.json', noisyRounds({ rounds: 10, seed: 15, spreadPercent: 2, options: { clients: 50 } }));
  const single = noisyRounds({ rounds: 2, seed: 16, spreadPercent: 2 });
  write('single-1.json', single[0]);
  write('single-2.json', single[1]);
  writeFileSync(file('broken.json'), '{ not json');
  write('bad-config.json', { alpha: 7 });
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('baseline save', () => {
  it('wraps result files into a baseline with its config and every round', async () => {
    const r = await rtbench(['baseline', 'save', '--out', 'baseline.json', '--from', 'base-rounds.json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'rtbench baseline: wrote baseline.json (10 results, 5 transports)\n');
    const b = JSON.parse(readFileSync(file('baseline.json'), 'utf8')) as { kind: string; schemaVersion: number; config: { scenarios: { name: string }[] }; rounds: unknown[] };
    assert.equal(b.kind, 'rtbench-baseline');
    assert.equal(b.schemaVersion, 1);
    assert.equal(b.rounds.length, 10);
    assert.deepEqual(b.config.scenarios.map((s) => s.name), ['fanout']);
    assert.deepEqual(b.rounds, JSON.parse(readFileSync(file('base-rounds.json'), 'utf8')));
  });
});

describe('gate --current', () => {
  it('an A/A comparison passes with exit 0', async () => {
    const r = await rtbench(['gate', '--baseline', 'baseline.json', '--current', 'aa-rounds.json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], 'rtbench gate: PASS (55 pass; alpha 0.01, Holm over 25 comparisons)');
    assert.equal(r.stderr, '');
  });

  it('one result file per round works as well as an array', async () => {
    const r = await rtbench(['gate', '--baseline', 'baseline.json', '--current', 'single-1.json', 'single-2.json', '--json']);
    const report = JSON.parse(r.stdout) as GateReport;
    assert.deepEqual(report.scenarios, [{ name: 'fanout', baselineRounds: 10, currentRounds: 2 }]);
    assert.equal(r.code, 0, r.stderr);
  });

  it('a 5 ms slower ws p99 exits 99 and names the transport and metric', async () => {
    const r = await rtbench(['gate', '--baseline', 'baseline.json', '--current', 'slow-rounds.json', '--json']);
    assert.equal(r.code, 99, r.stderr);
    const report = JSON.parse(r.stdout) as GateReport;
    assert.equal(report.outcome, 'regression');
    assert.deepEqual(report.rows.filter((x) => x.verdict !== 'pass').map((x) => `${x.transport} ${x.metric} ${x.verdict}`), ['ws latency.p99Us regression']);
  });

  it('--md appends Markdown to a file (as $GITHUB_STEP_SUMMARY expects); --md - prints it', async () => {
    writeFileSync(file('summary.md'), '# earlier step\n');
    const r = await rtbench(['gate', '--baseline', 'baseline.json', '--current', 'slow-rounds.json', '--md', 'summary.md']);
    assert.equal(r.code, 99);
    assert.equal(r.stderr, 'rtbench gate: appended the Markdown summary to summary.md\nrtbench: the gate found a regression\n');
    assert.match(r.stdout, /^rtbench gate: REGRESSION/);
    const md = readFileSync(file('summary.md'), 'utf8');
    assert.ok(md.startsWith('# earlier step\n## rtbench gate: **REGRESSION**\n'));
    const printed = await rtbench(['gate', '--baseline', 'baseline.json', '--current', 'aa-rounds.json', '--md', '-']);
    assert.equal(printed.code, 0);
    assert.match(printed.stdout, /^## rtbench gate: pass\n/);
  });

  it('inconclusive passes by default and fails with --strict', async () => {
    const loose = await rtbench(['gate', '--baseline', 'baseline.json', '--current', 'noisy-rounds.json', '--json']);
    const report = JSON.parse(loose.stdout) as GateReport;
    assert.ok(report.counts.inconclusive > 0);
    assert.equal(report.counts.regression, 0);
    assert.equal(loose.code, 0, loose.stderr);
    const strict = await rtbench(['gate', '--baseline', 'baseline.json', '--current', 'noisy-rounds.json', '--strict']);
    assert.equal(strict.code, 99);
  });
});

describe('gate --ab: both sides are fresh rtbench compare processes', () => {
  /** A one-transport scenario small enough to run in about two seconds per side and round. */
  const tiny = { clients: 2, rate: 20, warmupMs: 0, durationMs: 100, drainMs: 300 };
  /** Only the correctness gates, which a working build always passes, so the verdict is known in advance. */
  const metrics = Object.fromEntries(
    ['wire.bytesPerEvent', 'churn.requestsPerEvent', 'latency.p50Us', 'latency.p99Us', 'delivery.eventsPerSec', 'server.cpuMsPer1kEvents', 'server.rssPerConnectionBytes'].map((m) => [m, false]),
  );
  const abConfig = (options: Record<string, number>): Record<string, unknown> => ({ rounds: 2, alpha: 0.5, correction: 'none', transports: ['ws'], scenarios: [{ name: 'tiny', options }], metrics });
  const compareCmd = (out: string): string => `"${process.execPath}" "${BIN}" compare --json --quiet --no-html --out "${out}" {args}`;

  it('runs the baseline command and this build in alternation, and compares what they printed', { timeout: 120_000 }, async () => {
    write('ab-config.json', abConfig(tiny));
    const tmp = file('ab-tmp');
    mkdirSync(tmp);
    const run = startCli(['gate', '--ab', '--config', file('ab-config.json'), '--baseline-cmd', compareCmd(file('ab-base')), '--json'], { TMPDIR: tmp });
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stderr.split('\n').filter((l) => l.startsWith('rtbench gate: round')),
      ['rtbench gate: round 1/2 tiny (baseline build): ws', 'rtbench gate: round 1/2 tiny (candidate): ws', 'rtbench gate: round 2/2 tiny (candidate): ws', 'rtbench gate: round 2/2 tiny (baseline build): ws'],
    );
    const report = JSON.parse(r.stdout) as GateReport;
    assert.deepEqual(report.scenarios, [{ name: 'tiny', baselineRounds: 2, currentRounds: 2 }]);
    // A round whose generator was saturated (a 100 ms window is easily dominated by a client's start-up) is left out
    // of the exact gates and reported; every round counts in the zero gates.
    const excluded = report.exclusions.find((e) => e.transport === 'ws')?.saturated ?? { baseline: 0, current: 0 };
    assert.deepEqual(report.rows.map((x) => `${x.metric} ${x.verdict} ${x.nBaseline}/${x.nCurrent}`), [
      'delivery.lost pass 2/2',
      'delivery.duplicates pass 2/2',
      'delivery.outOfOrder pass 2/2',
      `churn.httpRequests ${excluded.baseline === 2 || excluded.current === 2 ? 'inconclusive' : 'pass'} ${2 - excluded.baseline}/${2 - excluded.current}`,
    ]);
    assert.equal(readdirSync(file('ab-base')).length, 2, 'the baseline command wrote its result files where it was told');
    assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('rtbench-gate-ab-')), [], "the candidate's temporary result directory is removed");
    assert.deepEqual(taggedProcesses(run.tag), []);
  });

  it('Ctrl-C while the candidate runs stops its process, servers and clients, and leaves nothing behind', { timeout: 60_000 }, async () => {
    const long = { ...tiny, durationMs: 60_000 };
    write('ab-long-config.json', abConfig(long));
    // the baseline side answers at once, so round 1's candidate is what is running when the gate is interrupted
    write('ab-canned.json', syntheticRun({ ws: SYNTHETIC_TYPICAL.ws }, long));
    const tmp = file('ab-long-tmp');
    mkdirSync(tmp);
    const run = startCli(['gate', '--ab', '--config', file('ab-long-config.json'), '--baseline-cmd', `cat "${file('ab-canned.json')}"`], { TMPDIR: tmp });
    await waitForProcs(() => rtbenchChildren(run.tag).some((p) => p.cmd.includes('client-process')));
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /rtbench: interrupted after 0 of 2 rounds; nothing was compared or saved\n$/);
    assert.equal(r.stdout, '');
    assert.deepEqual(taggedProcesses(run.tag), [], 'no shell, rtbench, server or client of the candidate survives');
    assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('rtbench-gate-ab-')), []);
  });
});

describe('usage errors: one sentence, exit 2, nothing run', () => {
  const cases: Array<[string[], string]> = [
    [['gate'], 'rtbench: gate needs --baseline FILE (written by rtbench baseline save), or --ab with --baseline-cmd\n'],
    [['gate', '--baseline', 'missing.json'], 'rtbench: cannot read baseline file "missing.json": no such file\n'],
    [['gate', '--baseline', 'broken.json'], /^rtbench: baseline file "broken.json" is not valid JSON \(/.source],
    [['gate', '--baseline', 'single-1.json'], 'rtbench: baseline file "single-1.json" is not an rtbench baseline: expected "kind": "rtbench-baseline" (write one with rtbench baseline save)\n'],
    [['gate', '--baseline', 'baseline.json', '--alpha', '0'], 'rtbench: --alpha must be a number above 0 and at most 0.5, got "0"\n'],
    [['gate', '--baseline', 'baseline.json', '--alpha', 'x'], 'rtbench: --alpha must be a number above 0 and at most 0.5, got "x"\n'],
    [['gate', '--baseline', 'baseline.json', '--rounds', '0'], 'rtbench: --rounds must be an integer between 1 and 1000, got "0"\n'],
    [['gate', '--baseline', 'baseline.json', '--rounds', '5'], 'rtbench: --rounds is 5, but at alpha 0.01 shared by 25 comparisons the test needs at least 7 rounds per side to ever find a significant change\n'],
    [['gate', '--baseline', 'baseline.json', '--current', 'aa-rounds.json', '--rounds', '10'], 'rtbench: --rounds sets how many rounds to run, so it cannot be used with --current files\n'],
    [['gate', '--baseline', 'baseline.json', '--current', 'missing.json'], 'rtbench: cannot read result file "missing.json": no such file\n'],
    [
      ['gate', '--baseline', 'baseline.json', '--current', 'other-workload.json'],
      'rtbench: the current results were run with other options than the baseline (clients: baseline 100, current 50); re-save the baseline or align the config\n',
    ],
    [['gate', '--baseline', 'baseline.json', '--config', 'bad-config.json'], 'rtbench: bad-config.json: "alpha" must be a number above 0 and at most 0.5, got 7\n'],
    [['gate', '--baseline', 'baseline.json', '--json', '--md', '-'], 'rtbench: --json and --md - both print to stdout; write the Markdown to a file instead\n'],
    [['gate', '--ab'], 'rtbench: --ab needs --baseline-cmd "<command that runs the baseline build and prints its result JSON>"\n'],
    [['gate', '--ab', '--baseline-cmd', 'true', '--baseline', 'baseline.json'], 'rtbench: --ab measures the baseline with --baseline-cmd, so it takes no --baseline file\n'],
    [['gate', '--baseline', 'baseline.json', '--baseline-cmd', 'true'], 'rtbench: --baseline-cmd only applies with --ab\n'],
    [['baseline', 'save'], 'rtbench: --out needs a file name, got ""\n'],
    [['baseline', 'save', '--out', 'x.json', '--from', 'base-rounds.json', '--rounds', '10'], 'rtbench: --rounds sets how many rounds to run, so it cannot be used with --from files\n'],
    [['baseline', 'save', '--out', 'x.json', '--rounds', '2'], 'rtbench: --rounds is 2, but at alpha 0.01 shared by 25 comparisons the test needs at least 7 rounds per side to ever find a significant change\n'],
    [['baseline', 'save', '--out', 'x.json', '--from', 'broken.json'], /^rtbench: result file "broken.json" is not valid JSON \(/.source],
  ];
  // Every case runs in one process (they run nothing), in the temp directory like rtbench().
  let runs: Run[] = [];
  before(async () => {
    runs = await runCliBatch(cases.map(([args]) => ({ args, cwd: dir })));
  });
  for (const [i, [args, expected]] of cases.entries()) {
    it(`rtbench ${args.join(' ')}`, () => {
      const r = runs[i] as Run;
      assert.equal(r.code, 2, r.stderr);
      if (expected.startsWith('^')) assert.match(r.stderr, new RegExp(expected));
      else assert.equal(r.stderr, expected);
      assert.equal(r.stderr.split('\n').length, 2, 'one line');
      assert.equal(r.stdout, '');
      assert.equal(existsSync(file('x.json')), false, 'no baseline written');
    });
  }
});
