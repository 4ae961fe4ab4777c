// Shell commands run in a process group of their own (the user's server, a gate round's rtbench), so that one signal
// reaches every process they start; a group whose shell still runs when rtbench ends is killed (lib/cleanup.ts).
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { onCleanup } from './cleanup.ts';

/** Groups whose shell has not exited yet. */
const groups = new Set<ChildProcess>();

function killAllGroups(): void {
  for (const child of groups) signalGroup(child, 'SIGKILL');
}

/** Starts `command` in a shell, in a process group of its own, killed (SIGKILL) if rtbench ends while it runs. */
export function spawnGroup(command: string, options: { stdio: StdioOptions; env?: NodeJS.ProcessEnv }): ChildProcess {
  onCleanup(killAllGroups);
  const child = spawn(command, { shell: true, detached: true, ...options });
  groups.add(child);
  const forget = (): void => {
    groups.delete(child);
  };
  child.once('error', forget);
  child.once('close', forget);
  return child;
}

/** Sends `sig` to every process of the child's group; a group that is gone already is ignored. */
export function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // the group is gone
  }
}

/**
 * Asks the group to stop with `sig`, and kills it (SIGKILL) if it is still there after `graceMs`. Call the returned
 * function once the command has exited: it disarms the timer and kills whatever of the group outlived the shell.
 */
export function stopGroup(child: ChildProcess, sig: NodeJS.Signals, graceMs: number): () => void {
  signalGroup(child, sig);
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  return () => {
    clearTimeout(timer);
    signalGroup(child, 'SIGKILL');
  };
}
