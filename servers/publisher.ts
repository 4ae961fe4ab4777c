// Open-loop publisher: emits at a fixed rate and stamps each event with its *scheduled* time.
import type { Hub } from './hub.ts';
import { monotonicUs } from './clock.ts';

/** What to publish. */
export interface PublishPlan {
  /** Events per second. */
  rate: number;
  /** Stop after this many events (Infinity: until stopped). */
  count: number;
  /** Length of each event's `data` string. */
  payloadBytes: number;
}

/** A running publisher. */
export interface Publisher {
  /** Resolves with the last seq published (delivered or about to be) when `count` events are out or the publisher was stopped. */
  readonly done: Promise<number>;
  /** Stops before the next event. */
  stop(): void;
}

/**
 * Starts publishing. Event i is due at start + i / rate; each timer tick publishes every event that is due
 * (several per tick above ~900 events/s, since timers tick at ~1 ms) as one batch, catching up against the clock.
 * A stalled process therefore publishes late events with their original due time, and clients see the stall.
 */
export function startPublisher(hub: Hub, plan: PublishPlan): Publisher {
  const payload = 'x'.repeat(plan.payloadBytes);
  const intervalUs = 1e6 / plan.rate;
  const startUs = monotonicUs();
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  let finish!: (lastSeq: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));

  const tick = (): void => {
    timer = undefined;
    const now = monotonicUs();
    while (sent < plan.count) {
      const due = startUs + Math.round(sent * intervalUs);
      if (due > now) break;
      hub.append(payload, due);
      sent++;
    }
    hub.flush();
    if (sent >= plan.count) return finish(hub.publishedSeq);
    const nextDue = startUs + Math.round(sent * intervalUs);
    timer = setTimeout(tick, Math.max(0, (nextDue - monotonicUs()) / 1000));
  };
  tick();
  return {
    done,
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      finish(hub.publishedSeq);
    },
  };
}
