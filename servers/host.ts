// Child-process entry of one reference server: `node [--import tsx] servers/host.{ts,js} '<ServerOptions JSON>'`.
// Reports readiness over IPC (or prints the URL without IPC) and exits when its parent goes away.
import { startServer } from './server.ts';
import type { ServerOptions } from './options.ts';
import { TLS_ENV, type TlsMaterial } from '../lib/tls.ts';
import type { ServerReply, ServerRequest } from './ipc.ts';
import { saveState } from './handover.ts';
import { nowUs } from '../lib/clock.ts';
import { CHILD_FAILURE_PREFIX, failWithOneLine, oneSentence } from '../lib/child-failure.ts';

const send = (msg: ServerReply): void => {
  if (process.send) process.send(msg);
};

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as Partial<ServerOptions> & Pick<ServerOptions, 'transport'> & { publishRate?: number; payloadBytes?: number; standby?: boolean };
  // The control token comes in the environment, not on the command line where `ps` shows it to every user.
  const token = process.env.RTBENCH_CONTROL_TOKEN;
  if (token !== undefined && token !== '') options.controlToken = token;
  failWithOneLine(`${options.transport} server`);
  const tls = process.env[TLS_ENV];
  if (tls !== undefined) {
    options.tls = JSON.parse(tls) as TlsMaterial;
    delete process.env[TLS_ENV];
  }
  // Ctrl-C (and a closed terminal's SIGHUP) reaches the whole process group; the parent decides when servers stop.
  if (process.send) {
    process.on('SIGINT', () => {});
    process.on('SIGHUP', () => {});
  }
  // A standby process (a restart's replacement) is loaded ahead and starts when told to, so a restart's outage is
  // what was asked, not a process's start.
  if (options.standby === true) {
    await new Promise<void>((resolve) => {
      const onMessage = (msg: ServerRequest): void => {
        if (msg.type !== 'take-over') return;
        process.off('message', onMessage);
        resolve();
      };
      process.on('message', onMessage);
      send({ type: 'standing-by' });
    });
  }
  const server = await startServer(options);
  const control = server.control;
  if (options.publishRate && options.publishRate > 0) {
    void control.start({ rate: options.publishRate, count: Infinity, payloadBytes: options.payloadBytes ?? 100 });
  }
  const shutdown = (): void => {
    control.stop();
    // The stream goes to the state file for the process that takes over (a restart); a failed write is said in one line.
    if (options.stateFile) {
      try {
        saveState(options.stateFile, server.hub);
      } catch (err) {
        process.stderr.write(`${CHILD_FAILURE_PREFIX}could not hand the stream over: ${oneSentence(err)}\n`);
      }
    }
    void server.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown);

  process.on('message', (msg: ServerRequest) => {
    switch (msg.type) {
      case 'publish':
        void control.start(msg.plan).then((done) => send({ type: 'published', id: msg.id, ...done }));
        break;
      case 'stop-at':
        control.stopAt(msg.endUs);
        send({ type: 'ok', id: msg.id });
        break;
      case 'window':
        control.window(msg.startUs, msg.endUs);
        send({ type: 'ok', id: msg.id });
        break;
      case 'stop-publisher':
        send({ type: 'published', id: msg.id, ...control.stop() });
        break;
      case 'reset-connections':
        send({ type: 'reset', id: msg.id, ...server.resetConnections(msg.fraction), atUs: nowUs() });
        break;
      case 'arrivals':
        if (!server.arrivals) send({ type: 'error', id: msg.id, error: 'this server does not record arrivals (recordArrivals is off)' });
        else send({ type: 'arrivals', id: msg.id, counts: server.arrivals.read(msg.fromUs, msg.bins) });
        break;
      case 'stats':
        if (msg.gc && typeof globalThis.gc === 'function') globalThis.gc();
        send({ type: 'stats', id: msg.id, stats: server.stats.snapshot(msg.reset, msg.histograms) });
        break;
    }
  });
  send({ type: 'ready', port: server.port, pid: process.pid });
  if (!process.send) process.stdout.write(`${options.transport} listening on ${server.url}\n`);
}

main().catch((err: unknown) => {
  send({ type: 'failed', error: oneSentence(err) });
  process.stderr.write(`${CHILD_FAILURE_PREFIX}server failed to start: ${oneSentence(err)}\n`);
  process.exit(1);
});
