// Runs several rtbench command lines in this one process, one after another, each through cli.ts exactly as
// bin/rtbench.js runs it (a fresh instance of the module per case), and prints what each printed and its exit code.
// Started by runCliBatch() in cli.ts (the cases come as JSON on stdin); it saves a process start per usage-error case.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliCase } from './cli.ts';

const CLI = new URL('../../cli.ts', import.meta.url).href;
const BIN = fileURLToPath(new URL('../../bin/rtbench.js', import.meta.url));

type Write = typeof process.stdout.write;

/** A write that appends to `sink` instead of the stream (and calls a callback, as a stream write would). */
function capture(sink: { text: string }): Write {
  return ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    sink.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (done) process.nextTick(done);
    return true;
  }) as Write;
}

const cases = JSON.parse(readFileSync(0, 'utf8')) as CliCase[];
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
const home = process.cwd();
const runs: { code: number; stdout: string; stderr: string }[] = [];
for (const [i, c] of cases.entries()) {
  const out = { text: '' };
  const err = { text: '' };
  const saved = Object.fromEntries(Object.keys(c.env ?? {}).map((k) => [k, process.env[k]]));
  Object.assign(process.env, c.env);
  process.chdir(c.cwd ?? home);
  process.argv = [process.execPath, BIN, ...c.args];
  process.exitCode = undefined;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    // A query makes a fresh module instance: cli.ts builds its program and runs it on process.argv when loaded.
    await import(`${CLI}?case=${i}`);
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  runs.push({ code: Number(process.exitCode ?? 0), stdout: out.text, stderr: err.text });
}
process.exitCode = 0;
realOut(JSON.stringify(runs));
