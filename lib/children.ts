// Every child process rtbench starts is registered here and killed when rtbench exits, however it exits.
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();
let hooked = false;

/** The tsx loader, resolved from rtbench's own install so children work from any working directory. */
const TSX = import.meta.resolve('tsx');

/** Forks a TypeScript module of rtbench as a child process with an IPC channel, and tracks it. */
export function forkTs(moduleUrl: URL, args: string[], extraExecArgv: string[] = [], options: ForkOptions = {}): ChildProcess {
  hookExit();
  const child = fork(fileURLToPath(moduleUrl), args, {
    execArgv: ['--import', TSX, ...extraExecArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
    ...options,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
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
