// The clients behind one contract: the default of each transport, and the alternative implementations a
// measurement can choose by name.
import type { Transport } from '../lib/transports.ts';
import type { Client, ClientFactory, ClientOptions } from './client.ts';
import { createFetchStreamClient } from './fetch-stream.ts';
import { createFetchStreamWebClient } from './fetch-stream-web.ts';
import { createLongPollClient } from './long-poll.ts';
import { createShortPollClient } from './short-poll.ts';
import { createSseClient } from './sse.ts';
import { createEventSourceClient } from './sse-eventsource.ts';
import { createWsClient } from './ws.ts';
import { createSocketIoClient, createSocketIoWsClient } from './socketio.ts';

/** The default client factory of each transport. */
export const CLIENTS: Record<Transport, ClientFactory> = {
  'short-poll': createShortPollClient,
  'long-poll': createLongPollClient,
  ws: createWsClient,
  sse: createSseClient,
  'fetch-stream': createFetchStreamClient,
  socketio: createSocketIoClient,
  'socketio-ws': createSocketIoWsClient,
};

/** One client implementation: the transport it speaks and its factory. */
export interface ClientImplementation {
  transport: Transport;
  create: ClientFactory;
}

/**
 * Every client implementation by name: each transport's default under the transport's own name, plus
 * `sse-eventsource` (the `eventsource` library: its reconnection and Last-Event-ID handling) and
 * `fetch-stream-web` (undici fetch() and a ReadableStream reader, as a browser reads the stream).
 */
export const CLIENT_IMPLEMENTATIONS = {
  'short-poll': { transport: 'short-poll', create: createShortPollClient },
  'long-poll': { transport: 'long-poll', create: createLongPollClient },
  ws: { transport: 'ws', create: createWsClient },
  sse: { transport: 'sse', create: createSseClient },
  'sse-eventsource': { transport: 'sse', create: createEventSourceClient },
  'fetch-stream': { transport: 'fetch-stream', create: createFetchStreamClient },
  'fetch-stream-web': { transport: 'fetch-stream', create: createFetchStreamWebClient },
  socketio: { transport: 'socketio', create: createSocketIoClient },
  'socketio-ws': { transport: 'socketio-ws', create: createSocketIoWsClient },
} as const satisfies Record<string, ClientImplementation>;

/** The name of a client implementation. */
export type ClientImplementationName = keyof typeof CLIENT_IMPLEMENTATIONS;

/** Builds a (not yet connected) client of `transport`, with that transport's default implementation. */
export function createClient(transport: Transport, options: ClientOptions): Client {
  return CLIENTS[transport](options);
}

/** Builds a (not yet connected) client of the named implementation. */
export function createClientOf(implementation: ClientImplementationName, options: ClientOptions): Client {
  return CLIENT_IMPLEMENTATIONS[implementation].create(options);
}
