// WebSocket (the `ws` library): GET /ws?after=S upgrades; one event JSON per text frame; client text frames
// `{"data":"..."}` are published upstream. The writes of one publish tick are corked into one syscall per socket.
// A frame that breaks RFC 6455 is answered by `ws` with the close code the RFC names (1002 protocol error, 1007
// invalid UTF-8, 1009 over `maxBodyBytes`); the socket is destroyed if the peer does not complete the close soon.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TransportModule } from './transport.ts';
import { gapMessage, intParam, rejectUpgrade } from './http-util.ts';
import { monotonicUs } from './clock.ts';
import { CUT_GRACE_MS } from './slow-consumer.ts';
import { isHttp2 } from './listener.ts';

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
  // A handshake `ws` refuses (no or a bad Sec-WebSocket-Key, an unknown version, a bad Upgrade or extension
  // header) gets 400 with the same JSON error as every other refusal, instead of ws's plain-text one; an unknown
  // version is told the versions this server speaks (RFC 6455 4.2.2).
  wss.on('wsClientError', (err: Error, socket: Duplex, req: IncomingMessage) => {
    const version = req.headers['sec-websocket-version'];
    const headers: Record<string, string> = version === '13' || version === '8' ? {} : { 'sec-websocket-version': '13, 8' };
    rejectUpgrade(socket, 400, `WebSocket handshake refused: ${err.message}`, headers);
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
    request(req, res) {
      // HTTP/2 has no Upgrade (RFC 9113 8.6): there the 426 says it in its body only.
      if (!isHttp2(req)) res.setHeader('upgrade', 'websocket');
      res.writeHead(426, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end('{"error":"this endpoint needs a WebSocket upgrade"}\n');
    },
    upgrade(req, socket, head, url) {
      if (req.method !== 'GET') return rejectUpgrade(socket, 405, `method ${req.method ?? '?'} cannot open a WebSocket; use GET`, { allow: 'GET' });
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
        // A protocol error: ws has sent its close frame (1002, 1007, 1009); the peer gets a moment to answer it.
        client.on('error', () => setTimeout(() => client.terminate(), CUT_GRACE_MS).unref());
        /** Closes with `code`; a peer that does not complete the close is cut off after a moment. */
        const refuse = (code: number, reason: string): void => {
          client.close(code, reason);
          setTimeout(() => client.terminate(), CUT_GRACE_MS).unref();
        };
        client.on('message', (data, isBinary) => {
          if (isBinary) return refuse(1003, 'binary frames are not accepted; send {"data":"..."} as text');
          let message: unknown;
          try {
            message = (JSON.parse(data.toString()) as { data?: unknown }).data;
          } catch {
            return refuse(1007, 'upstream frames must be JSON like {"data":"..."}');
          }
          if (typeof message !== 'string') return refuse(1007, 'upstream frames need a string "data"');
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
