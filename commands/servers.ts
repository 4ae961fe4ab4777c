// The flags that point a run at servers rtbench did not spawn (--target, --server-cmd), shared by compare, run,
// baseline save and gate, and the contract check every such run makes before its first round.
import type { Command } from 'commander';
import { RtbenchError, UsageError } from '../lib/errors.ts';
import type { ServerSource } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import { checkContract } from '../driver/check.ts';
import { checkUrl, parseTargets, serverSource, startServerCommand, type ServerPlan } from '../driver/targets.ts';
import { parseIntIn } from '../lib/validate.ts';

/** Raw server flags (strings until validated). */
export interface ServerFlags {
  target?: string[];
  controlToken?: string;
  serverCmd?: string;
  serverUrl?: string;
  serverPort?: string;
  /** Skip the contract check (the gate's A/B subprocesses: the gate checked once already). */
  check?: boolean;
}

/** Adds --target, --control-token, --server-cmd, --server-url, --server-port and --no-check to `cmd`. */
export function addServerFlags(cmd: Command): Command {
  return cmd
    .option('--target <transport=url>', 'measure a server already running elsewhere (a remote rtbench serve, or any server of docs/own-server.md) instead of spawning one; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--control-token <token>', 'the control token a remote rtbench serve printed (default: $RTBENCH_CONTROL_TOKEN)')
    .option('--server-cmd <command>', "start your own server with this shell command for every transport of every round (PORT is set), and measure it; needs --server-url or --server-port")
    .option('--server-url <url>', 'base URL of the --server-cmd server, ready once GET /healthz answers 200')
    .option('--server-port <n>', 'port of the --server-cmd server on 127.0.0.1, ready once it accepts a connection')
    .option('--no-check', 'skip the contract check before the first round');
}

/**
 * The server plan of the flags (undefined: rtbench spawns its reference servers) and the transports of the run:
 * with --target and no --transports, the targets' transports; with --server-cmd, --transports must name them.
 */
export function serverPlanFrom(f: ServerFlags, transports: Transport[] | undefined): { plan?: ServerPlan; transports?: Transport[] } {
  const token = f.controlToken ?? (process.env.RTBENCH_CONTROL_TOKEN || undefined);
  const targets = f.target ?? [];
  if (targets.length > 0) {
    if (f.serverCmd !== undefined) throw new UsageError('--target and --server-cmd exclude each other: measure servers already running, or one you start');
    if (f.serverUrl !== undefined || f.serverPort !== undefined) throw new UsageError('--server-url and --server-port go with --server-cmd; a --target carries its own URL');
    const map = parseTargets(targets);
    for (const t of transports ?? []) if (!map.has(t)) throw new UsageError(`--transports names ${t}, but no --target gives its server`);
    const chosen = transports ?? [...map.keys()];
    return { plan: { kind: 'targets', targets: map, ...(token === undefined ? {} : { token }) }, transports: chosen };
  }
  if (f.serverCmd === undefined) {
    if (f.serverUrl !== undefined || f.serverPort !== undefined) throw new UsageError('--server-url and --server-port need --server-cmd');
    return transports === undefined ? {} : { transports };
  }
  if (f.serverCmd.trim() === '') throw new UsageError('--server-cmd needs a command, got ""');
  if ((f.serverUrl === undefined) === (f.serverPort === undefined)) throw new UsageError('--server-cmd needs where the server listens: --server-url URL or --server-port N (one of them)');
  if (transports === undefined) throw new UsageError('--server-cmd needs --transports naming the transports your server offers, e.g. --transports sse,ws');
  const url = f.serverUrl !== undefined ? checkUrl('--server-url', f.serverUrl) : `http://127.0.0.1:${parseIntIn('--server-port', f.serverPort ?? '', 1, 65_535)}`;
  return { plan: { kind: 'command', command: f.serverCmd, url, portOnly: f.serverUrl === undefined, ...(token === undefined ? {} : { token }) }, transports };
}

/** The URL of each transport's server under `plan` (for the result's `targets`). */
export function targetUrls(plan: ServerPlan, transports: readonly Transport[]): Partial<Record<Transport, string>> {
  return Object.fromEntries(transports.map((t) => [t, plan.kind === 'targets' ? plan.targets.get(t) : plan.url]));
}

/**
 * Checks the contract of every transport's server before any round: each target as it runs, or the server
 * command started once for the check. Throws one sentence naming the first rule broken.
 */
export async function checkBeforeRounds(plan: ServerPlan, transports: readonly Transport[], say: (line: string) => void): Promise<void> {
  const started = plan.kind === 'command' ? await startServerCommand(plan.command, plan.url, plan.portOnly) : undefined;
  try {
    for (const t of transports) {
      const url = plan.kind === 'targets' ? (plan.targets.get(t) as string) : plan.url;
      const outcome = await checkContract(url, t, plan.token);
      if (!outcome.ok) throw new RtbenchError('ESERVER', `the ${t} server at ${url} breaks the contract, so no round was run: ${outcome.rule}`);
      say(`rtbench: ${t} server at ${url} passes the contract check (${outcome.rules} rules)\n`);
    }
  } finally {
    await started?.stop();
  }
}

/** The server source of the flags, after the contract check (unless --no-check); undefined when rtbench spawns its own. */
export async function prepareServers(plan: ServerPlan | undefined, transports: readonly Transport[], f: ServerFlags, say: (line: string) => void): Promise<ServerSource | undefined> {
  if (!plan) return undefined;
  if (f.check !== false) await checkBeforeRounds(plan, transports, say);
  return serverSource(plan);
}
