/** The five transports, one name each everywhere: file, CLI flag, JSON key, report label. */
export const TRANSPORTS = ['short-poll', 'long-poll', 'ws', 'sse', 'fetch-stream'] as const;

/** One of the five transport names. */
export type Transport = (typeof TRANSPORTS)[number];

/** Human labels for reports. */
export const TRANSPORT_LABELS: Record<Transport, string> = {
  'short-poll': 'Short polling',
  'long-poll': 'Long polling',
  ws: 'WebSocket',
  sse: 'Server-Sent Events',
  'fetch-stream': 'fetch() streaming',
};

/** True when `name` is a transport name. */
export function isTransport(name: string): name is Transport {
  return (TRANSPORTS as readonly string[]).includes(name);
}

/** The endpoint path of each transport (docs/protocol.md): the same on every server, rtbench's or the user's. */
export const TRANSPORT_PATHS: Record<Transport, string> = {
  'short-poll': '/poll',
  'long-poll': '/long-poll',
  ws: '/ws',
  sse: '/sse',
  'fetch-stream': '/stream',
};
