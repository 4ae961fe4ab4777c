// `rtbench shard-server` and `rtbench shard i/N URL`: one run split over separate processes on any hosts. The
// shard server spawns the reference server and publishes once every shard's clients are connected; each shard
// (`rtbench compare --shard i/N --target T=URL`, or its shorthand `rtbench shard i/N URL`) connects its share,
// measures the window the seqs define and writes a partial result for `rtbench merge`.
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { isLoopback } from '../servers/control.ts';
import { Interrupted, RtbenchError, UsageError } from '../lib/errors.ts';
import type { ScenarioOptions } from '../lib/options.ts';
import { parseIntIn } from '../lib/validate.ts';
import type { Transport } from '../lib/transports.ts';
import { loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { spawnServer, urlHost } from '../servers/spawn.ts';
import { SHARD_SERVER_LINGER_MS, checkShardable, coordinate, parseShard, shardPlan } from '../driver/shards.ts';
import { addScenarioFlags, executeRuns, overridesFrom, profileFrom, type ScenarioFlags } from './run.ts';
import { shardRunner } from './shard-flag.ts';

/** The fan-out options the flags give (the same on the server and every shard, so they derive the same plan). */
function shardOptions(flags: ScenarioFlags, cmd: Command): ScenarioOptions {
  const { overrides, transports } = overridesFrom(flags, cmd);
  const o = resolveOptions(loadBuiltin('fanout'), profileFrom(flags), overrides, transports);
  checkShardable(o);
  return o;
}

/** Registers `rtbench shard` and `rtbench shard-server`. */
export function registerShard(program: Command): void {
  addScenarioFlags(
    program
      .command('shard')
      .description("shorthand for rtbench compare --shard i/N --target TRANSPORT=URL: run shard i of N of a fan-out run against a shared server (rtbench shard-server) and write the shard's partial result; merge them with rtbench merge")
      .argument('<i/N>', 'which shard, 0-based: 0/3, 1/3, 2/3')
      .argument('<url>', 'the shared server, as rtbench shard-server printed it, e.g. http://10.0.0.5:8080'),
  ).action(async (spec: string, url: string, flags: ScenarioFlags, cmd: Command) => {
    if (flags.target !== undefined || flags.serverCmd !== undefined || flags.serverUrl !== undefined || flags.serverPort !== undefined) {
      throw new UsageError('rtbench shard takes the shard server as its URL argument, so --target, --server-cmd, --server-url and --server-port do not apply');
    }
    const shard = parseShard('the shard', spec);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.protocol !== 'http:') throw new UsageError(`the server URL must be http://HOST:PORT, got "${url}"`);
    const options = shardOptions(flags, cmd);
    const target = { shard, url: parsed.origin, transport: options.transports[0] as Transport };
    await executeRuns([options], flags, undefined, shardRunner(target, [options], flags));
  });

  addScenarioFlags(
    program
      .command('shard-server')
      .description(`serve one transport for a sharded run: publish the run's events once every shard's clients are connected, then exit when they have all left (answering their last requests for ${SHARD_SERVER_LINGER_MS / 1000} s more)`)
      .option('--host <addr>', 'address to listen on; beyond loopback (e.g. 0.0.0.0) /stats and the other control endpoints need the control token it prints', '127.0.0.1')
      .option('--port <n>', 'port (0: an ephemeral one)', '0'),
  ).action(async (flags: ScenarioFlags & { host: string; port: string }, cmd: Command) => {
    const o = shardOptions(flags, cmd);
    const port = parseIntIn('--port', flags.port, 0, 65_535);
    // Beyond loopback the control endpoints take a token: --control-token, RTBENCH_CONTROL_TOKEN, or a random one.
    const given = flags.controlToken ?? (process.env.RTBENCH_CONTROL_TOKEN || undefined);
    const token = given ?? (isLoopback(flags.host) ? '' : randomBytes(16).toString('base64url'));
    await shardServer(o, flags.host, port, token);
  });
}

async function shardServer(o: ScenarioOptions, host: string, port: number, controlToken: string): Promise<void> {
  const transport = o.transports[0] as Transport;
  const plan = shardPlan(o);
  let server;
  try {
    server = await spawnServer({ transport, host, port, retention: plan.lastSeq + 1000, retentionBytes: Number.MAX_SAFE_INTEGER, wsCompression: o.wsCompression, sseRetryMs: o.sseRetryMs, maxQueuedBytes: o.maxQueuedBytes, controlToken });
  } catch (err) {
    throw new RtbenchError('ESERVER', err instanceof Error ? err.message : String(err));
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const url = `http://${urlHost(host)}:${server.port}`;
  // A wildcard address is no URL for another host: name the addresses this machine can be reached on.
  const wildcard = host === '0.0.0.0' || host === '::';
  const others = wildcard
    ? Object.values(networkInterfaces())
        .flat()
        .flatMap((a) => (a && !a.internal && (host === '::' || a.family === 'IPv4') ? [`http://${urlHost(a.address)}:${server.port}`] : []))
    : [];
  try {
    process.stdout.write(`rtbench shard-server: ${transport} for ${o.clients} clients, ${plan.lastSeq} events at ${o.rate}/s (window: seqs ${plan.windowFromSeq}..${plan.windowToSeq})\nurl: ${url}\n`);
    if (wildcard) process.stdout.write(`listening on ${host}: from other hosts use this machine's address${others.length > 0 ? `, e.g. ${others.join(' or ')}` : ''}\n`);
    if (controlToken !== '') process.stdout.write(`control token: ${controlToken}\n  (rtbench compare --shard i/N --target ${transport}=URL --control-token TOKEN, or RTBENCH_CONTROL_TOKEN=TOKEN)\n`);
    const died = server.exited.then((e) => {
      // Ctrl-C reaches the server process too: its exit then is the interruption's, not a failure.
      if (controller.signal.aborted) return;
      throw new RtbenchError('ESERVER', `${transport} server exited (${e.signal ?? `code ${e.code}`})${e.reason === undefined ? '' : `: ${e.reason}`}`);
    });
    const s = server;
    const run = async (): Promise<void> => {
      const done = await coordinate(s, o, controller.signal, (have) => process.stderr.write(`rtbench shard-server: ${have} of ${o.clients} clients connected\n`)).catch((err: unknown) => {
        if (controller.signal.aborted) return undefined;
        throw err;
      });
      if (!done) return;
      const { lastSeq } = done;
      process.stdout.write(`published ${lastSeq} events; waiting for the shards to leave\n`);
      // The run is over once every shard's clients have left (they stay until their drain ends) and the shards have
      // read their final /stats, which each does right after its own clients close.
      for (;;) {
        if (controller.signal.aborted) return;
        const st = await s.stats();
        if (st.connectionsOpen === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      process.stdout.write(`every shard's clients have left; answering the shards' last requests for ${SHARD_SERVER_LINGER_MS / 1000} s\n`);
      // Ctrl-C cuts the wait short (the rejection is the abort's, reported below as the interruption).
      await delay(SHARD_SERVER_LINGER_MS, undefined, { signal: controller.signal }).catch(() => undefined);
    };
    await Promise.race([run(), died]);
    if (controller.signal.aborted) throw new Interrupted('interrupted');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    await server.stop();
  }
}
