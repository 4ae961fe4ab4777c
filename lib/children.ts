// Every child process rtbench starts is registered here and killed when rtbench exits, however it exits.
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { failureFromStderr } from './child-failure.ts';

const live = new Set<ChildProcess>();
let hooked = false;

/** The tsx loader, resolved from rtbench's own install so children work from any working directory. */
const TSX = import.meta.resolve('tsx');

/** The last bytes each child wrote to stderr: kept for the parent's account of a failure, never shown raw. */
const stderrTails = new WeakMap<ChildProcess, string>();
const STDERR_TAIL_BYTES = 16 * 1024;

/**
 * Forks a TypeScript module of rtbench as a child process with an IPC channel, and tracks it. Its stderr comes to
 * the parent, never to the terminal: `childFailure()` turns it into one sentence when the child fails.
 */
export function forkTs(moduleUrl: URL, args: string[], extraExecArgv: string[] = [], options: ForkOptions = {}): ChildProcess {
  hookExit();
  const child = fork(fileURLToPath(moduleUrl), args, {
    execArgv: ['--import', TSX, ...extraExecArgv],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    serialization: 'advanced',
    ...options,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  stderrTails.set(child, '');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => stderrTails.set(child, ((stderrTails.get(child) ?? '') + chunk).slice(-STDERR_TAIL_BYTES)));
  return child;
}

/** Why `child` failed, in one sentence from what it wrote to stderr; undefined when it wrote nothing. */
export function childFailure(child: ChildProcess): string | undefined {
  return failureFromStderr(stderrTails.get(child) ?? '');
}

/** " (code 1): <its one-sentence failure>" for the message of a child's exit. */
export function exitAccount(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): string {
  const how = signal !== null ? `signal ${signal}` : `code ${code}`;
  const why = childFailure(child);
  return why === undefined ? ` (${how})` : ` (${how}): ${why}`;
}

/** Children still running. */
export function liveChildren(): number {
  return live.size;
}

/** Kills every child still running (SIGKILL): the last resort on exit. */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAllChildren);
}
