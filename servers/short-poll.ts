// Short polling: GET /poll?after=S answers at once with the retained events after S.
import type { TransportModule } from './transport.ts';
import { intParam, pollAnswer, sendJson, type PollAnswer } from './http-util.ts';

/** The short-polling endpoint. */
export const shortPoll: TransportModule = ({ hub }) => {
  // Pollers at the same cursor get the same answer: build it once per cursor per publish tick.
  let bodies = new Map<number, PollAnswer>();
  hub.onBatch(() => {
    if (bodies.size > 0) bodies = new Map();
  });
  return {
    path: '/poll',
    request(_req, res, url) {
      const after = intParam(url, 'after') ?? hub.lastSeq;
      let answer = bodies.get(after);
      if (answer === undefined) {
        answer = pollAnswer(hub.since(after), after);
        if (bodies.size < 10_000) bodies.set(after, answer);
      }
      hub.charge(answer.events);
      sendJson(res, answer.body);
    },
    subscribers: () => 0,
    close() {
      bodies.clear();
    },
  };
};
