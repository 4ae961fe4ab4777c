// Long polling: GET /long-poll?after=S&wait=MS is held until an event after S exists or MS pass.
import type { ServerResponse } from 'node:http';
import type { TransportModule } from './transport.ts';
import { intParam, pollAnswer, sendJson, type PollAnswer } from './http-util.ts';

interface Waiter {
  res: ServerResponse;
  after: number;
  timer: NodeJS.Timeout;
}

/** Default wait when the request names none, ms. */
export const DEFAULT_LONG_POLL_WAIT_MS = 30_000;

/** The long-polling endpoint. */
export const longPoll: TransportModule = ({ hub, options }) => {
  const waiters = new Set<Waiter>();

  const answer = (w: Waiter, a: PollAnswer): void => {
    clearTimeout(w.timer);
    waiters.delete(w);
    hub.charge(a.events);
    sendJson(w.res, a.body);
  };

  hub.onBatch(() => {
    // Every held poll is answered in this tick; pollers at the same cursor share one body.
    const bodies = new Map<number, PollAnswer>();
    for (const w of waiters) {
      let a = bodies.get(w.after);
      if (a === undefined) {
        a = pollAnswer(hub.since(w.after), w.after);
        bodies.set(w.after, a);
      }
      answer(w, a);
    }
  });

  return {
    path: '/long-poll',
    request(req, res, url) {
      const after = intParam(url, 'after') ?? hub.lastSeq;
      const wait = intParam(url, 'wait', options.maxWaitMs) ?? DEFAULT_LONG_POLL_WAIT_MS;
      if (hub.lastSeq > after || wait === 0) {
        const a = pollAnswer(hub.since(after), after);
        hub.charge(a.events);
        return sendJson(res, a.body);
      }
      const w: Waiter = {
        res,
        after,
        timer: setTimeout(() => answer(w, pollAnswer({ events: [], gap: false }, after)), wait),
      };
      waiters.add(w);
      req.once('close', () => {
        if (waiters.delete(w)) clearTimeout(w.timer);
      });
    },
    subscribers: () => waiters.size,
    close() {
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.res.destroy();
      }
      waiters.clear();
    },
  };
};
