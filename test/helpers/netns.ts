// A minimal star of network namespaces for tests: one hub namespace (the server's host) joined to each spoke
// namespace (a shard's host) by its own veth pair, 10.231.K.1 (hub side) <-> 10.231.K.2 (spoke K). Every name
// starts with "rtb"; everything is removed again by remove(), on exit and on SIGINT/SIGTERM/SIGHUP (lib/cleanup.ts).
import { execFileSync } from 'node:child_process';
import { onCleanup } from '../../lib/cleanup.ts';

/** A created star: namespace names, and the hub's address as seen from spoke k. */
export interface Star {
  hub: string;
  spokes: string[];
  /** The hub's address on spoke k's link. */
  hubAddress(k: number): string;
  remove(): void;
}

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

/** True when this process may create namespaces (root with iproute2). */
export function canCreateNamespaces(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Creates the hub and `n` spokes (at most 50), each spoke linked to the hub by a veth pair. */
export function createStar(n: number): Star {
  const tag = `rtb${process.pid % 100000}`;
  const hub = `${tag}h`;
  const spokes = Array.from({ length: n }, (_, k) => `${tag}s${k}`);
  const all = [hub, ...spokes];
  const remove = (): void => {
    for (const ns of all) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // already gone
      }
    }
  };
  const unhook = onCleanup(remove);
  try {
    for (const ns of all) {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    spokes.forEach((ns, k) => {
      // Created in the spoke, one end moved to the hub: the names only have to be unique per namespace.
      ip('-n', ns, 'link', 'add', `${tag}a${k}`, 'type', 'veth', 'peer', 'name', `${tag}b${k}`, 'netns', hub);
      ip('-n', ns, 'addr', 'add', `10.231.${k}.2/30`, 'dev', `${tag}a${k}`);
      ip('-n', ns, 'link', 'set', `${tag}a${k}`, 'up');
      ip('-n', hub, 'addr', 'add', `10.231.${k}.1/30`, 'dev', `${tag}b${k}`);
      ip('-n', hub, 'link', 'set', `${tag}b${k}`, 'up');
    });
  } catch (err) {
    remove();
    throw err;
  }
  return {
    hub,
    spokes,
    hubAddress: (k) => `10.231.${k}.1`,
    remove: () => {
      remove();
      unhook();
    },
  };
}
