// Child-process entry of a link's relay: `node [--import tsx] net/relay-host.{ts,js} '<RelayOptions JSON>'`. It
// runs in its own process so its timing spin and copying take no CPU from the clients' process. Reports readiness
// over IPC, answers stats requests, and exits on SIGTERM or when its parent goes away.
import { Relay, type RelayOptions, type RelayStats } from './relay.ts';
import { CHILD_FAILURE_PREFIX, failWithOneLine, oneSentence } from '../lib/child-failure.ts';

/** Parent -> relay process. */
export type RelayRequest = { type: 'stats'; id: number };

/** Relay process -> parent. */
export type RelayReply = { type: 'ready'; port: number } | { type: 'failed'; error: string } | { type: 'stats'; id: number; stats: RelayStats };

const send = (msg: RelayReply): void => {
  if (process.send) process.send(msg);
};

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as RelayOptions;
  failWithOneLine('link relay');
  // Ctrl-C reaches the whole process group; the parent decides when the relay stops.
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  const relay = new Relay(options);
  const port = await relay.listen();
  const shutdown = (): void => {
    void relay.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown);
  process.on('message', (msg: RelayRequest) => {
    if (msg.type === 'stats') send({ type: 'stats', id: msg.id, stats: relay.stats() });
  });
  send({ type: 'ready', port });
}

main().catch((err: unknown) => {
  send({ type: 'failed', error: oneSentence(err) });
  process.stderr.write(`${CHILD_FAILURE_PREFIX}link relay failed to start: ${oneSentence(err)}\n`);
  process.exit(1);
});
