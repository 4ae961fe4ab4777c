// Short polling: GET /poll?after=S answers at once with the retained events after S.
import type { TransportModule } from './transport.ts';
import { intParam, pollBody, sendJson } from './http-util.ts';

/** The short-polling endpoint. */
export const shortPoll: TransportModule = ({ hub }) => {
  // Pollers at the same cursor get the same body: build it once per cursor per publish tick.
  let bodies = new Map<number, string>();
  hub.onBatch(() => {
    if (bodies.size > 0) bodies = new Map();
  });
  return {
    path: '/poll',
    request(_req, res, url) {
      const after = intParam(url, 'after') ?? hub.lastSeq;
      let body = bodies.get(after);
      if (body === undefined) {
        body = pollBody(hub.since(after), after);
        if (bodies.size < 10_000) bodies.set(after, body);
      }
      sendJson(res, body);
    },
    subscribers: () => 0,
    close() {
      bodies.clear();
    },
  };
};
