// Long polling: GET /long-poll?after=S&wait=MS is held until an event after S exists or MS pass.
import type { ServerResponse } from 'node:http';
import type { TransportModule } from './transport.ts';
import { intParam, pollBody, sendJson } from './http-util.ts';

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

  const answer = (w: Waiter, body: string): void => {
    clearTimeout(w.timer);
    waiters.delete(w);
    sendJson(w.res, body);
  };

  hub.onBatch(() => {
    // Every held poll is answered in this tick; pollers at the same cursor share one body.
    const bodies = new Map<number, string>();
    for (const w of waiters) {
      let body = bodies.get(w.after);
      if (body === undefined) {
        body = pollBody(hub.since(w.after), w.after);
        bodies.set(w.after, body);
      }
      answer(w, body);
    }
  });

  return {
    path: '/long-poll',
    request(req, res, url) {
      const after = intParam(url, 'after') ?? hub.lastSeq;
      const wait = intParam(url, 'wait', options.maxWaitMs) ?? DEFAULT_LONG_POLL_WAIT_MS;
      if (hub.lastSeq > after || wait === 0) return sendJson(res, pollBody(hub.since(after), after));
      const w: Waiter = {
        res,
        after,
        timer: setTimeout(() => answer(w, pollBody({ events: [], gap: false }, after)), wait),
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
