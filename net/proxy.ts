// A real reverse proxy in front of one reference server: nginx (two generated configs) or HAProxy, started as a
// child process in the foreground with its config, pid file and logs in a fresh temporary directory, listening on
// 127.0.0.1 (or `host`), and stopped again with every process it started: on stop(), when it fails to start, and
// when rtbench exits however it exits (like the server and client processes, lib/children.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { onCleanup } from '../lib/cleanup.ts';
import { RtbenchError } from '../lib/errors.ts';
import { FD_RESERVE, machineLimits } from '../lib/limits.ts';
import type { OpenPath, PathRecord, Upstream, Via } from './path.ts';

/** A via that is a proxy. */
export type ProxyVia = Exclude<Via, 'direct'>;

/** proxy_read_timeout of nginx-default: nginx's own default, which tutorial configs keep, ms. */
export const DEFAULT_READ_TIMEOUT_MS = 60_000;
/** The idle timeout of nginx-tuned and HAProxy: far above any heartbeat or long-poll wait, ms. */
export const TUNED_READ_TIMEOUT_MS = 3_600_000;
/**
 * Files a proxy process may open: the hard open-file limit it can raise itself to (at most 65 536), so that the
 * proxy is not what limits a run. Each proxied connection takes two (client side and server side).
 */
export function proxyFileLimit(): number {
  return Math.min(65_536, machineLimits().openFiles?.hard ?? 20_000);
}
/** Idle keep-alive connections to the server each nginx worker keeps for reuse. */
export const UPSTREAM_KEEPALIVE = 64;

/** How long a proxy has to accept connections after it was started, ms. */
const START_TIMEOUT_MS = 10_000;
/** Attempts with a fresh port when the one picked was taken in the meantime. */
const PORT_ATTEMPTS = 5;

/** Options of a proxy. */
export interface ProxyOptions {
  /** The idle timeout towards the server (nginx proxy_read_timeout, HAProxy timeout server/tunnel), ms; default per config. */
  readTimeoutMs?: number;
  /** Run the proxy inside this network namespace (`ip netns exec NAME ...`). */
  netns?: string;
  /** Address the proxy listens on (default 127.0.0.1); it must be reachable from rtbench's own namespace. */
  host?: string;
}

/** A proxy that runs. */
export interface RunningProxy extends OpenPath {
  /** The proxy's main process id (its process group, for nginx with its workers). */
  readonly pid: number;
  /** Where its config, pid file and logs are (removed on stop). */
  readonly dir: string;
  /** Resolves with a sentence when the proxy exits without stop() having been called. */
  readonly exited: Promise<string>;
}

/** One proxy program: its binary, the package that ships it, how it is run and how its config is written. */
interface Program {
  binary: 'nginx' | 'haproxy';
  /** The Debian package. */
  pkg: string;
  /** Its name and version, e.g. nginx/1.22.1. */
  version(bin: string): string;
  args(dir: string, confPath: string): string[];
  config(dir: string, listen: { host: string; port: number }, upstream: Upstream, readTimeoutMs: number): string;
}

const running = new Set<RunningProxy & { kill(): void }>();

/** nginx's config for `via` (both share everything but buffering and timeouts). */
export function nginxConfig(via: 'nginx-default' | 'nginx-tuned', dir: string, listen: { host: string; port: number }, upstream: Upstream, readTimeoutMs: number): string {
  const tuned = via === 'nginx-tuned';
  const s = Math.max(1, Math.ceil(readTimeoutMs / 1000));
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `# rtbench ${via}: generated for one run, ${tuned ? 'tuned for streams (buffering off, timeouts above the heartbeat)' : 'as a typical tutorial config leaves it (buffering on, 60 s read timeout)'}
daemon off;
master_process on;
worker_processes 1;
${user}pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_rlimit_nofile ${proxyFileLimit()};
events {
  worker_connections ${proxyFileLimit() - FD_RESERVE};
}
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy_temp;
  fastcgi_temp_path ${dir}/fastcgi_temp;
  uwsgi_temp_path ${dir}/uwsgi_temp;
  scgi_temp_path ${dir}/scgi_temp;
  # WebSocket: pass the upgrade on; every other request keeps its upstream connection alive (Connection "").
  map $http_upgrade $connection_upgrade {
    default upgrade;
    '' '';
  }
  upstream rtbench_server {
    server ${upstream.host}:${upstream.port};
    keepalive ${UPSTREAM_KEEPALIVE};
  }
  server {
    listen ${listen.host}:${listen.port};
    location / {
      proxy_pass http://rtbench_server;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
${
  tuned
    ? `      # Streams pass through as they are written, requests too; nothing idles out before a heartbeat comes.
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout ${s}s;
      proxy_send_timeout ${s}s;
`
    : `      # nginx's defaults, spelled out: responses buffered (unless the server sends X-Accel-Buffering: no),
      # a connection with nothing from the server for ${s} s is closed.
      proxy_buffering on;
      proxy_read_timeout ${s}s;
`
}    }
  }
}
`;
}

/** HAProxy's config: HTTP mode, connections to the server reused, no send delay, timeouts above any heartbeat. */
export function haproxyConfig(dir: string, listen: { host: string; port: number }, upstream: Upstream, readTimeoutMs: number): string {
  return `# rtbench haproxy: generated for one run (HTTP mode, server connections reused, no send delay, timeouts above the heartbeat)
global
  maxconn ${Math.floor((proxyFileLimit() - FD_RESERVE) / 2)}
  pidfile ${dir}/haproxy.pid
defaults
  mode http
  timeout connect 5s
  timeout http-request 10s
  timeout http-keep-alive 75s
  # Idle limits: a response (an SSE or NDJSON stream, a held long poll) and a WebSocket tunnel.
  timeout client ${readTimeoutMs}ms
  timeout server ${readTimeoutMs}ms
  timeout tunnel ${readTimeoutMs}ms
frontend rtbench_in
  bind ${listen.host}:${listen.port}
  default_backend rtbench_server
backend rtbench_server
  http-reuse safe
  # Send each chunk at once: by default HAProxy asks the kernel to wait for more data (MSG_MORE), which held
  # every SSE and NDJSON event back by about 90 ms here.
  option http-no-delay
  server s1 ${upstream.host}:${upstream.port}
`;
}

const NGINX: Omit<Program, 'config'> = {
  binary: 'nginx',
  pkg: 'nginx',
  // nginx -v writes "nginx version: nginx/1.22.1" (to stderr).
  version: (bin) => /nginx\/[\w.]+/.exec(outputOf(bin, ['-v']))?.[0] ?? 'nginx',
  args: (dir, conf) => ['-p', `${dir}/`, '-e', `${dir}/error.log`, '-c', conf],
};

const PROGRAMS: Record<ProxyVia, Program> = {
  'nginx-default': { ...NGINX, config: (dir, listen, up, t) => nginxConfig('nginx-default', dir, listen, up, t) },
  'nginx-tuned': { ...NGINX, config: (dir, listen, up, t) => nginxConfig('nginx-tuned', dir, listen, up, t) },
  haproxy: {
    binary: 'haproxy',
    pkg: 'haproxy',
    version: (bin) => {
      const v = /HAProxy version ([\d.]+)/.exec(outputOf(bin, ['-v']))?.[1];
      return v === undefined ? 'haproxy' : `haproxy/${v}`;
    },
    // -db: stay in the foreground, one process.
    args: (_dir, conf) => ['-db', '-f', conf],
    config: haproxyConfig,
  },
};

/** The default idle timeout of `via`, ms. */
export function defaultReadTimeoutMs(via: ProxyVia): number {
  return via === 'nginx-default' ? DEFAULT_READ_TIMEOUT_MS : TUNED_READ_TIMEOUT_MS;
}

/** What `bin args` writes to stdout and stderr. */
function outputOf(bin: string, args: string[]): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 5000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

/** Where proxies are looked for: PATH, then /usr/local/sbin, /usr/sbin and /sbin (where Debian puts daemons). */
function searchDirs(): string[] {
  return [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
}

/** The path of the executable `name` in `dirs`, or undefined. */
export function findBinary(name: string, dirs: readonly string[] = searchDirs()): string | undefined {
  for (const d of dirs) {
    if (!d) continue;
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

const versions = new Map<string, string>();

/**
 * The binary (looked for in `dirs`) and version of `via`'s program; throws one sentence naming the install command
 * when it is missing.
 */
export function proxyProgram(via: ProxyVia, dirs: readonly string[] = searchDirs()): { bin: string; version: string } {
  const p = PROGRAMS[via];
  const bin = findBinary(p.binary, dirs);
  if (bin === undefined) throw new RtbenchError('ESERVER', `--via ${via} needs ${p.binary}, which is not installed; install it with: apt-get install -y ${p.pkg}`);
  let version = versions.get(bin);
  if (version === undefined) {
    version = p.version(bin);
    versions.set(bin, version);
  }
  return { bin, version };
}

/** A port that was free on `host` a moment ago (the OS picks it; it is released at once for the proxy to bind). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** True once something accepts a TCP connection on host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The last non-empty line of `file` (nginx's error log), or ''. */
function lastLine(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return (lines[lines.length - 1] ?? '').replace(/^\S+ \S+ \[\w+\] \d+#\d+: /, '');
  } catch {
    return '';
  }
}

/** Kills the process group of `pid` (the proxy and any worker it forked); ignores one that is gone. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Stops every proxy still running and removes its directory, synchronously (for exit and signal handlers). */
function killAll(): void {
  for (const p of running) {
    p.kill();
    rmSync(p.dir, { recursive: true, force: true });
  }
}

/**
 * Starts `via` in front of `upstream` and resolves once it accepts connections. The config is generated into a
 * fresh temporary directory (removed on stop); a port taken between picking and binding is retried with another.
 */
export async function startProxy(via: ProxyVia, upstream: Upstream, opts: ProxyOptions = {}): Promise<RunningProxy> {
  const { bin, version } = proxyProgram(via);
  const host = opts.host ?? '127.0.0.1';
  const readTimeoutMs = opts.readTimeoutMs ?? defaultReadTimeoutMs(via);
  let lastError = '';
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    // Inside a namespace the listen address exists only there: a port free on the host's loopback is one the fresh
    // namespace (which holds only the server) almost surely has free too, and "in use" is retried anyway.
    const port = await freePort(opts.netns === undefined ? host : '127.0.0.1');
    const dir = mkdtempSync(join(tmpdir(), `rtbench-${via}-`));
    const conf = join(dir, `${PROGRAMS[via].binary}.conf`);
    const config = PROGRAMS[via].config(dir, { host, port }, upstream, readTimeoutMs);
    writeFileSync(conf, config);
    const [cmd, args] = opts.netns === undefined ? [bin, PROGRAMS[via].args(dir, conf)] : ['ip', ['netns', 'exec', opts.netns, bin, ...PROGRAMS[via].args(dir, conf)]];
    const started = await launch(via, cmd, args, dir, { host, port }, { via, proxy: version, proxyConfig: config });
    if ('proxy' in started) return started.proxy;
    lastError = started.error;
    if (!/in use/i.test(lastError)) break;
  }
  throw new RtbenchError('ESERVER', `${via} did not start: ${lastError}`);
}

/** Runs one attempt: the proxy, or why it did not come up (its process and directory are gone then). */
async function launch(via: ProxyVia, cmd: string, args: string[], dir: string, listen: { host: string; port: number }, record: PathRecord): Promise<{ proxy: RunningProxy } | { error: string }> {
  onCleanup(killAll);
  // Its own process group: Ctrl-C at the terminal reaches rtbench only, which stops the proxy in order; and the
  // group is what is killed, nginx's workers with it.
  const child: ChildProcess = spawn(cmd, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => (stderr = (stderr + c).slice(-4096)));
  let stopping = false;
  let gone = false;
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const why = (): string => {
    const said = lastLine(join(dir, 'error.log')) || stderr.trim().split('\n').pop() || '';
    return said.replace(/\s+/g, ' ').trim();
  };
  const pid = child.pid ?? 0;
  const cleanUp = (): void => rmSync(dir, { recursive: true, force: true });
  const kill = (): void => {
    if (pid > 0) killGroup(pid, 'SIGKILL');
  };
  const exited = closed.then(({ code, signal, error }) => {
    gone = true;
    return error ? `${via} could not be run: ${error.message}` : `${via} exited mid-run (${signal !== null ? `signal ${signal}` : `code ${code}`})${why() ? `: ${why()}` : ''}`;
  });
  const proxy: RunningProxy & { kill(): void } = {
    url: `http://${listen.host}:${listen.port}`,
    record,
    pid,
    dir,
    exited: new Promise((resolve) => void exited.then((reason) => !stopping && resolve(reason))),
    kill,
    async stop() {
      if (stopping) return;
      stopping = true;
      running.delete(proxy);
      // nginx: TERM is its fast shutdown (the master stops its workers first); HAProxy stops on TERM too.
      if (!gone) killGroup(pid, 'SIGTERM');
      await Promise.race([exited, delay(3000)]);
      kill();
      await Promise.race([exited, delay(2000)]);
      cleanUp();
    },
  };
  running.add(proxy);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (gone) {
      const error = (await exited).replace(/^.*?exited mid-run/, 'it exited');
      stopping = true;
      running.delete(proxy);
      kill();
      cleanUp();
      return { error };
    }
    if (await accepts(listen.host, listen.port)) return { proxy };
    if (Date.now() > deadline) {
      await proxy.stop();
      return { error: `it accepted no connection on ${listen.host}:${listen.port} within ${START_TIMEOUT_MS} ms${why() ? ` (${why()})` : ''}` };
    }
    await delay(20);
  }
}
