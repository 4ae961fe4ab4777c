// The browser clients' host side: one headless Chromium with its pages, a client per subscription behind the
// Client contract (so a client process runs browser subscribers as it runs Node ones), and each page's clock
// aligned with the host's.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { nowUs } from '../../lib/clock.ts';
import { HIGHEST_TRACKABLE_US, createHistogram, encodeHistogram } from '../../lib/histogram.ts';
import { ORIGIN_DOMAIN, launchChromium, trustCertificateArg } from '../../lib/chromium.ts';
import type { BrowserClock } from '../../lib/result.ts';
import type { Transport } from '../../lib/transports.ts';
import type { Client, ClientOptions } from '../client.ts';
import { PAGE_HEADERS, PAGE_HTML } from './page.ts';

/** Subscribers one page holds (its main thread handles all of their events). */
export const SUBSCRIBERS_PER_PAGE = 25;
/**
 * Subscribers one Chromium holds: a browser profile opens at most 256 HTTP/1.1 sockets in all (and 255
 * WebSockets), so more would queue in the browser rather than measure the transport.
 */
export const SUBSCRIBERS_PER_BROWSER = 200;
export { HTTP1_CONNECTIONS_PER_ORIGIN, ORIGIN_DOMAIN } from '../../lib/chromium.ts';
/** Host-clock exchanges per page at each alignment. */
export const CLOCK_EXCHANGES = 100;

/** How a page's clock was aligned with the host's. */
export interface PageClock {
  /** Host µs minus the page's performance.now() µs, at the exchange with the shortest round trip. */
  offsetUs: number;
  /** That shortest round trip, µs. */
  bestRttUs: number;
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU (user + system) of every living descendant of `root`, µs, from /proc (Linux); undefined elsewhere. Chromium's
 * browser, GPU, network and renderer processes are all descendants of the process that launched it.
 */
export function descendantsCpuUs(root = process.pid): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const e of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command (which may hold spaces, in parentheses): state ppid ... utime(14) stime(15).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parent.set(Number(e), Number(f[1]));
    ticks.set(Number(e), Number(f[11]) + Number(f[12]));
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) {
        total += t;
        break;
      }
    }
  }
  return (total * 1e6) / USER_HZ;
}

/** The offset at the shortest round trip of `samples` ([before, after, hostNowUs], ms of performance.now() for the first two). */
export function alignClock(samples: readonly (readonly [number, number, number])[]): PageClock {
  let best: PageClock = { offsetUs: 0, bestRttUs: Infinity };
  for (const [before, after, hostUs] of samples) {
    const rttUs = (after - before) * 1000;
    if (rttUs < best.bestRttUs) best = { offsetUs: Math.round(hostUs - ((before + after) / 2) * 1000), bestRttUs: Math.round(rttUs) };
  }
  return best;
}

/** One page and the subscribers it holds. */
interface PageSlot {
  page: Page;
  clock: PageClock;
  /** Half the best round trip plus the timer resolution, µs. */
  uncertaintyUs: number;
  subscribers: number;
}

/** A subscription inside a page, behind the Client contract. */
class BrowserClient implements Client {
  lastSeq = 0;
  private closed = false;

  constructor(
    readonly transport: Transport,
    private readonly host: BrowserHost,
    private readonly slot: PageSlot,
    readonly id: number,
    readonly options: ClientOptions,
  ) {}

  async connect(): Promise<void> {
    const url = this.host.originFor(this.options.baseUrl, this.id);
    const o = { after: this.options.after ?? 0, pollIntervalMs: this.options.pollIntervalMs ?? 1000, pollPhaseMs: this.options.pollPhaseMs ?? 0, longPollWaitMs: this.options.longPollWaitMs ?? 30_000 };
    await this.slot.page.evaluate(([id, transport, u, opts]) => (window as unknown as PageApi).rtb.subscribe(id, transport, u, opts), [this.id, this.transport, url, o] as const);
  }

  /**
   * One delivery from the page: its seq, ts and receive time (ms of the page's performance.now()). A receive time
   * before `ts` by no more than the page's alignment uncertainty is taken as `ts` (latency 0) and counted; one
   * earlier still stays negative (an alignment that failed, which invalidates the run's latencies).
   */
  event(seq: number, ts: number, pageMs: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
    let at = Math.round(pageMs * 1000 + this.slot.clock.offsetUs);
    if (at < ts && ts - at <= this.slot.uncertaintyUs) {
      at = ts;
      this.host.clamped++;
    }
    this.options.sink.event(seq, ts, at);
  }

  /** A note from the page: a gap, a native reconnect (EventSource), or a failure. */
  note(kind: string, message: string): void {
    if (kind === 'gap') this.options.sink.gap();
    else if (kind === 'reconnect') this.host.reconnects++;
    else if (kind === 'error' && !this.closed) this.options.onError?.(new Error(message));
  }

  send(): Promise<void> {
    return Promise.reject(new Error('browser clients do not send upstream'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.slot.page.evaluate((id) => (window as unknown as PageApi).rtb.close(id), this.id).catch(() => undefined);
  }
}

/** A browser-limits subscription as its page sees it: time to subscribe (ms, null: not yet), a failure, the seqs received. */
export interface LimitStatus {
  id: number;
  connectMs: number | null;
  error: string | null;
  seqs: number[];
}

/** A page of its own for the browser-limits scenario: opens subscriptions all at once and reports on them. */
export interface LimitsPage {
  /** Opens subscriptions 1..n of `transport` to `url` at once, in order (`o`: the page's subscribe options). */
  openAll(transport: Transport, url: string, n: number, o: { pollIntervalMs: number; pollPhaseMs: number; longPollWaitMs: number; firstWaitMs?: number; after: number }): Promise<void>;
  status(): Promise<LimitStatus[]>;
  close(id: number): Promise<void>;
}

/** What the page script defines (clients/browser/page.ts). */
interface PageApi {
  rtb: {
    subscribe(id: number, transport: string, url: string, o: object): Promise<number>;
    openAll(transport: string, url: string, n: number, o: object): void;
    status(): LimitStatus[];
    close(id: number): void;
    clock(url: string, count: number): Promise<[number, number, number][]>;
    timerResolution(): { stepMs: number; isolated: boolean };
    lagStart(): void;
    lagStop(): void;
    lagTake(): number[] | null;
  };
}

/** One Chromium holding browser subscribers in its pages; every client's deliveries reach its sink on the host's clock. */
export class BrowserHost {
  private readonly slots: PageSlot[] = [];
  private readonly clients: BrowserClient[] = [];
  private timer = { stepUs: Infinity, isolated: false };
  private drift = 0;
  /** Receive times moved up to their event's `ts` (within the alignment's uncertainty). */
  clamped = 0;
  /** Times an EventSource lost its stream and reconnected by itself. */
  reconnects = 0;
  /** Chromium's CPU when the window opened, µs, and over the window once it closed. */
  private windowCpuStartUs: number | undefined;
  private windowCpu: { cpuUs: number; spanUs: number } | undefined;
  private windowStartedUs = 0;

  private constructor(
    private readonly browser: Browser,
    private readonly pageServer: Server,
    private readonly clockServer: WebSocketServer,
    private readonly pageUrl: string,
  ) {}

  /**
   * Launches Chromium and serves the page (with the host's clock). `ca`: the run's certificate (PEM) under --tls or
   * --http2, which Chromium then accepts for https and wss (see trustCertificateArg); the page itself stays http.
   */
  static async launch(ca?: string): Promise<BrowserHost> {
    const pageServer = createServer((_req, res) => res.writeHead(200, PAGE_HEADERS).end(PAGE_HTML));
    // The host's clock, for the pages' alignment: each text frame is answered with nowUs() (every process of
    // the host reads the same monotonic clock as the servers' `ts`).
    const clock = new WebSocketServer({ server: pageServer, path: '/clock' });
    clock.on('connection', (ws) => ws.on('message', () => ws.send(String(nowUs()))));
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    const port = (pageServer.address() as AddressInfo).port;
    let browser: Browser;
    try {
      // Every subscriber gets its own origin, <name>.rtbench.test, resolved to 127.0.0.1: see originFor().
      browser = await launchChromium([`--host-resolver-rules=MAP *.${ORIGIN_DOMAIN} 127.0.0.1`, ...(ca === undefined ? [] : [trustCertificateArg(ca)])]);
    } catch (err) {
      clock.close();
      pageServer.close();
      throw err;
    }
    return new BrowserHost(browser, pageServer, clock, `http://127.0.0.1:${port}/`);
  }

  /**
   * Subscriber `id`'s origin: the server's scheme and port under its own host name, s<id>.rtbench.test. An HTTP/1.1 browser
   * holds at most six connections per origin; one origin per subscriber gives each its own connection pool, as
   * each Node client has, so no subscriber waits behind another's held stream or poll.
   */
  originFor(baseUrl: string, id: number): string {
    const url = new URL(baseUrl);
    return `${url.protocol}//s${id}.${ORIGIN_DOMAIN}:${url.port}`;
  }

  /** A new (not yet connected) subscriber of `transport` in a page with room, opening a page when none has. */
  async client(transport: Transport, options: ClientOptions): Promise<Client> {
    let slot = this.slots.find((s) => s.subscribers < SUBSCRIBERS_PER_PAGE);
    if (!slot) slot = await this.openPage();
    slot.subscribers++;
    const client = new BrowserClient(transport, this, slot, this.clients.length, options);
    this.clients.push(client);
    return client;
  }

  /** Chromium's version. */
  get version(): string {
    return this.browser.version();
  }

  /** A new page for the browser-limits scenario. */
  async limitsPage(): Promise<LimitsPage> {
    const { page } = await this.openPage();
    return {
      openAll: (transport, url, n, o) => page.evaluate(([t, u, k, opts]) => (window as unknown as PageApi).rtb.openAll(t, u, k, opts), [transport, url, n, o] as const),
      status: () => page.evaluate(() => (window as unknown as PageApi).rtb.status()),
      close: (id) => page.evaluate((i) => (window as unknown as PageApi).rtb.close(i), id),
    };
  }

  private async openPage(): Promise<PageSlot> {
    const page = await this.browser.newPage();
    const slot: PageSlot = { page, clock: { offsetUs: 0, bestRttUs: Infinity }, uncertaintyUs: 0, subscribers: 0 };
    await page.exposeBinding('rtbDeliver', (_source, batch: number[]) => {
      for (let i = 0; i + 3 < batch.length; i += 4) this.clients[batch[i] as number]?.event(batch[i + 1] as number, batch[i + 2] as number, batch[i + 3] as number);
    });
    await page.exposeBinding('rtbNote', (_source, id: number, kind: string, message: string) => this.clients[id]?.note(kind, message));
    await page.goto(this.pageUrl);
    const t = await page.evaluate(() => (window as unknown as PageApi).rtb.timerResolution());
    this.timer = { stepUs: Math.min(this.timer.stepUs, t.stepMs * 1000), isolated: t.isolated };
    slot.clock = await this.align(page);
    slot.uncertaintyUs = Math.round(slot.clock.bestRttUs / 2 + t.stepMs * 1000);
    this.slots.push(slot);
    return slot;
  }

  /** Aligns `page`'s clock with the host's: CLOCK_EXCHANGES over a WebSocket, the offset at the shortest round trip. */
  private async align(page: Page): Promise<PageClock> {
    const url = `${this.pageUrl.replace(/^http/, 'ws')}clock`;
    const samples = await page.evaluate(([u, n]) => (window as unknown as PageApi).rtb.clock(u, n), [url, CLOCK_EXCHANGES] as const);
    return alignClock(samples);
  }

  /** Aligns every page again and keeps the largest change of an offset (the clocks' drift over the run, within the alignment's error). */
  async realign(): Promise<void> {
    for (const slot of this.slots) {
      const again = await this.align(slot.page);
      this.drift = Math.max(this.drift, Math.abs(again.offsetUs - slot.clock.offsetUs));
    }
  }

  /** The measured window opens: Chromium's CPU from now on is the window's. */
  windowOpened(): void {
    this.windowCpuStartUs = descendantsCpuUs();
    this.windowStartedUs = nowUs();
    for (const { page } of this.slots) void page.evaluate(() => (window as unknown as PageApi).rtb.lagStart()).catch(() => undefined);
  }

  /** The measured window closed. */
  windowClosed(): void {
    const now = descendantsCpuUs();
    if (this.windowCpuStartUs !== undefined && now !== undefined) this.windowCpu = { cpuUs: now - this.windowCpuStartUs, spanUs: nowUs() - this.windowStartedUs };
    for (const { page } of this.slots) void page.evaluate(() => (window as unknown as PageApi).rtb.lagStop()).catch(() => undefined);
  }

  /**
   * The pages' event-loop delay over the window, every page's probes in one encoded histogram, µs: the loops that
   * stamp the deliveries (the relaying process's own loop does not delay a stamp). Undefined when a page has no
   * probe or none was recorded.
   */
  async pageLoopDelay(): Promise<string | undefined> {
    const h = createHistogram();
    for (const { page } of this.slots) {
      const us = await page.evaluate(() => (window as unknown as PageApi).rtb.lagTake());
      if (us === null) return undefined;
      for (const v of us) h.recordValue(Math.min(v, HIGHEST_TRACKABLE_US));
    }
    return h.totalCount === 0 ? undefined : encodeHistogram(h);
  }

  /** How the pages' clocks were aligned (undefined before the first page). */
  clock(): BrowserClock | undefined {
    if (this.slots.length === 0) return undefined;
    const bestRttUs = Math.max(...this.slots.map((s) => s.clock.bestRttUs));
    const timerResolutionUs = Math.round(this.timer.stepUs * 10) / 10;
    return {
      version: this.browser.version(),
      pages: this.slots.length,
      timerResolutionUs,
      isolated: this.timer.isolated,
      bestRttUs,
      uncertaintyUs: Math.round(bestRttUs / 2 + timerResolutionUs),
      driftUs: this.drift,
      clampedLatencies: this.clamped,
      eventSourceReconnects: this.reconnects,
      ...(this.windowCpu ? { windowCpuUs: Math.round(this.windowCpu.cpuUs), windowUs: this.windowCpu.spanUs } : {}),
    };
  }

  /** Closes the browser and the page server. */
  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    for (const ws of this.clockServer.clients) ws.terminate();
    this.clockServer.close();
    this.pageServer.closeAllConnections();
    await new Promise<void>((resolve) => this.pageServer.close(() => resolve()));
  }
}
