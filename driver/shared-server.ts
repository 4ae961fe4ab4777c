// A server the run did not spawn (a shard's shared server, on this host or another), read over HTTP: GET /stats,
// with the control token when the shard server requires one (bound beyond loopback). The one place a shard talks to
// its server; it publishes nothing: the coordinator that spawned the server does (driver/shards.ts).
import { Client as UndiciClient } from 'undici';
import type { Transport } from '../lib/transports.ts';
import type { ServerProcess } from '../servers/spawn.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { CONTROL_HEADER } from '../servers/control.ts';

/** A ServerProcess over HTTP for a server another process runs: stats only (presenting `token` when given); the rest throws or does nothing. */
export function sharedServer(transport: Transport, url: string, token?: string): ServerProcess & { close(): Promise<void> } {
  const parsed = new URL(url);
  const headers: Record<string, string> = { [CONTROL_HEADER]: '1', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const http = new UndiciClient(parsed.origin, { pipelining: 1 });
  const notHere = (what: string): Promise<never> => Promise.reject(new Error(`a shard cannot ${what}: the server is shared, its coordinator publishes`));
  return {
    transport,
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: Number(parsed.port),
    pid: 0,
    resetConnections: () => notHere('reset connections'),
    arrivals: () => notHere('count arrivals'),
    url: parsed.origin,
    publish: () => notHere('publish'),
    publishUntilStopped: () => notHere('publish'),
    stopPublisherAt: () => notHere('stop the publisher'),
    stopPublisher: () => notHere('stop the publisher'),
    // The coordinator tells its server the window; each shard only learns it.
    window: () => Promise.resolve(),
    async stats(opts = {}) {
      const res = await http.request({ method: 'GET', path: opts.histograms ? '/stats?histograms=1' : '/stats', headers });
      if (res.statusCode === 401) {
        await res.body.dump();
        throw new ControlTokenRefused(`the shared server at ${parsed.origin} refused /stats: ${token ? 'the control token is wrong' : 'it needs the control token rtbench shard-server printed (--control-token or RTBENCH_CONTROL_TOKEN)'}`);
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`GET ${parsed.origin}/stats answered ${res.statusCode}`);
      }
      return (await res.body.json()) as StatsSnapshot;
    },
    exited: new Promise(() => undefined),
    stop: () => http.close().catch(() => undefined),
    close: () => http.close().catch(() => undefined),
  };
}

/** The shared server answered 401: retrying will not help. */
export class ControlTokenRefused extends Error {}
