// Long polling: GET /long-poll?after=S&wait=MS is held until an event after S exists or MS pass.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TransportModule } from './transport.ts';
import { HttpError, intParam, pollAnswer, sendJson, type PollAnswer } from './http-util.ts';

interface Waiter {
  res: ServerResponse;
  socket: Socket;
  after: number;
  timer: NodeJS.Timeout;
}

/** Default wait when the request names none, ms. */
export const DEFAULT_LONG_POLL_WAIT_MS = 30_000;

/**
 * The long polls a server holds, counted server-wide (its own stream's and every private stream's): at most `max`
 * at once (more: 503), and one per connection (a second one pipelined behind a held poll: 429), so neither many
 * connections nor one pipelining connection can make the server hold more.
 */
export class HeldPolls {
  /** The sockets holding a poll. */
  readonly sockets = new Set<Socket>();

  constructor(readonly max: number) {}

  /** Takes a slot for a poll on `socket`; throws the 429 or 503 when it may not be held. */
  take(socket: Socket): void {
    if (this.sockets.has(socket)) throw new HttpError(429, 'this connection already holds a long poll; send the next one when it is answered');
    if (this.sockets.size >= this.max) throw new HttpError(503, `the server already holds ${this.max} long polls; retry shortly`, { 'retry-after': '1' });
    this.sockets.add(socket);
  }
}

/** The long-polling endpoint. */
export const longPoll: TransportModule = ({ hub, options, held }) => {
  const waiters = new Set<Waiter>();

  const release = (w: Waiter): void => {
    clearTimeout(w.timer);
    waiters.delete(w);
    held.sockets.delete(w.socket);
  };

  const answer = (w: Waiter, a: PollAnswer): void => {
    release(w);
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
      // Over HTTP/2 `req.socket` stands for this request's stream, so there the rule is one held poll per stream:
      // a connection multiplexes several, as a browser's does.
      held.take(req.socket);
      const w: Waiter = {
        res,
        socket: req.socket,
        after,
        timer: setTimeout(() => answer(w, pollAnswer({ events: [], gap: false }, after)), wait),
      };
      waiters.add(w);
      req.once('close', () => {
        if (waiters.has(w)) release(w);
      });
    },
    subscribers: () => waiters.size,
    close() {
      for (const w of waiters) {
        clearTimeout(w.timer);
        held.sockets.delete(w.socket);
        w.res.destroy();
      }
      waiters.clear();
    },
  };
};
