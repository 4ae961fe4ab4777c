// Servers rtbench did not spawn: remote targets (--target TRANSPORT=URL) and the user's own server (--server-cmd
// with --server-url or --server-port), each given to the pipeline as a ServerSource (lib/result.ts).
import type { ServerSource } from '../lib/result.ts';
import { PLAIN_TRANSPORTS, type Transport } from '../lib/transports.ts';
import { RtbenchError, UsageError } from '../lib/errors.ts';
import { signalGroup, spawnGroup, stopGroup } from '../lib/process-group.ts';
import { connectRemote, waitUntilReady } from './remote-server.ts';

/** How long a started server may take to be ready, ms. */
export const SERVER_READY_TIMEOUT_MS = 30_000;
/** How long a stopped server may take to exit after SIGTERM before its process group is killed, ms. */
export const SERVER_STOP_GRACE_MS = 3000;

/** Where the servers of a run come from, when not spawned by rtbench. */
export type ServerPlan =
  | { kind: 'targets'; targets: Map<Transport, string>; token?: string }
  | { kind: 'command'; command: string; url: string; portOnly: boolean; token?: string };

/** Parses repeated `--target TRANSPORT=URL` values; one sentence per bad one. */
export function parseTargets(values: readonly string[]): Map<Transport, string> {
  const out = new Map<Transport, string>();
  for (const v of values) {
    const m = /^([\w-]+)=(.+)$/.exec(v.trim());
    if (!m) throw new UsageError(`--target must be TRANSPORT=URL, e.g. ws=http://10.0.0.5:8080, got "${v}"`);
    const [, name = '', url = ''] = m;
    const transport = name as Transport;
    // A target speaks docs/protocol.md, whose endpoints are the plain transports' (Socket.IO's is its own library's).
    if (!(PLAIN_TRANSPORTS as readonly string[]).includes(transport)) throw new UsageError(`--target names unknown transport "${transport}"; expected one of: ${PLAIN_TRANSPORTS.join(', ')}`);
    if (out.has(transport)) throw new UsageError(`--target names ${transport} twice`);
    out.set(transport, checkUrl('--target', url));
  }
  return out;
}

/** `raw` as an http(s) base URL (its origin); a UsageError naming `flag` otherwise. */
export function checkUrl(flag: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag} must be a URL like http://127.0.0.1:8080, got "${raw}"`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`${flag} must be an http:// URL, got "${raw}"`);
  return url.origin;
}

/** The ServerSource of a plan: connects to a target, or starts the user's server and connects to it. */
export function serverSource(plan: ServerPlan): ServerSource {
  return async (transport) => {
    if (plan.kind === 'targets') {
      const url = plan.targets.get(transport);
      if (url === undefined) throw new RtbenchError('EUSAGE', `no --target for ${transport}`);
      return connectRemote({ transport, url, ...(plan.token === undefined ? {} : { token: plan.token }) });
    }
    const started = await startServerCommand(plan.command, plan.url, plan.portOnly);
    try {
      return await connectRemote({
        transport,
        url: plan.url,
        ...(plan.token === undefined ? {} : { token: plan.token }),
        pid: started.pid,
        exited: started.exited,
        onStop: () => started.stop(),
      });
    } catch (err) {
      await started.stop();
      throw err;
    }
  };
}

/** A started server command: its pid, its exit, and how to stop its whole process group. */
export interface StartedCommand {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; reason?: string }>;
  stop(): Promise<void>;
}

/**
 * Starts `command` in a shell, in a process group of its own, with PORT set to the URL's port, and waits until
 * it is ready (GET /healthz answers 200, or with `portOnly` the port accepts). Stopping sends the group SIGTERM,
 * then SIGKILL after SERVER_STOP_GRACE_MS.
 */
export async function startServerCommand(command: string, url: string, portOnly: boolean, timeoutMs = SERVER_READY_TIMEOUT_MS): Promise<StartedCommand> {
  const port = new URL(url).port || '80';
  // The server's output goes to stderr: stdout is rtbench's own (a result JSON with --json).
  const child = spawnGroup(command, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: port } });
  child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    process.stderr.write(chunk);
    tail = (tail + chunk).slice(-2000);
  });
  let gone = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; reason?: string }>((resolve) => {
    child.once('error', (err) => {
      gone = true;
      resolve({ code: null, signal: null, reason: err.message });
    });
    child.once('close', (code, signal) => {
      gone = true;
      const last = tail.trim().split('\n').at(-1);
      resolve({ code, signal, ...(last ? { reason: last } : {}) });
    });
  });
  const stop = async (): Promise<void> => {
    if (gone) {
      signalGroup(child, 'SIGKILL'); // anything of the group that outlived its shell
      return;
    }
    const finish = stopGroup(child, 'SIGTERM', SERVER_STOP_GRACE_MS);
    await exited;
    finish();
  };
  try {
    await waitUntilReady(url, timeoutMs, { portOnly, alive: () => !gone });
  } catch (err) {
    await stop();
    const e = await Promise.race([exited, Promise.resolve(undefined)]);
    const why = gone && e ? ` (it exited with ${e.signal ?? `code ${e.code}`}${e.reason ? `: ${e.reason}` : ''})` : '';
    throw new RtbenchError('ESERVER', `--server-cmd "${command}": ${err instanceof Error ? err.message : String(err)}${why}`);
  }
  return { pid: child.pid ?? 0, exited, stop };
}
