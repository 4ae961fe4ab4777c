// `rtbench paths` end to end on a tiny matrix (2 paths x 2 transports, 2 clients, 1 s windows): the combined
// result, its renderings, every event delivered on every path; and the flags it refuses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, runCliBatch, type CliRun } from './helpers/cli.ts';
import type { PathsResult } from '../reports/paths.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'rtbench-paths-'));

describe('rtbench paths', () => {
  it('runs each path, writes the combined result, the HTML and the Markdown, and prints the matrix', async () => {
    const out = tmp();
    try {
      const md = join(out, 'matrix.md');
      const r = await runCli(['paths', '--links', 'loopback,wan', '--vias', 'direct', '-t', 'long-poll,sse', '--clients', '2', '--rate', '20', '--warmup', '200ms', '--duration', '1s', '--out', out, '--md', md, '--quiet']);
      assert.equal(r.code, 0, r.stderr);
      const files = readdirSync(out).sort();
      assert.equal(files.length, 3);
      assert.match(files[0] as string, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-paths\.html$/);
      assert.match(files[1] as string, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-paths\.json$/);
      assert.equal(files[2], 'matrix.md');
      const result = JSON.parse(readFileSync(join(out, files[1] as string), 'utf8')) as PathsResult;
      assert.equal(result.kind, 'rtbench-paths');
      assert.equal(result.interrupted, false);
      assert.deepEqual(result.paths, ['loopback/direct', 'wan/direct']);
      assert.deepEqual(result.transports, ['long-poll', 'sse']);
      assert.deepEqual(result.runs.map((run) => [run.link, run.via, run.result.options.link, run.result.options.via, run.result.options.rttMs]), [
        ['loopback', 'direct', 'loopback', 'direct', 0],
        ['wan', 'direct', 'wan', 'direct', 80],
      ]);
      for (const run of result.runs) {
        for (const t of run.result.transports) {
          assert.equal(t.status, 'ok', `${run.path} ${t.transport}: ${t.error ?? ''}`);
          // every event published reached both clients exactly once, in order
          assert.equal(t.delivery?.deliveredEvents, t.delivery?.expectedDeliveries, `${run.path} ${t.transport}`);
          assert.deepEqual([t.delivery?.lost, t.delivery?.duplicates, t.delivery?.outOfOrder], [0, 0, 0], `${run.path} ${t.transport}`);
        }
      }
      const wanLink = result.runs[1]?.result.transports[0]?.path?.link;
      assert.equal(wanLink?.profile, 'wan');
      assert.ok((wanLink?.measuredRttP50Us ?? 0) > 0, 'the round trip across the link was measured');
      assert.equal(result.matrix.length, 4);
      for (const c of result.matrix) assert.ok(c.p50Us !== undefined && c.p99Us !== undefined && c.bytesPerEvent !== undefined, `${c.path} ${c.transport}`);
      assert.equal(result.findings.length, 1);
      assert.match(result.findings[0] as string, /^Over wan via direct \(measured RTT [\d.]+ ms, half of it [\d.]+ ms\), against loopback via direct: long-poll's median /);

      const lines = r.stdout.split('\n');
      assert.equal(lines[0], 'rtbench paths: 2 paths x 2 transports (2 clients, 20 events/s, 1.00 s window per path)');
      assert.match(lines[3] as string, /^via direct +loopback +wan$/);
      assert.match(lines[4] as string, /^long-poll +\S+ \S+ \/ \S+ \S+ · \d+ B +\S+ \S+ \/ \S+ \S+ · \d+ B$/);
      assert.match(lines[5] as string, /^sse +\S+ \S+ \/ \S+ \S+ · \d+ B +\S+ \S+ \/ \S+ \S+ · \d+ B$/);
      assert.ok(lines.includes(`- ${result.findings[0] as string}`));
      assert.ok(r.stdout.includes(`result: ${join(out, files[1] as string)}`));
      assert.ok(readFileSync(join(out, files[0] as string), 'utf8').includes('<th>via direct</th><th>loopback</th><th>wan</th>'));
      assert.ok(readFileSync(md, 'utf8').includes('| via direct | loopback | wan |'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  const refused = [
    [['--links', 'loopback,moon'], /^rtbench: --links must list names from: loopback, lan, wan, mobile; got "moon"\n$/],
    [['--vias', 'direct,direct'], /^rtbench: --vias names a path twice: "direct,direct"\n$/],
    [['--via', 'nginx-tuned'], /^rtbench: rtbench paths sets the path itself; use --links and --vias instead of the option via\n$/],
    [['--rtt', '100ms'], /^rtbench: rtbench paths sets the path itself; use --links and --vias instead of the option rttMs\n$/],
  ] as const;
  // Every refused command line runs in one process (they start nothing), each with its own output directory.
  const outs = refused.map(() => tmp());
  let runs: CliRun[] = [];
  before(async () => {
    runs = await runCliBatch(refused.map(([args], i) => ({ args: ['paths', ...args, '--out', outs[i] as string] })));
  });
  after(() => {
    for (const out of outs) rmSync(out, { recursive: true, force: true });
  });
  for (const [i, [args, expected]] of refused.entries()) {
    it(`refuses ${args.join(' ')} with one sentence and writes nothing`, () => {
      const r = runs[i] as CliRun;
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expected);
      assert.equal(r.stdout, '');
      assert.deepEqual(readdirSync(outs[i] as string), []);
    });
  }
});
