// fetch() streaming: GET /stream answers chunked NDJSON, one event JSON per line, flushed every publish tick.
import type { TransportModule } from './transport.ts';
import { StreamedResponses } from './slow-consumer.ts';
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
  const subscribers = new StreamedResponses(slow, (reason) => `${JSON.stringify({ cut: true, reason })}\n`);
  hub.onBatch((batch) => {
    // The per-delivery work (and the injected CPU test knob) comes before the writes, as a server's would.
    hub.charge(batch.length * subscribers.size);
    subscribers.write(Buffer.from(ndjsonLines(batch)));
  });
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
      // A resumption's backlog, sent at once, is allowed on top of the slow-consumer bound.
      subscribers.add(res, head.length);
      req.resume();
    },
    subscribers: () => subscribers.size,
    close() {
      subscribers.endAll();
    },
  };
};
