// The machine a run happened on, recorded in every result.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { Environment } from '../lib/result.ts';

/** rtbench's version. */
export const RTBENCH_VERSION = '0.1.0';

/** Describes this machine; `gitCommit` when the working directory is a git checkout. */
export function describeEnvironment(): Environment {
  const cpus = os.cpus();
  let gitCommit: string | undefined;
  let gitDirty: boolean | undefined;
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim() || undefined;
    // Uncommitted changes to tracked files: the commit alone does not say what code ran.
    gitDirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim() !== '';
  } catch {
    gitCommit = undefined;
  }
  return {
    node: process.version,
    platform: process.platform,
    osRelease: os.release(),
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemBytes: os.totalmem(),
    hostname: os.hostname(),
    ...(gitCommit ? { gitCommit, ...(gitDirty ? { gitDirty } : {}) } : {}),
    rtbenchVersion: RTBENCH_VERSION,
  };
}
