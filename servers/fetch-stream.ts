// fetch() streaming: GET /stream answers chunked NDJSON, one event JSON per line, flushed every publish tick.
import type { ServerResponse } from 'node:http';
import type { TransportModule } from './transport.ts';
import { CUT_GRACE_MS } from './slow-consumer.ts';
import type { HubEvent } from './hub.ts';
import { CORS_HEADERS, gapMessage, intParam } from './http-util.ts';

const HEADERS = {
  ...CORS_HEADERS,
  'content-type': 'application/x-ndjson',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

/** NDJSON lines for events. */
export function ndjsonLines(events: readonly HubEvent[]): string {
  let out = '';
  for (const e of events) out += `${e.json}\n`;
  return out;
}

/** The NDJSON streaming endpoint. */
export const fetchStream: TransportModule = ({ hub, slow }) => {
  const subscribers = new Set<ServerResponse>();
  /** Bytes each subscriber was sent at once when it subscribed (only those that got a backlog). */
  const backlogs = new Map<ServerResponse, number>();
  hub.onBatch((batch) => {
    // The per-delivery work (and the injected CPU test knob) comes before the writes, as a server's would.
    hub.charge(batch.length * subscribers.size);
    const chunk = Buffer.from(ndjsonLines(batch));
    for (const res of subscribers) {
      res.write(chunk);
      if (slow.over(res.writableLength, backlogs.get(res))) cut(res);
    }
  });
  /** A slow consumer: a `{"cut":true,...}` line with the reason, the end of the stream, and the socket destroyed soon. */
  const cut = (res: ServerResponse): void => {
    subscribers.delete(res);
    backlogs.delete(res);
    slow.cut++;
    res.end(`${JSON.stringify({ cut: true, reason: slow.reason(res.writableLength) })}\n`);
    setTimeout(() => res.destroy(), CUT_GRACE_MS).unref();
  };
  return {
    path: '/stream',
    request(req, res, url) {
      const after = intParam(url, 'after') ?? hub.lastSeq;
      res.writeHead(200, HEADERS);
      const backlog = hub.since(after);
      let head = backlog.gap ? `${gapMessage(after, hub.oldestSeq)}\n` : '';
      head += ndjsonLines(backlog.events);
      if (head === '') res.flushHeaders();
      else res.write(head);
      subscribers.add(res);
      // A resumption's backlog, sent at once, is allowed on top of the slow-consumer bound.
      if (head.length > 0) backlogs.set(res, head.length);
      res.once('close', () => {
        subscribers.delete(res);
        backlogs.delete(res);
      });
      req.resume();
    },
    subscribers: () => subscribers.size,
    close() {
      for (const res of subscribers) res.end();
      subscribers.clear();
    },
  };
};
