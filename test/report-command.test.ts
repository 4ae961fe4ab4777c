// `rtbench report`: file validation (one sentence naming the file), outputs, and the command's wiring.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { htmlPathFor, registerReport, runReport, type ReportIo } from '../commands/report.ts';
import { UsageError } from '../lib/errors.ts';
import { loadResult, parseResult } from '../lib/result.ts';
import { GENERATED_AT_MARKER } from '../reports/html.ts';

const SMALL = new URL('./fixtures/result-small.json', import.meta.url).pathname;
const AFTER = new URL('./fixtures/result-after.json', import.meta.url).pathname;
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rtbench-report-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Captures what the command writes. */
function io(isTTY = false): ReportIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: { write: (s: string) => out.push(s), isTTY }, stderr: { write: (s: string) => err.push(s) }, now: () => '2025-01-01T00:00:00.000Z' };
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected UsageError, got ${String(err)}`);
    assert.equal(err.code, 'EUSAGE');
    return err.message;
  }
  assert.fail('expected a UsageError');
}

test('a missing file, a non-JSON file and a wrong schemaVersion are one sentence naming the file', () => {
  const missing = join(dir, 'missing.json');
  assert.equal(usageMessage(() => loadResult(missing)), `cannot read result file "${missing}": no such file`);
  assert.equal(usageMessage(() => loadResult(dir)), `cannot read result file "${dir}": it is a directory`);
  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, 'hello');
  assert.match(usageMessage(() => loadResult(notJson)), new RegExp(`^result file "${notJson}" is not valid JSON \\(.+\\)$`));
  const v2 = join(dir, 'v2.json');
  writeFileSync(v2, JSON.stringify({ ...JSON.parse(readFileSync(SMALL, 'utf8')), schemaVersion: 1 }));
  assert.equal(usageMessage(() => loadResult(v2)), `result file "${v2}" has schemaVersion 1; this rtbench reads schemaVersion 2`);
  assert.equal(usageMessage(() => parseResult('{}', 'x.json')), 'result file "x.json" has schemaVersion undefined; this rtbench reads schemaVersion 2');
  assert.equal(usageMessage(() => parseResult('[1]', 'x.json')), 'result file "x.json" is not an rtbench result: expected a JSON object');
});

test('a result with a malformed transport entry is rejected by field', () => {
  const data = JSON.parse(readFileSync(SMALL, 'utf8'));
  data.transports[2].transport = 'websockets';
  assert.equal(
    usageMessage(() => parseResult(JSON.stringify(data), 'r.json')),
    'result file "r.json" is not an rtbench result: "transports[2].transport" is "websockets"; expected one of: short-poll, long-poll, ws, sse, fetch-stream, socketio, socketio-ws',
  );
  data.transports[2].transport = 'ws';
  delete data.options.clients;
  assert.equal(usageMessage(() => parseResult(JSON.stringify(data), 'r.json')), 'result file "r.json" is not an rtbench result: "options.clients" must be a number');
});

test('without --html or --md the terminal table of each result is printed', () => {
  const cap = io();
  runReport([SMALL, AFTER], {}, cap);
  const text = cap.out.join('');
  assert.equal(text.split('rtbench fanout-small: short-poll, long-poll, ws, sse, fetch-stream').length, 3);
  assert.ok(!text.includes('\x1b['), 'no colour when stdout is not a TTY');
  assert.deepEqual(cap.err, []);
});

test('--html and --md write files and say so; --md - prints Markdown to stdout', () => {
  const html = join(dir, 'out.html');
  const md = join(dir, 'out.md');
  const cap = io();
  runReport([SMALL], { html, md }, cap);
  assert.deepEqual(cap.out, [`wrote HTML report: ${html}\n`, `wrote Markdown report: ${md}\n`]);
  const page = readFileSync(html, 'utf8');
  assert.ok(page.startsWith('<!doctype html>'));
  assert.ok(page.includes(`${GENERATED_AT_MARKER}Generated at 2025-01-01T00:00:00.000Z`));
  assert.ok(readFileSync(md, 'utf8').startsWith('## rtbench fanout-small'));

  const toStdout = io();
  runReport([SMALL, AFTER], { md: '-' }, toStdout);
  assert.equal(toStdout.out.length, 1);
  assert.ok(toStdout.out[0]?.startsWith('## rtbench fanout-small: before → after\n'));
  assert.deepEqual(toStdout.err, []);
});

test('bad output paths and flags are usage errors; nothing is written before every input is valid', () => {
  const missingDir = join(dir, 'no', 'such', 'dir', 'r.html');
  assert.equal(usageMessage(() => runReport([SMALL], { html: missingDir }, io())), `cannot write report file "${missingDir}": its directory does not exist`);
  assert.equal(usageMessage(() => runReport([SMALL], { html: '-' }, io())), '--html needs a file name, got "-"');
  assert.equal(usageMessage(() => runReport([], {}, io())), 'report needs at least one RESULT.json file');
  const html = join(dir, 'never.html');
  const missing = join(dir, 'missing.json');
  usageMessage(() => runReport([SMALL, missing], { html }, io()));
  assert.throws(() => readFileSync(html), /ENOENT/);
});

test('registerReport adds a `report` command that parses files and options', async () => {
  const sub = join(dir, 'cmd');
  mkdirSync(sub);
  const program = new Command('rtbench').exitOverride();
  registerReport(program);
  const cmd = program.commands.find((c) => c.name() === 'report');
  assert.ok(cmd);
  assert.deepEqual(
    cmd.options.map((o) => o.long),
    ['--html', '--md'],
  );
  const html = join(sub, 'r.html');
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'rtbench', 'report', SMALL, '--html', html]);
  } finally {
    process.stdout.write = write;
  }
  assert.deepEqual(written, [`wrote HTML report: ${html}\n`]);
  assert.ok(readFileSync(html, 'utf8').includes('<canvas id="chart-r0-percentiles"'));
});

test('htmlPathFor puts the report next to the JSON result', () => {
  assert.equal(htmlPathFor('results/2025-run.json'), 'results/2025-run.html');
  assert.equal(htmlPathFor('results/run'), 'results/run.html');
});
