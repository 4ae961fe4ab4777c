/** The five plain transports, each a small server module on node:http speaking the wire contract directly. */
export const PLAIN_TRANSPORTS = ['short-poll', 'long-poll', 'ws', 'sse', 'fetch-stream'] as const;

/** One of the five plain transports. */
export type PlainTransport = (typeof PLAIN_TRANSPORTS)[number];

/** Every transport, one name each everywhere: file, CLI flag, JSON key, report label. */
export const TRANSPORTS = [...PLAIN_TRANSPORTS, 'socketio', 'socketio-ws'] as const;

/** One transport name. */
export type Transport = (typeof TRANSPORTS)[number];

/**
 * The five plain transports: what runs when no transport is named (`rtbench compare`, scenario files without a
 * list, the gate). Socket.IO (`socketio`, `socketio-ws`) is a library on top of two of them and runs when named.
 */
export const DEFAULT_TRANSPORTS: readonly Transport[] = PLAIN_TRANSPORTS;

/** Human labels for reports. */
export const TRANSPORT_LABELS: Record<Transport, string> = {
  'short-poll': 'Short polling',
  'long-poll': 'Long polling',
  ws: 'WebSocket',
  sse: 'Server-Sent Events',
  'fetch-stream': 'fetch() streaming',
  socketio: 'Socket.IO (polling, then WebSocket)',
  'socketio-ws': 'Socket.IO (WebSocket only)',
};

/** True when `name` is a transport name. */
export function isTransport(name: string): name is Transport {
  return (TRANSPORTS as readonly string[]).includes(name);
}

/** True for the Socket.IO transports (the `socket.io` server and `socket.io-client`). */
export function isSocketIo(t: Transport): t is 'socketio' | 'socketio-ws' {
  return t === 'socketio' || t === 'socketio-ws';
}

/** The endpoint path of each transport (docs/protocol.md): the same on every server, rtbench's or the user's. */
export const TRANSPORT_PATHS: Record<Transport, string> = {
  'short-poll': '/poll',
  'long-poll': '/long-poll',
  ws: '/ws',
  sse: '/sse',
  'fetch-stream': '/stream',
  socketio: '/socket.io/',
  'socketio-ws': '/socket.io/',
};
