// Network namespaces joined to the host by a veth pair, made and removed with `ip` (iproute2), and shaped with
// `tc ... tbf` for bandwidth. Every name starts with `rtb` and holds the owning process's pid (rtb<pid>n<k>, the
// veth ends rtb<pid>n<k>h on the host and rtb<pid>n<k>s inside), so sweepNamespaces() can remove what a process
// that died left behind. Each pair gets its own 10.201.X.Y/30 (host end .1, namespace end .2), unused by any other
// interface on the host when it was made. Pairs are removed on stop(), when making them failed, when the process
// exits, and on SIGINT/SIGTERM/SIGHUP when nothing else handles them (lib/cleanup.ts: the signal then ends the process).
import { execFile, execFileSync, type ExecFileException } from 'node:child_process';
import { promisify } from 'node:util';
import { onCleanup } from '../lib/cleanup.ts';
import { RtbenchError } from '../lib/errors.ts';

const exec = promisify(execFile);

/** Prefix of every namespace and interface rtbench makes. */
export const NETNS_PREFIX = 'rtb';
/** The /16 the pairs' /30 subnets come from. */
const SUBNET_BASE = [10, 201] as const;
/** /30 subnets in the /16. */
const SUBNETS = 16_384;
/** A name of ours: owner pid, pair number, and (interfaces) the end. */
const OWN_NAME = /^rtb(\d+)n(\d+)[hs]?$/;

/** The host cannot make network namespaces (not root, or a sandbox that forbids it): one sentence says so. */
export class NamespacesUnavailable extends RtbenchError {
  constructor(detail: string) {
    super('EUSAGE', `this process may not create network namespaces (${detail}); run rtbench as root for a link with limited bandwidth, or leave --bandwidth out`);
    this.name = 'NamespacesUnavailable';
  }
}

/** A network namespace joined to the host by a veth pair. */
export interface NamespacePair {
  /** The namespace's name (for `ip netns exec`). */
  readonly name: string;
  /** The veth end in the host namespace, and its address. */
  readonly hostIf: string;
  readonly hostAddress: string;
  /** The veth end inside the namespace, and its address (what a server in it listens on). */
  readonly nsIf: string;
  readonly nsAddress: string;
  /** Bandwidth each way, kbit/s (0: not shaped). */
  readonly bandwidthKbit: number;
  /** Removes the namespace and both veth ends; safe to call twice. */
  stop(): Promise<void>;
}

/** Pairs made by this process and not yet removed. */
const live = new Set<string>();
let pairs = 0;
let swept = false;

/** Runs `ip`/`tc` with `args`; a failure becomes an Error holding the command and what it printed. */
async function run(cmd: 'ip' | 'tc', args: string[]): Promise<string> {
  try {
    return (await exec(cmd, args, { timeout: 10_000 })).stdout;
  } catch (err) {
    const e = err as ExecFileException & { stderr?: string };
    if (e.code === 'ENOENT') throw new RtbenchError('EUSAGE', `\`${cmd}\` is not installed; install it with: apt-get install -y iproute2`);
    const said = (e.stderr ?? '').trim().split('\n')[0] ?? '';
    throw Object.assign(new Error(`${cmd} ${args.join(' ')}: ${said || e.message}`), { said });
  }
}

/**
 * The tbf qdisc arguments for `kbit` kbit/s: the bucket holds 10 ms at the rate (at least 4 full-size frames, so a
 * GSO burst of the veth is not split into a stall), and the queue holds 100 ms at the rate before it drops.
 */
export function tbfArgs(kbit: number): string[] {
  const bytesPerSec = (kbit * 1000) / 8;
  const burst = Math.max(4 * 1514, Math.ceil(bytesPerSec / 100));
  return ['tbf', 'rate', `${kbit}kbit`, 'burst', String(burst), 'latency', '100ms'];
}

/**
 * Makes a namespace with `lo` up, joined to the host by a veth pair with a /30 of its own, both ends shaped to
 * `bandwidthKbit` (0: unshaped). Throws NamespacesUnavailable where the process may not make namespaces.
 */
export async function createNamespacePair(opts: { bandwidthKbit?: number } = {}): Promise<NamespacePair> {
  onCleanup(removeAllNow);
  if (!swept) {
    swept = true;
    await sweepNamespaces();
  }
  const name = `${NETNS_PREFIX}${process.pid}n${pairs++}`;
  const hostIf = `${name}h`;
  const nsIf = `${name}s`;
  try {
    await run('ip', ['netns', 'add', name]);
  } catch (err) {
    const said = (err as { said?: string }).said ?? '';
    if (/permission|not permitted|EPERM|EACCES/i.test(said) || process.getuid?.() !== 0) throw new NamespacesUnavailable(said || (err as Error).message);
    throw err;
  }
  live.add(name);
  const kbit = opts.bandwidthKbit ?? 0;
  try {
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', name]);
    const [hostAddress, nsAddress] = await freeSubnet();
    await run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await run('ip', ['-n', name, 'addr', 'add', `${nsAddress}/30`, 'dev', nsIf]);
    await run('ip', ['-n', name, 'link', 'set', nsIf, 'up']);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    if (kbit > 0) {
      await run('tc', ['qdisc', 'add', 'dev', hostIf, 'root', ...tbfArgs(kbit)]);
      await run('tc', ['-n', name, 'qdisc', 'add', 'dev', nsIf, 'root', ...tbfArgs(kbit)]);
    }
    return { name, hostIf, hostAddress, nsIf, nsAddress, bandwidthKbit: kbit, stop: () => removePair(name) };
  } catch (err) {
    await removePair(name);
    throw err;
  }
}

/** `cmd` with its arguments, run inside namespace `name` (`ip netns exec`), as an argv for spawn/execFile. */
export function inNamespace(name: string, cmd: string[]): string[] {
  return ['ip', 'netns', 'exec', name, ...cmd];
}

/** Runs `cmd` inside namespace `name` and resolves with its stdout (rejects with its first stderr line). */
export async function runInNamespace(name: string, cmd: string[]): Promise<string> {
  return run('ip', inNamespace(name, cmd).slice(1));
}

/** Removes namespaces and host-side veth ends of ours whose owning process is gone (left by a crash or SIGKILL). */
export async function sweepNamespaces(): Promise<string[]> {
  const names = new Set<string>();
  const netns = await run('ip', ['netns', 'list']).catch(() => '');
  for (const line of netns.split('\n')) names.add(line.split(' ')[0] ?? '');
  const links = await run('ip', ['-o', 'link', 'show']).catch(() => '');
  for (const line of links.split('\n')) names.add((line.split(': ')[1] ?? '').split('@')[0] ?? '');
  const removed: string[] = [];
  for (const n of names) {
    const m = OWN_NAME.exec(n);
    if (!m || alive(Number(m[1]))) continue;
    await (n.endsWith('h') ? run('ip', ['link', 'del', n]) : run('ip', ['netns', 'del', n])).then(
      () => removed.push(n),
      () => undefined,
    );
  }
  return removed;
}

/** Namespaces this process made and has not removed yet. */
export function liveNamespaces(): string[] {
  return [...live];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A /30 no interface on the host uses yet: [host end, namespace end]. */
async function freeSubnet(): Promise<[string, string]> {
  const used = new Set<number>();
  const prefix = `${SUBNET_BASE[0]}.${SUBNET_BASE[1]}.`;
  for (const m of (await run('ip', ['-o', '-4', 'addr', 'show'])).matchAll(/inet (\d+\.\d+\.\d+\.\d+)/g)) {
    const a = m[1] ?? '';
    if (!a.startsWith(prefix)) continue;
    const [x, y] = a.slice(prefix.length).split('.').map(Number) as [number, number];
    used.add((x * 256 + y) >> 2);
  }
  // Start at a place of this process's own, so two processes making pairs at once rarely pick the same one.
  const start = (process.pid * 37 + pairs * 5) % SUBNETS;
  for (let i = 0; i < SUBNETS; i++) {
    const s = (start + i) % SUBNETS;
    if (used.has(s)) continue;
    const x = s >> 6;
    const y = (s & 63) * 4;
    return [`${prefix}${x}.${y + 1}`, `${prefix}${x}.${y + 2}`];
  }
  throw new Error(`every /30 of ${prefix}0.0/16 is in use`);
}

async function removePair(name: string): Promise<void> {
  if (!live.delete(name)) return;
  // The namespace's end goes with the namespace once nothing runs in it; the host end is removed at once.
  await run('ip', ['link', 'del', `${name}h`]).catch(() => undefined);
  await run('ip', ['netns', 'del', name]).catch(() => undefined);
}

/** Removes every pair still live, synchronously (exit and signal handlers cannot wait). */
function removeAllNow(): void {
  for (const name of live) {
    for (const args of [['link', 'del', `${name}h`], ['netns', 'del', name]]) {
      try {
        execFileSync('ip', args, { stdio: 'ignore', timeout: 5000 });
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}
