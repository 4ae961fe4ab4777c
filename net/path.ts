// The network path between the clients and a reference server: straight to it (loopback), through a real reverse
// proxy (net/proxy.ts), across a link with delay, jitter and limited bandwidth (net/link.ts), or both. The
// pipeline opens one path per transport after its server is up and points the clients at `path.url`; the result
// records what the path was (`PathRecord`).
import { startProxy } from './proxy.ts';

/** Where the clients' requests go before the server: straight to it, or through a reverse proxy and its config. */
export const VIAS = ['direct', 'nginx-default', 'nginx-tuned', 'haproxy'] as const;

/** One `--via` value. */
export type Via = (typeof VIAS)[number];

/** A link between the clients and the server (and its proxy): delay each way is half the RTT. */
export interface LinkSpec {
  /** The named profile it came from (lan, wan, mobile), if any. */
  profile?: string;
  /** Round trip the link adds, ms (each direction half of it). */
  rttMs: number;
  /** Up to this much more or less delay per direction, ms, with every byte kept in order. */
  jitterMs: number;
  /** Bandwidth each way, kbit/s (0: not limited). */
  bandwidthKbit: number;
}

/** What a run's path is. */
export interface PathSpec {
  via: Via;
  link?: LinkSpec;
  /** The proxy's idle timeout towards the server, ms (default: its config's). */
  readTimeoutMs?: number;
}

/** The address a server (or proxy) listens on, as seen from the hop in front of it. */
export interface Upstream {
  host: string;
  port: number;
}

/** The path as the result records it. */
export interface PathRecord {
  via: Via;
  /** The proxy's name and version as it reports them (e.g. "nginx/1.22.1"), when there is one. */
  proxy?: string;
  /** The proxy's generated configuration, verbatim. */
  proxyConfig?: string;
  link?: LinkSpec & {
    /** Round trips the clients measured across the path before the window, µs (min and median). */
    measuredRttMinUs?: number;
    measuredRttP50Us?: number;
    /** How late the link's relay released its chunks past their due times over the run, µs (p50, p99): its precision. */
    relayLateP50Us?: number;
    relayLateP99Us?: number;
  };
}

/** An open path: the URL the clients use, and how to take it down again. */
export interface OpenPath {
  /** e.g. http://127.0.0.1:43210 */
  readonly url: string;
  readonly record: PathRecord;
  /** Stops everything the path started (proxy, relay, namespace); safe to call twice. */
  stop(): Promise<void>;
  /** Resolves with a sentence when a process of the path (the proxy) ends on its own, before stop(). */
  readonly exited?: Promise<string>;
}

/** The address the hop in front of `path` connects to: where its URL points. */
export function upstreamOf(path: OpenPath): Upstream {
  const u = new URL(path.url);
  return { host: u.hostname, port: Number(u.port) };
}

/**
 * Opens the path `spec` to the server at `server`, hop by hop from the server outwards: the server itself, then the
 * proxy in front of it (`via`); a hop added later (a link) goes in front of the last one, taking `upstreamOf()` it.
 * A hop that fails to open stops the ones already open.
 */
export async function openPath(spec: PathSpec, server: Upstream): Promise<OpenPath> {
  const path = directPath(server);
  if (spec.via === 'direct') return path;
  return startProxy(spec.via, upstreamOf(path), spec.readTimeoutMs === undefined ? {} : { readTimeoutMs: spec.readTimeoutMs });
}

/** The direct path: the clients talk to the server itself. */
export function directPath(server: Upstream): OpenPath {
  return { url: `http://${server.host}:${server.port}`, record: { via: 'direct' }, stop: () => Promise.resolve() };
}
