// Every child process rtbench starts is registered here and killed when rtbench exits, however it exits.
// rtbench runs either from its TypeScript sources (a checkout, through tsx) or compiled (dist/, the npm package);
// a child runs the same way as its parent: the sibling module with this module's extension, tsx only for .ts.
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failureFromStderr } from './child-failure.ts';

const live = new Set<ChildProcess>();
let hooked = false;

/** The extension rtbench's modules run with: '.ts' from the sources, '.js' compiled. */
const MODULE_EXT = extname(fileURLToPath(import.meta.url));

/** True when rtbench runs from its TypeScript sources (through tsx), false when compiled. */
export const FROM_SOURCES = MODULE_EXT === '.ts';

/** Node flags a child needs to run rtbench's modules: the tsx loader (from rtbench's own install) for sources. */
const LOADER = FROM_SOURCES ? ['--import', import.meta.resolve('tsx')] : [];

/** `url` of a module as written in the sources (`new URL('./host.ts', import.meta.url)`), as this build runs it. */
function runnableModule(url: URL): URL {
  return FROM_SOURCES ? url : new URL(url.href.replace(/\.ts$/, MODULE_EXT));
}

/** The last bytes each child wrote to stderr: kept for the parent's account of a failure, never shown raw. */
const stderrTails = new WeakMap<ChildProcess, string>();
const STDERR_TAIL_BYTES = 16 * 1024;

/**
 * Forks a module of rtbench (named by its source URL) as a child process with an IPC channel, and tracks it. Its
 * stderr comes to the parent, never to the terminal: `childFailure()` turns it into one sentence when it fails.
 * `netns`: run it inside that network namespace (through `ip netns exec`, which execs node: same pid, same IPC).
 */
export function forkModule(moduleUrl: URL, args: string[], extraExecArgv: string[] = [], options: ForkOptions & { netns?: string } = {}): ChildProcess {
  hookExit();
  const { netns, ...forkOptions } = options;
  const execArgv = [...LOADER, ...extraExecArgv];
  const child = fork(fileURLToPath(runnableModule(moduleUrl)), args, {
    execArgv,
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    serialization: 'advanced',
    ...(netns === undefined ? {} : { execPath: 'ip', execArgv: ['netns', 'exec', netns, process.execPath, ...execArgv] }),
    ...forkOptions,
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
