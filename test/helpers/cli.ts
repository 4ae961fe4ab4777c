// Helpers for tests that run the rtbench CLI as a user would, and look for processes it left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of bin/rtbench.js. */
export const BIN = fileURLToPath(new URL('../../bin/rtbench.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What a finished CLI run printed. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The run's tag (see TAG_VAR). */
  tag: string;
}

/** Marks every process a test's rtbench starts (children inherit it), so leftovers can be found exactly. */
export const TAG_VAR = 'RTBENCH_TEST_TAG';
let tagCounter = 0;

/** Starts `rtbench ...args`; the caller waits on `done`. `tag` is set in the environment of rtbench and its children. */
export function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<CliRun>; tag: string } {
  const tag = `${process.pid}-${++tagCounter}`;
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env, [TAG_VAR]: tag }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliRun>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, tag })));
  return { child, done, tag };
}

/** Runs `rtbench ...args` to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return startCli(args, env).done;
}

/** One command line for runCliBatch(): rtbench's arguments, and the directory and extra environment it runs with. */
export interface CliCase {
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * Runs each case's `rtbench ...args` to completion, one after another in one process (test/helpers/cli-batch.ts
 * loads cli.ts afresh per case, as bin/rtbench.js does), and returns what each printed and its exit code. For
 * cases that start nothing (usage errors): one process start instead of one per case.
 */
export function runCliBatch(cases: CliCase[]): Promise<CliRun[]> {
  const tag = `${process.pid}-${++tagCounter}`;
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./cli-batch.ts', import.meta.url))], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', [TAG_VAR]: tag },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(JSON.stringify(cases));
  return new Promise((resolve, reject) => {
    child.once('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`the CLI batch exited with ${signal ?? code}: ${stderr}`));
      const runs = JSON.parse(stdout) as { code: number; stdout: string; stderr: string }[];
      resolve(runs.map((r) => ({ ...r, signal: null, tag })));
    });
  });
}

/** A process of rtbench's: its pid, parent pid and command line. */
export interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
}

/**
 * Every live process running one of rtbench's child entry points (servers/host.ts, driver/client-process.ts);
 * with `tag`, only those started by the test run that carries it.
 */
export function rtbenchChildren(tag?: string): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      if (!cmd.includes(ROOT) || !/servers\/host\.ts|driver\/client-process\.ts/.test(cmd)) continue;
      if (tag !== undefined && !readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`${TAG_VAR}=${tag}`)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state === 'Z') continue; // exited, waiting to be reaped
      out.push({ pid: Number(name), ppid, cmd });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Resolves once `predicate` holds for the process table, checking whenever `child` writes output or every 50 ms. */
export async function waitForProcs(predicate: (procs: Proc[]) => boolean, timeoutMs = 60_000): Promise<Proc[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const procs = rtbenchChildren();
    if (predicate(procs)) return procs;
    if (Date.now() > deadline) throw new Error(`process table never matched; rtbench children: ${JSON.stringify(procs)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every live process, whatever it runs (shells, rtbench, servers, clients), whose environment carries the run's `tag`. */
export function taggedProcesses(tag: string): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`${TAG_VAR}=${tag}`)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue; // exited, waiting to be reaped
      out.push({ pid: Number(name), ppid: Number(ppid), cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ') });
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  return out;
}
