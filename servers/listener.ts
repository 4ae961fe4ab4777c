// The listening server of a reference server: node:http (plain), node:https (TLS) or node:http2's secure server
// with HTTP/1.1 on the same port (HTTP/2: ALPN h2 for the HTTP transports, http/1.1 for WebSocket's upgrade).
// Over HTTP/2 the handlers get node:http2's compatibility request and response, which offer the part of
// IncomingMessage and ServerResponse they use (see isHttp2 for what differs).
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import type { ServerOptions } from './options.ts';
import { MAX_HEADER_BYTES, MAX_HEADERS } from './limits.ts';

/** Longest a kept-alive HTTP/1.1 connection idles between requests, ms. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** A server of any of the three kinds, typed as node:http's (the events and members the reference server uses). */
export interface Listener {
  readonly server: Server;
  /** Destroys every open connection (node:http's closeAllConnections, which node:http2's server lacks). */
  closeAllConnections(): void;
}

/** Creates the server `options` ask for, answering requests with `handler`. */
export function createListener(options: ServerOptions, handler: RequestListener): Listener {
  const http1 = {
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    // How often node looks for requests past those timeouts (its default, 30 s, would stretch a 10 s timeout to 40 s).
    connectionsCheckingInterval: Math.min(1000, Math.max(10, Math.floor(options.headersTimeoutMs / 10))),
  };
  const { tls } = options;
  if (options.http2) {
    if (tls === undefined) throw new Error('HTTP/2 needs TLS: the reference servers speak h2 only after ALPN');
    const h2 = createSecureServer(
      {
        key: tls.key,
        cert: tls.cert,
        allowHTTP1: true,
        settings: { maxHeaderListSize: MAX_HEADER_BYTES },
        maxHeaderListPairs: MAX_HEADERS,
      },
      handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
    );
    // The HTTP/1.1 side (WebSocket, and any client without ALPN h2) reads node:http's knobs off the server.
    Object.assign(h2, http1);
    const sockets = new Set<Socket>();
    h2.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    return {
      server: h2 as unknown as Server,
      closeAllConnections: () => {
        for (const socket of sockets) socket.destroy();
      },
    };
  }
  const server = tls === undefined ? createHttpServer(http1, handler) : createHttpsServer({ ...http1, key: tls.key, cert: tls.cert }, handler);
  server.maxHeadersCount = MAX_HEADERS;
  return { server, closeAllConnections: () => server.closeAllConnections() };
}

/** True for a request that came over HTTP/2 (node:http2's compatibility request). */
export function isHttp2(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2;
}

/**
 * `headers` without the connection-specific fields HTTP/2 forbids (RFC 9113 8.2.2): node:http2 drops them with a
 * warning; removing them first keeps the warning out.
 */
export function forHttp2(headers: Record<string, string>): Record<string, string> {
  const { connection: _connection, ...rest } = headers;
  return rest;
}
