// `rtbench serve [transport...]`: start reference servers side by side and print their URLs; Ctrl-C stops them.
import type { Command } from 'commander';
import { parseIntIn, parseTransports } from '../lib/validate.ts';
import { spawnServer, type ServerProcess } from '../servers/spawn.ts';
import { TRANSPORTS, type Transport } from '../lib/transports.ts';
import { RtbenchError, UsageError } from '../lib/errors.ts';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { isLoopback } from '../servers/control.ts';
import { DEFAULT_MAX_QUEUED_BYTES } from '../servers/slow-consumer.ts';
import { DEFAULT_RETENTION_BYTES } from '../servers/options.ts';

interface ServeFlags {
  host: string;
  rate: string;
  payload: string;
  port: string;
  retention: string;
  retentionBytes: string;
  heartbeat: string;
  wsCompression: boolean;
  maxQueuedBytes: string;
}

const ENDPOINT: Record<Transport, string> = {
  'short-poll': '/poll?after=0',
  'long-poll': '/long-poll?after=0&wait=30000',
  ws: '/ws?after=0',
  sse: '/sse',
  'fetch-stream': '/stream',
  socketio: '/socket.io/ (Socket.IO: polling, then WebSocket)',
  'socketio-ws': '/socket.io/ (Socket.IO: WebSocket only)',
};

/** Registers `rtbench serve`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the reference servers (the five plain transports by default, Socket.IO when named) and print their URLs; Ctrl-C stops them')
    .argument('[transports...]', `transports to serve: ${TRANSPORTS.join(', ')}`)
    .option('--host <addr>', 'address to listen on; beyond loopback (e.g. 0.0.0.0) the control endpoints need the token printed at start', '127.0.0.1')
    .option('-r, --rate <n>', 'events each server publishes per second (0: only POST /publish)', '1')
    .option('-p, --payload <bytes>', 'payload bytes per event', '100')
    .option('--port <n>', 'first port; the others follow (0: ephemeral ports)', '0')
    .option('--retention <n>', 'events kept for resumption', '10000')
    .option('--retention-bytes <bytes>', 'most bytes of events kept for resumption (the oldest go first)', String(DEFAULT_RETENTION_BYTES))
    .option('--heartbeat <ms>', 'SSE heartbeat interval, ms', '15000')
    .option('--ws-compression', 'enable WebSocket per-message deflate', false)
    .option('--max-queued-bytes <bytes>', 'bytes one streaming subscriber may have queued before it is cut as a slow consumer (0: no bound)', String(DEFAULT_MAX_QUEUED_BYTES))
    .action(async (names: string[], flags: ServeFlags) => {
      const transports = parseTransports('transports', names);
      const rate = parseIntIn('--rate', flags.rate, 0, 100_000);
      const payloadBytes = parseIntIn('--payload', flags.payload, 0, 1_048_576);
      // The servers take `port`, `port + 1`, ...: the last one must still be a valid port (65535 at most).
      const port = parseIntIn('--port', flags.port, 0, 65_536 - transports.length);
      const retention = parseIntIn('--retention', flags.retention, 1, 10_000_000);
      const retentionBytes = parseIntIn('--retention-bytes', flags.retentionBytes, 0, 1_073_741_824);
      const heartbeatMs = parseIntIn('--heartbeat', flags.heartbeat, 100, 3_600_000);
      const maxQueuedBytes = parseIntIn('--max-queued-bytes', flags.maxQueuedBytes, 0, 1_073_741_824);
      if (isIP(flags.host.replace(/^\[|\]$/g, '')) === 0 && flags.host !== 'localhost') throw new UsageError(`--host must be an IP address such as 0.0.0.0 or 10.0.0.5, got "${flags.host}"`);
      await serve(transports, { host: flags.host.replace(/^\[|\]$/g, ''), rate, payloadBytes, port, retention, retentionBytes, heartbeatMs, wsCompression: flags.wsCompression, maxQueuedBytes });
    });
}

async function serve(
  transports: Transport[],
  o: { host: string; rate: number; payloadBytes: number; port: number; retention: number; retentionBytes: number; heartbeatMs: number; wsCompression: boolean; maxQueuedBytes: number },
): Promise<void> {
  // Beyond loopback anyone who reaches the port could publish or read the figures: the control endpoints take a
  // token, random unless RTBENCH_CONTROL_TOKEN gives one (so a script can know it in advance).
  const controlToken = process.env.RTBENCH_CONTROL_TOKEN || (isLoopback(o.host) ? '' : randomBytes(16).toString('base64url'));
  const servers: ServerProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> => (stopping ??= Promise.all(servers.map((s) => s.stop())).then(() => undefined));
  const onSignal = (): void => {
    process.stderr.write('\nstopping servers\n');
    void stopAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    for (const [i, transport] of transports.entries()) {
      servers.push(
        await spawnServer({
          transport,
          host: o.host,
          controlToken,
          port: o.port === 0 ? 0 : o.port + i,
          retention: o.retention,
          retentionBytes: o.retentionBytes,
          heartbeatMs: o.heartbeatMs,
          wsCompression: o.wsCompression,
          maxQueuedBytes: o.maxQueuedBytes,
          publishRate: o.rate,
          payloadBytes: o.payloadBytes,
        }),
      );
    }
  } catch (err) {
    await stopAll();
    throw new RtbenchError('ESERVER', err instanceof Error ? err.message : String(err));
  }
  const width = Math.max(...transports.map((t) => t.length));
  process.stdout.write(`rtbench reference servers (${o.rate > 0 ? `${o.rate} event(s)/s each` : 'publishing only on POST /publish'}); Ctrl-C stops them\n`);
  for (const s of servers) {
    const endpoint = s.transport === 'ws' ? `${s.url.replace(/^http/, 'ws')}${ENDPOINT.ws}` : `${s.url}${ENDPOINT[s.transport]}`;
    process.stdout.write(`  ${s.transport.padEnd(width)}  ${endpoint}   (also ${s.url}/publish, /stats, /time, /healthz)\n`);
  }
  if (controlToken !== '') {
    process.stdout.write(`listening on ${o.host}; the control endpoints (/publish, /stats, /publisher, /window) need the token:\n`);
    process.stdout.write(`  control token: ${controlToken}\n`);
    process.stdout.write(`  (rtbench compare --target TRANSPORT=URL --control-token TOKEN; other clients send Authorization: Bearer TOKEN)\n`);
  }
  // Stay up until a signal stops every server, or one of them dies.
  const died = Promise.race(servers.map((s) => s.exited.then((e) => ({ s, e }))));
  const first = await Promise.race([died, new Promise<undefined>((r) => process.once('SIGINT', () => r(undefined)))]);
  await stopAll();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (first && !stopping) {
    const how = first.e.signal !== null ? `signal ${first.e.signal}` : `code ${first.e.code}`;
    throw new RtbenchError('ESERVER', `${first.s.transport} server exited (${how})${first.e.reason === undefined ? '' : `: ${first.e.reason}`}`);
  }
}
