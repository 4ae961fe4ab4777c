// The names the Socket.IO transports share between server and client (docs/protocol.md#socketio).

/** The path Socket.IO serves (its default), with the trailing slash its clients send. */
export const SOCKETIO_PATH = '/socket.io/';
/** The Socket.IO event that carries one rtbench event: `42["event",{"seq":..,"ts":..,"data":".."}]`. */
export const SOCKETIO_EVENT = 'event';
/** The event of the gap notice: `42["gap",{"gap":true,"after":S,"oldest":O}]`. */
export const SOCKETIO_GAP_EVENT = 'gap';
/** The event of an upstream message, `42["publish",{"data":"..."}]`, published like `POST /publish`. */
export const SOCKETIO_PUBLISH_EVENT = 'publish';
/** Engine.IO's ping interval, ms: its default, kept (Engine.IO cannot turn its ping off). */
export const SOCKETIO_PING_INTERVAL_MS = 25_000;
