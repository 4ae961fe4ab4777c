// A link between the clients and the server: delay and jitter from a relay process (net/relay.ts) on 127.0.0.1 in
// front of the server, bandwidth from the kernel. With a bandwidth limit the server sits in a network namespace of
// its own, across a veth pair shaped with tbf both ways (net/netns.ts), and the relay dials it over that veth:
//
//     clients -> relay (127.0.0.1, delay ± jitter) -> [veth, tbf each way] -> server (in its namespace)
//
// Without one, the relay dials the server on 127.0.0.1.
import type { ChildProcess } from 'node:child_process';
import { childFailure, exitAccount, forkModule } from '../lib/children.ts';
import type { FanoutOptions } from '../lib/options.ts';
import { NamespacesUnavailable, createNamespacePair, type NamespacePair } from './netns.ts';
import type { LinkSpec, OpenPath, PathRecord, Upstream } from './path.ts';
import type { RelayOptions, RelayStats } from './relay.ts';
import type { RelayReply, RelayRequest } from './relay-host.ts';

/** An open link: the path the clients use, what the relay carried, and when it died. */
export interface LinkPath extends OpenPath {
  readonly record: PathRecord & { link: LinkSpec };
  /** The relay's counters. */
  stats(): Promise<RelayStats>;
  /** Resolves (with why) if the relay process exits before stop(); never rejects. */
  readonly failed: Promise<string>;
}

/** Where the server (and anything in front of it on its side of the link) is to listen. */
export interface ServerPlace {
  /** Network namespace to run it in (absent: the host's). */
  netns?: string;
  /** Address to listen on. */
  host: string;
}

/** True when `spec` needs the server in a namespace of its own (bandwidth is limited). */
export function needsNamespace(spec: LinkSpec): boolean {
  return spec.bandwidthKbit > 0;
}

/**
 * Opens a link: makes the server's namespace when the bandwidth is limited, calls `start` to start the server
 * there (it resolves with the address it listens on), then puts the relay in front. stop() removes the relay and
 * the namespace; the caller stops what `start` started first.
 */
export async function openLink(spec: LinkSpec, start: (place: ServerPlace) => Promise<Upstream>): Promise<LinkPath> {
  let pair: NamespacePair | undefined;
  if (needsNamespace(spec)) pair = await createNamespacePair({ bandwidthKbit: spec.bandwidthKbit });
  try {
    const upstream = await start(pair ? { netns: pair.name, host: pair.nsAddress } : { host: '127.0.0.1' });
    const link = await startLink(spec, upstream);
    return {
      ...link,
      async stop() {
        await link.stop();
        await pair?.stop();
      },
    };
  } catch (err) {
    await pair?.stop();
    throw err;
  }
}

/** Starts the relay on 127.0.0.1, forwarding to `upstream` with `spec`'s delay and jitter. */
export function startLink(spec: LinkSpec, upstream: Upstream, startTimeoutMs = 10_000): Promise<LinkPath> {
  const options: RelayOptions = { upstream, rttMs: spec.rttMs, jitterMs: spec.jitterMs };
  const child = forkModule(new URL('./relay-host.ts', import.meta.url), [JSON.stringify(options)]);
  const exited = new Promise<string>((resolve) =>
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve(`the link relay exited${exitAccount(child, code, signal)}`)),
  );
  return new Promise<LinkPath>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the link relay did not report ready within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    const onMessage = (msg: RelayReply): void => {
      if (msg.type === 'ready') {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(wrap(child, spec, msg.port, exited));
      } else if (msg.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`the link relay failed to start: ${msg.error}`));
      }
    };
    child.on('message', onMessage);
    void exited.then((why) => {
      clearTimeout(timer);
      reject(new Error(childFailure(child) === undefined ? `${why} before it was ready` : why));
    });
  });
}

function wrap(child: ChildProcess, spec: LinkSpec, port: number, exited: Promise<string>): LinkPath {
  let stopping = false;
  let nextId = 1;
  const pending = new Map<number, (stats: RelayStats) => void>();
  child.on('message', (msg: RelayReply) => {
    if (msg.type !== 'stats') return;
    pending.get(msg.id)?.(msg.stats);
    pending.delete(msg.id);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    record: { via: 'direct', link: { ...spec } },
    failed: exited.then((why) => (stopping ? new Promise<string>(() => undefined) : why)),
    stats() {
      return new Promise((resolve, reject) => {
        if (!child.connected) return reject(new Error('the link relay is not running'));
        const id = nextId++;
        pending.set(id, resolve);
        child.send({ type: 'stats', id } satisfies RelayRequest);
        void exited.then((why) => reject(new Error(why)));
      });
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The link a run's options ask for (rtt, jitter, bandwidth, named profile), or undefined for none. */
export function linkSpecOf(o: Pick<FanoutOptions, 'link' | 'rttMs' | 'jitterMs' | 'bandwidthKbit'>): LinkSpec | undefined {
  const spec: LinkSpec = { rttMs: o.rttMs ?? 0, jitterMs: o.jitterMs ?? 0, bandwidthKbit: o.bandwidthKbit ?? 0 };
  if (spec.rttMs === 0 && spec.jitterMs === 0 && spec.bandwidthKbit === 0) return undefined;
  return o.link === undefined || o.link === 'loopback' ? spec : { profile: o.link, ...spec };
}

/** Refuses, before anything starts, a link that needs a namespace when this process is not root (one sentence). */
export function checkLinkAllowed(o: Pick<FanoutOptions, 'link' | 'rttMs' | 'jitterMs' | 'bandwidthKbit'>): void {
  const spec = linkSpecOf(o);
  if (spec !== undefined && needsNamespace(spec) && process.getuid?.() !== 0) throw new NamespacesUnavailable('it is not running as root');
}
