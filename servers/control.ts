// The control of one server's publisher, shared by the IPC host (servers/host.ts) and the HTTP control endpoints
// (servers/server.ts), so a remote publisher is driven exactly as a spawned one: a plan, stop-at, the window.
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Hub } from './hub.ts';
import type { Scheduler } from './scheduler.ts';
import { startPublisher, type PublishPlan, type Publisher, type PublisherStats } from './publisher.ts';

/** How a publisher stopped: its last seq and when that event was due (µs; 0 when none was published). */
export interface Published {
  lastSeq: number;
  lastDueUs: number;
}

/** Header rtbench sets on its own requests (control, and its publishes to a server it drives), so a reference server does not count them as the transport's. */
export const CONTROL_HEADER = 'x-rtbench-control';

/** The one publisher of a server at a time, and the measured window of its lateness. */
export class PublisherControl {
  private publisher: Publisher | undefined;
  private current: Promise<Published> | undefined;

  constructor(
    private readonly hub: Hub,
    private readonly stats: PublisherStats,
    private readonly scheduler: Scheduler,
  ) {}

  /** Starts publishing per `plan`, replacing a running publisher; resolves once it stops. */
  start(plan: PublishPlan): Promise<Published> {
    this.publisher?.stop();
    const p = startPublisher(this.hub, plan, this.stats, this.scheduler);
    this.publisher = p;
    const done = p.done.then((lastSeq) => ({ lastSeq, lastDueUs: p.lastDueUs }));
    this.current = done;
    return done;
  }

  /** The running publisher (if any) publishes the events due before `endUs` (µs), then stops. */
  stopAt(endUs: number): void {
    this.publisher?.stopAt(endUs);
  }

  /** Stops the running publisher; the last seq published and the last due time. */
  stop(): Published {
    this.publisher?.stop();
    return { lastSeq: this.hub.publishedSeq, lastDueUs: this.publisher?.lastDueUs ?? 0 };
  }

  /** Only events due in [startUs, endUs) count in the publisher's lateness from now on. */
  window(startUs: number, endUs?: number): void {
    this.stats.setWindow(startUs, endUs);
  }

  /** The outcome of the last publisher started: undefined while it runs (or when none was started). */
  async settled(waitMs: number): Promise<Published | undefined> {
    const current = this.current;
    if (!current) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs)));
    try {
      return await Promise.race([current, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Whether `host` is a loopback address (127.0.0.0/8, ::1, or the name localhost). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./i.test(h);
  return false;
}

/** Whether an `Authorization` header presents `token` as a bearer token (compared in constant time). */
export function presentsToken(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  const given = Buffer.from(m[1] as string);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
