// WebSocket (the `ws` library): GET /ws?after=S upgrades; one event JSON per text frame; client text frames
// `{"data":"..."}` are published upstream. The writes of one publish tick are corked into one syscall per socket.
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TransportModule } from './transport.ts';
import { gapMessage, intParam } from './http-util.ts';
import { monotonicUs } from './clock.ts';
import { CUT_GRACE_MS } from './slow-consumer.ts';

interface Subscriber {
  ws: WebSocket;
  socket: Socket;
  /** Bytes of the backlog sent when it subscribed (allowed on top of the slow-consumer bound). */
  backlogBytes: number;
}

/** The WebSocket endpoint. */
export const ws: TransportModule = ({ hub, options, slow }) => {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: options.wsCompression,
    maxPayload: options.maxBodyBytes,
    clientTracking: false,
  });
  const subscribers = new Set<Subscriber>();
  const sendOpts = { binary: false, compress: options.wsCompression, fin: true };

  hub.onBatch((batch) => {
    // The per-delivery work (and the injected CPU test knob) comes before the writes, as a server's would.
    hub.charge(batch.length * subscribers.size);
    // Encode each event once; ws frames it per socket, corked so one tick costs one write per socket.
    const payloads = batch.map((e) => Buffer.from(e.json));
    for (const s of subscribers) {
      s.socket.cork();
      for (const p of payloads) s.ws.send(p, sendOpts);
      s.socket.uncork();
      if (slow.over(s.ws.bufferedAmount, s.backlogBytes)) cut(s);
    }
  });

  /** A slow consumer: close 1008 with the reason (it reads it if it ever reads again), then destroy the socket. */
  const cut = (s: Subscriber): void => {
    subscribers.delete(s);
    slow.cut++;
    s.ws.close(1008, slow.reason(s.ws.bufferedAmount).slice(0, 120));
    setTimeout(() => s.ws.terminate(), CUT_GRACE_MS).unref();
  };

  // Idle keep-alive (off by default): one empty ping frame per subscriber every wsPingMs.
  const pinger =
    options.wsPingMs > 0
      ? setInterval(() => {
          for (const s of subscribers) s.ws.ping();
        }, options.wsPingMs).unref()
      : undefined;

  return {
    path: '/ws',
    request(_req, res) {
      res.setHeader('upgrade', 'websocket');
      res.writeHead(426, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end('{"error":"this endpoint needs a WebSocket upgrade"}\n');
    },
    upgrade(req, socket, head, url) {
      const after = intParam(url, 'after') ?? hub.lastSeq;
      // Keep only the TCP socket: a callback that used `req` would retain the upgrade request (~1.2 KB of heap)
      // for the whole life of the connection.
      const tcp = req.socket;
      wss.handleUpgrade(req, socket, head, (client) => {
        const backlog = hub.since(after);
        let backlogBytes = 0;
        for (const e of backlog.events) backlogBytes += e.json.length;
        const sub: Subscriber = { ws: client, socket: tcp, backlogBytes };
        sub.socket.cork();
        if (backlog.gap) client.send(gapMessage(after, hub.oldestSeq));
        for (const e of backlog.events) client.send(e.json);
        sub.socket.uncork();
        subscribers.add(sub);
        client.on('close', () => subscribers.delete(sub));
        client.on('error', () => client.terminate());
        client.on('message', (data, isBinary) => {
          if (isBinary) return client.close(1003, 'binary frames are not accepted; send {"data":"..."} as text');
          let message: unknown;
          try {
            message = (JSON.parse(data.toString()) as { data?: unknown }).data;
          } catch {
            return client.close(1007, 'upstream frames must be JSON like {"data":"..."}');
          }
          if (typeof message !== 'string') return client.close(1007, 'upstream frames need a string "data"');
          hub.publish(message, monotonicUs());
        });
      });
    },
    subscribers: () => subscribers.size,
    close() {
      clearInterval(pinger);
      for (const s of subscribers) s.ws.terminate();
      subscribers.clear();
      wss.close();
    },
  };
};
