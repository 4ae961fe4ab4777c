// Server-Sent Events: GET /sse streams `id: <seq>\ndata: <event JSON>\n\n` frames.
import type { TransportModule } from './transport.ts';
import { StreamedResponses } from './slow-consumer.ts';
import type { HubEvent } from './hub.ts';
import { CORS_HEADERS, cursorOf, gapMessage } from './http-util.ts';
import { forHttp2, isHttp2 } from './listener.ts';

const HEADERS = {
  ...CORS_HEADERS,
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};
const HTTP2_HEADERS = forHttp2(HEADERS);

/** One SSE frame per event. */
export function sseFrames(events: readonly HubEvent[]): string {
  let out = '';
  for (const e of events) out += `id: ${e.seq}\ndata: ${e.json}\n\n`;
  return out;
}

/** The heartbeat comment. */
export const SSE_HEARTBEAT = ': heartbeat\n\n';

/** The SSE endpoint. */
export const sse: TransportModule = ({ hub, options, slow }) => {
  const subscribers = new StreamedResponses(slow, (reason) => `event: cut\ndata: ${JSON.stringify({ cut: true, reason })}\n\n`);
  hub.onBatch((batch) => {
    // The per-delivery work (and the injected CPU test knob) comes before the writes, as a server's would.
    hub.charge(batch.length * subscribers.size);
    // One encoded buffer per publish tick, written to every subscriber.
    subscribers.write(Buffer.from(sseFrames(batch)));
  });
  const heartbeat =
    options.heartbeatMs > 0
      ? setInterval(() => {
          subscribers.write(SSE_HEARTBEAT);
        }, options.heartbeatMs).unref()
      : undefined;

  return {
    path: '/sse',
    request(req, res, url) {
      const cursor = cursorOf(req, url, true);
      const after = cursor ?? hub.lastSeq;
      res.writeHead(200, isHttp2(req) ? HTTP2_HEADERS : HEADERS);
      let head = options.sseRetryMs > 0 ? `retry: ${options.sseRetryMs}\n\n` : '';
      const backlog = hub.since(after);
      if (backlog.gap) head += `event: gap\ndata: ${gapMessage(after, hub.oldestSeq)}\n\n`;
      head += sseFrames(backlog.events);
      if (head === '') res.flushHeaders();
      else res.write(head);
      // A resumption's backlog, sent at once, is allowed on top of the slow-consumer bound.
      subscribers.add(res, head.length);
    },
    subscribers: () => subscribers.size,
    close() {
      clearInterval(heartbeat);
      subscribers.endAll();
    },
  };
};
