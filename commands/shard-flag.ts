// `--shard i/N` of `rtbench compare` and `rtbench run`: the run is shard i of N of a fan-out run against a shard
// server (`rtbench shard-server`) given by its one --target, and writes the shard's partial result for
// `rtbench merge`. `rtbench shard i/N URL` is a shorthand for it and runs the same code (shardRunner).
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.ts';
import type { ScenarioOptions } from '../lib/options.ts';
import type { ShardSpec } from '../lib/result.ts';
import type { Transport } from '../lib/transports.ts';
import { parseIntIn } from '../lib/validate.ts';
import { checkShardable, parseShard, runShard } from '../driver/shards.ts';
import { parseTargets } from '../driver/targets.ts';
import type { Runner, ScenarioFlags } from './run.ts';

/** Tests only: shifts a shard's client processes' clocks by this many µs, as if they ran on another host. */
export const CLOCK_SKEW_VAR = 'RTBENCH_TEST_CLOCK_SKEW_US';

/** A shard's run: which shard, the shard server's base URL and its transport. */
export interface ShardTarget {
  shard: ShardSpec;
  url: string;
  transport: Transport;
}

/** Adds --shard to `cmd`. */
export function addShardFlag(cmd: Command): Command {
  return cmd.option('--shard <i/N>', 'run shard i of N (0-based: 0/3, 1/3, 2/3) of a fan-out run against the shard server (rtbench shard-server) given by one --target, and write its partial result for rtbench merge (no contract check: it would publish on the fresh server)');
}

/**
 * The shard run the flags ask for (undefined without --shard): one --target, no --server-cmd, the shard as i/N.
 * `transports` are the --transports given, which must be the target's. One sentence per bad combination.
 */
export function shardTargetFrom(f: ScenarioFlags, transports: Transport[] | undefined): ShardTarget | undefined {
  const raw = f.shard;
  if (typeof raw !== 'string') return undefined;
  if (f.serverCmd !== undefined) throw new UsageError('--shard and --server-cmd exclude each other: a shard measures a shard server (rtbench shard-server) given by --target TRANSPORT=URL');
  const targets = f.target ?? [];
  if (targets.length === 0) throw new UsageError('--shard needs --target TRANSPORT=URL naming the shard server (rtbench shard-server), e.g. --target sse=http://10.0.0.5:8080');
  if (targets.length > 1) throw new UsageError(`--shard runs against one shard server, so it takes one --target; got ${targets.length}`);
  if (f.serverUrl !== undefined || f.serverPort !== undefined) throw new UsageError('--server-url and --server-port go with --server-cmd; a --target carries its own URL');
  const shard = parseShard('--shard', raw);
  const [[transport, url]] = [...parseTargets(targets)] as [[Transport, string]];
  if (transports !== undefined && (transports.length !== 1 || transports[0] !== transport)) throw new UsageError(`--transports must be the --target's transport in a sharded run (${transport}), got --transports ${transports.join(',')}`);
  return { shard, url, transport };
}

/**
 * The runner of a shard's run over `runs` (checked first: one fan-out scenario that can run sharded), presenting
 * --control-token or $RTBENCH_CONTROL_TOKEN on its control requests.
 */
export function shardRunner(target: ShardTarget, runs: readonly ScenarioOptions[], f: ScenarioFlags): Runner {
  if (runs.length !== 1) throw new UsageError(`a shard server serves one run, so --shard takes one scenario; got ${runs.length}`);
  const o = runs[0] as ScenarioOptions;
  if (o.kind !== 'fanout') throw new UsageError(`--shard runs fan-out scenarios only, but "${o.scenario}" is a ${o.kind} scenario`);
  checkShardable(o);
  const rawSkew = process.env[CLOCK_SKEW_VAR];
  const skewUs = rawSkew === undefined ? undefined : parseIntIn(CLOCK_SKEW_VAR, rawSkew, -1e12, 1e12);
  const token = f.controlToken ?? (process.env.RTBENCH_CONTROL_TOKEN || undefined);
  return (options, hooks) => runShard(options, target.shard, target.url, hooks, skewUs, token);
}
